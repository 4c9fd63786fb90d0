"""Probes: the running stack attacked from outside, as a stranger on the
network or a malicious web page would (only 127.0.0.1). Each probe is one
test, so a regression fails CI and the count is the probe suite's size."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import run_async
from tests.support.senders import sender_id

EVIL = "https://evil.example"


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def chat(stack, payload: dict, content_type: str = "application/json"):
    return call(
        f"{stack.url}/webhooks/rest/webhook", "POST", json.dumps(payload).encode(), {"Content-Type": content_type}
    )


# -- the Rasa HTTP API needs the token ------------------------------------------

API_PROBES = [
    ("GET", "/conversations/{sender}/tracker", None),
    ("POST", "/conversations/{sender}/tracker/events", b'[{"event": "slot", "name": "topic", "value": "pas"}]'),
    ("PUT", "/conversations/{sender}/tracker/events", b"[]"),
    ("POST", "/conversations/{sender}/messages", b'{"text": "010203-1234", "sender": "user"}'),
    ("POST", "/conversations/{sender}/trigger_intent", b'{"name": "pas"}'),
    ("POST", "/conversations/{sender}/execute", b'{"name": "action_book_callback"}'),
    ("POST", "/conversations/{sender}/predict", None),
    ("GET", "/conversations/{sender}/story", None),
    ("POST", "/model/parse", b'{"text": "mit cpr er 010203-1234"}'),
    ("PUT", "/model", b'{"model_file": "/tmp/x.tar.gz"}'),
    ("DELETE", "/model", None),
    ("POST", "/model/train?callback_url=http://127.0.0.1:9/", b"{}"),
    ("POST", "/model/test/intents", b"{}"),
    ("GET", "/status", None),
    ("GET", "/domain", None),
]


@pytest.fixture(scope="module")
def victim(stack):
    """A conversation with a name and phone number in it."""
    sender = sender_id("victim", 8)
    stack.send(sender, "/callback_request")
    stack.send(sender, "Karen Hansen")
    return sender


@pytest.mark.parametrize("method,path,body", API_PROBES, ids=[f"{m} {p}" for m, p, _ in API_PROBES])
@pytest.mark.parametrize("token", ["", "wrong"], ids=["no token", "wrong token"])
def test_api_refuses_without_the_token(stack, victim, method, path, body, token):
    url = f"{stack.url}{path.format(sender=victim)}"
    if token:
        url += ("&" if "?" in url else "?") + f"token={token}"
    status, _, answer = call(url, method, body, {"Content-Type": "application/json"})
    assert status == 401, (status, answer[:200])
    assert b"Karen" not in answer and b"010203" not in answer


def test_api_works_with_the_token(stack, victim):
    status, tracker = stack.api(f"/conversations/{victim}/tracker")
    assert status == 200 and tracker["sender_id"] == victim


def test_the_token_file_is_private(stack):
    path = stack.var / "api-token"
    assert path.is_file() and path.stat().st_mode & 0o077 == 0


def _listening(port: int) -> set[str]:
    """The local addresses a TCP port listens on, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.parametrize("which", ["rasa_port", "action_port", "console_port", "site_port"])
def test_servers_listen_on_loopback_only(stack, which):
    addresses = _listening(getattr(stack, which))
    # 0100007F is 127.0.0.1; anything else (00000000 = every interface) is exposed.
    assert addresses == {"0100007F"}, addresses


# -- the action server --------------------------------------------------------


