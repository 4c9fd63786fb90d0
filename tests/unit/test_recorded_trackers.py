"""The actions on trackers Rasa really stored (tests/data/trackers/, made by
scripts/record_trackers.py), as RasaHQ/financial-demo tests its actions.

Each file is the conversation after its last turn; ``at_last_turn`` rewinds
it to what Rasa sends the action server for that turn (slots as they were
before it), so the action decides that turn again and must decide it alike.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker

from actions.actions import ActionAnswerErrand, ActionOutOfScope, ActionSensitive
from tests.conftest import run_async

TRACKERS = Path(__file__).resolve().parent.parent / "data" / "trackers"


def at_last_turn(name: str) -> Tracker:
    state = json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))
    events = state["events"]
    last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
    before = events[: last_user + 1]
    slots = {name: None for name in state["slots"]}
    for event in before:
        if event["event"] == "slot":
            slots[event["name"]] = event["value"]
    message = before[-1]
    latest = {**message["parse_data"], "text": message["text"], "metadata": message.get("metadata") or {}}
    return Tracker.from_dict({**state, "events": before, "slots": slots, "latest_message": latest})


def run(action, tracker: Tracker):
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = run_async(action.run(dispatcher, tracker, {}))
    # The slots after the action: it sets only those that change.
    return dispatcher.messages, {**tracker.slots, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}


def recorded_reply(name: str) -> str:
    state = json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))
    return [e["text"] for e in state["events"] if e["event"] == "bot"][-1]


@pytest.mark.parametrize(
    "name,action,slots",
    [
        ("health_card_lost", ActionAnswerErrand, {"topic": "sundhedskort", "situation": "mistet"}),
        ("passport_price_then_adult", ActionAnswerErrand, {"topic": "pas", "situation": "pris", "person": "voksen"}),
        ("no_mitid_passport", ActionAnswerErrand, {"topic": "pas", "barriers": ["ingen_mitid"]}),
        ("son_arrested", ActionSensitive, {"sensitive_category": "criminal"}),
        ("weather", ActionOutOfScope, {"kommune": "nyborg"}),
    ],
)
def test_recorded_turn_is_decided_again_alike(runtime_env, name, action, slots):
    messages, set_slots = run(action(), at_last_turn(name))
    assert messages[-1]["text"] == recorded_reply(name)
    assert {k: set_slots.get(k) for k in slots} == slots


def test_switching_errand_reads_the_situation_for_the_new_topic(runtime_env):
    """'mistet' after a stolen driving licence is the health card's own
    situation, not the licence's 'bortkommet' carried over."""
    tracker = at_last_turn("driving_licence_then_health_card")
    assert tracker.get_slot("topic") == "koerekort" and tracker.get_slot("situation") == "bortkommet"
    messages, slots = run(ActionAnswerErrand(), tracker)
    assert slots["topic"] == "sundhedskort" and slots["situation"] == "mistet"
    assert messages[0]["text"].startswith("Bestil et nyt sundhedskort")


def test_sensitive_reply_offers_a_callback_with_knowledge_buttons(runtime_env, knowledge):
    messages, _ = run(ActionSensitive(), at_last_turn("son_arrested"))
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == [knowledge.messages["button_callback_yes"], knowledge.messages["button_no_thanks"]]
