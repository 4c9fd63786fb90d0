"""The Redis lock store with a real Redis: atomic, ordered tickets across
threads and processes, expiry of a killed holder's ticket, Rasa's own
store racing where ours does not, and a real Rasa server refusing in
Danish while its Redis is down."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis as redis_client
from rasa.core.lock_store import LockError, RedisLockStore

from bot.ops.http import free_port
from bot.ops.services import Redis
from bot.settings import PROJECT_ROOT
from glue.lock_store import LockStoreUnavailable, RedisTicketLockStore
from tests.conftest import MODEL, run_async
from tests.support.lock_worker import make_store, rounds
from tests.support.senders import sender_id


def _root() -> Path:
    # Not pytest's tmp_path: the services want a world-traversable folder.
    root = Path(tempfile.mkdtemp(prefix="kb-lock-"))
    root.chmod(0o755)
    return root


@pytest.fixture(scope="module")
def redis_server(request):
    root = _root()
    server = Redis(root)
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    request.addfinalizer(server.stop)
    server.start()
    return server


@pytest.fixture
def red(redis_server):
    return redis_client.Redis.from_url(redis_server.url, decode_responses=True)


def served(red, conversation: str) -> list[tuple[int, int]]:
    """(ticket, holders inside at that moment) in the order the lock was taken."""
    return [tuple(map(int, entry.split(":"))) for entry in red.lrange(f"test:served:{conversation}", 0, -1)]


def run_threads(
    url: str, kind: str, conversation: str, threads: int, count: int, hold: float, lifetime: float = 60
) -> bool:
    """``threads`` workers, each with its own store and connection (as
    separate replicas have), started together on one conversation. True
    when every worker finished within 60 s."""
    start = threading.Barrier(threads)
    red = redis_client.Redis.from_url(url)
    given_up = threading.Event()

    def worker():
        store = make_store(url, kind)
        start.wait()
        try:
            run_async(rounds(store, red, conversation, count, hold, lifetime, 0.005))
        except redis_client.ConnectionError:
            # A worker the test gave up on may still be waiting when the
            # module's Redis stops; only an error while the test waits counts.
            if not given_up.is_set():
                raise

    # Daemons: a worker stuck behind a lost ticket must not hang the suite.
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    deadline = time.monotonic() + 60
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(max(0.1, deadline - time.monotonic()))
    finished = not any(thread.is_alive() for thread in pool)
    if not finished:
        given_up.set()
    return finished


def assert_one_at_a_time_in_ticket_order(red, conversation: str, expected: int) -> None:
    entries = served(red, conversation)
    assert red.lrange(f"test:errors:{conversation}", 0, -1) == []
    assert len(entries) == expected
    tickets = [ticket for ticket, _ in entries]
    assert len(set(tickets)) == expected, "a ticket number was issued twice"
    assert tickets == sorted(tickets), "tickets were not served in the order they were issued"
    assert {holders for _, holders in entries} == {1}, "two holders were inside the lock at once"


def test_threads_get_unique_tickets_served_in_order_one_at_a_time(redis_server, red):
    conversation = sender_id("threads", 8)
    assert run_threads(redis_server.url, "ours", conversation, threads=16, count=4, hold=0.002), (
        "workers still waiting for the lock after 60 s"
    )
    assert_one_at_a_time_in_ticket_order(red, conversation, 64)
    # Every ticket was released: nothing is left for the conversation.
    assert red.keys(f"kommunebot:lock:{conversation}:*") == []


def test_processes_get_unique_tickets_served_in_order_one_at_a_time(redis_server, red):
    conversation = sender_id("processes", 8)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.lock_worker", redis_server.url, conversation, "ours", "6", "0.005"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
        for _ in range(4)
    ]
    try:
        time.sleep(3)  # let every worker import Rasa and wait for the signal
        red.set(f"test:go:{conversation}", 1)
        for worker in workers:
            assert worker.wait(120) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert_one_at_a_time_in_ticket_order(red, conversation, 24)


class _ReadTogether(RedisLockStore):
    """Rasa's store, paused after its first read until the other replica
    has read too: the interleaving any two replicas can hit."""

    def __init__(self, barrier: threading.Barrier, **kwargs):
        super().__init__(**kwargs)
        self.barrier = barrier
        self.paused = False

    def get_lock(self, conversation_id):
        lock = super().get_lock(conversation_id)
        if not self.paused:
            self.paused = True
            self.barrier.wait(10)
        return lock


def test_rasa_redis_store_lets_two_replicas_hold_one_conversation(redis_server, red):
    """Rasa's issue_ticket is GET, change, SET: two replicas that both read
    before either writes get the same ticket and are inside together."""
    parts = urlsplit(redis_server.url)
    conversation = sender_id("rasa", 8)
    barrier, inside = threading.Barrier(2), threading.Barrier(2)
    results = []

    def replica():
        store = _ReadTogether(barrier, host=parts.hostname, port=parts.port, db=0, password=parts.password)

        async def turn():
            async with store.lock(conversation, 60, 0.01) as lock:
                # Both arrive here only when neither waits for the other.
                inside.wait(5)
                results.append(lock.now_serving)

        run_async(turn())

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [0, 0]  # one ticket, two holders

    # Ours under two simultaneous issuers: two tickets, the second waits.
    store = RedisTicketLockStore(redis_server.url)
    tickets = []
    issuing = threading.Barrier(2)

    def issue():
        issuing.wait(5)
        tickets.append(store.issue_ticket(conversation, 60))

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(set(tickets)) == 2
    assert sorted(store.ticket_position(conversation, t) for t in tickets) == [0, 1]


# Rounds of the load on Rasa's store before the comparison gives up.
RASA_LOAD_ROUNDS = 3


def test_rasa_redis_store_fails_under_load_that_ours_passes(redis_server, red):
    """The same many-thread load as above, through Rasa's RedisLockStore:
    duplicated tickets, two holders at once, or tickets lost when one
    replica deletes the lock another has just joined."""
    # The failure is a race, so one round may miss it: it did once in 18
    # clean-clone runs of `make test` (2026-12-06). Up to ROUNDS rounds on
    # fresh conversations; one that shows the failure is enough.
    for _ in range(RASA_LOAD_ROUNDS):
        if _rasa_store_failed(redis_server.url, red, sender_id("rasa-load", 8)):
            return
    pytest.fail("Rasa's store survived this load in every round: the comparison shows nothing")


def _rasa_store_failed(url: str, red, conversation: str) -> bool:
    # Short lifetimes: tickets Rasa's store loses or resurrects block the
    # others until they expire.
    # Workers stuck for 60 s behind tickets Rasa's store lost are a failure
    # of that store too, not of the test.
    finished = run_threads(url, "rasa", conversation, threads=8, count=2, hold=0.002, lifetime=2)
    entries = served(red, conversation)
    errors = red.lrange(f"test:errors:{conversation}", 0, -1)
    tickets = [ticket for ticket, _ in entries]
    duplicated = len(tickets) != len(set(tickets))
    overlapping = any(holders > 1 for _, holders in entries)
    return bool(duplicated or overlapping or errors or not finished)


def test_a_killed_holders_ticket_expires(redis_server, red):
    conversation = sender_id("killed", 8)
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.support.lock_worker", redis_server.url, conversation, "ours", "0", "0", "3"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        held_at = time.monotonic()
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
    store = RedisTicketLockStore(redis_server.url)

    async def next_turn():
        async with store.lock(conversation, 60):
            return time.monotonic()

    acquired = run_async(next_turn())
    # Not before the dead holder's 3 s lifetime ran out, but soon after it.
    assert 2.0 <= acquired - held_at < 6.0
    assert store.get_lock(conversation) is None


def test_a_ticket_that_waits_past_its_lifetime_is_not_served(redis_server):
    conversation = sender_id("waited", 8)
    store = RedisTicketLockStore(redis_server.url)
    first = store.issue_ticket(conversation, 30)

    async def too_late():
        async with store.lock(conversation, 0.5):
            pass

    with pytest.raises(LockError, match="Could not acquire lock"):
        run_async(too_late())
    assert store.ticket_position(conversation, first) == 0
    store.finish_serving(conversation, first)


def test_unreachable_redis_is_an_error_that_hides_the_password():
    url = f"redis://:hemmeligt-kodeord@127.0.0.1:{free_port()}/0"
    store = RedisTicketLockStore(url)
    with pytest.raises(LockStoreUnavailable) as caught:
        store.issue_ticket("someone")
    message = str(caught.value)
    assert "hemmeligt-kodeord" not in message
    assert f"redis://:***@127.0.0.1:{urlsplit(url).port}/0" in message


# --- a real Rasa server whose Redis goes away -------------------------------


@pytest.mark.model
def test_rasa_refuses_in_danish_while_redis_is_down_and_recovers():
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} is missing: run `kommunebot train`")
    from bot.ops.processes import Stack

    root = _root()
    server = Redis(root / "redis")
    var = root / "var"
    env = {
        "KOMMUNEBOT_LOCK_URL": "",
        "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{var / 'tracker.db'}",
        "KOMMUNEBOT_DATA_DB": str(var / "kommunebot.db"),
        "KOMMUNEBOT_KNOWLEDGE_DB": str(PROJECT_ROOT / "build" / "knowledge.db"),
        "KOMMUNEBOT_MUNICIPALITY": "nyborg",
        "KOMMUNEBOT_VAR_DIR": str(var),
        "KOMMUNEBOT_RATE_ADDRESS": "100000/60",
        # All bookings come from 127.0.0.1 too (the booking probes test the caps on their own).
        "KOMMUNEBOT_MAX_BOOKINGS_ADDRESS": "100000",
        "KOMMUNEBOT_RATE_BOOKINGS_ADDRESS": "100000/60",
    }
    stack = None
    try:
        server.start()
        env["KOMMUNEBOT_LOCK_URL"] = server.url
        stack = Stack(free_port(), free_port(), env=env, log_dir=var / "logs")
        stack.start()
        sender = sender_id("redis-down", 8)
        status, reply = stack.send(sender, "hvad koster et pas")
        assert status == 200 and reply and "utilgængelig" not in str(reply)

        server.stop()
        status, reply = stack.send(sender, "hvad koster et nyt pas")
        assert status == 503, reply
        assert len(reply) == 1 and "Chatten er midlertidigt utilgængelig" in reply[0]["text"]
        assert "Prøv igen" in reply[0]["text"] and "ring" in reply[0]["text"]

        async def over_socketio():
            import socketio

            client = socketio.AsyncClient()
            replies, answered = [], asyncio.Event()

            @client.on("bot_uttered")
            async def on_bot(data):
                replies.append(data)
                answered.set()

            await client.connect(stack.url, socketio_path="/socket.io")
            await client.emit("session_request", {"session_id": None})
            await asyncio.sleep(0.3)
            await client.emit("user_uttered", {"message": "hvad koster et pas"})
            await asyncio.wait_for(answered.wait(), timeout=30)
            await asyncio.sleep(0.3)
            await client.disconnect()
            return replies

        replies = run_async(over_socketio())
        assert [r["text"] for r in replies] == [reply[0]["text"]]

        log = (var / "logs" / "rasa.log").read_text(errors="replace")
        assert f"lock store redis://:***@127.0.0.1:{server.port}/0 unavailable" in log
        assert "message refused" in log
        assert server.password not in log

        # Redis back on its port: the same replica serves again, no restart.
        server.start()
        status, reply = stack.send(sender, "hvad koster et pas")
        assert status == 200 and reply and "utilgængelig" not in str(reply)
    finally:
        if stack is not None:
            stack.stop()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
