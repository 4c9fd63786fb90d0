"""Rasa glue for the callback form: ask, validate, book, stop, cancel.

Each step calls bot.chat.booking; these classes only move values between
the tracker and that module.
"""

from __future__ import annotations

import datetime as dt
import logging

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import turn_from_tracker
from bot.chat.booking import ASK_DIGITS, BOOKED, CANCELLED, MORE, OTHER_TOPIC, SLOT_TAKEN, callback_reason
from bot.chat.language import DANISH, detect_language
from bot.chat.runtime import get_assistant, get_booking
from bot.privacy.channel_guard import SETUP_ERROR

log = logging.getLogger(__name__)

FORM_SLOTS = ("cb_name", "cb_phone", "cb_topic_ok", "cb_slot", "cb_after", "cb_offered_last")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _context(tracker: Tracker):
    return get_booking(), get_assistant().municipality(turn_from_tracker(tracker).municipality)


def _client(tracker: Tracker) -> object:
    """The channel's pseudonym of the client address, from the latest
    message's metadata ("client"); unchecked here: bot.chat.booking checks
    it, since a forged call can put anything in the tracker."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return metadata.get("client") if isinstance(metadata, dict) else None


# Tracker-only metadata: these turns are the callback channel.
_CALLBACK = {"channel": "callback"}


class _Step:
    """One step of the callback flow; any failure ends the form with a
    Danish message instead of leaving the citizen without an answer.
    A mixin, not an Action, so rasa_sdk does not register it by itself."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    def step(self, flow, municipality, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        raise NotImplementedError

    async def run(self, dispatcher, tracker, domain):
        try:
            flow, municipality = _context(tracker)
            return self.step(flow, municipality, dispatcher, tracker)
        except Exception:
            log.exception("callback step %s failed", self.action_name)
            dispatcher.utter_message(text=SETUP_ERROR)
            return [ActiveLoop(None), *(SlotSet(s, None) for s in FORM_SLOTS)]


class AskName(_Step, Action):
    action_name = "action_ask_cb_name"

    def step(self, flow, municipality, dispatcher, tracker):
        # The mark tells the widget to give its input autocomplete="name".
        dispatcher.utter_message(
            text=flow.ask_name(municipality), kommunebot=_CALLBACK, json_message={"expects": "name"}
        )
        return []


class AskPhone(_Step, Action):
    action_name = "action_ask_cb_phone"

    def step(self, flow, municipality, dispatcher, tracker):
        # The channel keeps the phone number in the next message only because of this mark.
        dispatcher.utter_message(
            text=flow.ask_phone(municipality),
            kommunebot={**_CALLBACK, "expects": "phone"},
            json_message={"expects": "tel"},
        )
        return []


class AskTopic(_Step, Action):
    action_name = "action_ask_cb_topic_ok"

    def step(self, flow, municipality, dispatcher, tracker):
        reply = flow.ask_topic(tracker.get_slot("topic"), tracker.get_slot("sensitive_category"), municipality)
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons, kommunebot=_CALLBACK)
        return []


class AskSlot(_Step, Action):
    action_name = "action_ask_cb_slot"

    def step(self, flow, municipality, dispatcher, tracker):
        after = tracker.get_slot("cb_after")
        reply = flow.slot_question(
            municipality,
            _now(),
            dt.datetime.fromisoformat(after) if after else None,
            category=tracker.get_slot("sensitive_category"),
        )
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
        offered = [b["payload"] for b in reply.buttons if b["payload"] != MORE]
        if not offered:  # nothing free: the form cannot continue
            return [ActiveLoop(None), *(SlotSet(s, None) for s in FORM_SLOTS)]
        return [SlotSet("cb_offered_last", offered[-1])]


def _chosen(tracker: Tracker) -> tuple[bool, str | None] | None:
    """The answer to the topic question when it is not yes or no (bot.chat.booking.chosen_topic)."""
    if tracker.get_slot("requested_slot") != "cb_topic_ok":
        return None
    flow, _ = _context(tracker)
    message = tracker.latest_message or {}
    return flow.chosen_topic((message.get("intent") or {}).get("name"), message.get("text"))


