"""The tracker store's window for prediction (glue/tracker_store.py): what
it keeps, what it leaves out, and that the whole history stays stored.

tests/system/test_tracker_window.py checks with the trained policies that
they decide alike on the window and on the whole session."""

from __future__ import annotations

import math

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from glue.tracker_store import WINDOW_TURNS, UrlSQLTrackerStore
from tests.conftest import PROJECT_ROOT, run_async

TOPICS = ["pas", "koerekort", "affald", "sygemelding", "flytning"]


@pytest.fixture(scope="module")
def domain():
    return Domain.load(PROJECT_ROOT / "domain.yml")


@pytest.fixture
def store(tmp_path, domain):
    return UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")


def _start() -> list:
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]


def _errand(n: int) -> list:
    """One turn as the server stores it: the message, the answer, its slots."""
    topic = TOPICS[n % len(TOPICS)]
    return [
        UserUttered(f"besked {n}", {"name": topic, "confidence": 0.9}),
        ActionExecuted("action_answer_errand"),
        BotUttered(f"svar {n}"),
        SlotSet("kommune", "nyborg"),
        SlotSet("topic", topic),
        SlotSet("situation", None if n % 3 else "fornyelse"),
        *([SlotSet("barriers", ["ingen_mitid"])] if n == 2 else []),
        ActionExecuted("action_listen"),
    ]


def _form_turns() -> list:
    """The callback form over five turns: asked, name, phone, topic, time."""
    events = [
        UserUttered("/callback_request", {"name": "callback_request", "confidence": 1.0}),
        ActionExecuted("callback_form"),
        ActiveLoop("callback_form"),
        SlotSet("requested_slot", "cb_name"),
        ActionExecuted("action_ask_cb_name"),
        BotUttered("Hvad er dit navn?"),
        ActionExecuted("action_listen"),
    ]
    for slot, value, asked in [
        ("cb_name", "Karen Hansen", "cb_phone"),
        ("cb_phone", "+45 21 22 23 24", "cb_topic_ok"),
        ("cb_topic_ok", True, "cb_slot"),
    ]:
        events += [
            UserUttered(str(value), {"name": "out_of_scope", "confidence": 0.5}),
            ActionExecuted("callback_form"),
            SlotSet(slot, value),
            SlotSet("requested_slot", asked),
            ActionExecuted(f"action_ask_{asked}"),
            BotUttered("næste spørgsmål"),
            ActionExecuted("action_listen"),
        ]
    return events


def _save(store, domain, sender: str, events: list) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
    run_async(store.save(tracker))
    return tracker


def _long(turns: int) -> list:
    events = _start()
    for n in range(turns):
        events += _errand(n)
    return events


