"""Two real Rasa replicas sharing a PostgreSQL tracker store and the Redis
lock store: one conversation's messages sent to both at once are stored
once each and in whole turns, and a replica killed with SIGKILL leaves
the conversation to the other."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
import redis as redis_client
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.ops.http import free_port
from bot.ops.services import APP_ROLE, TRACKER_DATABASE, Postgres, Redis
from bot.settings import PROJECT_ROOT
from glue.tracker_store import PG_MAX_OVERFLOW, PG_POOL_SIZE, UrlSQLTrackerStore
from tests.conftest import MODEL, run_async

# Long enough for ten queued turns on a busy machine (a ticket's lifetime
# includes its wait), short enough that the test after a SIGKILL waits
# only this long for the dead replica's ticket.
LOCK_LIFETIME = 30
QUESTIONS = [
    "hvad koster et pas",
    "hvordan får jeg et nyt sundhedskort",
    "jeg skal flytte hvad gør jeg",
    "hvornår bliver skraldet hentet",
    "hvordan fornyer jeg mit kørekort",
    "jeg kan ikke logge på mitid",
    "hvordan læser jeg digital post",
    "hvad skal jeg gøre når jeg er syg",
    "kan jeg få hjælp til mitid",
    "hvor lang tid tager det at få et pas",
]


@pytest.fixture(scope="module")
def services(request):
    # Not pytest's tmp_path: PostgreSQL runs as its own user and must reach it.
    root = Path(tempfile.mkdtemp(prefix="kb-replicas-"))
    root.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    postgres, redis = Postgres(root / "pg"), Redis(root / "redis")
    request.addfinalizer(postgres.stop)
    request.addfinalizer(redis.stop)
    postgres.start()
    redis.start()
    return root, postgres, redis


def test_postgresql_tracker_store_loads_only_the_current_session(services):
    _, postgres, _ = services
    store = UrlSQLTrackerStore(domain=Domain.empty(), host=postgres.url(APP_ROLE, TRACKER_DATABASE))
    assert store.engine.url.drivername == "postgresql"
    assert store.engine.pool.size() == PG_POOL_SIZE and store.engine.pool._max_overflow == PG_MAX_OVERFLOW
    assert store.engine.pool._pre_ping
    sender = f"sessions-{uuid.uuid4().hex[:8]}"
    now = time.time()
    events = [
        ActionExecuted("action_session_start", timestamp=now - 7200),
        SessionStarted(timestamp=now - 7200),
        UserUttered("det gamle spørgsmål", timestamp=now - 7100),
        SessionStarted(timestamp=now),
        UserUttered("det nye spørgsmål", timestamp=now + 1),
    ]
    tracker = DialogueStateTracker.from_events(sender, events)
    run_async(store.save(tracker))
    current = run_async(store.retrieve(sender))
    assert [e.text for e in current.events if isinstance(e, UserUttered)] == ["det nye spørgsmål"]
    full = run_async(store.retrieve_full_tracker(sender))
    assert len([e for e in full.events if isinstance(e, UserUttered)]) == 2


@pytest.fixture(scope="module")
def replicas(services):
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} is missing: run `kommunebot train`")
    from bot.ops.processes import Stack

    root, postgres, redis = services
    var = root / "var"
    env = {
        "KOMMUNEBOT_TRACKER_URL": postgres.url(APP_ROLE, TRACKER_DATABASE),
        "KOMMUNEBOT_LOCK_URL": redis.url,
        "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME),
        "KOMMUNEBOT_DATA_DB": str(var / "kommunebot.db"),
        "KOMMUNEBOT_KNOWLEDGE_DB": str(PROJECT_ROOT / "build" / "knowledge.db"),
        "KOMMUNEBOT_MUNICIPALITY": "nyborg",
        "KOMMUNEBOT_VAR_DIR": str(var),
        "KOMMUNEBOT_RATE_ADDRESS": "100000/60",
        # All bookings come from 127.0.0.1 too (the booking probes test the caps on their own).
        "KOMMUNEBOT_MAX_BOOKINGS_ADDRESS": "100000",
        "KOMMUNEBOT_RATE_BOOKINGS_ADDRESS": "100000/60",
        "KOMMUNEBOT_RATE_SENDER": "1000/10",
    }
    # One action server; two Rasa servers on their own ports, which share
    # the var folder (tokens, session key), the tracker and the lock store.
    first = Stack(free_port(), free_port(), env=env, log_dir=var / "logs" / "a")
    second = Stack(free_port(), first.action_port, env=env, log_dir=var / "logs" / "b")
    try:
        first.start_actions()
        first.start_rasa()
        second.start_rasa()
        first.wait_actions()
        first.wait_rasa()
        second.wait_rasa()
    except Exception:
        first.stop()
        second.stop()
        logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in (var / "logs").rglob("*.log"))
        pytest.fail(f"could not start the replicas:\n{logs}")
    yield first, second, postgres, redis
    second.stop()
    first.stop()


def stored_events(postgres: Postgres, sender: str) -> list[dict]:
    conn = psycopg2.connect(postgres.url(APP_ROLE, TRACKER_DATABASE))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
            return [json.loads(data) for (data,) in cur.fetchall()]
    finally:
        conn.close()


def turns(events: list[dict]) -> list[list[dict]]:
    """The events from each user message up to the next one."""
    result: list[list[dict]] = []
    for event in events:
        if event["event"] == "user":
            result.append([])
        if result:
            result[-1].append(event)
    return result


def test_one_conversation_through_both_replicas_at_once(replicas):
    first, second, postgres, _ = replicas
    sender = f"replicas-{uuid.uuid4().hex[:8]}"
    answers: dict[str, tuple[int, object]] = {}
    start = threading.Barrier(len(QUESTIONS))

    def send(index: int, text: str):
        stack = first if index % 2 == 0 else second
        start.wait(30)
        answers[text] = stack.send(sender, text, timeout=120)

    threads = [threading.Thread(target=send, args=(i, q)) for i, q in enumerate(QUESTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)

    for text in QUESTIONS:
        status, reply = answers[text]
        assert status == 200 and reply, (text, status, reply)
        assert not any("teknisk fejl" in m.get("text", "") for m in reply), (text, reply)

    by_turn = turns(stored_events(postgres, sender))
    user_texts = [turn[0]["text"] for turn in by_turn]
    assert sorted(user_texts) == sorted(QUESTIONS), "a message is missing or stored twice"
    for turn in by_turn:
        text = turn[0]["text"]
        kinds = [e["event"] for e in turn]
        # Whole turns: each user message followed by its own actions, ending
        # in action_listen, before the next user message begins.
        assert kinds.count("user") == 1
        assert turn[-1]["event"] == "action" and turn[-1]["name"] == "action_listen", (text, kinds)
        actions = [e["name"] for e in turn if e["event"] == "action"]
        assert actions.count("action_listen") == 1 and len(actions) >= 2, (text, actions)
        # The replies the caller got are the ones stored in its own turn.
        stored_replies = [e.get("text") for e in turn if e["event"] == "bot"]
        got = [m.get("text") for m in answers[text][1]]
        assert stored_replies == got, text
    # Served one after another: every turn starts after the one before it ended.
    for before, after in zip(by_turn, by_turn[1:], strict=False):
        assert after[0]["timestamp"] >= before[-1]["timestamp"]


def test_the_other_replica_continues_after_a_kill_9(replicas):
    first, second, postgres, redis = replicas
    sender = f"killed-{uuid.uuid4().hex[:8]}"
    status, reply = first.send(sender, "jeg har mistet mit pas")
    assert status == 200 and reply
    _, tracker = first.api(f"/conversations/{sender}/tracker")
    topic = tracker["slots"]["topic"]
    assert topic == "pas"

    # Kill the first replica while it holds the conversation's lock, in the
    # middle of a turn: its ticket stays in Redis until it expires, and the
    # turn is never stored (the citizen's browser sees the error and resends).
    red = redis_client.Redis.from_url(redis.url)
    queue = f"kommunebot:lock:{sender}:queue"
    pending = threading.Thread(target=_ignore_errors, args=(first.send, sender, "hvad koster det"), daemon=True)
    pending.start()
    deadline = time.monotonic() + 30
    while not red.exists(queue) and pending.is_alive() and time.monotonic() < deadline:
        time.sleep(0.001)
    os.killpg(first.rasa.pid, signal.SIGKILL)
    first.rasa.wait(10)
    assert red.exists(queue), "the turn ended before the kill; the test proves nothing"
    pending.join(40)

    started = time.monotonic()
    status, reply = second.send(sender, "hvor lang tid tager det", timeout=LOCK_LIFETIME + 60)
    assert status == 200 and reply, reply
    assert not any("teknisk fejl" in m.get("text", "") for m in reply)
    # It waited for the dead replica's ticket to expire, and no longer.
    assert LOCK_LIFETIME - 10 < time.monotonic() - started < LOCK_LIFETIME + 30
    _, tracker = second.api(f"/conversations/{sender}/tracker")
    assert tracker["slots"]["topic"] == "pas"
    user_texts = [t[0]["text"] for t in turns(stored_events(postgres, sender))]
    assert user_texts[0] == "jeg har mistet mit pas" and user_texts[-1] == "hvor lang tid tager det"
    assert len(user_texts) == len(set(user_texts))


def _ignore_errors(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except Exception:
        pass  # the replica dies under this request
