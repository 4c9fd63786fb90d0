"""REST input channel with Kommunebot's guards.

Replaces Rasa's RestInput route so that CPR numbers are removed before Rasa
parses, logs or stores the message, empty and oversized messages are
answered in Danish without reaching Rasa, message text never goes to the
logs, and a turn that produced no reply (e.g. the action server is down)
still ends with a Danish explanation instead of silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.addresses import client_address
from bot.privacy.channel_guard import BAD_REQUEST
from glue.guard import NoticesPhoneQuestion, build_guard, build_limits, client_pseudonym
from glue.lock_store import LockStoreUnavailable
from glue.sessions import session_ids

log = logging.getLogger(__name__)


class _Collector(NoticesPhoneQuestion, CollectingOutputChannel):
    """Collects the replies and notices the callback form's phone question."""


class KommuneRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        config = settings.current()
        self.config = config
        self.guard = build_guard(config)
        self.limits = build_limits(config)
        self.trusted_proxies = config.trusted_proxies
        self.retry_after = str(config.rate_sender[1])
        self.session_ids = session_ids(config)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("kommunebot_rest", __name__)

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
            metadata = body.get("metadata")
            municipality = metadata.get("kommune") if isinstance(metadata, dict) else None
            address = client_address(request.ip, request.headers.getall("x-forwarded-for", []), self.trusted_proxies)
            if not self.limits.allow(sender, address):
                log.warning("rate limit: too many messages from %s", address)
                text = self.guard.rate_limited(municipality)
                return response.json(
                    [{"recipient_id": sender, "text": text}], status=429, headers={"Retry-After": self.retry_after}
                )
            prepared = self.guard.prepare(
                body.get("message"), metadata, sender, client=client_pseudonym(self.config, address)
            )
            if prepared.refusal is not None:
                return response.json([{"recipient_id": sender, "text": prepared.refusal}], status=prepared.status)
            collector = _Collector()
            try:
                await on_new_message(
                    UserMessage(prepared.text, collector, sender, input_channel=self.name(), metadata=prepared.metadata)
                )
            except LockStoreUnavailable as exc:
                # Without the conversation lock two replicas could answer at
                # once: refuse, and say so, rather than race.
                log.error("%s; message refused", exc)
                text = self.guard.unavailable(municipality)
                return response.json(
                    [{"recipient_id": sender, "text": text}], status=503, headers={"Retry-After": "60"}
                )
            except asyncio.CancelledError:
                log.error("message from %s timed out in Rasa", sender)
            except Exception:
                log.exception("Rasa failed on a message from %s", sender)
            if collector.asked_phone:
                self.guard.expect_phone(sender)
            if not collector.messages:
                log.error("no reply for %s: is the action server running?", sender)
                collector.messages.append({"recipient_id": sender, "text": self.guard.error_reply(municipality)})
            return response.json(collector.messages)

        return webhook