def _users(tracker) -> list[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


def _longest(folder: str, key: str) -> int:
    """The most user turns in one rule or story of data/<folder>/."""
    longest = 0
    for path in (PROJECT_ROOT / "data" / folder).glob("*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get(key) or []:
            longest = max(longest, sum("intent" in step for step in item["steps"]))
    return longest


def test_the_window_is_enough_for_the_policies_in_config():
    """The window plus the message hold the longest rule and the longest
    story; with a max_history, MemoizationPolicy reads that many states,
    at least two per turn, and one turn more keeps the window's first state
    (it has no previous action) out of them."""
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    policies = {p["name"]: p for p in config["policies"]}
    assert set(policies) <= {"MemoizationPolicy", "RulePolicy"}, "a new policy: check what history it reads"
    needed = max(_longest("rules", "rules"), _longest("stories", "stories"))
    max_history = policies.get("MemoizationPolicy", {}).get("max_history")
    if max_history:
        needed = max(needed, math.ceil((max_history - 1) / 2) + 1)
    assert needed == 4  # the longest story, today
    assert needed <= WINDOW_TURNS + 1


def test_a_long_session_is_retrieved_as_its_window(store, domain):
    events = _long(30)
    _save(store, domain, "long", events)
    whole = DialogueStateTracker.from_events("whole", events, domain.slots)
    window = run_async(store.retrieve("long"))
    assert _users(window) == _users(whole)[-WINDOW_TURNS:]
    # The state the policies and the action read is the session's.
    assert window.current_slot_values() == whole.current_slot_values()
    assert window.current_slot_values()["barriers"] == ["ingen_mitid"]  # set in turn 3, kept
    assert window.latest_message == whole.latest_message and window.active_loop == whole.active_loop
    assert window.past_states(domain)[-2 * WINDOW_TURNS :] == whole.past_states(domain)[-2 * WINDOW_TURNS :]
    # A window holds each slot's latest value once, then its turns: the
    # same length at turn 30 as at turn 10.
    _save(store, domain, "shorter", _long(10))
    assert len(window.events) == len(run_async(store.retrieve("shorter")).events) < len(events) / 5


def test_saving_a_window_appends_to_the_whole_history(store, domain):
    events = _long(20)
    _save(store, domain, "c", events)
    window = run_async(store.retrieve("c"))
    new = [UserUttered("tak", {"name": "thanks", "confidence": 1.0}), ActionExecuted("action_small_talk")]
    for event in new:
        window.update(event)
    run_async(store.save(window))
    full = run_async(store.retrieve_full_tracker("c"))
    assert [e.as_dict() for e in full.events] == [e.as_dict() for e in events + new]
    # And again from the next window: nothing stored twice.
    again = run_async(store.retrieve("c"))
    again.update(ActionExecuted("action_listen"))
    run_async(store.save(again))
    assert len(run_async(store.retrieve_full_tracker("c")).events) == len(events) + len(new) + 1


def test_a_short_session_is_retrieved_whole(store, domain):
    events = _long(WINDOW_TURNS - 1)
    _save(store, domain, "short", events)
    assert [e.as_dict() for e in run_async(store.retrieve("short")).events] == [
        e.as_dict() for e in events if e.type_name != "action" or e.action_name != "action_session_start"
    ]


def test_a_window_never_starts_inside_an_active_loop(store, domain):
    """Rasa folds a loop's turns into one for the policies, which needs the
    turn that activated it; the window reaches back to that turn."""
    events = _long(6) + _form_turns()
    _save(store, domain, "form", events)
    whole = DialogueStateTracker.from_events("whole", events, domain.slots)
    window = run_async(store.retrieve("form"))
    assert window.active_loop_name == "callback_form"
    assert _users(window)[0] == "/callback_request" and len(_users(window)) == 4 > WINDOW_TURNS
    assert window.current_slot_values() == whole.current_slot_values()
    assert window.past_states(domain)[-4:] == whole.past_states(domain)[-4:]
    # Once the form is done, the window moves on.
    done = [ActiveLoop(None), SlotSet("requested_slot", None), ActionExecuted("action_listen")]
    _save(store, domain, "after", events + done + _long(WINDOW_TURNS + 1)[3:])
    assert "/callback_request" not in _users(run_async(store.retrieve("after")))


def test_a_session_with_a_rewind_is_retrieved_whole(store, domain):
    events = _long(8) + [UserUtteranceReverted()] + _errand(9)
    _save(store, domain, "rewound", events)
    retrieved = run_async(store.retrieve("rewound"))
    assert len(_users(retrieved)) == 9


def test_the_window_is_of_the_current_session(store, domain):
    """An earlier session's slots are not carried over, as in Rasa's own
    retrieve (carry_over_slots_to_new_session is false)."""
    events = _long(6)
    later = [e for e in _long(6) if not isinstance(e, SlotSet) or e.key != "barriers"]
    for event in later:
        event.timestamp += 1
    _save(store, domain, "sessions", events + later)
    window = run_async(store.retrieve("sessions"))
    assert window.get_slot("barriers") is None and len(_users(window)) == WINDOW_TURNS