def _checked(dispatcher: CollectingDispatcher, slot: str, check) -> dict:
    """The checked value for the slot; None, with the Danish error said, when it failed."""
    if check.error:
        dispatcher.utter_message(text=check.error)
    return {slot: check.value}


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    def validate_cb_name(self, value, dispatcher, tracker, domain):
        flow, municipality = _context(tracker)
        return _checked(dispatcher, "cb_name", flow.check_name(value, municipality))

    def validate_cb_phone(self, value, dispatcher, tracker, domain):
        flow, municipality = _context(tracker)
        return _checked(dispatcher, "cb_phone", flow.check_phone(value, municipality))

    def extract_cb_topic_ok(self, dispatcher, tracker, domain):
        """An errand chosen from ask_topic's list, or the matter written in
        words: the form's own mapping reads only yes and no."""
        chosen = _chosen(tracker)
        return {} if chosen is None else {"cb_topic_ok": chosen[0]}

    def validate_cb_topic_ok(self, value, dispatcher, tracker, domain):
        # The errand chosen from the list becomes the callback's topic (the
        # form keeps only what a validate method returns).
        chosen = _chosen(tracker)
        if chosen is not None and chosen[1]:
            return {"cb_topic_ok": True, "topic": chosen[1]}
        return {"cb_topic_ok": bool(value)}

    def validate_cb_slot(self, value, dispatcher, tracker, domain):
        flow, municipality = _context(tracker)
        check = flow.check_slot(value, municipality, _now(), tracker.get_slot("sensitive_category"))
        if check.value == MORE:
            return {"cb_slot": None, "cb_after": tracker.get_slot("cb_offered_last")}
        if check.error:
            dispatcher.utter_message(text=check.error)
            return {"cb_slot": None, "cb_after": None}
        return {"cb_slot": check.value.isoformat()}


class BookCallback(_Step, Action):
    action_name = "action_book_callback"

    def step(self, flow, municipality, dispatcher, tracker):
        # "Nej, noget andet" is a topic too: the caseworker reads the matter in the conversation.
        topic = tracker.get_slot("topic") if tracker.get_slot("cb_topic_ok") else OTHER_TOPIC
        category = tracker.get_slot("sensitive_category")
        booking = flow.book(
            municipality,
            dt.datetime.fromisoformat(tracker.get_slot("cb_slot")),
            tracker.get_slot("cb_name"),
            tracker.get_slot("cb_phone"),
            topic,
            category,
            tracker.sender_id,
            client=_client(tracker),
            # Why it was offered, from the slots before "Nej, noget andet" replaced the topic.
            reason=callback_reason(
                flow.knowledge,
                category,
                tracker.get_slot("topic"),
                tracker.get_slot("situation"),
                tracker.get_slot("barriers"),
            ),
        )
        # Only a stored booking carries the event the widget shows its card for (glue/turn.py).
        booked = {"event": "callback_booked", "reference": booking.reference} if booking.status == BOOKED else None
        dispatcher.utter_message(text=booking.text, kommunebot=_CALLBACK, json_message=booked)
        if booking.status == SLOT_TAKEN:
            # Someone took the last place meanwhile: offer the next slots.
            return [SlotSet("cb_slot", None), SlotSet("cb_after", None), FollowupAction("callback_form")]
        return [SlotSet(s, None) for s in FORM_SLOTS]


class StopCallback(_Step, Action):
    action_name = "action_stop_callback"

    def step(self, flow, municipality, dispatcher, tracker):
        dispatcher.utter_message(text=flow.stopped(municipality))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *(SlotSet(s, None) for s in FORM_SLOTS)]


class CancelCallback(_Step, Action):
    action_name = "action_cancel_callback"

    def step(self, flow, municipality, dispatcher, tracker):
        text = (tracker.latest_message or {}).get("text")
        # The citizen's language from this message, else the conversation's
        # (a payload with the digits' token has none of its own).
        written = text if text and not text.startswith("/") else ""
        language = detect_language(written) or tracker.get_slot("language") or DANISH
        result = flow.cancel(text, municipality, tracker.sender_id, language)
        # English replies carry their language for lang="en"; Danish is the page's.
        english = {"lang": language} if language != DANISH else {}
        if result.status == ASK_DIGITS:
            # The channel turns the next message's four digits into a keyed
            # token because of this mark; the widget turns off autocomplete.
            dispatcher.utter_message(
                text=result.text,
                kommunebot={"expects": "cancel_digits", "reference": result.reference},
                json_message={"expects": "digits", **english},
            )
        else:
            cancelled = (
                {"event": "callback_cancelled", "reference": result.reference} if result.status == CANCELLED else {}
            )
            dispatcher.utter_message(text=result.text, json_message={**cancelled, **english} or None)
        return [SlotSet("language", language)]
