"""A retention run while citizens chat: deleting thousands of old tracker
events, callbacks and inbox messages in small batches adds no failed turns."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time

from bot.callbacks.store import CallbackStore
from bot.knowledge.store import open_knowledge
from bot.ops.retention import run
from bot.privacy.channel_guard import SETUP_ERROR
from bot.records.database import storage_time
from bot.records.inbox import Inbox
from bot.records.journal import verify_file
from bot.settings import PROJECT_ROOT, Settings
from tests.support.senders import sender_id

OLD_CONVERSATIONS = 3000
OLD_ROWS = 600  # callbacks, and as many inbox messages
MAX_TURNS = 80  # the chat loop is bounded in count …
MAX_SECONDS = 150  # … and in time
QUESTIONS = ["hvad koster et pas", "hvornår bliver min skraldespand tømt", "tak", "mit kørekort er blevet stjålet"]


def _age(rows, sender: str, shift: float) -> list[tuple]:
    """The rows of a real conversation for another sender, ``shift`` seconds
    earlier, with the timestamp inside each event's JSON moved too."""
    aged = []
    for type_name, timestamp, intent, action, data in rows:
        event = json.loads(data)
        event["timestamp"] = timestamp - shift
        aged.append((sender, type_name, timestamp - shift, intent, action, json.dumps(event)))
    return aged


def _fill_tracker(tracker, template_sender: str) -> None:
    """Old conversations as Rasa's SQLTrackerStore writes them (its events
    table), copied from a real conversation and moved 60 days back."""
    conn = sqlite3.connect(tracker, timeout=30)
    template = conn.execute(
        "SELECT type_name, timestamp, intent_name, action_name, data FROM events WHERE sender_id = ? ORDER BY id",
        (template_sender,),
    ).fetchall()
    assert len(template) >= 4, template
    shift = 60 * 86400
    rows = [row for n in range(OLD_CONVERSATIONS) for row in _age(template, f"old-{n:05d}", shift + n)]
    with conn:
        conn.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.close()


def _fill_data(data_db) -> None:
    CallbackStore(data_db), Inbox(data_db)  # the tables, whether or not a turn has needed them yet
    old = storage_time(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=60))
    conn = sqlite3.connect(data_db, timeout=30)
    with conn:
        conn.executemany(
            "INSERT INTO callbacks (reference, municipality, name, phone, slot, status, created, updated)"
            " VALUES (?, 'nyborg', 'Karen Hansen', '+4520304050', ?, ?, ?, ?)",
            [(f"CB-LOAD-{n:06d}", old, ("booked", "no_answer", "completed")[n % 3], old, old) for n in range(OLD_ROWS)],
        )
        conn.executemany(
            "INSERT INTO inbox (at, municipality, text, outcome) VALUES (?, 'nyborg', 'hvad med min have', 'fallback')",
            [(old,)] * OLD_ROWS,
        )
    conn.close()


def _failure(status: int, reply) -> str | None:
    """Why a turn is not a normal reply, or None."""
    if status != 200 or not isinstance(reply, list) or not reply:
        return f"HTTP {status}: {reply!r}"
    text = "\n".join(m.get("text") or "" for m in reply)
    if not text.strip() or "teknisk fejl" in text or SETUP_ERROR in text:
        return f"error reply: {text!r}"
    return None


def test_retention_during_chat_adds_no_failed_turns(stack):
    tracker, data_db = stack.var / "tracker.db", stack.var / "kommunebot.db"
    warmup = sender_id("load", 8)
    assert _failure(*stack.send(warmup, QUESTIONS[0])) is None
    _fill_tracker(tracker, warmup)
    _fill_data(data_db)
    settings = Settings.load(
        {
            "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{tracker}",
            "KOMMUNEBOT_DATA_DB": str(data_db),
            "KOMMUNEBOT_KNOWLEDGE_DB": str(PROJECT_ROOT / "build" / "knowledge.db"),
        }
    )
    knowledge = open_knowledge(settings.knowledge_db)
    outcome: dict = {}

    def retention() -> None:
        try:
            outcome["result"] = run(settings, knowledge)
        except BaseException as exc:  # reported by the assertion below
            outcome["error"] = exc

    worker = threading.Thread(target=retention)
    failures, turns, during, senders = [], 0, 0, []
    deadline = time.monotonic() + MAX_SECONDS
    worker.start()
    # Several conversations, a few turns each: the channel limits messages per conversation.
    while turns < MAX_TURNS and time.monotonic() < deadline and (worker.is_alive() or turns < 12):
        if turns % 4 == 0:
            senders.append(sender_id("load", 8))
        running = worker.is_alive()
        status, reply = stack.send(senders[-1], QUESTIONS[turns % len(QUESTIONS)])
        turns += 1
        during += running
        problem = _failure(status, reply)
        if problem:
            failures.append(f"turn {turns} ({senders[-1]}): {problem}")
    worker.join(timeout=max(1.0, deadline - time.monotonic()))

    assert not worker.is_alive(), f"retention still running after {MAX_SECONDS} s"
    assert "error" not in outcome, outcome.get("error")
    assert not failures, failures
    assert during >= 3, f"only {during} turns overlapped the retention run; the test proves nothing"
    result = outcome["result"]
    assert result["conversations"] == OLD_CONVERSATIONS
    assert result["callbacks"] == OLD_ROWS and result["inbox"] == OLD_ROWS
    conn = sqlite3.connect(tracker, timeout=30)
    (left,) = conn.execute("SELECT count(*) FROM events WHERE sender_id LIKE 'old-%'").fetchone()
    kept = {row[0] for row in conn.execute("SELECT DISTINCT sender_id FROM events WHERE sender_id LIKE 'load-%'")}
    conn.close()
    assert left == 0
    assert set(senders) | {warmup} <= kept  # today's conversations stay
    conn = sqlite3.connect(data_db, timeout=30)
    assert conn.execute("SELECT count(*) FROM callbacks WHERE reference LIKE 'CB-LOAD-%'").fetchone() == (0,)
    batches = conn.execute(
        "SELECT action, count(*) FROM events WHERE action LIKE 'retention_%' GROUP BY action"
    ).fetchall()
    conn.close()
    assert dict(batches)["retention_conversations"] > 1 and dict(batches)["retention_run"] >= 1
    assert verify_file(data_db).intact
