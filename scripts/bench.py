"""`make bench`: latency, throughput, memory, training and start-up time.

Everything runs on this machine against the real servers with the trained
model. In one run:

- NLU only (Rasa's /model/parse) beside full turns (the REST webhook, with
  the custom actions and the tracker store), with 1 and 10 users, for two
  message mixes: the canned MESSAGES below and the user turns of the
  held-out conversations (tests/heldout/open/conversations/, never trained
  on);
- every server's memory after the load and its time to ready;
- early versus late turns of a 30-turn conversation;
- the cluster of `make cluster` with 2 replicas and with 1;
- full-turn latency with 1k, 10k and 100k conversations stored, on SQLite
  and PostgreSQL;
- training from scratch.

Figures are printed and written to results/bench.json (its structure is
described in scripts/bench_report.py), the chart to build/bench.svg and the
table to README.md between the bench markers. Nothing here asserts a
target: the table marks the ones missed. `--report-only` renders the table
and the chart again from an existing results/bench.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import bench_report

from bot.content.heldout import OPEN, load_conversations
from bot.ops.http import free_port
from bot.ops.processes import Stack
from bot.ops.training import rasa_train_command
from bot.settings import PROJECT_ROOT, Settings

MESSAGES = [
    "hej",
    "hvordan fornyer jeg mit pas",
    '/pas{"situation": "fornyelse", "person": "voksen"}',
    "mit kørekort er blevet stjålet",
    "hvornår bliver min skraldespand tømt",
    "jeg er arbejdsgiver og skal sygemelde en medarbejder",
    "jeg har ikke noget mitid",
    "hvad bliver vejret i morgen",
    "tak for hjælpen",
]

HELDOUT = PROJECT_ROOT / OPEN

# The load comes from few addresses and reuses each simulated user's
# conversation; the limits protect a live server, not the benchmark.
UNLIMITED = {
    "KOMMUNEBOT_RATE_ADDRESS": "1000000/60",
    "KOMMUNEBOT_RATE_SENDER": "1000000/60",
    "KOMMUNEBOT_MAX_BOOKINGS_ADDRESS": "1000000",
    "KOMMUNEBOT_RATE_BOOKINGS_ADDRESS": "1000000/60",
}

# Early and late turns of the long conversation are pooled over this many
# turn indices, so one slow reply does not decide the comparison.
WINDOW = 3

Send = Callable[[str, str, "str | None"], bool]


def _port(variable: str) -> int:
    """The port named in the environment, else a free one: never 5005/5055,
    which `make run` and the other worktrees use."""
    return int(os.environ[variable]) if os.environ.get(variable) else free_port()


def _free_span(preferred: int, span: int = 50) -> int:
    """The first base from ``preferred`` on (in steps of 100) with ``span`` ports nobody listens on."""
    for base in range(preferred, 30000, 100):
        try:
            for port in range(base, base + span):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {span} free ports from {preferred} on")


def _memory(pid: int) -> tuple[float, float]:
    """RSS now and its peak (VmHWM) in MB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def _descendants(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                children = [int(c) for c in handle.read().split()]
        except FileNotFoundError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


def process_memory(stack: Stack) -> list[dict]:
    """Each server of the stack and any process it started (a worker, a
    helper), so nothing the stack needs is left out of the memory figure."""
    entries = []
    for name, proc in stack.processes():
        for pid in [proc.pid, *_descendants(proc.pid)]:
            try:
                rss, peak = _memory(pid)
                label = name
                if pid != proc.pid:
                    with open(f"/proc/{pid}/comm") as comm:
                        label = f"{name}: child {comm.read().strip()} ({pid})"
            except FileNotFoundError:
                continue  # ended meanwhile
            entries.append({"name": label, "pid": pid, "rss_mb": round(rss), "peak_rss_mb": round(peak)})
    return entries


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _post(url: str, body: dict, source: str | None, timeout: float = 60) -> tuple[int, object]:
    """One JSON POST, from a loopback source address of its own when given,
    so HAProxy's source hashing spreads simulated citizens as it spreads real ones."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=timeout, source_address=(source, 0) if source else None
    )
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def rest_turn(url: str) -> Send:
    """A full turn through the REST channel: NLU, policies, custom actions, tracker store."""

    def send(sender: str, text: str, source: str | None) -> bool:
        status, reply = _post(url, {"sender": sender, "message": text}, source)
        return status == 200 and bool(reply)

    return send


def nlu_parse(base_url: str, token: str) -> Send:
    """Only the NLU pipeline: Rasa's /model/parse, no tracker, no actions."""
    url = f"{base_url}/model/parse?token={urllib.parse.quote(token)}"

    def send(_sender: str, text: str, source: str | None) -> bool:
        status, parsed = _post(url, {"text": text}, source)
        return status == 200 and isinstance(parsed, dict) and "intent" in parsed

    return send


def canned(user: int, _users: int) -> Iterator[list[str]]:
    """MESSAGES as one conversation, each user starting at another message."""
    rotated = MESSAGES[user % len(MESSAGES) :] + MESSAGES[: user % len(MESSAGES)]
    while True:
        yield rotated


def load_heldout(folder: Path = HELDOUT) -> list[list[str]]:
    """The user turns of every held-out conversation, in a fixed shuffled
    order so that any first part of the list is a mix of all kinds."""
    conversations = [[turn["user"] for turn in c["turns"]] for c in load_conversations(folder)]
    random.Random(14).shuffle(conversations)
    return conversations


def heldout(conversations: list[list[str]]) -> Callable[[int, int], Iterator[list[str]]]:
    """User n of ``users`` takes conversations n, n + users, … in turn, and starts over at the end."""

    def plan(user: int, users: int) -> Iterator[list[str]]:
        mine = conversations[user::users] or conversations
        while True:
            yield from mine

    return plan


def load(
    url: str,
    users: int,
    per_user: int,
    plan: Callable[[int, int], Iterator[list[str]]] = canned,
    send: Send | None = None,
) -> dict:
    """``users`` simulated citizens, each from its own address, sending
    ``per_user`` messages: their conversations' turns in order, each
    conversation with a fresh sender id. ``send`` defaults to a REST turn at ``url``."""
    send = send or rest_turn(url)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def user(n: int) -> None:
        nonlocal errors
        source = f"127.0.{n // 250}.{n % 250 + 2}"
        sent = 0
        for conversation in plan(n, users):
            sender = f"bench-{uuid.uuid4().hex[:8]}"
            for text in conversation:
                if sent == per_user:
                    return
                started = time.perf_counter()
                try:
                    ok = send(sender, text, source)
                except Exception:
                    ok = False
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
                    errors += 0 if ok else 1
                sent += 1

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "users": users,
        "messages": len(latencies),
        "errors": errors,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "msg_per_s": round(len(latencies) / wall, 1),
    }


