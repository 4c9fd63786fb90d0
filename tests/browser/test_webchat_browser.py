"""rasa-webchat, the open-source chat client from npm, in real headless
Chromium against the running assistant, with its bundle served by our own
server (no CDN): a Danish question gets the assistant's answer

- over socket.io long-polling alone (the WebSocket upgrade is refused, as
  by a proxy that blocks WebSockets: rasa-webchat has no transports
  option) and after the upgrade to WebSocket (rasa-webchat's default);
- on the Rasa server directly (our /webchat demo page) and through HAProxy
  with deploy/haproxy.cfg (a municipality's own page with the documented
  init call, everything loaded through the proxy).

Before the CORS fix in glue/socketio_channel.py every polling response
carried Access-Control-Allow-Origin twice, Chromium refused it, and
rasa-webchat never connected (its launcher stays hidden until it does).
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

import pytest

from tests.process.test_proxy import proxy  # noqa: F401  (the HAProxy fixture)

QUESTION = "hvordan fornyer jeg mit pas"
SOCKET_IO = re.compile(r"/socket\.io/")


@pytest.fixture
def context(chromium):
    # The municipality's page in the HAProxy tests is handed to Chromium by
    # the test (route.fulfill), so Chromium counts it as a public page and,
    # without this permission, refuses its requests to the proxy on the
    # loopback address (Local Network Access). In a real deployment page and
    # proxy are both public; nothing here concerns CORS.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="da-DK", permissions=["local-network-access"]
    )
    yield context
    context.close()


class Traffic:
    """What the page sent and received on /socket.io, per transport."""

    def __init__(self, page):
        self.polls: list[tuple[str, str, str]] = []  # method, url, body sent
        self.sent: list[str] = []  # WebSocket frames
        self.received: list[str] = []
        self.sockets: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.foreign: list[str] = []  # requests that leave this machine (a CDN, Google Fonts ...)
        page.on("request", self._request)
        page.on("websocket", self._websocket)
        page.on("console", lambda msg: self.console.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("response", self._response)

    def _response(self, response) -> None:
        if response.status >= 400:
            self.console.append(f"{response.status} {response.url}")

    def _request(self, request) -> None:
        if urlsplit(request.url).hostname not in ("127.0.0.1", "localhost"):
            self.foreign.append(request.url)
        if SOCKET_IO.search(request.url) and "transport=polling" in request.url:
            self.polls.append((request.method, request.url, request.post_data or ""))

    def _websocket(self, ws) -> None:
        if not SOCKET_IO.search(ws.url):
            return
        self.sockets.append(ws.url)
        ws.on("framesent", lambda payload: self.sent.append(str(payload)))
        ws.on("framereceived", lambda payload: self.received.append(str(payload)))

    def posted(self, text: str) -> bool:
        return any(method == "POST" and "user_uttered" in body and text in body for method, _, body in self.polls)

    def upgraded(self) -> bool:
        # engine.io's UPGRADE packet: from now on everything goes over the WebSocket.
        return "5" in self.sent


def refuse_websockets(page) -> list[str]:
    """Every WebSocket to /socket.io is closed before it reaches the server,
    so engine.io's upgrade probe fails and the client stays on polling."""
    tried: list[str] = []

    def refuse(ws) -> None:
        tried.append(ws.url)
        ws.close()

    page.route_web_socket(SOCKET_IO, refuse)
    return tried


def open_chat(page, traffic: Traffic) -> None:
    # rasa-webchat shows its launcher only once the socket is connected.
    try:
        page.wait_for_selector(".rw-launcher", state="visible", timeout=30000)
    except Exception:
        pytest.fail(f"rasa-webchat did not connect: console {traffic.console}, polls {traffic.polls[:6]}")
    page.locator(".rw-launcher").click()
    page.wait_for_selector(".rw-new-message", timeout=10000)
    # The hidden init payload ("hej") is answered with a greeting.
    page.wait_for_selector(".rw-response", timeout=60000)


def ask(page, text: str) -> str:
    before = page.locator(".rw-response").count()
    page.locator(".rw-new-message").fill(text)
    page.locator(".rw-new-message").press("Enter")
    page.wait_for_function("([n]) => document.querySelectorAll('.rw-response').length > n", arg=[before], timeout=60000)
    # rasa-webchat shows a turn's messages one by one; wait until none is added.
    count, deadline = -1, time.monotonic() + 20
    while time.monotonic() < deadline and page.locator(".rw-response").count() != count:
        count = page.locator(".rw-response").count()
        page.wait_for_timeout(3500)
    return "\n".join(page.locator(".rw-response").all_inner_texts()[before:])


def assert_pas_answer(answer: str) -> None:
    assert "pas" in answer.lower(), answer
    # Not the guard's "no reply" or refusal texts: the assistant itself answered.
    assert "Kontakt venligst kommunen" not in answer and "prøv igen" not in answer.lower(), answer


