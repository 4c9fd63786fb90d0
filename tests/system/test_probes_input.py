"""Probes on what a message may cost: a stranger's input over each of the
three transports (REST, socket.io long-polling, socket.io WebSocket) must
neither stall other citizens' turns nor be answered as if it were text.
Each probe is one test, as in test_probes.py."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from tests.conftest import run_async
from tests.support.senders import sender_id

# What the issue asks of a plain turn while the attack runs: measured before
# this guard, another citizen's turn waited 6.0 s behind 64,000 accents.
PLAIN_TURN_BUDGET = 0.5
# How long the attacker keeps sending while plain turns are timed.
ATTACK_SECONDS = 4.0
PLAIN_TURN_PAUSE = 0.6

# One letter with stacked accents of two combining classes (acute above,
# dot below): NFKC sorts each run of combining marks into canonical order,
# which is quadratic in the run's length when the classes alternate.
MARKS = "\u0301\u0323"
ACCEPTED_MARKS = "a" + MARKS * 1_999  # within the raw bound: cut to the stream-safe run, answered
REFUSED_MARKS = "a" + MARKS * 3_500  # over the raw bound, under the body limit: refused unread
OVERSIZED = "a" + MARKS * 250_000  # a 1 MB frame: cut off by the transport

TOO_LONG = "Din besked er for lang"
NOT_TEXT = "Beskeden kunne ikke læses"
TRANSPORTS = ["rest", "polling", "websocket"]


class _BrowserJson:
    """JSON as a browser's socket.io client writes it: UTF-8, not \\u-escaped
    (python-socketio escapes, which would make every accent six bytes)."""

    @staticmethod
    def dumps(*args, **kwargs):
        return json.dumps(*args, ensure_ascii=False, **kwargs)

    loads = staticmethod(json.loads)


class Socket:
    """A socket.io conversation over one transport, from an allowed page."""

    def __init__(self, stack, transport: str):
        self.stack, self.transport = stack, transport

    async def __aenter__(self):
        import socketio

        self.client = socketio.AsyncClient(reconnection=False, json=_BrowserJson)
        self.replies: asyncio.Queue = asyncio.Queue()
        confirmed = asyncio.get_running_loop().create_future()
        self.client.on("bot_uttered", lambda data: self.replies.put_nowait(data))
        self.client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
        await self.client.connect(
            self.stack.url,
            headers={"Origin": self.stack.site_url},
            transports=[self.transport],
            socketio_path="/socket.io",
        )
        await self.client.emit("session_request", {})
        await asyncio.wait_for(confirmed, 20)
        return self

    async def emit(self, body: object) -> None:
        await self.client.emit("user_uttered", body)

    async def say(self, message: object, metadata: object = None, timeout: float = 30) -> str:
        await self.emit({"message": message, "metadata": {"kommune": "nyborg"} if metadata is None else metadata})
        reply = await asyncio.wait_for(self.replies.get(), timeout)
        return reply.get("text") or ""

    async def __aexit__(self, *exc):
        try:
            await self.client.disconnect()
        except Exception:
            pass


async def _rest(session: aiohttp.ClientSession, stack, body: object, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    async with session.post(
        f"{stack.url}/webhooks/rest/webhook", data=data, headers={"Content-Type": "application/json"}
    ) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text


def _text(answer: object) -> str:
    return " ".join(m.get("text") or "" for m in answer) if isinstance(answer, list) else str(answer)


async def _attack(stack, transport: str, stop: asyncio.Event) -> list[str]:
    """Send the pathological messages over one transport until told to stop;
    returns what came back for the middle one (refused unread)."""
    answers = []
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            if transport == "rest":
                sender = sender_id("attack", 8)
                for message in (ACCEPTED_MARKS, REFUSED_MARKS):
                    status, answer = await _rest(session, stack, {"sender": sender, "message": message})
                    if message is REFUSED_MARKS:
                        answers.append(_text(answer))
                status, _ = await _rest(session, stack, {"sender": sender, "message": OVERSIZED})
                assert status == 413
                continue
            async with Socket(stack, transport) as socket:
                await socket.say(ACCEPTED_MARKS)
                answers.append(await socket.say(REFUSED_MARKS))
            try:
                async with Socket(stack, transport) as socket:
                    await socket.emit({"message": OVERSIZED})
                    # The transport drops the socket: nothing is answered.
                    with pytest.raises(asyncio.TimeoutError):
                        await asyncio.wait_for(socket.replies.get(), 2)
            except (ConnectionError, OSError):
                pass
            except Exception as exc:  # the client may notice the cut first
                if "socketio" not in type(exc).__module__:
                    raise
    return answers


async def _plain_turns(stack, stop: asyncio.Event) -> list[float]:
    """A citizen's ordinary turns, timed, while the attack runs."""
    took = []
    sender = sender_id("citizen", 8)
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        while time.monotonic() - started < ATTACK_SECONDS:
            begun = time.monotonic()
            status, answer = await _rest(
                session, stack, {"sender": sender, "message": "hvornår bliver skraldet hentet", "metadata": {}}
            )
            took.append(time.monotonic() - begun)
            assert status == 200 and _text(answer), answer
            # Under the per-conversation limit (10 in 10 s).
            await asyncio.sleep(PLAIN_TURN_PAUSE)
        stop.set()
    return took


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_one_message_cannot_stall_the_others(stack, transport):
    async def scenario():
        # A warm turn first, so the first timed turn is not the model's first.
        async with aiohttp.ClientSession() as session:
            await _rest(session, stack, {"sender": "warm-up", "message": "hej"})
        stop = asyncio.Event()
        attack = asyncio.ensure_future(_attack(stack, transport, stop))
        await asyncio.sleep(0.3)
        took = await _plain_turns(stack, stop)
        return await attack, took

    answers, took = run_async(scenario())
    print(f"\n{transport}: {len(took)} plain turns during the attack, slowest {max(took) * 1000:.0f} ms")
    assert answers, "the attack ran"
    # Refused before any normalisation, with the same Danish text on every transport.
    assert all(TOO_LONG in answer for answer in answers), answers
    assert max(took) < PLAIN_TURN_BUDGET, [round(t, 3) for t in took]