def long_conversation(conversations: list[list[str]], turns: int) -> list[str]:
    """One conversation of ``turns`` user turns: held-out conversations one
    after the other, as a citizen with several errands would write."""
    texts: list[str] = []
    for conversation in conversations:
        texts += conversation
        if len(texts) >= turns:
            return texts[:turns]
    raise ValueError(f"the held-out conversations have only {len(texts)} turns, fewer than {turns}")


def rotation(turns: int, repeat: int, window: int = WINDOW) -> int:
    """Where repeat number ``repeat`` starts in the conversation. Steps of
    ``window`` make the first and the last ``window`` turns hold the same
    messages once the repeats have gone all the way round (10 repeats of 30
    turns), so turn 1 and turn 30 differ only in the history before them."""
    return (repeat * window) % turns


def summarise_long(per_turn: list[list[float]], errors: int, window: int = WINDOW) -> dict:
    first = [ms for turn in per_turn[:window] for ms in turn]
    last = [ms for turn in per_turn[-window:] for ms in turn]

    def part(values: list[float], start: int) -> dict:
        return {
            "turns": [start, start + window - 1],
            "messages": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 95), 1),
        }

    early, late = part(first, 1), part(last, len(per_turn) - window + 1)
    return {
        "turns": len(per_turn),
        "repeats": len(per_turn[0]),
        "errors": errors,
        "per_turn_p50_ms": [round(statistics.median(t), 1) for t in per_turn],
        "per_turn_p95_ms": [round(percentile(t, 95), 1) for t in per_turn],
        "first": early,
        "last": late,
        "p50_ratio": round(late["p50_ms"] / early["p50_ms"], 2),
        "p95_ratio": round(late["p95_ms"] / early["p95_ms"], 2),
    }


