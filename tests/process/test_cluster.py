"""The distributed suite, against the real cluster that `make cluster` starts:
PostgreSQL, Redis, two action servers and two Rasa replicas behind HAProxy.

The cluster is started once, by `make cluster` itself, in a folder and on a
port range of this module's own; the module ends by sending its process
group SIGTERM, as a service manager would, and checks that every server is
gone and every port free.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.ops.cluster import REPLICAS, Cluster
from bot.ops.http import http_json
from bot.ops.services import APP_ROLE, TRACKER_DATABASE
from tests.conftest import phone_number
from tests.process.test_run_signals import MakeRun, assert_all_stopped, descendants, port_open
from tests.support.senders import sender_id

pytestmark = pytest.mark.model

READY = "The Kommunebot cluster is ready"


def free_base() -> int:
    """A port base whose 42 ports are all free."""
    for base in range(20000, 60000, 97):
        if not any(port_open(port) for port in range(base, base + 42)):
            return base
    raise RuntimeError("no free port range")


class MakeCluster(MakeRun):
    def __init__(self, root: Path, base: int):
        self.root, self.base = root, base
        super().__init__(root, target="cluster", args=f"CLUSTER_ARGS=--root {root} --port-base {base}")
        # The same layout, to read ports, passwords and URLs from.
        self.layout = Cluster(root, base)
        self.ports = {
            "proxy": base,
            **{f"rasa{i}": self.layout.ports.rasa(i) for i in range(REPLICAS)},
            **{f"actions{i}": self.layout.ports.actions(i) for i in range(REPLICAS)},
            "console": self.layout.ports.console,
            "site": self.layout.ports.site,
            "postgres": self.layout.ports.postgres,
            "redis": self.layout.ports.redis,
        }


def new_root() -> Path:
    # PostgreSQL runs as its own user, which cannot enter pytest's 0700 folders.
    root = Path(tempfile.mkdtemp(prefix="kommunebot-cluster-"))
    root.chmod(0o755)
    return root


@pytest.fixture(scope="module")
def cluster():
    root = new_root()
    run = MakeCluster(root, free_base())
    try:
        run.wait_for(READY, timeout=600)
        run.servers = descendants(run.proc.pid)
        yield run
        # Stopped as a service manager stops it: SIGTERM to the process group.
        run.signal_group(signal.SIGTERM)
        assert_all_stopped(run, run.servers)
    finally:
        run.finish()
        shutil.rmtree(root, ignore_errors=True)


def rest(url: str, sender: str, text: str, timeout: float = 60):
    return http_json(f"{url}/webhooks/rest/webhook", {"sender": sender, "message": text}, timeout=timeout)


def texts(reply) -> str:
    return " ".join(m.get("text", "") for m in reply)


def tracker_events(cluster: MakeCluster, sender: str) -> list[dict]:
    engine = sa.create_engine(cluster.layout.postgres.url(APP_ROLE, TRACKER_DATABASE))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            ).fetchall()
    finally:
        engine.dispose()
    return [json.loads(data) for (data,) in rows]


def test_the_cluster_answers_through_the_proxy(cluster):
    status, reply = rest(cluster.layout.url, sender_id("c", 8), "hvordan fornyer jeg mit pas")
    assert status == 200 and "pas" in texts(reply).lower()


def test_one_conversation_sent_to_both_replicas_at_once_is_stored_once_each_in_order(cluster):
    sender = sender_id("both", 8)
    messages = [f"hvad koster et pas {n}" if n % 2 else f"hvordan fornyer jeg mit kørekort {n}" for n in range(10)]
    barrier = threading.Barrier(len(messages))

    def send(n: int):
        barrier.wait()
        return rest(cluster.layout.replica_url(n % REPLICAS), sender, messages[n])

    with ThreadPoolExecutor(len(messages)) as pool:
        replies = list(pool.map(send, range(len(messages))))
    assert all(status == 200 and reply for status, reply in replies), replies
    assert not any("teknisk fejl" in texts(reply) for _, reply in replies), replies
    got = {messages[n]: [m.get("text") for m in reply] for n, (_, reply) in enumerate(replies)}
    events = tracker_events(cluster, sender)
    users = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(users) == sorted(messages) and len(users) == len(set(users)), "a message is missing or stored twice"
    turns: list[list[dict]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([])
        if turns:
            turns[-1].append(event)
    assert len(turns) == len(messages)
    for turn in turns:
        text = turn[0]["text"]
        # Whole turns: each user message followed by its own actions, ending
        # in action_listen, before the next user message begins.
        actions = [e["name"] for e in turn if e["event"] == "action"]
        assert turn[-1]["event"] == "action" and turn[-1]["name"] == "action_listen", (text, actions)
        assert actions.count("action_listen") == 1 and len(actions) >= 2, (text, actions)
        # The replies the caller got are the ones stored in its own turn.
        assert [e.get("text") for e in turn if e["event"] == "bot"] == got[text], text
    # Served one after another by the Redis lock: every turn starts after the one before it ended.
    for before, after in zip(turns, turns[1:], strict=False):
        assert after[0]["timestamp"] >= before[-1]["timestamp"]


def via_proxy(cluster: MakeCluster, sender: str, text: str, cookie: str | None = None):
    """A REST turn through HAProxy; also which replica answered (its SERVERID cookie)."""
    request = urllib.request.Request(
        f"{cluster.layout.url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json", **({"Cookie": f"SERVERID={cookie}"} if cookie else {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        server = response.headers.get("Set-Cookie", "").partition("SERVERID=")[2].partition(";")[0]
        return response.status, json.loads(response.read()), server or cookie


def replica_pid(cluster: MakeCluster, server: str) -> int:
    """The pid of replica r1/r2, found by the port in its environment."""
    port = cluster.layout.ports.rasa(int(server.removeprefix("r")) - 1)
    for pid in descendants(cluster.proc.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmdline and b"rasa" in cmdline and f"RASA_PORT={port}".encode() in environ:
            return pid
    raise AssertionError(f"no Rasa replica on port {port}")


def test_zz_kill_9_of_a_replica_the_proxy_moves_the_client_and_the_conversation_continues(cluster):
    sender = sender_id("kill", 8)
    status, first, server = via_proxy(cluster, sender, "jeg har mistet mit sundhedskort")
    assert status == 200 and first and server in ("r1", "r2")
    before = tracker_events(cluster, sender)
    victim = replica_pid(cluster, server)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        try:
            status, reply, now_server = via_proxy(cluster, sender, "og hvad koster det?", cookie=server)
            if status == 200 and reply:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "the proxy did not move the client to the other replica"
        time.sleep(0.5)
    assert now_server != server
    after = tracker_events(cluster, sender)
    assert after[: len(before)] == before
    users = [e["text"] for e in after if e["event"] == "user"]
    assert users == ["jeg har mistet mit sundhedskort", "og hvad koster det?"]
    slots = {e["name"]: e["value"] for e in after if e["event"] == "slot"}
    assert slots.get("topic") == "sundhedskort"
    # The runner starts the killed replica again.
    restarted = time.monotonic() + 240
    while not port_open(cluster.layout.ports.rasa(int(server[1]) - 1)):
        assert time.monotonic() < restarted, "the killed replica was not started again"
        time.sleep(1)


def _book(cluster: MakeCluster, slot: dt.datetime, n: int):
    """One booking straight through the action servers' backend, as Rasa calls it."""
    sender = sender_id(f"book-{n}", 6)
    slots = {
        "kommune": "nyborg",
        "cb_name": "Karen Hansen",
        "cb_phone": phone_number(),
        "cb_slot": slot.isoformat(),
        "cb_topic_ok": None,
        "topic": None,
        "sensitive_category": None,
    }
    body = {
        "next_action": "action_book_callback",
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": "", "intent": {}, "entities": [], "metadata": {"kommune": "nyborg"}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
    }
    token = (cluster.root / "var" / "action-token").read_text().strip()
    url = f"http://127.0.0.1:{cluster.layout.ports.actions_frontend}/webhook?token={token}"
    status, reply = http_json(url, body, timeout=120)
    return status, " ".join(r.get("text") or "" for r in reply.get("responses", []))


