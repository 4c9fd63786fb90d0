"""The steps of booking a phone callback, independent of Rasa's form.

The Rasa form in actions/ asks and validates slot by slot; each step's
decision and Danish wording lives here.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Optional

from bot.answers import Reply, Responder
from bot.callback_hours import danish_slot_label
from bot.callback_store import CallbackNotFound, CallbackStore, SlotFull, storage_time
from bot.knowledge.model import Knowledge, Municipality
from bot.phone import parse_danish_phone

log = logging.getLogger(__name__)

MORE = "andre tider"
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")
REFERENCE = re.compile(r"\bCB-\d{4}-\d{6}\b", re.IGNORECASE)


@dataclass
class Check:
    value: object = None
    error: Optional[str] = None


class CallbackFlow:
    def __init__(self, knowledge: Knowledge, responder: Responder, store: CallbackStore):
        self.knowledge = knowledge
        self.responder = responder
        self.store = store

    def _say(self, message: str, municipality: Municipality, **extra) -> str:
        return self.responder.message(message, municipality, **extra)

    def topic_label(self, topic: Optional[str], category: Optional[str]) -> str:
        if topic in self.knowledge.topics:
            return self.knowledge.topics[topic].name
        if category in self.knowledge.sensitive:
            return self.knowledge.sensitive[category].label.lower()
        return "din henvendelse"

    def ask_name(self, municipality: Municipality) -> str:
        privacy = self._say("callback_privacy", municipality, retention_days=municipality.retention_days)
        return f"{privacy}\n{self._say('ask_name', municipality)}"

    def check_name(self, text: Optional[str], municipality: Municipality) -> Check:
        name = " ".join((text or "").split())
        if 2 <= len(name) <= 80 and _NAME.match(name):
            return Check(name)
        return Check(error=self._say("invalid_name", municipality))

    def check_phone(self, text: Optional[str], municipality: Municipality) -> Check:
        phone = parse_danish_phone(text)
        if phone is None:
            return Check(error=self._say("invalid_phone", municipality))
        return Check(phone.display)

    def slot_question(
        self, municipality: Municipality, now: dt.datetime, after: Optional[dt.datetime] = None, taken: bool = False
    ) -> Reply:
        hours = municipality.callback_hours
        slots = []
        if hours:
            counts = self.store.booked_counts(municipality.key, now)
            slots = hours.free_slots(now, lambda s: counts.get(storage_time(s), 0), 3, after)
        if not slots:
            return Reply(self._say("no_slots", municipality))
        buttons = [{"title": danish_slot_label(s), "payload": s.isoformat()} for s in slots]
        buttons.append({"title": self._say("more_slots", municipality), "payload": MORE})
        question = self._say("slot_taken" if taken else "ask_slot", municipality)
        return Reply(question, buttons)

    def check_slot(self, text: Optional[str], municipality: Municipality, now: dt.datetime) -> Check:
        """A free, bookable slot; MORE for later times; otherwise an error."""
        text = (text or "").strip()
        if text.lower() == MORE:
            return Check(MORE)
        try:
            slot = dt.datetime.fromisoformat(text)
        except ValueError:
            return Check(error=self._say("invalid_slot", municipality))
        hours = municipality.callback_hours
        if hours is None or slot.tzinfo is None or not hours.is_bookable(slot, now):
            return Check(error=self._say("invalid_slot", municipality))
        if self.store.booked_count(municipality.key, slot) >= hours.capacity:
            return Check(error=self._say("slot_taken", municipality))
        return Check(slot)

    def book(
        self,
        municipality: Municipality,
        slot: dt.datetime,
        name: str,
        phone: str,
        topic: Optional[str],
        category: Optional[str],
        conversation_id: str,
    ) -> Reply:
        try:
            booking = self.store.book(
                municipality.key, slot, municipality.callback_hours.capacity, name, phone,
                topic=topic, category=category, conversation_id=conversation_id,
            )
        except SlotFull:
            return Reply("", outcome=None, situation="slot_taken")
        except Exception:
            log.exception("could not store a callback booking for %s", municipality.key)
            return Reply(self._say("callback_failed", municipality), outcome=None, situation="failed")
        text = self._say(
            "callback_booked", municipality, name=name.split()[0], slot=danish_slot_label(slot.astimezone(
                municipality.callback_hours.tz)), phone=phone, reference=booking.reference,
        )
        return Reply(text, outcome="callback", topic=topic, situation=category)

    def cancel(self, text: Optional[str], municipality: Municipality, conversation_id: str) -> Reply:
        match = REFERENCE.search(text or "")
        if not match:
            return Reply(self._say("ask_reference", municipality))
        try:
            booking = self.store.cancel(match.group(0), actor="citizen", conversation_id=conversation_id)
        except CallbackNotFound:
            return Reply(self._say("callback_not_found", municipality))
        return Reply(self._say("callback_cancelled", municipality, reference=booking.reference))
