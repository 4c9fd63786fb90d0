"""A real staff-console process on a free port, and a logged-in HTTP client."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests
from requests.cookies import RequestsCookieJar, merge_cookies

from bot.settings import PROJECT_ROOT

KOMMUNEBOT = str(Path(sys.executable).parent / "kommunebot")


class ConsoleServer:
    def __init__(
        self,
        port: int,
        data_db: Path,
        tracker_url: str,
        log: Path,
        content_root: Path | None = None,
        demo: bool = True,
        env: dict[str, str] | None = None,
    ):
        """``demo``: plain-http cookies as under `make run`; without it the
        console runs as in production (__Host- cookies with Secure, HSTS)."""
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "KOMMUNEBOT_DATA_DB": str(data_db),
            "KOMMUNEBOT_TRACKER_URL": tracker_url,
            "KOMMUNEBOT_KNOWLEDGE_DB": str(PROJECT_ROOT / "build" / "knowledge.db"),
            "KOMMUNEBOT_CONTENT_ROOT": str(content_root or PROJECT_ROOT),
            "KOMMUNEBOT_DEMO": "true" if demo else "false",
            **(env or {}),
        }
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [KOMMUNEBOT, "serve", "console", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"console exited with {self.proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise TimeoutError("console did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


def hidden(html: str, name: str) -> str | None:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else None


class LocalhostIsSecure(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies to http://127.0.0.1 too, as browsers do for
    localhost, so a console outside demo mode can be tested without TLS."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


class LocalhostSession(requests.Session):
    # requests copies the cookies into a jar of its own for every request
    # (and its redirects): that jar is the one that needs the policy.
    def prepare_request(self, request):
        prepared = super().prepare_request(request)
        jar = merge_cookies(merge_cookies(RequestsCookieJar(), self.cookies), request.cookies or {})
        jar.set_policy(LocalhostIsSecure())
        prepared.headers.pop("Cookie", None)
        prepared.prepare_cookies(jar)
        return prepared


def client(forwarded_for: str | None = None) -> requests.Session:
    session = LocalhostSession()
    if forwarded_for:
        session.headers["X-Forwarded-For"] = forwarded_for
    return session


def login(
    url: str, username: str, password: str, forwarded_for: str | None = None
) -> tuple[requests.Session, requests.Response]:
    session = client(forwarded_for)
    form = session.get(f"{url}/login")
    response = session.post(
        f"{url}/login",
        data={"username": username, "password": password, "login_token": hidden(form.text, "login_token")},
    )
    return session, response
