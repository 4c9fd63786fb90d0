"""Thin Rasa custom actions: translate the tracker, call bot/, send the reply."""
from __future__ import annotations

import logging
from typing import Any, Callable

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
    intent = message.get("intent") or {}
    return Turn(
        intent=intent.get("name"),
        confidence=intent.get("confidence") or 0.0,
        text=message.get("text") or "",
        redacted=metadata.get("redacted") or {},
        entities=list(message.get("entities") or []),
        topic=tracker.get_slot("topic"),
        situation=tracker.get_slot("situation"),
        person=tracker.get_slot("person"),
        barriers=list(tracker.get_slot("barriers") or []),
        municipality=metadata.get("kommune") or tracker.get_slot("kommune"),
        intent_ranking=list(message.get("intent_ranking") or []),
    )


def sensitive_anyway(assistant: Assistant, turn: Turn) -> Result:
    """For personal_matter/urgent_danger when neither terms nor confidence
    already gave a category: the intent alone decides."""
    urgent = turn.intent == URGENT_INTENT
    detection = Detection("urgent" if urgent else "personal", "Personlig sag", urgent, "nlu")
    return assistant.sensitive(turn, detection)


def respond(
    dispatcher: CollectingDispatcher, tracker: Tracker, handler: Callable[[Assistant, Turn], Result]
) -> list[dict[str, Any]]:
    """Run one handler; whatever goes wrong, the citizen gets a Danish reply.

    Personal or urgent matters are diverted before any handler answers."""
    turn = turn_from_tracker(tracker)
    try:
        assistant = get_assistant()
    except Exception:
        log.exception("knowledge base or outcome log unavailable")
        dispatcher.utter_message(text=SETUP_ERROR)
        return []
    try:
        detection = get_detector().detect(
            turn.text, turn.intent, turn.confidence, turn.redacted, turn.intent_ranking
        )
        result = assistant.sensitive(turn, detection) if detection else handler(assistant, turn)
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
        return respond(dispatcher, tracker, sensitive_anyway)
