"""deploy/haproxy.cfg for real: Debian's haproxy started as a process of the
test's own, in front of the real servers, exposes only the public paths."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from bot.ops.http import free_port
from tests.conftest import PROJECT_ROOT

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CONFIG = PROJECT_ROOT / "deploy" / "haproxy.cfg"

# HAProxy in front of the session's stack, which serves the trained model.
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def proxy(stack, tmp_path_factory):
    if not os.path.exists(HAPROXY):
        pytest.fail(f"{HAPROXY} is missing: run the suite with `make test`, which installs Debian's haproxy")
    port = free_port()
    env = {
        **os.environ,
        "KOMMUNEBOT_PROXY_BIND": f"127.0.0.1:{port}",
        "KOMMUNEBOT_RASA_ADDR": f"127.0.0.1:{stack.rasa_port}",
        "KOMMUNEBOT_SITE_ADDR": f"127.0.0.1:{stack.site_port}",
    }
    log = open(tmp_path_factory.mktemp("haproxy") / "haproxy.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([HAPROXY, "-f", str(CONFIG), "-db"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/widget/widget.js", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                pytest.fail(f"haproxy exited with {proc.returncode}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None) -> int:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_citizens_reach_the_chat_and_the_widget(proxy):
    body = b'{"sender": "proxy-1", "message": "hej"}'
    assert request(f"{proxy}/webhooks/rest/webhook", "POST", body, {"Content-Type": "application/json"}) == 200
    assert request(f"{proxy}/widget/widget.js") == 200
    assert request(f"{proxy}/socket.io/?EIO=4&transport=polling") == 200
    # "Fik du svar?" reaches the widget server, which refuses what is no answer.
    assert request(f"{proxy}/widget/feedback", "POST", b'{"topic": 1}', {"Content-Type": "application/json"}) == 400
    # The cancel page (issue 27) and its post, which refuses a form without its CSRF token.
    assert request(f"{proxy}/aflys") == 200
    assert request(f"{proxy}/aflys", "POST", b"reference=CB-2026-000001&digits=1234") == 403


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/conversations/proxy-1/tracker"),
        ("POST", "/conversations/proxy-1/messages"),
        ("PUT", "/conversations/proxy-1/tracker/events"),
        ("POST", "/model/parse"),
        ("PUT", "/model"),
        ("DELETE", "/model"),
        ("POST", "/model/train?callback_url=http://127.0.0.1:1/"),
        ("GET", "/status"),
        ("GET", "/domain"),
        ("GET", "/version"),
        ("GET", "/"),
        ("POST", "/webhook"),  # the action server's path
        ("GET", "/actions"),
        ("GET", "/login"),  # the staff console's
        ("GET", "/opringninger"),
        ("GET", "/webhooks/rest/webhook"),
        ("GET", "/widget/"),
        ("POST", "/widget/widget.js"),
    ],
)
def test_nothing_else_is_public(proxy, stack, method, path):
    # Even with the real API token: the proxy never forwards these.
    separator = "&" if "?" in path else "?"
    assert (
        request(f"{proxy}{path}{separator}token={stack.api_token}", method, b"{}" if method != "GET" else None) == 404
    )


@pytest.mark.parametrize(
    "path",
    [
        "/widget/../conversations/proxy-1/tracker",
        "/socket.io/../conversations/proxy-1/tracker",
        "/webhooks/rest/webhook/../../../conversations/proxy-1/tracker",
        "/widget/%2e%2e/status",
        "/widget%2f..%2fstatus",
        "//conversations/proxy-1/tracker",
        "/webhooks/rest//webhook",
    ],
)
def test_path_tricks_are_refused(proxy, path):
    assert request(f"{proxy}{path}") in (400, 404)
