"""The guarded turn: what a chat message goes through on its way to Rasa,
whichever transport brought it.

The input channels (glue/rest_channel.py, glue/socketio_channel.py) keep
only their transport: reading the HTTP body or the socket.io event, size
caps, CORS and origins, sessions. Each hands the message, its metadata, the
conversation it belongs to and the client address to the process's one
``GuardedTurn`` (``build_turn``), which in this order:

1. counts it against the client address's window and the conversation's
   (the process's one ``ChatLimits``), before anything else, so a refused
   message counts too and one client has one pair of windows whatever the
   transport; over either, the Danish "try again" (HTTP 429);
2. lets the channel guard (bot.privacy.channel_guard) refuse it, in Danish
   and with the HTTP status it names, or redact it; what passes carries the
   client address's pseudonym (``client``), by which bookings are capped;
3. gives it to Rasa; the lock store unreachable means the Danish "the chat
   is down" (HTTP 503), never a raced turn; Rasa failing or timing out is
   logged without the text;
4. remembers when the assistant asked for the phone number, so the guard
   keeps the number in the next message;
5. says the Danish apology when the turn produced no reply at all.

The turn's own replies go out through the channel's ``say``; Rasa's through
the channel's output channel. The ``TurnEnd`` it returns is the HTTP status
(and Retry-After) for a channel that answers with one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic.request import Request

from bot.addresses import client_address
from bot.privacy.cancel_digits import REFERENCE
from bot.settings import Settings
from glue.guard import build_guard, build_limits, client_pseudonym
from glue.lock_store import LockStoreUnavailable

log = logging.getLogger(__name__)

# Retry-After when the lock store is unreachable, as docs/operations.md
# promises. Not measured: a guess that a restarted Redis (systemd, or
# `kommunebot cluster`) is back within a minute.
UNAVAILABLE_RETRY_SECONDS = 60


@dataclass(frozen=True)
class TurnEnd:
    """How a turn ended, for a channel that answers with an HTTP status."""

    status: int = 200
    retry_after: str | None = None


ANSWERED = TurnEnd()


# The socket.io event that carries a reply's mark (below). Not bot_uttered:
# rasa-webchat draws every bot_uttered with keys besides text and buttons as
# the text "undefined", and ignores events it does not know.
MARK_EVENT = "kommunebot_mark"
# What a mark may tell the client, and the values it may take: the reply's
# language (for lang="en" on English replies), what the callback form asks
# for (the input's autocomplete), the errand of an answer (the widget asks
# "Fik du svar?" about it) and the booking events the widget shows a
# card for, with their reference. Anything else an action put in its custom
# payload stays in the tracker.
MARK_VALUES = {
    "lang": re.compile(r"da|en"),
    "expects": re.compile(r"name|tel|digits"),
    "answer": re.compile(r"[a-z0-9_]{1,40}(/[a-z0-9_]{1,60})?"),
    "event": re.compile(r"callback_booked|callback_cancelled"),
    "reference": REFERENCE,
}


def client_mark(custom: object) -> dict[str, str] | None:
    """The part of an action's custom payload a client may see, or None."""
    if not isinstance(custom, dict):
        return None
    mark = {
        key: value
        for key, pattern in MARK_VALUES.items()
        if isinstance(value := custom.get(key), str) and pattern.fullmatch(value)
    }
    return mark or None


