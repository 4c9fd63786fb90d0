"""Flame graphs of the Rasa server and the action server under load.

Starts the real servers as `make bench` does, puts 10 simulated users on the
REST channel, and records both processes with py-spy meanwhile. The SVGs go
to build/profiles/, and each process's most expensive functions are
printed. `--long` replaces the 10 users by one citizen writing 40-turn
conversations (held-out conversations one after the other), to show what
grows with a conversation's length.

    .venv/bin/python scripts/profile.py [--seconds 40] [--long]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import UNLIMITED, load, load_heldout, long_conversation, long_conversation_run  # noqa: E402

from bot.ops.launch import BIN  # noqa: E402
from bot.ops.processes import Stack  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402

OUT = PROJECT_ROOT / "build" / "profiles"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=40, help="how long to record")
    parser.add_argument("--long", action="store_true", help="one user, 40-turn conversations (growth with length)")
    args = parser.parse_args(argv)
    prefix = "long-" if args.long else ""
    spy = BIN / "py-spy"
    if not spy.exists():
        print("error: py-spy is not installed in .venv (pip install py-spy)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix="kommunebot-profile-"))
    env = {
        "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{var / 'tracker.db'}",
        "KOMMUNEBOT_DATA_DB": str(var / "kommunebot.db"),
        "KOMMUNEBOT_VAR_DIR": str(var),
        **UNLIMITED,
    }
    stack = Stack(
        int(os.environ.get("BENCH_RASA_PORT", 5305)),
        int(os.environ.get("BENCH_ACTION_PORT", 5355)),
        env=env,
        log_dir=var / "logs",
    )
    try:
        stack.start()
        stack.send("warmup", "hej")
        recorders = [
            subprocess.Popen(
                [
                    str(spy),
                    "record",
                    "--pid",
                    str(proc.pid),
                    "--duration",
                    str(args.seconds),
                    "--rate",
                    "100",
                    "--nonblocking",
                    "--format",
                    fmt,
                    "--output",
                    str(OUT / f"{prefix}{name}.{ext}"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, proc in (("rasa", stack.rasa), ("actions", stack.actions))
            for fmt, ext in (("flamegraph", "svg"), ("raw", "txt"))
        ]
        stop = threading.Event()

        texts = long_conversation(load_heldout(), 40) if args.long else []

        def keep_loading() -> None:
            while not stop.is_set():
                if args.long:
                    long_conversation_run(f"{stack.url}/webhooks/rest/webhook", texts, 1)
                else:
                    load(f"{stack.url}/webhooks/rest/webhook", 10, 20)

        worker = threading.Thread(target=keep_loading, daemon=True)
        worker.start()
        for recorder in recorders:
            recorder.wait(timeout=args.seconds + 60)
        stop.set()
        worker.join(timeout=120)
    finally:
        stack.stop()
        shutil.rmtree(var, ignore_errors=True)
    for name in (f"{prefix}rasa", f"{prefix}actions"):
        print(f"\n{name}: {OUT / (name + '.svg')}")
        for share, frame in top_frames(OUT / f"{name}.txt"):
            print(f"  {share:5.1f} %  {frame}")
    return 0


def top_frames(raw: Path, count: int = 15) -> list[tuple[float, str]]:
    """Inclusive share of samples per function, from py-spy's collapsed stacks."""
    totals: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        n = int(number)
        samples += n
        # One entry per function: py-spy names each frame with its line.
        for frame in {re.sub(r":\d+\)$", ")", f) for f in stack.split(";")}:
            totals[frame] = totals.get(frame, 0) + n
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    # Our code and Rasa's below the server's own loop, most expensive first.
    ours = ("(rasa/core", "(rasa/nlu", "(rasa/shared", "(rasa/engine", "(glue/", "(bot/", "(actions/", "(rasa_sdk/")
    skip = ("(rasa/core/run.py", "(rasa/api.py", "(rasa/__main__.py", "(rasa/cli/")
    interesting = [
        (100 * n / samples, f) for f, n in ranked if any(o in f for o in ours) and not any(k in f for k in skip)
    ]
    return interesting[:count] if samples else []


if __name__ == "__main__":
    sys.exit(main())
