"""Start and stop the action server, the Rasa server and the staff console together.

Used by `make run` (foreground, Ctrl-C stops both), by the test suite
(real servers on their own ports and files) and by `make bench`.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Optional

from bot.settings import PROJECT_ROOT, allowed_origins

MODEL = PROJECT_ROOT / "models" / "kommunebot.tar.gz"
BIN = Path(sys.executable).parent


def http_json(url: str, body: Optional[dict] = None, timeout: float = 30) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


class Stack:
    def __init__(
        self,
        rasa_port: int = 5005,
        action_port: int = 5055,
        env: Optional[dict] = None,
        log_dir: Optional[Path] = None,
        model: Path = MODEL,
        console_port: Optional[int] = None,
        site_port: Optional[int] = None,
    ):
        self.rasa_port = rasa_port
        self.action_port = action_port
        self.console_port = console_port
        self.site_port = site_port
        self.model = model
        self.log_dir = log_dir
        self.env = {**os.environ, **(env or {}), "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port)}
        if site_port:
            self.env["KOMMUNEBOT_SITE_PORT"] = str(site_port)
        self.env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        self.env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self.actions: Optional[subprocess.Popen] = None
        self.rasa: Optional[subprocess.Popen] = None
        self.console: Optional[subprocess.Popen] = None
        self.site: Optional[subprocess.Popen] = None
        self._logs: list[IO] = []

    @property
    def url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")
            self._logs.append(out)
        return subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
        )

    def start_actions(self) -> None:
        self.actions = self._spawn(
            "actions", [str(BIN / "rasa"), "run", "actions", "--port", str(self.action_port), "--actions", "actions"]
        )

    def start_rasa(self) -> None:
        if not self.model.is_file():
            raise FileNotFoundError(f"{self.model}: no trained model (run `make model`)")
        self.rasa = self._spawn(
            "rasa",
            [
                str(BIN / "rasa"),
                "run",
                "--enable-api",
                "--port",
                str(self.rasa_port),
                "--model",
                str(self.model),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                # Browsers may call the REST channel only from these pages.
                "--cors",
                *allowed_origins(self.env),
            ],
        )

    @property
    def console_url(self) -> str:
        return f"http://localhost:{self.console_port}"

    def start_console(self) -> None:
        self.console = self._spawn(
            "console", [sys.executable, "-m", "bot.console", "--port", str(self.console_port)]
        )

    def wait_console(self, timeout: float = 60) -> None:
        self._wait(f"{self.console_url}/health", self.console, "staff console", timeout)

    @property
    def site_url(self) -> str:
        return f"http://localhost:{self.site_port}"

    def start_site(self) -> None:
        self.site = self._spawn(
            "site", [sys.executable, "-m", "bot.site", "--port", str(self.site_port), "--rasa-url", self.url]
        )

    def wait_site(self, timeout: float = 60) -> None:
        self._wait(f"{self.site_url}/health", self.site, "demo page server", timeout)

    def wait_actions(self, timeout: float = 90) -> None:
        self._wait(f"http://localhost:{self.action_port}/health", self.actions, "action server", timeout)

    def wait_rasa(self, timeout: float = 180) -> None:
        self._wait(f"{self.url}/status", self.rasa, "Rasa server", timeout, key="model_id")

    def _wait(self, url: str, proc, name: str, timeout: float, key: Optional[str] = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode} while starting")
            try:
                status, body = http_json(url, timeout=2)
                if status == 200 and (key is None or (isinstance(body, dict) and body.get(key))):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                pass
            time.sleep(0.3)
        raise TimeoutError(f"{name} not ready at {url} after {timeout:.0f} s")

    def start(self) -> None:
        self.start_actions()
        self.start_rasa()
        if self.console_port:
            self.start_console()
        if self.site_port:
            self.start_site()
        if self.console_port:
            self.wait_console()
        if self.site_port:
            self.wait_site()
        self.wait_actions()
        self.wait_rasa()

    def processes(self) -> list[tuple[str, subprocess.Popen]]:
        named = (("action server", self.actions), ("Rasa server", self.rasa), ("staff console", self.console),
                 ("demo page server", self.site))
        return [(name, proc) for name, proc in named if proc is not None]

    @staticmethod
    def _stop(proc: Optional[subprocess.Popen]) -> None:
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop_actions(self) -> None:
        self._stop(self.actions)

    def stop_rasa(self) -> None:
        self._stop(self.rasa)

    def stop(self) -> None:
        self._stop(self.site)
        self._stop(self.console)
        self.stop_rasa()
        self.stop_actions()
        for handle in self._logs:
            handle.close()
        self._logs.clear()

    def send(self, sender: str, message: str, metadata: Optional[dict] = None, timeout: float = 30):
        body = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        return http_json(f"{self.url}/webhooks/rest/webhook", body, timeout=timeout)


def _check_municipality() -> Optional[str]:
    from bot.knowledge.store import KnowledgeDatabaseError, open_knowledge
    from bot.settings import Settings

    settings = Settings.from_env()
    try:
        knowledge = open_knowledge(settings.knowledge_db)
    except KnowledgeDatabaseError as exc:
        return str(exc)
    if settings.municipality not in knowledge.municipalities:
        known = ", ".join(sorted(knowledge.municipalities))
        return f"KOMMUNEBOT_MUNICIPALITY={settings.municipality!r} is unknown; choose one of: {known}"
    return None


def _demo_logins() -> list[tuple[str, str, str]]:
    """Demo mode: fresh random passwords for a caseworker and an admin.
    There is no built-in default password, so each start prints new ones."""
    from bot.console.accounts import Accounts
    from bot.settings import Settings

    accounts = Accounts(Settings.from_env().data_db)
    return [
        (username, role, accounts.ensure_demo_user(username, role=role))
        for username, role in (("demo", "staff"), ("demo-admin", "admin"))
    ]


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw.strip().lower() in ("1", "true", "yes", "on")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Kommunebot servers: actions, Rasa and the staff console")
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("ACTION_PORT", 5055)))
    parser.add_argument("--console-port", type=int, default=int(os.environ.get("KOMMUNEBOT_CONSOLE_PORT") or 8080))
    parser.add_argument("--site-port", type=int, default=int(os.environ.get("KOMMUNEBOT_SITE_PORT") or 8000))
    args = parser.parse_args(argv)

    problem = _check_municipality()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    # Explicit handlers: a shell may start us with SIGINT ignored, and
    # SIGTERM (from a service manager) must stop the servers too.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    demo = _flag("KOMMUNEBOT_DEMO", True)
    logins = _demo_logins() if demo else []
    stack = Stack(args.rasa_port, args.action_port, console_port=args.console_port, site_port=args.site_port)
    started = time.monotonic()
    try:
        print(
            f"Starting the action server on port {args.action_port}, Rasa on port {args.rasa_port}, "
            f"the staff console on port {args.console_port} and the demo page on port {args.site_port} ...",
            flush=True,
        )
        stack.start()
        municipality = os.environ.get("KOMMUNEBOT_MUNICIPALITY", "nyborg")
        print(
            f"\nKommunebot is ready for {municipality} after {time.monotonic() - started:.0f} s.\n"
            f"  Chat in the terminal:  make shell\n"
            f"  Or with curl:          curl -s -X POST {stack.url}/webhooks/rest/webhook "
            f"-H 'Content-Type: application/json' -d '{{\"sender\": \"demo\", \"message\": \"hvordan fornyer jeg mit pas\"}}'\n"
            f"  Chat on the demo page: {stack.site_url}\n"
            f"  Staff console:         {stack.console_url}",
            flush=True,
        )
        for username, role, password in logins:
            print(f"    demo login ({role}): {username} / {password}", flush=True)
        if not demo:
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


if __name__ == "__main__":
    sys.exit(main())