class TurnOutput(OutputChannel):
    """An output-channel mixin for both channels, telling the turn after
    Rasa ran whether a reply was the callback form's phone question (marked
    by actions/callback_form.py), so the guard keeps the number in the
    citizen's next message, and whether anything was said at all.

    A reply's custom payload (the actions' ``json_message``) is not sent as
    a message of its own, as Rasa's channels would: its mark (``client_mark``)
    goes with the reply's text, through the channel's ``send_mark``, so a
    client knows a booking from its event and never from matching text."""

    asked_phone = False
    # The reference whose phone digits the reply asked for (to cancel it), if any.
    asked_digits_for: object = None

    @property
    def replied(self) -> bool:
        raise NotImplementedError

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        meta = message.get("kommunebot")
        if isinstance(meta, dict) and meta.get("expects") == "phone":
            self.asked_phone = True
        if isinstance(meta, dict) and meta.get("expects") == "cancel_digits":
            self.asked_digits_for = meta.get("reference")
        mark = client_mark(message.pop("custom", None))
        before = self.mark_position()
        await super().send_response(recipient_id, message)
        if mark is not None:
            await self.send_mark(recipient_id, mark, before)

    def mark_position(self) -> int:
        """Where the next reply starts, for a channel that collects replies."""
        return 0

    async def send_mark(self, recipient_id: str, mark: dict[str, str], since: int) -> None:
        """Send the mark of the reply just sent (which started at ``since``)."""


class GuardedTurn:
    def __init__(self, config: Settings):
        self.config = config
        self.guard = build_guard(config)
        self.limits = build_limits(config)
        self.retry_after = str(config.rate_sender[1])

    async def __call__(
        self,
        text: object,
        metadata: object,
        sender: str,
        address: str,
        *,
        channel: str,
        output: TurnOutput,
        say: Callable[[str], Awaitable[None]],
        handle: Callable[[UserMessage], Awaitable[object]],
    ) -> TurnEnd:
        """One message of ``sender`` (the conversation id) from ``address``
        (the client, as ``request_address`` finds it) over ``channel``;
        ``output`` is the channel's for Rasa's replies, ``say`` for the
        turn's own, ``handle`` is Rasa's."""
        # Only to word a refusal: the guard validates it before Rasa sees it.
        municipality = metadata.get("kommune") if isinstance(metadata, dict) else None
        if not self.limits.allow(sender, address):
            log.warning("rate limit: too many %s messages from %s", channel, address)
            await say(self.guard.rate_limited(municipality))
            return TurnEnd(429, self.retry_after)
        prepared = self.guard.prepare(text, metadata, sender, client=client_pseudonym(self.config, address))
        if prepared.refusal is not None:
            await say(prepared.refusal)
            return TurnEnd(prepared.status)
        try:
            await handle(UserMessage(prepared.text, output, sender, input_channel=channel, metadata=prepared.metadata))
        except LockStoreUnavailable as exc:
            # Without the conversation lock two replicas could answer at
            # once: refuse, and say so, rather than race.
            log.error("%s; message refused", exc)
            await say(self.guard.unavailable(municipality))
            return TurnEnd(503, str(UNAVAILABLE_RETRY_SECONDS))
        except asyncio.CancelledError:
            # As Rasa's own REST channel: the citizen still gets the apology.
            log.error("message from %s timed out in Rasa", sender)
        except Exception:
            log.exception("Rasa failed on a %s message from %s", channel, sender)
        if output.asked_phone:
            self.guard.expect_phone(sender)
        if output.asked_digits_for is not None:
            self.guard.expect_digits(sender, output.asked_digits_for)
        if not output.replied:
            log.error("no reply for %s: is the action server running?", sender)
            await say(self.guard.error_reply(municipality))
        return ANSWERED


@lru_cache(maxsize=4)
def build_turn(settings: Settings) -> GuardedTurn:
    """One turn per process and settings, so both channels share its guard
    (a CPR number split over two messages is caught even when the widget
    switches transport between them) and its limiter (a client's limits
    hold once, whatever the transport)."""
    return GuardedTurn(settings)


def request_address(request: Request, trusted_proxies: Iterable[str]) -> str:
    """The client address of an HTTP request, by one rule for both channels:
    the REST webhook's request, and the request that opened a socket.io
    connection (engine.io hands it over as ``environ["sanic.request"]``;
    its REMOTE_ADDR is always 127.0.0.1 in engine.io's Sanic driver, which
    made every socket.io client one address)."""
    return client_address(request.ip, request.headers.getall("x-forwarded-for", []), trusted_proxies)