def session(page) -> str:
    return json.loads(page.evaluate("localStorage.getItem('chat_session')"))["session_id"]


def municipality_page(context, proxy_url: str, origin: str) -> str:
    """A municipality's own page (at an allowed origin) with rasa-webchat
    embedded as docs/operations.md shows, loaded through HAProxy."""
    html = f"""<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Glostrup Kommune</title></head>
<body><h1>Borgerservice</h1>
<script src="{proxy_url}/widget/rasa-webchat.js"></script>
<script>
  WebChat.default({{
    socketUrl: "{proxy_url}",
    socketPath: "/socket.io/",
    customData: {{ kommune: "glostrup" }},
    initPayload: "hej",
    params: {{ storage: "local" }},
    title: "Glostrup Kommune",
    inputTextFieldHint: "Skriv dit spørgsmål …"
  }}, null);
</script></body></html>"""
    url = f"{origin}/kommunens-egen-side"
    context.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
    return url


def conversation_events(stack, session_id: str) -> list[dict]:
    conversation = session_id.split(".")[0]
    status, tracker = stack.api(f"/conversations/{conversation}/tracker")
    assert status == 200
    return [e for e in tracker["events"] if e.get("event") == "user"]


@pytest.mark.parametrize("via", ["direct", "haproxy"])
def test_webchat_answers_over_long_polling_alone(context, stack, request, via):
    page = context.new_page()
    traffic = Traffic(page)
    tried = refuse_websockets(page)
    if via == "direct":
        page.goto(f"{stack.site_url}/webchat?kommune=glostrup")
    else:
        proxy_url = request.getfixturevalue("proxy")
        page.goto(municipality_page(context, proxy_url, stack.settings.allowed_origins[-1]))
    open_chat(page, traffic)
    answer = ask(page, QUESTION)
    assert_pas_answer(answer)

    assert traffic.posted(QUESTION), traffic.polls  # the question went by polling POST
    assert not traffic.upgraded() and not any("user_uttered" in f for f in traffic.sent)
    assert tried, "the client never tried to upgrade: was WebSocket refused at all?"
    assert traffic.errors == [] and traffic.console == [], traffic.console
    assert traffic.foreign == []

    # The municipality in customData reached the assistant with the message.
    events = conversation_events(stack, session(page))
    assert [e["text"] for e in events][-1] == QUESTION
    assert events[-1]["metadata"].get("kommune") == "glostrup"


@pytest.mark.parametrize("via", ["direct", "haproxy"])
def test_webchat_answers_after_the_upgrade_to_websocket(context, stack, request, via):
    page = context.new_page()
    traffic = Traffic(page)
    if via == "direct":
        page.goto(f"{stack.site_url}/webchat?kommune=glostrup")
    else:
        proxy_url = request.getfixturevalue("proxy")
        page.goto(municipality_page(context, proxy_url, stack.settings.allowed_origins[-1]))
    open_chat(page, traffic)
    deadline = time.monotonic() + 15
    while not traffic.upgraded() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert traffic.upgraded(), (traffic.sockets, traffic.sent)
    assert traffic.polls and traffic.polls[0][0] == "GET"  # it did start with polling

    answer = ask(page, QUESTION)
    assert_pas_answer(answer)
    assert any("user_uttered" in f and QUESTION in f for f in traffic.sent), traffic.sent
    assert any("bot_uttered" in f for f in traffic.received)
    assert not traffic.posted(QUESTION)
    assert traffic.errors == [] and traffic.console == [], traffic.console
    assert traffic.foreign == []


def test_webchat_keeps_the_conversation_over_a_reload(context, stack):
    """rasa-webchat stores the server-issued signed session id and sends it
    in session_request after a reload: the server resumes that conversation
    for the new socket, and the next question lands in the same tracker."""
    page = context.new_page()
    traffic = Traffic(page)
    page.goto(f"{stack.site_url}/webchat")
    open_chat(page, traffic)
    assert_pas_answer(ask(page, QUESTION))
    first = session(page)
    assert re.fullmatch(r"[0-9a-f]{32}\.[\w-]+", first), first

    confirmed: list[str] = []
    page.on("console", lambda msg: confirmed.append(msg.text) if msg.text.startswith("session_confirm:") else None)
    page.reload()
    page.wait_for_selector(".rw-launcher, .rw-conversation-container", timeout=30000)
    deadline = time.monotonic() + 15
    while not confirmed and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert confirmed and confirmed[-1].endswith(f"session_id:{first}"), confirmed
    assert session(page) == first
    if page.locator(".rw-new-message").count() == 0:
        page.locator(".rw-launcher").click()
    ask(page, "hvad koster det")
    texts = [e["text"] for e in conversation_events(stack, first)]
    assert QUESTION in texts and texts[-1] == "hvad koster det", texts
