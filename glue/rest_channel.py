"""REST input channel: Rasa's RestInput route replaced by Kommunebot's.

This module is the transport only: JSON bodies only (a form post from any
web page needs no CORS preflight), the body's shape, the widget's signed
session id as the sender, the client address. Everything else, the rate
limits, the channel guard, Rasa and the Danish replies when a turn fails or
says nothing, is the guarded turn both channels share (glue/turn.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.privacy.channel_guard import BAD_REQUEST
from glue.action_endpoint import close_sessions
from glue.sessions import session_ids
from glue.turn import TurnOutput, build_turn, request_address

log = logging.getLogger(__name__)


class _Collector(TurnOutput, CollectingOutputChannel):
    """Collects the replies and notices the callback form's phone question."""

    @property
    def replied(self) -> bool:
        return bool(self.messages)

    def mark_position(self) -> int:
        return len(self.messages)

    async def send_mark(self, recipient_id: str, mark: dict[str, str], since: int) -> None:
        # On every part of the reply (Rasa splits a text at blank lines), as
        # "custom": a client reading only "text" is unaffected.
        for message in self.messages[since:]:
            message["custom"] = dict(mark)


class KommuneRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        config = settings.current()
        self.turn = build_turn(config)
        self.trusted_proxies = config.trusted_proxies
        self.session_ids = session_ids(config)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("kommunebot_rest", __name__)
        # The action server's kept connections (glue/action_endpoint.py).
        webhook.after_server_stop(close_sessions)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            # JSON only: a form or text/plain post from any web page would
            # otherwise reach us without a CORS preflight.
            if (request.content_type or "").split(";")[0].strip().lower() != "application/json":
                log.warning("rejected REST request: content type %r", request.content_type)
                return response.json({"error": "Content-Type must be application/json", "text": BAD_REQUEST}, 415)
            try:
                body = request.json
            except Exception:
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("sender"), (str, int)):
                log.warning("rejected REST request: body must be JSON with 'sender' and 'message'")
                return response.json(
                    {"error": "body must be a JSON object with 'sender' and 'message'", "text": BAD_REQUEST},
                    status=400,
                )
            sender = str(body["sender"])[:128]
            # The widget's REST fallback sends the signed socket.io session id:
            # the same conversation, under its conversation id.
            sender = self.session_ids.resume(sender) or sender
            collector = _Collector()

            async def say(text: str) -> None:
                # One message, as this channel has always answered its
                # refusals (send_text_message would split it at blank lines).
                collector.messages.append({"recipient_id": sender, "text": text})

            end = await self.turn(
                body.get("message"),
                body.get("metadata"),
                sender,
                request_address(request, self.trusted_proxies),
                channel=self.name(),
                output=collector,
                say=say,
                handle=on_new_message,
            )
            headers = {"Retry-After": end.retry_after} if end.retry_after else None
            return response.json(collector.messages, status=end.status, headers=headers)

        return webhook
