"""The windowed tracker on the real servers: a long conversation is stored
whole, and the dialogue policies decide on the window what they decide on
the whole session.

One conversation of more than 30 turns (held-out conversations one after
the other, as a citizen with several errands writes, with a callback
booking in the middle that lasts longer than the window) goes through the
real Rasa server, which predicts on the window (glue/tracker_store.py).
Then every decision of it is made again in this process by the model's own
policies (MemoizationPolicy and RulePolicy, loaded from the trained model
without the NLU), once on the whole session up to that point and once on
the window the store retrieves from the same stored events.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import pytest

from bot.content.heldout import OPEN, load_conversations
from tests.conftest import MODEL, PROJECT_ROOT, run_async
from tests.support.senders import sender_id

# Longer than the benchmark's 30 turns, so the window has moved well past
# the callback booking by the end.
TURNS = 36
# Where the callback booking starts, in user turns.
BOOKING_AT = 12


class Citizen:
    """One conversation, paced to the per-conversation rate limit, which the
    shared stack keeps (a citizen cannot write 36 messages in a minute)."""

    def __init__(self, stack):
        from bot.settings import Settings

        limit, seconds = Settings.load(stack.env).rate_sender
        self.interval = seconds / limit * 1.05
        self.stack = stack
        self.sender = sender_id("window", 8)
        self.sent: list[str] = []
        self.last = 0.0

    def say(self, text: str) -> list[dict]:
        time.sleep(max(0.0, self.last + self.interval - time.monotonic()))
        self.last = time.monotonic()
        status, reply = self.stack.send(self.sender, text)
        assert status == 200, reply
        self.sent.append(text)
        return reply


def _booking(citizen: Citizen, phone: str) -> None:
    """A callback booking through the form, with a refused name and a
    second page of times: seven turns, more than the window."""
    say = citizen.say

    say("/callback_request")
    say("1234")
    say("Karen Hansen")
    say(phone)
    offer = say("/affirm")
    say("andre tider")
    later = [b["payload"] for m in offer for b in m.get("buttons") or [] if b["payload"] != "andre tider"]
    assert later, offer
    booked = say(later[0])
    assert any("bookingnummer" in (m.get("text") or "") for m in booked), booked


@pytest.fixture(scope="module")
def long_conversation(stack):
    """(sender, the texts sent in order, the stored tracker from the API)."""
    from tests.conftest import phone_number

    texts = [turn["user"] for c in load_conversations(PROJECT_ROOT / OPEN) for turn in c["turns"]]
    citizen = Citizen(stack)
    for text in texts:
        if len(citizen.sent) == BOOKING_AT:
            _booking(citizen, phone_number())
        if len(citizen.sent) >= TURNS:
            break
        citizen.say(text)
    status, tracker = stack.api(f"/conversations/{citizen.sender}/tracker")
    assert status == 200
    return citizen.sender, citizen.sent, tracker


def test_the_long_conversation_is_stored_whole(stack, long_conversation):
    sender, sent, tracker = long_conversation
    from bot.records.transcripts import Transcripts

    events = tracker["events"]
    assert len(sent) >= TURNS
    # Every message in order, each turn opened by a listen and answered.
    assert [e["text"] for e in events if e["event"] == "user"] == sent
    assert sum(e["event"] == "action" and e["name"] == "action_listen" for e in events) == len(sent) + 1
    assert sum(e["event"] == "bot" for e in events) >= len(sent)
    # The console reads the same whole history from the store's table.
    transcripts = Transcripts(f"sqlite:///{stack.var / 'tracker.db'}")
    try:
        lines = transcripts.lines(sender)
    finally:
        transcripts.close()
    assert [line.speaker for line in lines].count("citizen") == len(sent)


@pytest.fixture(scope="module")
def policies():
    """The trained model's dialogue policies alone, as the Rasa server runs
    them (its prediction graph cut to the core target)."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    for name in ("rasa", "rasa_sdk", "tensorflow"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        storage, metadata = LocalModelStorage.from_model_archive(Path(tmp), MODEL)
        target = metadata.core_target
        schema = metadata.predict_schema.minimal_graph_schema(targets=[target])
        runner = DaskGraphRunner.create(schema, storage, ExecutionContext(schema, metadata.model_id))

        def predict(tracker):
            prediction = runner.run(inputs={"__tracker__": tracker}, targets=[target])[target]
            action = metadata.domain.action_names_or_texts[prediction.max_confidence_index]
            return action, prediction.policy_name, round(prediction.max_confidence, 6), prediction.events

        yield metadata.domain, predict


def test_the_policies_decide_alike_on_the_window_and_on_the_whole_session(long_conversation, policies, tmp_path):
    from rasa.shared.core.events import ActionExecuted, deserialise_events
    from rasa.shared.core.trackers import DialogueStateTracker

    from glue.tracker_store import UrlSQLTrackerStore

    domain, predict = policies
    _, sent, tracker = long_conversation
    events = deserialise_events(tracker["events"])
    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'window.db'}")
    users = [i for i, e in enumerate(events) if e.type_name == "user"]
    compared = windowed = firsts = 0
    for turn, first in enumerate(users):
        # What the server had stored when this message came.
        conversation = f"turn-{turn}"
        run_async(store.save(DialogueStateTracker.from_events(conversation, events[:first], domain.slots)))
        window = run_async(store.retrieve(conversation))
        windowed += len(window.events) < first
        end = users[turn + 1] if turn + 1 < len(users) else len(events)
        # Each decision of the turn: the message, then one after each action.
        for at in range(first, end):
            window.update(events[at])
            if at + 1 < end and isinstance(events[at + 1], ActionExecuted):
                whole = DialogueStateTracker.from_events("whole", events[: at + 1], domain.slots)
                decided = predict(whole)
                assert predict(window) == decided, (turn, sent[turn], events[at + 1].action_name)
                # And it is what the server did.
                assert decided[0] == events[at + 1].action_name, (turn, sent[turn])
                if not any(isinstance(e, ActionExecuted) for e in events[first : at + 1]):
                    # The turn's first prediction, which the server makes once
                    # per intent (glue/speedups.py), is stored as the policies
                    # make it.
                    stored = events[at + 1]
                    assert decided[1:3] == (stored.policy, round(stored.confidence, 6)), (turn, sent[turn])
                    firsts += 1
                compared += 1
    assert compared > 2 * len(sent) and firsts == len(sent)
    # The window was shorter than the session from the fifth turn on.
    assert windowed >= len(sent) - 5