def _forged_booking(sender: str) -> bytes:
    slots = {
        "cb_name": "[CPR-nummer fjernet]",
        "cb_phone": "112",
        "cb_slot": "2020-01-01T00:00:00+00:00",
        "cb_topic_ok": True,
        "kommune": "nyborg",
        "topic": "pas",
    }
    tracker = {
        "sender_id": sender,
        "slots": slots,
        "latest_message": {"text": "x", "intent": {}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    }
    return json.dumps(
        {
            "next_action": "action_book_callback",
            "sender_id": sender,
            "tracker": tracker,
            "domain": {},
            "version": "3.6.21",
        }
    ).encode()


@pytest.mark.parametrize("token", ["", "wrong"], ids=["no token", "wrong token"])
def test_action_server_refuses_strangers(stack, token):
    url = f"http://127.0.0.1:{stack.action_port}/webhook" + (f"?token={token}" if token else "")
    status, _, answer = call(url, "POST", _forged_booking("forger"), {"Content-Type": "application/json"})
    assert status == 403 and b"booked" not in answer


def test_action_server_lists_no_actions_to_strangers(stack):
    assert call(f"http://127.0.0.1:{stack.action_port}/actions")[0] == 403


def test_forged_booking_with_the_token_is_checked_again(stack):
    token = stack.env["KOMMUNEBOT_ACTION_TOKEN"]
    url = f"http://127.0.0.1:{stack.action_port}/webhook?token={token}"
    status, _, answer = call(url, "POST", _forged_booking("forger-2"), {"Content-Type": "application/json"})
    assert status == 200
    texts = " ".join(r.get("text") or "" for r in json.loads(answer)["responses"])
    assert "bookingnummer" not in texts and "navn" in texts


def test_action_server_errors_never_echo_the_conversation(stack):
    token = stack.env["KOMMUNEBOT_ACTION_TOKEN"]
    url = f"http://127.0.0.1:{stack.action_port}/webhook?token={token}"
    body = json.dumps({"next_action": "action_answer_errand", "tracker": {"secret": "Karen 010203-1234"}}).encode()
    status, _, answer = call(url, "POST", body, {"Content-Type": "application/json"})
    assert status >= 400 and b"Karen" not in answer and b"010203" not in answer


# -- the public REST channel --------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_webhook_takes_json_only(stack, content_type):
    # A web page can send these without a CORS preflight.
    status, _, _ = chat(stack, {"sender": "csrf", "message": "hej"}, content_type)
    assert status == 415


def test_webhook_refuses_large_bodies(stack):
    # The server refuses from the Content-Length alone and closes the
    # connection, so a client still writing the 2 MB body can get a broken
    # pipe before it reads the 413 (it did once in CI). Only the headers are
    # sent: a server that waited for the body instead would time out here.
    url = urllib.parse.urlsplit(f"{stack.url}/webhooks/rest/webhook")
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest("POST", url.path)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(2_000_000))
        connection.endheaders()
        assert connection.getresponse().status == 413
    finally:
        connection.close()


def test_webhook_refuses_broken_json_in_danish(stack):
    status, _, answer = call(
        f"{stack.url}/webhooks/rest/webhook", "POST", b"{not json", {"Content-Type": "application/json"}
    )
    assert status == 400 and "Beskeden kunne ikke læses" in json.loads(answer)["text"]


