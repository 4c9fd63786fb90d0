"""`make bench`: latency, throughput, memory, training and start-up time.

Everything runs on this machine against the real servers with the trained
model; figures are printed and written to results/bench.json. Nothing here
asserts a target: the README and the issue notes report the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
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


def run_users(stack: Stack, users: int, per_user: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def user(n: int) -> None:
        nonlocal errors
        sender = f"bench-{uuid.uuid4().hex[:8]}"
        for i in range(per_user):
            if i and i % len(MESSAGES) == 0:
                sender = f"bench-{uuid.uuid4().hex[:8]}"  # new conversation, as on the website
            message = MESSAGES[(i + n) % len(MESSAGES)]
            started = time.perf_counter()
            try:
                status, body = stack.send(sender, message, timeout=60)
                ok = status == 200 and bool(body)
            except Exception:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
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
        # The load comes from one address and reuses each simulated user's
        # conversation; the limits protect a live server, not the benchmark.
        "KOMMUNEBOT_RATE_ADDRESS": "1000000/60",
        "KOMMUNEBOT_RATE_SENDER": "1000000/60",
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
        results["one_user"] = run_users(stack, 1, args.messages)
        results["ten_users"] = run_users(stack, 10, max(args.messages // 10, 10) * 2)
        results["rasa_rss_mb"] = round(rss_mb(stack.rasa.pid), 0)
        results["action_server_rss_mb"] = round(rss_mb(stack.actions.pid), 0)
    finally:
        stack.stop()
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
    if "training_from_scratch_s" in results:
        print(f"  Training from scratch: {results['training_from_scratch_s']} s")
    out = PROJECT_ROOT / "results" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"  (written to {out.relative_to(PROJECT_ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
