"""Start and stop the action server, the Rasa server, the staff console
and the demo page as child processes.

Used by `kommunebot run` (`make run`), by the test suite (real servers on
their own ports and files), by `kommunebot eval` and by `make bench`.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from pathlib import Path
from typing import IO

from bot.ops.http import http_json
from bot.ops.launch import rasa_environment, serve_command
from bot.ops.secrets import action_token, api_token
from bot.settings import PROJECT_ROOT, Settings

_PR_SET_PDEATHSIG = 1


class Cancelled(Exception):
    """Stopping was asked for (a signal) while the servers were starting."""


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM when the runner dies,
    even by SIGKILL, so a crashed runner never leaves a server on its port."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: stop() still stops every child


def stop_all(named: list[tuple[str, subprocess.Popen | None]], timeout: float = 20) -> None:
    """SIGTERM every child's process group at once, wait for all, then
    SIGKILL what is left. One slow server never delays the others' signal,
    and an error stopping one never skips the rest."""
    alive = [(name, proc) for name, proc in named if proc is not None and proc.poll() is None]
    for _name, proc in alive:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + timeout
    for name, proc in alive:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"warning: the {name} did not stop within {timeout:.0f} s; killing it", file=sys.stderr, flush=True)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait(timeout=10)


class Stack:
    def __init__(
        self,
        rasa_port: int = 5005,
        action_port: int = 5055,
        env: dict | None = None,
        log_dir: Path | None = None,
        model: Path | None = None,
        console_port: int | None = None,
        site_port: int | None = None,
    ):
        self.rasa_port = rasa_port
        self.action_port = action_port
        self.console_port = console_port
        self.site_port = site_port
        self.log_dir = log_dir
        self.env = {**os.environ, **(env or {}), "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port)}
        if site_port:
            self.env["KOMMUNEBOT_SITE_PORT"] = str(site_port)
        if console_port:
            self.env["KOMMUNEBOT_CONSOLE_PORT"] = str(console_port)
        self.env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        self.env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # The children's settings, read here from the environment they get.
        self.settings = Settings.load(self.env)
        self.model = model or self.settings.model
        # Secrets go to the children through their environment, which only
        # this user can read, never through a command line.
        self.api_token = api_token(self.settings)
        self.env["KOMMUNEBOT_API_TOKEN"] = self.api_token
        self.env["KOMMUNEBOT_ACTION_TOKEN"] = action_token(self.settings)
        self.actions: subprocess.Popen | None = None
        self.rasa: subprocess.Popen | None = None
        self.console: subprocess.Popen | None = None
        self.site: subprocess.Popen | None = None
        self._logs: list[IO] = []
        # Set by the runner's signal handler: start() gives up waiting.
        self.cancel = threading.Event()

    @property
    def url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    def api(self, path: str, body: dict | None = None, timeout: float = 30):
        """Call the Rasa HTTP API with the token (path like /model/parse)."""
        separator = "&" if "?" in path else "?"
        return http_json(f"{self.url}{path}{separator}token={self.api_token}", body, timeout=timeout)

    def _spawn(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            # Kept open for the child's lifetime; stop() closes it.
            out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115
            self._logs.append(out)
        return subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env={**self.env, **env},
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
            # Linux ties the signal to the thread that forked: only the main
            # thread lives as long as the runner.
            preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None,
        )

    def start_actions(self) -> None:
        self.actions = self._spawn("actions", serve_command("actions"))

    def start_rasa(self) -> None:
        if not self.model.is_file():
            raise FileNotFoundError(f"{self.model}: no trained model (run `kommunebot train`)")
        # The rest of Rasa's command line and environment comes from the
        # settings in `kommunebot serve rasa` (bot.ops.launch); only the
        # model may differ here (an evaluation's or an editor's copy). The
        # environment is set, where `serve rasa` only defaults it, so an
        # inherited SANIC_* never overrides this stack's settings.
        self.rasa = self._spawn(
            "rasa", serve_command("rasa", "--model", str(self.model)), **rasa_environment(self.settings)
        )

    @property
    def console_url(self) -> str:
        return f"http://localhost:{self.console_port}"

    def start_console(self) -> None:
        self.console = self._spawn("console", serve_command("console", "--port", str(self.console_port)))

    def wait_console(self, timeout: float = 60) -> None:
        self._wait(f"{self.console_url}/health", self.console, "staff console", timeout)

    @property
    def site_url(self) -> str:
        return f"http://localhost:{self.site_port}"

    def start_site(self) -> None:
        self.site = self._spawn("site", serve_command("site", "--port", str(self.site_port), "--rasa-url", self.url))

    def wait_site(self, timeout: float = 60) -> None:
        self._wait(f"{self.site_url}/health", self.site, "demo page server", timeout)

    def wait_actions(self, timeout: float = 90) -> None:
        self._wait(f"http://localhost:{self.action_port}/health", self.actions, "action server", timeout)

    def wait_rasa(self, timeout: float = 180) -> None:
        self._wait(f"{self.url}/status?token={self.api_token}", self.rasa, "Rasa server", timeout, key="model_id")

    def _wait(self, url: str, proc, name: str, timeout: float, key: str | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.cancel.is_set():
                raise Cancelled(f"stopped while the {name} was starting")
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
        named = (
            ("action server", self.actions),
            ("Rasa server", self.rasa),
            ("staff console", self.console),
            ("demo page server", self.site),
        )
        return [(name, proc) for name, proc in named if proc is not None]

    def stop_actions(self) -> None:
        stop_all([("action server", self.actions)])

    def stop_rasa(self) -> None:
        stop_all([("Rasa server", self.rasa)])

    def stop(self) -> None:
        stop_all(self.processes())
        for handle in self._logs:
            handle.close()
        self._logs.clear()

    def send(self, sender: str, message: str, metadata: dict | None = None, timeout: float = 30):
        body = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        return http_json(f"{self.url}/webhooks/rest/webhook", body, timeout=timeout)
