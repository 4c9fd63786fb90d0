"""One guarded turn for both chat channels: the real REST and socket.io
channels of one process, driven through their own handlers with only the
network faked, share one rate limiter, so a client's limits per address and
per conversation hold once whatever transport each message takes."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sanic.compat import Header

from bot import settings
from bot.knowledge.build import build_database
from bot.privacy.channel_guard import BAD_SENDER
from glue.guard import build_limits
from glue.lock_store import LockStoreUnavailable
from glue.rest_channel import KommuneRestInput
from glue.socketio_channel import KommuneSocketIOInput
from glue.turn import TurnOutput, build_turn, request_address
from tests.conftest import run_async

CLIENT = "203.0.113.7"
OTHER_CLIENT = "198.51.100.9"
PROXY = "10.0.0.2"


@pytest.fixture(scope="module")
def knowledge_db(tmp_path_factory, knowledge):
    return build_database(knowledge, tmp_path_factory.mktemp("knowledge") / "knowledge.db")


@pytest.fixture
def configure(knowledge_db, tmp_path, monkeypatch):
    """Settings for the channels of this test: one var dir per test, so each
    test's settings are its own and so are the turn and limiter built from
    them (both are cached per settings)."""

    def configure(**env: str):
        monkeypatch.setenv("KOMMUNEBOT_KNOWLEDGE_DB", str(knowledge_db))
        monkeypatch.setenv("KOMMUNEBOT_VAR_DIR", str(tmp_path))
        monkeypatch.setenv("KOMMUNEBOT_API_TOKEN", "test-token")
        for name, value in env.items():
            monkeypatch.setenv(f"KOMMUNEBOT_{name}", value)
        settings.reset()
        return settings.current()

    yield configure
    settings.reset()


def _request(address: str, body: object = None, forwarded: tuple[str, ...] = ()) -> SimpleNamespace:
    """What the channels read of a Sanic request."""
    headers = Header()
    for value in forwarded:
        headers.add("X-Forwarded-For", value)
    return SimpleNamespace(content_type="application/json", json=body, ip=address, headers=headers)


class Process:
    """Both channels as Rasa builds them in one server process, with a fake
    Rasa that answers every message it is given and a fake socket.io network."""

    def __init__(self) -> None:
        self.reached_rasa: list[str] = []
        self.emitted: list[tuple[str, object, str]] = []
        self.rest = KommuneRestInput()
        webhook = next(r for r in self.rest.blueprint(self._rasa)._future_routes if r.uri == "/webhook")
        self._post = webhook.handler
        self.socketio = KommuneSocketIOInput()
        self.socketio.blueprint(self._rasa)
        sio = self.socketio.sio
        self._on = sio.handlers["/"]

        async def emit(event, data=None, room=None, **_):
            self.emitted.append((event, data, room))

        sio.emit = emit
        sio.enter_room = sio.leave_room = lambda *args, **kwargs: None
        self._sockets = 0

    async def _rasa(self, message) -> None:
        self.reached_rasa.append(message.sender_id)
        await message.output_channel.send_text_message(message.sender_id, "svar")

    def post(self, sender: str, address: str, message: str = "hej", forwarded: tuple[str, ...] = ()):
        request = _request(address, {"sender": sender, "message": message}, forwarded)
        return run_async(self._post(request))

    def open_socket(self, address: str, forwarded: str = "") -> tuple[str, str]:
        """A socket.io connection from ``address``: its socket id and the
        signed session id the server issued it."""
        self._sockets += 1
        sid = f"socket-{self._sockets}"
        # engine.io's Sanic driver always says 127.0.0.1 here: not the client.
        environ = {"REMOTE_ADDR": "127.0.0.1", "sanic.request": _request(address, forwarded=(forwarded,))}
        assert run_async(self._on["connect"](sid, environ)) is True
        run_async(self._on["session_request"](sid, {}))
        event, session_id, room = self.emitted[-1]
        assert event == "session_confirm" and room == sid
        return sid, session_id

    def say_over_socket(self, sid: str, message: str = "hej") -> list[str]:
        before = len(self.emitted)
        run_async(self._on["user_uttered"](sid, {"message": message}))
        return [data["text"] for _, data, _ in self.emitted[before:]]


def _passed(process: Process, transport: str, send) -> bool:
    """Whether one message got through to Rasa."""
    before = len(process.reached_rasa)
    send(transport)
    return len(process.reached_rasa) > before


def test_both_channels_take_the_one_turn_and_limiter_of_the_process(configure):
    config = configure()
    process = Process()
    assert process.rest.turn is process.socketio.turn is build_turn(config)
    assert process.rest.turn.limits is build_limits(config)


# Which transport each message takes: one alone, one after the other, in turns.
ROUTES = ["r" * 8, "s" * 8, "rrrsssss", "sssssrrr", "rsrsrsrs"]


# The tight window; the other one is out of reach.
TIGHT, LOOSE = "5/60", "100/60"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("limit", ["address", "conversation"])
def test_a_client_is_limited_once_whatever_the_transport(configure, limit, route):
    by_address = limit == "address"
    configure(RATE_ADDRESS=TIGHT if by_address else LOOSE, RATE_SENDER=LOOSE if by_address else TIGHT)
    process = Process()
    sid, session_id = process.open_socket(CLIENT)
    # Per address: REST in a conversation of its own from the socket's
    # address. Per conversation: the widget's REST fallback, the socket's
    # signed session id, from another address (a phone moving from Wi-Fi to
    # mobile data).
    sender, address = ("rest-conversation", CLIENT) if by_address else (session_id, OTHER_CLIENT)

    def send(transport):
        return process.post(sender, address) if transport == "r" else process.say_over_socket(sid)

    assert [_passed(process, t, send) for t in route] == [True] * 5 + [False] * 3
    # The window is that client's: another one is not held up by it.
    assert process.post("another-conversation", OTHER_CLIENT).status == 200


def test_refusals_count_and_are_worded_alike_on_both_transports(configure):
    configure(RATE_ADDRESS="2/60", RATE_SENDER="100/60")
    process = Process()
    sid, _ = process.open_socket(CLIENT)
    # An empty message is refused by the guard, after the limiter counted it.
    empty = process.say_over_socket(sid, "   ")
    assert empty and "tom" in empty[0]
    assert process.post("rest-conversation", CLIENT).status == 200
    refused = process.post("rest-conversation", CLIENT)
    # Retry-After is the conversation window's length, whichever limit refused.
    assert refused.status == 429 and refused.headers["Retry-After"] == "60"
    text = json.loads(refused.body)[0]["text"]
    assert "mange beskeder" in text
    assert process.say_over_socket(sid) == [text]


def test_behind_a_trusted_proxy_both_transports_read_the_same_forwarded_client(configure):
    configure(RATE_ADDRESS="2/60", RATE_SENDER="100/60", TRUSTED_PROXIES=PROXY)
    process = Process()
    sid, _ = process.open_socket(PROXY, forwarded=f"192.0.2.1, {CLIENT}")
    assert process.post("rest-conversation", PROXY, forwarded=("192.0.2.1", CLIENT)).status == 200
    assert _passed(process, "s", lambda _: process.say_over_socket(sid))
    assert process.post("rest-conversation", PROXY, forwarded=(CLIENT,)).status == 429
    # Another citizen behind the same proxy has a window of their own.
    assert process.post("rest-conversation", PROXY, forwarded=(OTHER_CLIENT,)).status == 200


def test_request_address_reads_every_forwarded_header_from_a_trusted_proxy():
    request = _request(PROXY, forwarded=("192.0.2.1", f"{CLIENT}, {PROXY}"))
    assert request_address(request, (PROXY,)) == CLIENT
    assert request_address(request, ()) == PROXY  # from anyone else the header is the client's say-so


class Output(TurnOutput):
    def __init__(self, replies: list[str]):
        self.replies = replies

    @property
    def replied(self) -> bool:
        return bool(self.replies)

    async def send_text_message(self, recipient_id, text, **kwargs):
        self.replies.append(text)


def _turn(config, text="hej", sender="s1", rasa=None):
    replies: list[str] = []

    async def say(reply: str) -> None:
        replies.append(reply)

    async def silent(message) -> None:
        pass

    end = run_async(
        build_turn(config)(
            text, {}, sender, CLIENT, channel="test", output=Output(replies), say=say, handle=rasa or silent
        )
    )
    return end, replies


def test_every_ending_of_a_turn_is_a_danish_reply_with_its_status(configure):
    config = configure(RATE_SENDER="100/60")
    end, replies = _turn(config, sender="010203-1234")
    assert (end.status, replies) == (400, [BAD_SENDER])

    async def locked(message):
        raise LockStoreUnavailable("lock store redis://x unavailable")

    end, replies = _turn(config, rasa=locked)
    assert (end.status, end.retry_after) == (503, "60") and "utilgængelig" in replies[0]

    async def broken(message):
        raise RuntimeError("boom")

    end, replies = _turn(config, rasa=broken)
    assert end.status == 200 and len(replies) == 1 and "teknisk fejl" in replies[0]

    async def answers(message):
        await message.output_channel.send_response(message.sender_id, {"text": "svar"})

    assert _turn(config, rasa=answers)[1] == ["svar"]


def test_the_phone_question_lets_the_next_message_keep_its_number(configure):
    config = configure(RATE_SENDER="100/60")
    seen: list[str] = []

    async def asks_phone(message):
        seen.append(message.text)
        reply = {"text": "Hvilket nummer?", "kommunebot": {"expects": "phone"}} if len(seen) == 1 else {"text": "Tak"}
        await message.output_channel.send_response(message.sender_id, reply)

    _turn(config, "ring mig op", sender="caller", rasa=asks_phone)
    _turn(config, "20 30 40 50", sender="caller", rasa=asks_phone)
    _turn(config, "20 30 40 50", sender="caller", rasa=asks_phone)
    assert seen[1] == "20 30 40 50" and "20 30 40 50" not in seen[2]


class BookingProcess(Process):
    """A fake Rasa that books: the reply with the action's custom payload, then another without."""

    CUSTOM = {"event": "callback_booked", "reference": "CB-2026-000042", "name": "Karen", "lang": "fr"}

    async def _rasa(self, message) -> None:
        self.reached_rasa.append(message.sender_id)
        out = message.output_channel
        await out.send_response(
            message.sender_id, {"text": "Tak.\n\nDit bookingnummer er CB-2026-000042.", "custom": dict(self.CUSTOM)}
        )
        await out.send_response(message.sender_id, {"text": "Skriv aflys CB-2026-000042 for at aflyse."})