def long_conversation_run(url: str, texts: list[str], repeats: int) -> dict:
    """The same long conversation ``repeats`` times by 1 user, a fresh sender each time."""
    send = rest_turn(url)
    per_turn: list[list[float]] = [[] for _ in texts]
    errors = 0
    for repeat in range(repeats):
        start = rotation(len(texts), repeat)
        sender = f"bench-long-{uuid.uuid4().hex[:8]}"
        for index, text in enumerate(texts[start:] + texts[:start]):
            started = time.perf_counter()
            try:
                ok = send(sender, text, None)
            except Exception:
                ok = False
            per_turn[index].append((time.perf_counter() - started) * 1000)
            errors += 0 if ok else 1
    return summarise_long(per_turn, errors)


def cluster_run(messages: int) -> dict:
    """The cluster of `make cluster` (PostgreSQL, Redis, HAProxy): 10 users
    through the proxy with both replicas, then with one replica stopped."""
    from bot.ops.cluster import Cluster
    from bot.ops.processes import stop_all

    root = Path(tempfile.mkdtemp(prefix="kommunebot-bench-cluster-"))
    root.chmod(0o755)
    cluster = Cluster(root, _free_span(int(os.environ.get("BENCH_CLUSTER_BASE", 8600))), env=dict(UNLIMITED))
    result: dict = {}
    try:
        started = time.perf_counter()
        cluster.start()
        result["ready_s"] = round(time.perf_counter() - started, 1)
        url = f"{cluster.url}/webhooks/rest/webhook"
        _post(url, {"sender": "warmup", "message": "hej"}, None)
        per_user = max(messages // 10, 10) * 2
        result["two_replicas"] = load(url, 10, per_user)
        stop_all([("Rasa replica 2", cluster.rasa[1])])
        ready = f"http://127.0.0.1:{cluster.ports.actions_frontend}/cluster-ready"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until HAProxy has taken replica 2 out
            try:
                urllib.request.urlopen(ready, timeout=2)
            except urllib.error.HTTPError:
                break
            time.sleep(0.5)
        result["one_replica"] = load(url, 10, per_user)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    return result


def _fill(engine, template: str, start: int, count: int) -> None:
    """``count`` more stored conversations, copies of the template conversation's events."""
    import sqlalchemy as sa

    events = sa.Table("events", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(events).where(events.c.sender_id == template))]
    for row in rows:
        row.pop("id", None)
    batch = []
    with engine.begin() as conn:
        for n in range(start, start + count):
            batch.extend({**row, "sender_id": f"stored-{n:06d}"} for row in rows)
            if len(batch) >= 20000:
                conn.execute(events.insert(), batch)
                batch = []
        if batch:
            conn.execute(events.insert(), batch)


