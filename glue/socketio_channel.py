"""Socket.io input channel with the same guards as the REST channel.

Rasa's SocketIOInput builds the UserMessage and hands it to
``on_new_message``; we wrap that callback so the text is checked and CPR
numbers are redacted before Rasa parses, logs or stores anything, and a
turn without any reply still ends with a Danish explanation. Connections
are accepted only from the configured origins (KOMMUNEBOT_ALLOWED_ORIGINS).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot import settings
from glue.guard import build_guard

log = logging.getLogger(__name__)


class _CountingOutput(SocketIOOutput):
    """Knows whether the assistant said anything during the turn."""

    def __init__(self, inner: SocketIOOutput) -> None:
        super().__init__(inner.sio, inner.bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)


class KommuneSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        config = settings.current()
        guard = build_guard(config)

        async def guarded(message: UserMessage) -> None:
            output = _CountingOutput(message.output_channel)
            metadata = message.metadata if isinstance(message.metadata, dict) else {}
            prepared = guard.prepare(message.text, metadata, message.sender_id)
            if prepared.refusal is not None:
                await output.send_text_message(message.sender_id, prepared.refusal)
                return
            message.text = prepared.text
            message.metadata = prepared.metadata
            message.output_channel = output
            try:
                await on_new_message(message)
            except Exception:
                log.exception("Rasa failed on a socket.io message from %s", message.sender_id)
            if output.sent == 0:
                log.error("no reply for %s: is the action server running?", message.sender_id)
                await output.send_text_message(message.sender_id, guard.error_reply(metadata.get("kommune")))

        blueprint = super().blueprint(guarded)
        # Rasa creates the server with origin checks switched off; only the
        # municipality's own pages may open a socket.
        self.sio.eio.cors_allowed_origins = list(config.allowed_origins)
        return blueprint