def test_a_booking_mark_travels_with_its_reply_on_both_transports(configure):
    """The widget shows its booking card from this mark alone (issue 27):
    REST puts it on every part of the reply, socket.io sends it as its own
    event after them; keys or values a client may not see are dropped."""
    configure()
    process = BookingProcess()
    mark = {"event": "callback_booked", "reference": "CB-2026-000042"}
    replies = json.loads(process.post("booker", CLIENT, "12:00").body)
    assert [r.get("custom") for r in replies] == [mark, mark, None]

    sid, _ = process.open_socket(OTHER_CLIENT)
    before = len(process.emitted)
    run_async(process._on["user_uttered"](sid, {"message": "12:00"}))
    events = [(event, data) for event, data, _ in process.emitted[before:]]
    assert [event for event, _ in events] == ["bot_uttered", "bot_uttered", "kommunebot_mark", "bot_uttered"]
    # rasa-webchat draws a bot_uttered with any other key as "undefined".
    assert events[2][1] == mark and all(set(data) == {"text"} for event, data in events if event == "bot_uttered")


def test_a_reply_without_a_custom_payload_has_no_mark(configure):
    configure()
    process = Process()
    replies = json.loads(process.post("plain", CLIENT).body)
    assert replies and all("custom" not in r for r in replies)
    sid, _ = process.open_socket(CLIENT)
    before = len(process.emitted)
    run_async(process._on["user_uttered"](sid, {"message": "hej"}))
    assert [event for event, _, _ in process.emitted[before:]] == ["bot_uttered"]
