"""Thin Rasa custom actions: translate the tracker into a Turn, let the
Assistant handle it, and translate the Result back into events."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.chat.conversation import Turn
from bot.chat.runtime import get_assistant
from bot.privacy.channel_guard import SETUP_ERROR

log = logging.getLogger(__name__)

SLOTS = (
    "kommune",
    "topic",
    "situation",
    "person",
    "barriers",
    "sensitive_category",
    "asked",
    "language",
    "answered",
    "suggested",
)


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
        situation_scores=dict(message.get("situations") or {}),
        case_score=(message.get("case") or {}).get("confidence"),
        sensitive_score=(message.get("sensitive") or {}).get("confidence"),
        asked=tracker.get_slot("asked"),
        language=tracker.get_slot("language"),
        answered=tracker.get_slot("answered"),
        suggested=tracker.get_slot("suggested"),
    )


def respond(dispatcher: CollectingDispatcher, tracker: Tracker, handler: str) -> list[dict[str, Any]]:
    turn = turn_from_tracker(tracker)
    try:
        assistant = get_assistant()
    except Exception:
        log.exception("knowledge base, records or spaCy pipeline unavailable")
        dispatcher.utter_message(text=SETUP_ERROR)
        return []
    result = assistant.handle(handler, turn)
    reply = result.reply
    # Kept with the bot event in the tracker store (never sent to the
    # channel): what the reply did, for the conversation evaluation, which
    # also counts the conversations that got a topic menu.
    dispatcher.utter_message(
        text=reply.text,
        buttons=reply.buttons or None,
        kommunebot={
            "channel": reply.channel,
            "topic": reply.topic,
            "situation": reply.situation,
            **({"menu": True} if reply.menu else {}),
            # Offered a callback because of the matter itself (a sensitive
            # matter or the citizen's own case), not as the errand's own
            # channel: what the evaluation counts as an escalation.
            **({"escalated": category} if (category := result.slots.get("sensitive_category")) else {}),
        },
        # Sent to the client with the text (glue/turn.py): the reply's language,
        # for lang="en", and for an answer its errand, for "Fik du svar?".
        json_message={"lang": reply.language, **({"answer": answer} if (answer := _answered(reply)) else {})},
    )
    # Only the slots that change: the tracker keeps a slot's value, and each
    # unchanged SlotSet was an event stored, sent, validated and replayed on
    # every later turn (ten a turn before, most of them unchanged).
    changed = [
        SlotSet(name, value)
        for name, value in result.slots.items()
        if name in SLOTS and value != tracker.get_slot(name)
    ]
    return changed + _then_listen(tracker)


def _then_listen(tracker: Tracker) -> list[dict[str, Any]]:
    """Every turn action ends the bot's turn: no rule or story goes on from
    one without the citizen's next message. Saying so spares the Rasa server
    the policies' second prediction of the turn, which only ever chose
    action_listen (10 % of its time under load: py-spy, 10 users,
    2026-12-06). While the callback form is open the policies decide, since
    the form may take the turn back after an interruption."""
    return [] if tracker.active_loop else [FollowupAction("action_listen")]


# The outcomes after which the widget asks "Fik du svar?": the citizen got an
# answer to use (a referral to a callback, a fallback or 112 are no answer).
ANSWERS = ("selfservice", "booking", "assisted")


def _answered(reply) -> str | None:
    """ "topic" or "topic/situation" of an answer, else None."""
    if reply.outcome not in ANSWERS or not reply.topic:
        return None
    return f"{reply.topic}/{reply.situation}" if reply.situation else reply.topic


class _TurnAction(Action):
    action_name = ""
    handler = ""

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher, tracker, domain):
        return respond(dispatcher, tracker, self.handler)


class ActionAnswerErrand(_TurnAction):
    action_name, handler = "action_answer_errand", "answer_errand"


class ActionClarify(_TurnAction):
    action_name, handler = "action_clarify", "clarify"


class ActionOutOfScope(_TurnAction):
    action_name, handler = "action_out_of_scope", "out_of_scope"


class ActionSmallTalk(_TurnAction):
    action_name, handler = "action_small_talk", "small_talk"


class ActionSensitive(_TurnAction):
    """personal_matter and urgent_danger: never answered in chat."""

    action_name, handler = "action_sensitive", "sensitive_intent"
