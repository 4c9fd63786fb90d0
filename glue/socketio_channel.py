"""Socket.io input channel with the same guards as the REST channel.

Every message goes through the channel guard, so the text is checked and
CPR numbers are redacted before Rasa parses, logs or stores anything, and
a turn without any reply still ends with a Danish explanation.
Connections are accepted only from the configured origins
(KOMMUNEBOT_ALLOWED_ORIGINS).

Sessions are the server's, not the client's. Rasa's own channel lets any
socket name any session id in ``session_request`` and then receives that
conversation's replies. Here the server issues each session id, signed so
that it cannot be guessed or forged; a socket gets replies only for the
session it was given (or resumed with the signed id after a reload), and
a message's own ``session_id`` field is never trusted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot import settings
from bot.addresses import client_address
from glue.guard import NoticesPhoneQuestion, build_guard, build_limits, client_pseudonym
from glue.lock_store import LockStoreUnavailable
from glue.sessions import session_ids

log = logging.getLogger(__name__)


class _CountingOutput(NoticesPhoneQuestion, SocketIOOutput):
    """Knows whether the assistant said anything during the turn, and
    whether it asked for the phone number."""

    def __init__(self, inner: SocketIOOutput) -> None:
        super().__init__(inner.sio, inner.bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)


def _without_engineio_cors_headers(eio: Any) -> None:
    """Leave the CORS headers of /socket.io to Sanic-CORS alone.

    `rasa run --cors <origins>` (bot.ops.processes) puts Sanic-CORS on every
    route: it answers each preflight before engine.io sees it and adds
    Access-Control-Allow-Origin to every other response. engine.io, once it
    checks origins, adds the same header again, and browsers refuse a
    long-polling response with two of them (so rasa-webchat, which starts
    with polling, could not connect). engine.io keeps its origin check,
    which is what refuses a socket, WebSocket or polling, opened from any
    other page (browsers apply no CORS to WebSockets); it only stops
    writing headers. Private in engineio 4.8 (pinned); the CORS tests on
    the real server (tests/server/test_socketio_cors.py) fail if it changes.
    """
    eio._cors_headers = lambda environ: []


class KommuneSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        config = settings.current()
        guard = build_guard(config)

        async def guarded(message: UserMessage, client: str | None = None) -> None:
            output = _CountingOutput(message.output_channel)
            metadata = message.metadata
            prepared = guard.prepare(message.text, metadata, message.sender_id, client=client)
            metadata = metadata if isinstance(metadata, dict) else {}
            if prepared.refusal is not None:
                await output.send_text_message(message.sender_id, prepared.refusal)
                return
            message.text = prepared.text
            message.metadata = prepared.metadata
            message.output_channel = output
            try:
                await on_new_message(message)
            except LockStoreUnavailable as exc:
                log.error("%s; message refused", exc)  # refused, not raced: see the REST channel
                await output.send_text_message(message.sender_id, guard.unavailable(metadata.get("kommune")))
                return
            except Exception:
                log.exception("Rasa failed on a socket.io message from %s", message.sender_id)
            if output.asked_phone:
                guard.expect_phone(message.sender_id)
            if output.sent == 0:
                log.error("no reply for %s: is the action server running?", message.sender_id)
                await output.send_text_message(message.sender_id, guard.error_reply(metadata.get("kommune")))

        blueprint = super().blueprint(guarded)
        # Rasa creates the server with origin checks switched off; only the
        # municipality's own pages may open a socket.
        self.sio.eio.cors_allowed_origins = list(config.allowed_origins)
        # engine.io's own cap (1 MB by default) applies to polling bodies and
        # to each WebSocket message; the REST limit applies to all three
        # transports alike. A larger WebSocket frame is cut off by Sanic
        # (SANIC_WEBSOCKET_MAX_SIZE, bot.ops.processes) before it is read.
        self.sio.eio.max_http_buffer_size = config.max_body_bytes
        _without_engineio_cors_headers(self.sio.eio)
        self._own_sessions(guard, guarded, config)
        return blueprint

    def _own_sessions(self, guard, guarded, config) -> None:
        """Replace Rasa's connect, session_request and message handlers."""
        sio, namespace = self.sio, self.namespace
        ids = session_ids(config)
        limits = build_limits(config)
        conversations: dict[str, str] = {}  # socket id -> conversation it may speak for
        addresses: dict[str, str] = {}
        holders: dict[str, str] = {}  # conversation -> the one socket that gets its replies

        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            peer = environ.get("REMOTE_ADDR") or ""
            addresses[sid] = client_address(peer, [environ.get("HTTP_X_FORWARDED_FOR") or ""], config.trusted_proxies)
            return True

        async def disconnect(sid: str) -> None:
            addresses.pop(sid, None)
            conversation = conversations.pop(sid, None)
            if conversation is not None and holders.get(conversation) == sid:
                del holders[conversation]

        async def session_request(sid: str, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            conversation = ids.resume(requested)
            session_id = requested if conversation is not None else None
            if conversation is None:
                if requested:
                    log.warning("socket %s asked for a session id the server did not issue; issued a new one", sid)
                conversation, session_id = ids.issue()
            previous = conversations.get(sid)
            if previous is not None and previous != conversation:
                sio.leave_room(sid, previous, namespace=namespace)
                holders.pop(previous, None)
            other = holders.get(conversation)
            if other is not None and other != sid:
                # The same conversation in a new socket (a reload): only the
                # newest one gets its replies.
                sio.leave_room(other, conversation, namespace=namespace)
                conversations.pop(other, None)
            conversations[sid] = conversation
            holders[conversation] = sid
            sio.enter_room(sid, conversation, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def handle_message(sid: str, data: Any) -> None:
            output = SocketIOOutput(sio, self.bot_message_evt)
            conversation = conversations.get(sid)
            if conversation is None:
                log.warning("socket %s sent a message before session_request; not passed on", sid)
                await sio.emit(self.bot_message_evt, {"text": guard.error_reply(None)}, room=sid, namespace=namespace)
                return
            address = addresses.get(sid, "")
            metadata = _metadata(data, self.metadata_key)
            if not limits.allow(conversation, address):
                log.warning("rate limit: too many socket.io messages from %s", address)
                kommune = metadata.get("kommune") if isinstance(metadata, dict) else None
                await output.send_text_message(conversation, guard.rate_limited(kommune))
                return
            # A message event that is no object carries no text the guard can take.
            text = data.get("message") if isinstance(data, dict) else None
            message = UserMessage(
                # Rasa strips the text when it builds the message; anything but
                # a string goes on as None, which the guard refuses as not text.
                text if isinstance(text, str) else None,
                output,
                conversation,
                input_channel=self.name(),
                metadata=metadata,
            )
            await guarded(message, client_pseudonym(config, address))

        sio.on("connect", connect, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)


def _metadata(data: Any, key: str) -> object:
    """The message's metadata as sent: our widget sends the municipality in
    `metadata`; rasa-webchat sends its `customData` with every message
    instead, sometimes as a JSON string. Whatever is not an object is left
    for the guard to refuse."""
    if not isinstance(data, dict):
        return None
    metadata = data.get(key) or data.get("customData")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata.strip() else None
        except ValueError:
            pass
    return metadata