def growth_run(tracker_url: str, label: str, sizes=(1000, 10000, 100000), per_size: int = 60) -> dict:
    """p95 of a full turn (1 user) with 1k, 10k and 100k conversations stored."""
    import sqlalchemy as sa

    var = Path(tempfile.mkdtemp(prefix=f"kommunebot-bench-{label}-"))
    env = {
        **UNLIMITED,
        "KOMMUNEBOT_TRACKER_URL": tracker_url or f"sqlite:///{var / 'tracker.db'}",
        "KOMMUNEBOT_DATA_DB": str(var / "kommunebot.db"),
        "KOMMUNEBOT_VAR_DIR": str(var),
    }
    stack = Stack(_port("BENCH_GROWTH_RASA_PORT"), _port("BENCH_GROWTH_ACTION_PORT"), env=env, log_dir=var / "logs")
    by_size: dict = {}
    engine_options = (
        {"executemany_mode": "values_plus_batch"} if env["KOMMUNEBOT_TRACKER_URL"].startswith("postgres") else {}
    )
    try:
        stack.start()
        # A typical short conversation (about 15 events) is copied into the store.
        template = "growth-template"
        for message in ("hej", "hvordan fornyer jeg mit pas"):
            stack.send(template, message)
        engine = sa.create_engine(env["KOMMUNEBOT_TRACKER_URL"], **engine_options)
        stored = 0
        for size in sorted(sizes):
            _fill(engine, template, stored, size - stored)
            stored = size
            by_size[str(size)] = load(f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/webhook", 1, per_size)
        engine.dispose()
    finally:
        stack.stop()
        shutil.rmtree(var, ignore_errors=True)
    smallest, largest = by_size[str(min(sizes))], by_size[str(max(sizes))]
    return {"by_size": by_size, "p95_ratio": round(largest["p95_ms"] / smallest["p95_ms"], 2)}


def train_from_scratch() -> float:
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
        started = time.perf_counter()
        subprocess.run(
            rasa_train_command(Path(out) / "bench.tar.gz"),
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def machine_info() -> dict:
    """What the figures depend on; the load average tells whether something else was running."""
    info: dict = {
        "cpus": os.cpu_count(),
        "cpu_model": None,
        "memory_gb": None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "commit": None,
    }
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            info["cpu_model"] = next(
                (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), None
            )
        with open("/proc/meminfo") as meminfo:
            total = next(line for line in meminfo if line.startswith("MemTotal:"))
            info["memory_gb"] = round(int(total.split()[1]) / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=True
        )
        info["commit"] = done.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass  # not a git checkout (a release tarball) or no git installed
    return info


def _sizes(raw: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part) for part in raw.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {raw!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive: {raw!r}")
    return sizes


def main_stack(args, results: dict) -> None:
    """The single Rasa server and action server: traffic, the long conversation, memory, start-up."""
    var = Path(tempfile.mkdtemp(prefix="kommunebot-bench-"))
    env = {
        "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{var / 'tracker.db'}",
        "KOMMUNEBOT_DATA_DB": str(var / "kommunebot.db"),
        "KOMMUNEBOT_VAR_DIR": str(var),
        **UNLIMITED,
    }
    stack = Stack(_port("BENCH_RASA_PORT"), _port("BENCH_ACTION_PORT"), env=env, log_dir=var / "logs")
    base = f"http://127.0.0.1:{stack.rasa_port}"
    conversations = load_heldout()
    try:
        # Both start together, as in `make run`, and compete for the cores
        # as they do there; each one's time is until it answers.
        started = time.perf_counter()
        stack.start_actions()
        stack.start_rasa()
        ready: dict = {}
        failed: list[BaseException] = []

        def wait_actions() -> None:
            try:
                stack.wait_actions()
                ready["action_server"] = round(time.perf_counter() - started, 1)
            except BaseException as exc:
                failed.append(exc)

        waiter = threading.Thread(target=wait_actions)
        waiter.start()
        stack.wait_rasa()
        ready["rasa_server"] = round(time.perf_counter() - started, 1)
        waiter.join()
        if failed:
            raise failed[0]
        results["ready_s"] = ready

        full = rest_turn(f"{base}/webhooks/rest/webhook")
        nlu = nlu_parse(base, stack.api_token)
        # The first message loads lazy parts (spaCy vectors, the SQL
        # connection); no run should pay for that.
        for send in (full, nlu):
            send("warmup", "hej", None)
        per_user = {"1_user": (1, args.messages), "10_users": (10, max(args.messages // 10, 10) * 2)}
        mixes = {
            "canned": (canned, f"the {len(MESSAGES)} fixed MESSAGES of scripts/bench.py, one conversation per pass"),
            "heldout": (
                heldout(conversations),
                f"user turns of the {len(conversations)} held-out conversations "
                f"({sum(map(len, conversations))} turns) in order, a fresh sender per conversation",
            ),
        }
        results["traffic"] = {}
        for mix, (plan, description) in mixes.items():
            traffic: dict = {"description": description, "full_turn": {}}
            if not args.skip_nlu:
                traffic["nlu_only"] = {}
            for key, (users, count) in per_user.items():
                # NLU only and full turn run back to back, so whatever else
                # loads the machine meanwhile weighs on both alike.
                if not args.skip_nlu:
                    traffic["nlu_only"][key] = load(base, users, count, plan, nlu)
                    print(f"  {mix}, {key}, NLU only: {traffic['nlu_only'][key]}", flush=True)
                traffic["full_turn"][key] = load(base, users, count, plan, full)
                print(f"  {mix}, {key}, full turn: {traffic['full_turn'][key]}", flush=True)
            if not args.skip_nlu:
                ratio = traffic["full_turn"]["10_users"]["msg_per_s"] / traffic["nlu_only"]["10_users"]["msg_per_s"]
                traffic["full_over_nlu_throughput_10_users"] = round(ratio, 2)
            results["traffic"][mix] = traffic

        if not args.skip_long:
            texts = long_conversation(conversations, args.long_turns)
            results["long_conversation"] = long_conversation_run(
                f"{base}/webhooks/rest/webhook", texts, args.long_repeats
            )
        results["processes"] = process_memory(stack)
    finally:
        stack.stop()
        shutil.rmtree(var, ignore_errors=True)


def print_summary(results: dict) -> None:
    def run(r: dict) -> str:
        return f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, {r['msg_per_s']} msg/s, {r['errors']} errors"

    print("Kommunebot benchmark")
    for mix, traffic in results["traffic"].items():
        print(f"  {mix} traffic ({traffic['description']}):")
        for key in ("1_user", "10_users"):
            if "nlu_only" in traffic:
                print(f"    {key.replace('_', ' '):8}  NLU only:  {run(traffic['nlu_only'][key])}")
            print(f"    {key.replace('_', ' '):8}  full turn: {run(traffic['full_turn'][key])}")
        if "full_over_nlu_throughput_10_users" in traffic:
            print(f"    full turn ÷ NLU only throughput at 10 users: {traffic['full_over_nlu_throughput_10_users']}")
    for entry in results["processes"]:
        print(f"  {entry['name']}: {entry['rss_mb']} MB RSS after the load (peak {entry['peak_rss_mb']} MB)")
    ready = results["ready_s"]
    print(f"  ready after: Rasa server {ready['rasa_server']} s, action server {ready['action_server']} s")
    if "long_conversation" in results:
        lc = results["long_conversation"]
        first, last = lc["first"], lc["last"]
        print(
            f"  {lc['turns']}-turn conversation × {lc['repeats']}: turns {first['turns'][0]}-{first['turns'][1]} "
            f"p50 {first['p50_ms']} / p95 {first['p95_ms']} ms, turns {last['turns'][0]}-{last['turns'][1]} "
            f"p50 {last['p50_ms']} / p95 {last['p95_ms']} ms; p95 ratio {lc['p95_ratio']}, {lc['errors']} errors"
        )
    if "cluster" in results:
        c = results["cluster"]
        print(f"  Cluster (PostgreSQL, Redis, HAProxy; 10 users through the proxy; ready after {c['ready_s']} s):")
        for key, label in (("two_replicas", "2 replicas"), ("one_replica", "1 replica ")):
            print(f"    {label}: {run(c[key])}")
    for store, growth in results.get("growth", {}).items():
        line = ", ".join(f"{size}: p95 {r['p95_ms']} ms" for size, r in growth["by_size"].items())
        print(f"  Tracker growth on {store} (1 user, full turns): {line}; p95 ratio {growth['p95_ratio']}")
    if "training_from_scratch_s" in results:
        print(f"  Training from scratch: {results['training_from_scratch_s']} s")
    missed = [v for v in results["verdicts"] if v["met"] is False]
    for v in missed:
        print(f"  missed: {v['figure']} = {v['value']} (target {bench_report.TARGETS[v['target']].text})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-train", action="store_true", help="do not time training from scratch")
    parser.add_argument("--messages", type=int, default=200, help="messages per 1-user run (10 users: 2 × as many)")
    parser.add_argument("--skip-cluster", action="store_true", help="no cluster run (1 and 2 replicas)")
    parser.add_argument("--skip-growth", action="store_true", help="no tracker-growth run (1k-100k conversations)")
    parser.add_argument("--skip-nlu", action="store_true", help="no NLU-only runs (/model/parse)")
    parser.add_argument("--skip-long", action="store_true", help="no long-conversation run (turn 1 vs turn 30)")
    parser.add_argument(
        "--growth-sizes", type=_sizes, default=(1000, 10000, 100000), help="stored conversations (1000,10000,100000)"
    )
    parser.add_argument("--growth-messages", type=int, default=60, help="full turns measured at each growth size")
    parser.add_argument("--long-turns", type=int, default=30, help="user turns of the long conversation")
    parser.add_argument(
        "--long-repeats", type=int, default=20, help="times the long conversation is replayed (a multiple of 10)"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: render the README table and build/bench.svg from results/bench.json",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        return bench_report.report_only()
    if args.messages < 1 or args.growth_messages < 1 or args.long_repeats < 1:
        parser.error("--messages, --growth-messages and --long-repeats must be at least 1")
    if args.long_turns < 2 * WINDOW:
        parser.error(f"--long-turns must be at least {2 * WINDOW}")
    model = Settings.load().model
    if not model.is_file():
        print(f"error: {model} missing; run `make model` first", file=sys.stderr)
        return 1

    skipped = [
        part
        for part, skip in (
            ("nlu", args.skip_nlu),
            ("long", args.skip_long),
            ("cluster", args.skip_cluster),
            ("growth", args.skip_growth),
            ("train", args.skip_train),
        )
        if skip
    ]
    results: dict = {
        "schema": bench_report.SCHEMA,
        "measured_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "parameters": {
            "messages": args.messages,
            "growth_sizes": list(args.growth_sizes),
            "growth_messages": args.growth_messages,
            "long_turns": args.long_turns,
            "long_repeats": args.long_repeats,
            "skipped": skipped,
        },
    }
    main_stack(args, results)
    if not args.skip_cluster:
        results["cluster"] = cluster_run(args.messages)
    if not args.skip_growth:
        results["growth"] = {"sqlite": growth_run("", "sqlite", args.growth_sizes, args.growth_messages)}
        from bot.ops.services import APP_ROLE, TRACKER_DATABASE, Postgres

        root = Path(tempfile.mkdtemp(prefix="kommunebot-bench-pg-"))
        root.chmod(0o755)
        postgres = Postgres(root / "postgres")
        try:
            postgres.start()
            results["growth"]["postgresql"] = growth_run(
                postgres.url(APP_ROLE, TRACKER_DATABASE), "pg", args.growth_sizes, args.growth_messages
            )
        finally:
            postgres.stop()
            shutil.rmtree(root, ignore_errors=True)
    if not args.skip_train:
        results["training_from_scratch_s"] = round(train_from_scratch(), 1)
    results["verdicts"] = bench_report.verdicts(bench_report.Fields(results, "the results"))

    print_summary(results)
    out = bench_report.JSON_PATH
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"  (written to {out.relative_to(PROJECT_ROOT)})")
    return bench_report.report_only()


if __name__ == "__main__":
    sys.exit(main())