def test_cors_preflight_from_a_foreign_page_is_not_allowed(stack):
    status, headers, _ = call(
        f"{stack.url}/webhooks/rest/webhook", "OPTIONS", None, {"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    )
    allowed = {k.lower(): v for k, v in headers.items()}.get("access-control-allow-origin")
    assert allowed not in (EVIL, "*")


def test_a_burst_from_one_conversation_gets_429_in_danish(stack):
    sender = sender_id("burst", 8)
    results = [chat(stack, {"sender": sender, "message": "hej"}) for _ in range(30)]
    statuses = [status for status, _, _ in results]
    assert statuses.count(429) >= 15 and statuses[0] == 200
    refused = next(r for r in results if r[0] == 429)
    text = json.loads(refused[2])[0]["text"]
    assert "prøv" in text.lower() and "igen" in text
    assert {k.lower(): v for k, v in refused[1].items()}.get("retry-after")


def test_a_forged_forwarded_for_does_not_reset_the_limit(stack):
    sender = sender_id("spoof", 8)
    statuses = []
    for i in range(20):
        body = json.dumps({"sender": sender, "message": "hej"}).encode()
        headers = {"Content-Type": "application/json", "X-Forwarded-For": f"10.0.0.{i}"}
        statuses.append(call(f"{stack.url}/webhooks/rest/webhook", "POST", body, headers)[0])
    assert 429 in statuses


# -- socket.io ----------------------------------------------------------------


def _socket_pair(stack, steal: bool):
    import socketio

    async def run():
        victim, thief = socketio.AsyncClient(), socketio.AsyncClient()
        heard: dict[str, list] = {"victim": [], "thief": []}
        confirmed: dict[str, list] = {"victim": [], "thief": []}
        for name, client in (("victim", victim), ("thief", thief)):
            client.on("bot_uttered", lambda data, n=name: heard[n].append(data))
            client.on("session_confirm", lambda sid, n=name: confirmed[n].append(sid))
        await victim.connect(stack.url, socketio_path="/socket.io", transports=["websocket"])
        await victim.emit("session_request", {"session_id": None})
        for _ in range(50):
            if confirmed["victim"]:
                break
            await asyncio.sleep(0.1)
        victim_id = confirmed["victim"][0]
        await thief.connect(stack.url, socketio_path="/socket.io", transports=["websocket"])
        # Rasa's own channel would let the thief join the victim's room.
        stolen = victim_id.split(".")[0] if steal else victim_id.split(".")[0] + ".forged"
        await thief.emit("session_request", {"session_id": stolen})
        await asyncio.sleep(0.5)
        await victim.emit("user_uttered", {"message": "jeg vil gerne ringes op", "session_id": victim_id})
        await thief.emit("user_uttered", {"message": "hej", "session_id": victim_id})
        for _ in range(100):
            if heard["victim"] and heard["thief"]:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        await victim.disconnect()
        await thief.disconnect()
        return victim_id, confirmed, heard

    return run_async(run())


@pytest.mark.parametrize("steal", [True, False], ids=["bare conversation id", "forged signature"])
def test_nobody_overhears_a_socketio_session(stack, steal):
    victim_id, confirmed, heard = _socket_pair(stack, steal)
    assert confirmed["thief"] and confirmed["thief"][0] != victim_id  # the thief got a session of its own
    assert heard["victim"]
    victim_texts = {d.get("text") for d in heard["victim"]}
    assert not victim_texts & {d.get("text") for d in heard["thief"] if d.get("text") != "Hej"}
    # The thief's message went into the thief's own conversation, not the victim's.
    conversation = victim_id.split(".")[0]
    status, tracker = stack.api(f"/conversations/{conversation}/tracker")
    users = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert users == ["jeg vil gerne ringes op"]


def test_socketio_refuses_a_foreign_origin(stack):
    import socketio

    async def run():
        client = socketio.AsyncClient()
        try:
            await client.connect(
                stack.url, socketio_path="/socket.io", headers={"Origin": EVIL}, transports=["websocket"]
            )
        except socketio.exceptions.ConnectionError:
            return False
        await client.disconnect()
        return True

    assert run_async(run()) is False


def test_socketio_session_ids_are_unguessable(stack):
    import socketio

    async def ask(requested: str) -> list[str]:
        client = socketio.AsyncClient(reconnection=False)
        got = []
        client.on("session_confirm", lambda sid, got=got: got.append(sid))
        await client.connect(stack.url, socketio_path="/socket.io", transports=["websocket"])
        try:
            await client.emit("session_request", {"session_id": requested})
        except Exception:
            pass  # the server may already have cut the socket
        for _ in range(50):
            if got:
                break
            await asyncio.sleep(0.1)
        await client.disconnect()
        return got

    async def run():
        # Under the frame limit: a made-up id gets a new one the server issues.
        ids = [sid for _ in range(3) for sid in await ask("x" * 8000)]
        # Over it (KOMMUNEBOT_MAX_BODY_BYTES): the frame is refused unread.
        return ids, await ask("x" * 20000)

    ids, oversized = run_async(run())
    assert len(set(ids)) == 3 and all(len(i) < 80 and "x" * 20 not in i for i in ids)
    assert oversized == []


# -- one client, both transports ----------------------------------------------

# A loopback address of its own (Linux routes all of 127/8 to lo), so the
# server sees a client other than the rest of the suite's 127.0.0.1.
OTHER_CLIENT = "127.0.0.2"


async def _open_socket(url: str, transport: str, http_session=None):
    """A socket.io client with a confirmed session: the client, its signed
    session id and the queue of the texts it is sent."""
    import socketio

    client = socketio.AsyncClient(reconnection=False, http_session=http_session)
    replies: asyncio.Queue = asyncio.Queue()
    confirmed = asyncio.get_running_loop().create_future()
    client.on("bot_uttered", lambda data: replies.put_nowait(data.get("text") or ""))
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    await client.connect(url, socketio_path="/socket.io", transports=[transport])
    await client.emit("session_request", {})
    return client, await asyncio.wait_for(confirmed, 20), replies


def test_a_conversation_has_one_limit_over_socketio_and_rest(stack):
    from bot.settings import Settings

    limit, seconds = Settings.load(stack.env).rate_sender
    over_socket = limit // 2 + 1

    async def run():
        started = time.monotonic()
        client, session_id, replies = await _open_socket(stack.url, "websocket")
        # Empty messages: refused by the guard after the limiter counted them,
        # so all of them fit in one window without a Rasa turn each.
        for _ in range(over_socket):
            await client.emit("user_uttered", {"message": ""})
            assert "tom" in await asyncio.wait_for(replies.get(), 20)
        # The widget's REST fallback: the signed session id as the sender.
        payload = {"sender": session_id, "message": ""}
        statuses = [(await asyncio.to_thread(chat, stack, payload))[0] for _ in range(limit - over_socket + 2)]
        await client.emit("user_uttered", {"message": "hej"})
        last = await asyncio.wait_for(replies.get(), 20)
        await client.disconnect()
        return statuses, last, time.monotonic() - started

    statuses, last, took = run_async(run())
    assert took < seconds, f"the probe took {took:.1f} s, longer than the {seconds} s window it tests"
    assert statuses == [200] * (limit - over_socket) + [429] * 2
    assert "mange beskeder" in last


def _client_of_user_messages(stack, conversation: str) -> set[str]:
    status, tracker = stack.api(f"/conversations/{conversation}/tracker")
    assert status == 200
    return {(e.get("metadata") or {}).get("client") for e in tracker["events"] if e["event"] == "user"}


def test_a_client_is_one_address_over_socketio_and_rest(stack):
    """The pseudonym in each message is keyed on the address the limiter
    counts: one client is one address on every transport, and another
    address is another client (engine.io's Sanic driver reports every
    socket.io client as 127.0.0.1, which made them all one)."""
    import aiohttp

    async def run():
        conversations = {}
        connector = aiohttp.TCPConnector(local_addr=(OTHER_CLIENT, 0))
        async with aiohttp.ClientSession(connector=connector) as http:
            sender = sender_id("address", 8)
            async with http.post(f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": "hej"}) as r:
                assert r.status == 200
            conversations["rest"] = sender
            for transport in ("websocket", "polling"):
                client, session_id, replies = await _open_socket(stack.url, transport, http)
                await client.emit("user_uttered", {"message": "hej"})
                await asyncio.wait_for(replies.get(), 30)
                await client.disconnect()
                conversations[transport] = session_id.split(".")[0]
        return conversations

    conversations = run_async(run())
    clients = {name: _client_of_user_messages(stack, c) for name, c in conversations.items()}
    assert clients["rest"] == clients["websocket"] == clients["polling"] and len(clients["rest"]) == 1
    assert None not in clients["rest"]
    here = sender_id("address", 8)
    stack.send(here, "hej")
    assert _client_of_user_messages(stack, here).isdisjoint(clients["rest"])


# -- the staff console, unauthenticated ---------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/opringninger",
        "/opringninger/CB-2026-000001",
        "/opringninger/eksport.csv",
        "/overblik",
        "/indbakke",
        "/brugere",
    ],
)
def test_console_pages_need_a_login(stack, path):
    req = urllib.request.Request(f"{stack.console_url}{path}")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        status = opener.open(req, timeout=10).status
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status in (303, 302, 401, 403)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
