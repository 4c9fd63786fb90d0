"""`make bench`: latency, throughput, memory, training and start-up time.

Everything runs on this machine against the real servers with the trained
model; figures are printed and written to results/bench.json. Nothing here
asserts a target: the README and the issue notes report the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
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
from pathlib import Path

from bot.ops.processes import BIN, Stack
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


# The load comes from few addresses and reuses each simulated user's
# conversation; the limits protect a live server, not the benchmark.
UNLIMITED = {"KOMMUNEBOT_RATE_ADDRESS": "1000000/60", "KOMMUNEBOT_RATE_SENDER": "1000000/60"}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


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
    try:
        conn.request("POST", parts.path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def load(url: str, users: int, per_user: int) -> dict:
    """``users`` simulated citizens, each from its own address, against one REST URL."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def user(n: int) -> None:
        nonlocal errors
        source = f"127.0.{n // 250}.{n % 250 + 2}"
        sender = f"bench-{uuid.uuid4().hex[:8]}"
        for i in range(per_user):
            if i and i % len(MESSAGES) == 0:
                sender = f"bench-{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            try:
                status, reply = _post(url, {"sender": sender, "message": MESSAGES[(i + n) % len(MESSAGES)]}, source)
                ok = status == 200 and bool(reply)
            except Exception:
                ok = False
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                errors += 0 if ok else 1

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


def cluster_run(messages: int) -> dict:
    """The cluster of `make cluster` (PostgreSQL, Redis, HAProxy): 10 users
    through the proxy with both replicas, then with one replica stopped."""
    from bot.ops.cluster import Cluster
    from bot.ops.processes import stop_all

    root = Path(tempfile.mkdtemp(prefix="kommunebot-bench-cluster-"))
    root.chmod(0o755)
    cluster = Cluster(root, int(os.environ.get("BENCH_CLUSTER_BASE", 8600)), env=dict(UNLIMITED))
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
    stack = Stack(
        int(os.environ.get("BENCH_GROWTH_RASA_PORT", 5205)),
        int(os.environ.get("BENCH_GROWTH_ACTION_PORT", 5255)),
        env=env,
        log_dir=var / "logs",
    )
    result: dict = {}
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
        for size in sizes:
            _fill(engine, template, stored, size - stored)
            stored = size
            result[str(size)] = load(f"{stack.url}/webhooks/rest/webhook", 1, per_size)
        engine.dispose()
    finally:
        stack.stop()
        shutil.rmtree(var, ignore_errors=True)
    return result


def train_from_scratch() -> float:
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
        started = time.perf_counter()
        subprocess.run(
            [str(BIN / "rasa"), "train", "--force", "--out", out, "--fixed-model-name", "bench"],
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-train", action="store_true", help="do not time training from scratch")
    parser.add_argument("--messages", type=int, default=200, help="messages per run")
    parser.add_argument("--skip-cluster", action="store_true", help="no cluster run (1 and 2 replicas)")
    parser.add_argument("--skip-growth", action="store_true", help="no tracker-growth run (1k-100k conversations)")
    args = parser.parse_args(argv)
    model = Settings.load().model
    if not model.is_file():
        print(f"error: {model} missing; run `make model` first", file=sys.stderr)
        return 1

    results: dict = {"machine": {"cpus": os.cpu_count()}}
    var = Path(tempfile.mkdtemp(prefix="kommunebot-bench-"))
    env = {
        "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{var / 'tracker.db'}",
        "KOMMUNEBOT_DATA_DB": str(var / "kommunebot.db"),
        "KOMMUNEBOT_VAR_DIR": str(var),
        **UNLIMITED,
    }
    stack = Stack(
        int(os.environ.get("BENCH_RASA_PORT", 5105)),
        int(os.environ.get("BENCH_ACTION_PORT", 5155)),
        env=env,
        log_dir=var / "logs",
    )
    try:
        started = time.perf_counter()
        stack.start_actions()
        stack.start_rasa()
        stack.wait_rasa()
        results["rasa_ready_s"] = round(time.perf_counter() - started, 1)
        stack.wait_actions()
        stack.send("warmup", "hej")
        results["one_user"] = load(f"{stack.url}/webhooks/rest/webhook", 1, args.messages)
        results["ten_users"] = load(f"{stack.url}/webhooks/rest/webhook", 10, max(args.messages // 10, 10) * 2)
        results["rasa_rss_mb"] = round(rss_mb(stack.rasa.pid), 0)
        results["action_server_rss_mb"] = round(rss_mb(stack.actions.pid), 0)
    finally:
        stack.stop()
    if not args.skip_cluster:
        results["cluster"] = cluster_run(args.messages)
    if not args.skip_growth:
        results["growth"] = {"sqlite": growth_run("", "sqlite")}
        from bot.ops.services import APP_ROLE, TRACKER_DATABASE, Postgres

        root = Path(tempfile.mkdtemp(prefix="kommunebot-bench-pg-"))
        root.chmod(0o755)
        postgres = Postgres(root / "postgres")
        try:
            postgres.start()
            results["growth"]["postgresql"] = growth_run(postgres.url(APP_ROLE, TRACKER_DATABASE), "pg")
        finally:
            postgres.stop()
            shutil.rmtree(root, ignore_errors=True)
    if not args.skip_train:
        results["training_from_scratch_s"] = round(train_from_scratch(), 1)

    one, ten = results["one_user"], results["ten_users"]
    print("Kommunebot benchmark (REST round trip incl. custom action)")
    print(
        f"  1 user:   p50 {one['p50_ms']} ms, p95 {one['p95_ms']} ms, {one['msg_per_s']} msg/s, {one['errors']} errors"
    )
    print(
        f"  10 users: p50 {ten['p50_ms']} ms, p95 {ten['p95_ms']} ms, {ten['msg_per_s']} msg/s, {ten['errors']} errors"
    )
    print(
        f"  Rasa server memory: {results['rasa_rss_mb']:.0f} MB RSS "
        f"(action server {results['action_server_rss_mb']:.0f} MB)"
    )
    print(f"  Rasa server ready after {results['rasa_ready_s']} s")
    if "cluster" in results:
        c = results["cluster"]
        print(f"  Cluster (PostgreSQL, Redis, HAProxy; 10 users through the proxy; ready after {c['ready_s']} s):")
        for key, label in (("two_replicas", "2 replicas"), ("one_replica", "1 replica ")):
            r = c[key]
            print(
                f"    {label}: {r['msg_per_s']} msg/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, {r['errors']} errors"
            )
    for store, sizes in results.get("growth", {}).items():
        line = ", ".join(f"{int(size) // 1000}k: p95 {r['p95_ms']} ms" for size, r in sizes.items())
        print(f"  Tracker growth on {store} (1 user, full turns): {line}")
    if "training_from_scratch_s" in results:
        print(f"  Training from scratch: {results['training_from_scratch_s']} s")
    out = PROJECT_ROOT / "results" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"  (written to {out.relative_to(PROJECT_ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
