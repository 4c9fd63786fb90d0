"""`kommunebot run` (`make run`): start every server, print how to use them,
and stop them all on Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from bot.ops.demo import demo_logins, leftover_demo_users
from bot.ops.processes import Cancelled, Stack
from bot.ops.secrets import api_token_path
from bot.ops.startup import configuration_problem
from bot.settings import Settings


def _shown(path: Path) -> str:
    """The path as the user typed `make run` from: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _demo_store(settings: Settings) -> tuple[Path | str, Path]:
    """The accounts' database, and where the demo logins file goes: next to
    a SQLite data file, as before, or in the var folder for a server."""
    url = settings.database_url
    if url == f"sqlite:///{Path(settings.data_db).resolve()}":
        return Path(settings.data_db), Path(settings.data_db).parent
    return url, settings.var_dir


def _token_source(settings: Settings) -> str:
    path = api_token_path(settings)
    return "KOMMUNEBOT_API_TOKEN" if path is None else _shown(path)


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP ask to stop; the handler only sets a flag.

    A handler that raised (KeyboardInterrupt) could fire anywhere, also
    inside the shutdown, and abort it half-way: a service manager's SIGTERM
    to the process group, or a second Ctrl-C, then left servers holding
    their ports. Here the main loop and the start-up waits look at the flag,
    and the shutdown runs to its end whatever arrives meanwhile."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self, cancel: threading.Event):
        self.cancel = cancel
        self.received = 0

    def install(self) -> None:
        # Explicit handlers: a shell may start us with SIGINT ignored.
        for signum in self.SIGNALS:
            signal.signal(signum, self._handle)

    def _handle(self, signum, frame) -> None:
        self.received += 1
        if self.received == 1:
            self.cancel.set()
        elif self.received == 2:
            print("Still stopping the servers; they get 20 s before they are killed.", file=sys.stderr, flush=True)


def supervise(processes, cancel: threading.Event, restart=lambda: []) -> int:
    """Until a stop is asked for: restart what ``restart`` can, and end with
    exit code 1 when any other process stops; 0 after a stop request."""
    while not cancel.is_set():
        for name in restart():
            print(f"warning: {name} had stopped; started it again", file=sys.stderr, flush=True)
        for name, proc in processes():
            if proc.poll() is not None:
                print(f"error: the {name} stopped (exit code {proc.returncode})", file=sys.stderr, flush=True)
                return 1
        cancel.wait(1)
    print("\nStopping ...", flush=True)
    return 0


def run(settings: Settings) -> int:
    problem = configuration_problem(settings)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    demo = demo_logins(*_demo_store(settings), settings.municipality) if settings.demo else None
    stack = Stack(
        settings.rasa_port,
        settings.action_port,
        console_port=settings.console_port,
        site_port=settings.site_port,
        model=settings.model,
    )
    signals = StopSignals(stack.cancel)
    signals.install()
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
            f"  Staff console:         {stack.console_url}\n"
            f"  Rasa's HTTP API:       needs ?token= from {_token_source(settings)}",
            flush=True,
        )
        if demo is not None:
            # Only where the passwords are: they stay out of the terminal's scrollback and logs.
            print(f"    demo logins (new passwords at every start): {_shown(demo.path)}", flush=True)
            for username in demo.disabled:
                print(f"    demo login {username} is disabled by an admin and stays disabled", flush=True)
        else:
            print(
                "    create users with: .venv/bin/kommunebot users create NAME --role staff --municipality KEY",
                flush=True,
            )
            for username in leftover_demo_users(*_demo_store(settings)):
                print(
                    f"warning: demo login {username} from an earlier `make run` is still enabled; "
                    f"disable it: .venv/bin/kommunebot users disable {username}",
                    file=sys.stderr,
                    flush=True,
                )
        print("Press Ctrl-C to stop.\n", flush=True)
        return supervise(stack.processes, stack.cancel)
    except (Cancelled, KeyboardInterrupt):
        print("\nStopping ...", flush=True)
        return 0
    except (RuntimeError, TimeoutError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