def bookable_slots(count: int) -> list[dt.datetime]:
    from bot.knowledge.store import open_knowledge
    from bot.settings import current

    hours = open_knowledge(current().knowledge_db).municipalities["nyborg"].callback_hours
    # Well after now, so no slot becomes unbookable while the test runs.
    return hours.free_slots(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2), lambda s: 0, count=count)


def test_200_parallel_bookings_for_20_seats_give_exactly_20(cluster):
    slots = bookable_slots(10)  # capacity 2 each (knowledge/national/callbacks.yml)
    assert len(slots) == 10
    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(lambda n: _book(cluster, slots[n % 10], n), range(200)))
    booked = [text for status, text in results if "bookingnummer" in text]
    refused = [text for status, text in results if "bookingnummer" not in text]
    assert len(booked) == 20, (len(booked), refused[:3])
    assert len(refused) == 180 and all(text.strip() for text in refused)
    engine = sa.create_engine(cluster.layout.postgres.url())
    try:
        with engine.connect() as conn:
            per_slot = conn.execute(
                sa.text(
                    "SELECT slot, count(*) FROM callbacks WHERE status = 'booked' AND name = 'Karen Hansen' "
                    "GROUP BY slot"
                )
            ).fetchall()
    finally:
        engine.dispose()
    assert all(count <= 2 for _slot, count in per_slot)
