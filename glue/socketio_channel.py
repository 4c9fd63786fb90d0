"""Socket.io input channel: Rasa's SocketIOInput with sessions of the
server's own.

This module is the transport only: origins, engine.io's size cap and
headers, sessions, reading the message event, the client address. Every
message then goes through the guarded turn both channels share
(glue/turn.py): the rate limits, the channel guard (checks, and CPR numbers
redacted before Rasa parses, logs or stores anything), Rasa, and a Danish
explanation when a turn fails or says nothing. Connections are accepted
only from the configured origins (KOMMUNEBOT_ALLOWED_ORIGINS).

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
from bot.settings import Settings
from glue.sessions import session_ids
from glue.turn import MARK_EVENT, TurnOutput, build_turn, request_address

log = logging.getLogger(__name__)


class _CountingOutput(TurnOutput, SocketIOOutput):
    """Knows whether the assistant said anything during the turn, and
    whether it asked for the phone number."""

    def __init__(self, sio: Any, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    @property
    def replied(self) -> bool:
        return self.sent > 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def send_mark(self, recipient_id: str, mark: dict[str, str], since: int) -> None:
        # Its own event, after the reply's bot_uttered events (socket.io keeps
        # their order): the mark belongs to the messages since the citizen's.
        await self.sio.emit(MARK_EVENT, mark, room=recipient_id)


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
    the real server (tests/system/test_socketio_cors.py) fail if it changes.
    """
    eio._cors_headers = lambda environ: []


class KommuneSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        config = settings.current()
        self.turn = build_turn(config)

        async def unguarded(message: UserMessage) -> None:
            # Rasa's handlers all give way to ours (_own_sessions); were one
            # ever left, its messages are dropped, never passed on unguarded.
            log.error("a socket.io message reached Rasa's own handler; not passed on")

        blueprint = super().blueprint(unguarded)
        # Rasa creates the server with origin checks switched off; only the
        # municipality's own pages may open a socket.
        self.sio.eio.cors_allowed_origins = list(config.allowed_origins)
        # engine.io's own cap (1 MB by default) applies to polling bodies and
        # to each WebSocket message; the REST limit applies to all three
        # transports alike. A larger WebSocket frame is cut off by Sanic
        # (SANIC_WEBSOCKET_MAX_SIZE, bot.ops.processes) before it is read.
        self.sio.eio.max_http_buffer_size = config.max_body_bytes
        _without_engineio_cors_headers(self.sio.eio)
        self._own_sessions(on_new_message, config)
        return blueprint

    def _own_sessions(self, handle: Callable[[UserMessage], Awaitable[Any]], config: Settings) -> None:
        """Replace Rasa's connect, session_request and message handlers."""
        sio, namespace, turn = self.sio, self.namespace, self.turn
        ids = session_ids(config)
        conversations: dict[str, str] = {}  # socket id -> conversation it may speak for
        addresses: dict[str, str] = {}
        holders: dict[str, str] = {}  # conversation -> the one socket that gets its replies

        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            # The request that opened the socket, as the REST channel reads
            # its own: the environ's REMOTE_ADDR is a fixed 127.0.0.1.
            addresses[sid] = request_address(environ["sanic.request"], config.trusted_proxies)
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
            conversation = conversations.get(sid)
            if conversation is None:
                log.warning("socket %s sent a message before session_request; not passed on", sid)
                reply = {"text": turn.guard.error_reply(None)}
                await sio.emit(self.bot_message_evt, reply, room=sid, namespace=namespace)
                return
            output = _CountingOutput(sio, self.bot_message_evt)

            async def say(text: str) -> None:
                await output.send_text_message(conversation, text)

            # A message event that is no object carries no text the guard can
            # take; anything but a string goes on as None, which the guard
            # refuses as not text. Stripped, as Rasa's UserMessage always
            # stripped it on this transport before the guard measured it.
            text = data.get("message") if isinstance(data, dict) else None
            await turn(
                text.strip() if isinstance(text, str) else None,
                _metadata(data, self.metadata_key),
                conversation,
                addresses.get(sid, ""),
                channel=self.name(),
                output=output,
                say=say,
                handle=handle,
            )

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
