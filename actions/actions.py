"""Thin Rasa custom actions: translate the tracker, call bot/, send the reply."""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation import SETUP_ERROR, Assistant, Result, Turn, UnknownMunicipality
from bot.runtime import get_assistant, get_detector
from bot.sensitive import URGENT_INTENT, Detection

log = logging.getLogger(__name__)

SLOTS = ("kommune", "topic", "situation", "person", "barriers", "sensitive_category")


def turn_from_tracker(tracker: Tracker) -> Turn:
    message = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    return Turn(
        intent=(message.get("intent") or {}).get("name"),
        entities=list(message.get("entities") or []),
        topic=tracker.get_slot("topic"),
        situation=tracker.get_slot("situation"),
        person=tracker.get_slot("person"),
        barriers=list(tracker.get_slot("barriers") or []),
        municipality=metadata.get("kommune") or tracker.get_slot("kommune"),
        intent_ranking=list(message.get("intent_ranking") or []),
    )


def detect_sensitive(tracker: Tracker, force: bool = False) -> Optional[Detection]:
    """Personal or urgent matters are diverted before any errand answer."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    redacted = (message.get("metadata") or {}).get("redacted")
    detection = get_detector().detect(
        message.get("text") or "",
        intent.get("name"),
        intent.get("confidence") or 0.0,
        redacted,
        message.get("intent_ranking"),
    )
    if detection is None and force:
        urgent = intent.get("name") == URGENT_INTENT
        detection = Detection("urgent" if urgent else "personal", "Personlig sag", urgent, "nlu")
    return detection


def respond(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    handler: Callable[[Assistant, Turn], Result],
    force_sensitive: bool = False,
) -> list[dict[str, Any]]:
    """Run one handler; whatever goes wrong, the citizen gets a Danish reply."""
    turn = turn_from_tracker(tracker)
    try:
        assistant = get_assistant()
    except Exception:
        log.exception("knowledge base or outcome log unavailable")
        dispatcher.utter_message(text=SETUP_ERROR)
        return []
    try:
        detection = detect_sensitive(tracker, force_sensitive)
        if detection is not None:
            redacted = bool(((tracker.latest_message or {}).get("metadata") or {}).get("redacted"))
            result = assistant.sensitive(turn, detection, redacted)
        else:
            result = handler(assistant, turn)
    except UnknownMunicipality as exc:
        log.error("%s", exc)
        dispatcher.utter_message(text=SETUP_ERROR)
        return []
    except Exception:
        log.exception("action failed for intent %s", turn.intent)
        dispatcher.utter_message(text=assistant.technical_error(turn.municipality))
        return []
    reply = result.reply
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
    return [SlotSet(name, value) for name, value in result.slots.items() if name in SLOTS]


class ActionAnswerErrand(Action):
    def name(self) -> str:
        return "action_answer_errand"

    async def run(self, dispatcher, tracker, domain):
        return respond(dispatcher, tracker, Assistant.answer_errand)


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher, tracker, domain):
        return respond(dispatcher, tracker, Assistant.clarify)


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher, tracker, domain):
        return respond(dispatcher, tracker, Assistant.out_of_scope)


class ActionSensitive(Action):
    """personal_matter and urgent_danger: never answered in chat."""

    def name(self) -> str:
        return "action_sensitive"

    async def run(self, dispatcher, tracker, domain):
        return respond(dispatcher, tracker, Assistant.out_of_scope, force_sensitive=True)
