"""`kommunebot run` (`make run`): start every server, print how to use them,
and stop them all on Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import sys
import time

from bot.ops.demo import demo_logins
from bot.ops.processes import Stack
from bot.ops.startup import configuration_problem
from bot.settings import Settings


def run(settings: Settings) -> int:
    problem = configuration_problem(settings)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    # Explicit handlers: a shell may start us with SIGINT ignored, and
    # SIGTERM (from a service manager) must stop the servers too.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    logins = demo_logins(settings.data_db) if settings.demo else []
    stack = Stack(
        settings.rasa_port,
        settings.action_port,
        console_port=settings.console_port,
        site_port=settings.site_port,
        model=settings.model,
    )
    started = time.monotonic()
    try:
        print(
            f"Starting the action server on port {settings.action_port}, Rasa on port {settings.rasa_port}, "
            f"the staff console on port {settings.console_port} and the demo page on port {settings.site_port} ...",
            flush=True,
        )
        stack.start()
        print(
            f"\nKommunebot is ready for {settings.municipality} after {time.monotonic() - started:.0f} s.\n"
            f"  Chat in the terminal:  make shell\n"
            f"  Or with curl:          curl -s -X POST {stack.url}/webhooks/rest/webhook "
            "-H 'Content-Type: application/json' "
            f'-d \'{{"sender": "demo", "message": "hvordan fornyer jeg mit pas"}}\'\n'
            f"  Chat on the demo page: {stack.site_url}\n"
            f"  Staff console:         {stack.console_url}",
            flush=True,
        )
        for username, role, password in logins:
            print(f"    demo login ({role}): {username} / {password}", flush=True)
        if not settings.demo:
            print("    create users with: .venv/bin/kommunebot users create NAME --role staff", flush=True)
        print("Press Ctrl-C to stop.\n", flush=True)
        while True:
            for name, proc in stack.processes():
                if proc.poll() is not None:
                    print(f"error: the {name} stopped (exit code {proc.returncode})", file=sys.stderr)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    except (RuntimeError, TimeoutError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