MALFORMED = {
    "an object": {"text": "hvordan fornyer jeg mit pas"},
    "a list": ["pas"],
    "a number": 1234,
    "null": None,
    "true": True,
}


@pytest.mark.parametrize("message", list(MALFORMED.values()), ids=list(MALFORMED))
def test_rest_message_that_is_not_text_gets_a_danish_400(stack, message):
    sender = sender_id("malformed", 8)
    status, answer = stack.send(sender, message, {"kommune": "nyborg"})
    assert status == 400, answer
    assert NOT_TEXT in _text(answer) and "message" not in _text(answer)
    # Nothing reached Rasa: the conversation does not exist.
    _, tracker = stack.api(f"/conversations/{sender}/tracker")
    assert not [e for e in tracker.get("events") or [] if e.get("event") == "user"]


@pytest.mark.parametrize("metadata", ["nyborg", ["kommune", "nyborg"], 5], ids=["a string", "a list", "a number"])
def test_rest_metadata_that_is_not_an_object_gets_a_danish_400(stack, metadata):
    status, answer = stack.send(sender_id("malformed", 8), "hvordan fornyer jeg mit pas", metadata)
    assert status == 400 and NOT_TEXT in _text(answer), answer


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_socketio_message_that_is_not_text_gets_danish(stack, transport):
    async def scenario():
        async with Socket(stack, transport) as socket:
            replies = [await socket.say(message) for message in MALFORMED.values()]
            replies.append(await socket.say("pas", metadata=["kommune"]))
            await socket.emit("just a string, not an object")
            replies.append((await asyncio.wait_for(socket.replies.get(), 30)).get("text"))
            # The socket still works for a real question afterwards.
            replies.append(await socket.say("hvordan fornyer jeg mit pas"))
            return replies

    replies = run_async(scenario())
    assert all(NOT_TEXT in reply for reply in replies[:-1]), replies
    assert NOT_TEXT not in replies[-1] and replies[-1]
