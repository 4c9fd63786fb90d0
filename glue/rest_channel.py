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
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.message_guard import check_message
from bot.redaction import redact
from bot.settings import Settings

log = logging.getLogger(__name__)

BAD_REQUEST = "Beskeden kunne ikke læses. Prøv at sende den igen."


def _assistant():
    from bot.runtime import get_assistant

    return get_assistant()


def prepare(text: object, metadata: dict, max_chars: int, sender: str) -> tuple[Optional[str], dict, Optional[str]]:
    """Guard and redact one incoming message.

    Returns (text for Rasa, metadata, None) or (None, metadata, Danish reply)."""
    municipality = metadata.get("kommune")
    checked = check_message(text, max_chars)
    if checked.problem:
        log.info("message from %s not passed on: %s (%d chars)", sender, checked.problem, checked.length)
        return None, metadata, guard_reply(checked.problem, municipality, checked.length)
    # Redact before Rasa sees the text: whatever reaches Rasa is stored.
    redaction = redact(checked.text)
    if redaction.changed:
        metadata = {**metadata, "redacted": redaction.counts}
        log.info("redacted %s in a message from %s", redaction.counts, sender)
    return redaction.text, metadata, None


def guard_reply(problem: str, municipality: Optional[str], length: int) -> str:
    try:
        assistant = _assistant()
        return assistant.responder.message(problem, assistant.municipality(municipality), length=length)
    except Exception:
        log.exception("could not render the %s message", problem)
        if problem == "too_long":
            return f"Din besked er for lang ({length} tegn). Skriv dit spørgsmål kort."
        return "Din besked var tom. Skriv dit spørgsmål, så hjælper jeg gerne."


def error_reply(municipality: Optional[str]) -> str:
    try:
        return _assistant().technical_error(municipality)
    except Exception:
        log.exception("could not render the technical error message")
        from bot.conversation import SETUP_ERROR

        return SETUP_ERROR


class KommuneRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        self.settings = Settings.from_env()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("kommunebot_rest", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
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
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            municipality = metadata.get("kommune")
            text, metadata, refusal = prepare(body.get("message"), metadata, self.settings.max_message_chars, sender)
            if refusal is not None:
                return response.json([{"recipient_id": sender, "text": refusal}])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except asyncio.CancelledError:
                log.error("message from %s timed out in Rasa", sender)
            except Exception:
                log.exception("Rasa failed on a message from %s", sender)
            if not collector.messages:
                log.error("no reply for %s: is the action server running?", sender)
                collector.messages.append({"recipient_id": sender, "text": error_reply(municipality)})
            return response.json(collector.messages)

        return webhook
