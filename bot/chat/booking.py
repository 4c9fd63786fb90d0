"""The steps of booking a phone callback, independent of Rasa's form.

The Rasa form in actions/ asks and validates slot by slot; each step's
decision and Danish wording lives here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.callbacks.hours import ChatDay, danish_slot_label
from bot.callbacks.phone import parse_danish_phone
from bot.callbacks.store import (
    AddressLimit,
    CallbackNotFound,
    CallbackStore,
    CancelLocked,
    CancelRefused,
    ChatPlacesFull,
    SlotFull,
    TooManyBookings,
)
from bot.chat.answers import Reply, Responder
from bot.chat.language import DANISH
from bot.knowledge.model import CASE_CATEGORY, OTHER_TOPIC, Knowledge, Municipality
from bot.knowledge.texts import capitalise
from bot.privacy.cancel_digits import REFERENCE as BOOKING_REFERENCE
from bot.privacy.redaction import redact
from bot.records.database import DatabaseUnavailable, storage_time

log = logging.getLogger(__name__)

MORE = "andre tider"
# The cancel page (bot/site) as KOMMUNEBOT_PUBLIC_SITE_URL's default reaches it.
DEFAULT_CANCEL_URL = "http://localhost:8000/aflys"
# Errands offered when the callback's topic is unknown: a short list, since
# a screen reader reads every button, of errands a citizen often needs a
# person for (documents, moving, housing benefit, pension, sick leave). A
# judgement, not measured; the citizen may write any other, and an errand
# missing from the knowledge base is left out.
TOPIC_CHOICES = ("pas", "koerekort", "flytning", "boligstoette", "folkepension", "sygemelding")
# Categories the sensitive-matter detector gives besides the term list's,
# and a case matter's.
DETECTED = ("personal", "urgent", "cpr", CASE_CATEGORY)
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")
# Found anywhere in a message, in any case ("cb-2026-000123").
REFERENCE = re.compile(rf"\b{BOOKING_REFERENCE.pattern}\b", re.IGNORECASE)
# The keyed token of the phone's last four digits, in the payload the channel
# guard writes in their place (bot.privacy.cancel_digits.sealed_message).
DIGITS_TOKEN = re.compile(r'"digits":"([0-9a-f]{32})"')
# The channel's pseudonym of the client address: a keyed hash cut to 16 lower-case hex characters.
CLIENT = re.compile(r"[0-9a-f]{16}")


def client_pseudonym(value: object) -> str | None:
    """The client pseudonym from message metadata, or None (unknown) for
    anything else: a forged call to the action server can put anything in
    the tracker, and what is not a pseudonym is never stored. An unknown
    client is capped per phone number and conversation only."""
    if value is None:
        return None
    if isinstance(value, str) and CLIENT.fullmatch(value):
        return value
    log.warning("ignored a client pseudonym that is not 16 lower-case hex characters (%s)", type(value).__name__)
    return None


@dataclass
class Check:
    value: object = None
    error: str | None = None


BOOKED = "booked"
SLOT_TAKEN = "slot_taken"
REFUSED = "refused"  # a value did not pass the checks again, or too many bookings
FAILED = "failed"
CANCELLED = "cancelled"
NOT_CANCELLED = "not_cancelled"  # no reference given, or wrong reference and digits
ASK_DIGITS = "ask_digits"  # not this conversation's booking: the phone's last four digits decide


@dataclass(frozen=True)
class Booking:
    """How a booking attempt ended: ``BOOKED`` (with the reference),
    ``SLOT_TAKEN`` (someone took the last place meanwhile) or ``FAILED``
    (not stored); a cancellation ``CANCELLED`` (with the reference) or
    ``NOT_CANCELLED``; ``text`` is what to tell the citizen, if anything."""

    status: str
    text: str = ""
    reference: str | None = None

    @property
    def outcome(self) -> str | None:
        return "callback" if self.status == BOOKED else None


# (municipality, outcome, topic, situation) -> None
OutcomeRecorder = Callable[[str, str, str | None, str | None], None]


def callback_reason(
    knowledge: Knowledge, category: str | None, topic: str | None, situation: str | None, barriers: object = None
) -> str:
    """Why the callback was offered (bot.callbacks.store.REASONS), from what
    the conversation holds when it is booked: a case matter, or an errand's
    situation that only a callback can settle (an appeal, a decision), is
    ``case``; a sensitive category ``sensitive``; a barrier to the digital
    (no MitID, no computer) ``assistance``; otherwise the citizen asked."""
    if category == CASE_CATEGORY:
        return "case"
    if category in knowledge.sensitive or category in DETECTED:
        return "sensitive"
    known = knowledge.topics.get(topic or "")
    picked = known.situation(situation) if known else None
    if picked is not None and picked.channel == "callback":
        return "case"
    if isinstance(barriers, list) and barriers:
        return "assistance"
    return "asked"


def _join(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


class CallbackFlow:
    def __init__(
        self,
        knowledge: Knowledge,
        responder: Responder,
        store: CallbackStore,
        record_outcome: OutcomeRecorder | None = None,
        max_active: int = 2,
        per_address: AddressLimit | None = None,
        cancel_url: str = DEFAULT_CANCEL_URL,
    ):
        self.knowledge = knowledge
        self.responder = responder
        self.store = store
        self.record_outcome = record_outcome
        self.max_active = max_active
        self.per_address = per_address
        self.cancel_url = cancel_url

    def _say(self, message: str, municipality: Municipality, language: str = DANISH, **extra) -> str:
        return self.responder.message(message, municipality, language=language, **extra)

    def topic_label(self, topic: str | None, category: str | None) -> str:
        if topic in self.knowledge.topics:
            return self.knowledge.topics[topic].name
        if category in self.knowledge.sensitive:
            return self.knowledge.sensitive[category].label.lower()
        if category == CASE_CATEGORY:
            return self.knowledge.case_signals.label.lower()
        return "din henvendelse"

    def ask_name(self, municipality: Municipality) -> str:
        return f"{self._say('callback_privacy', municipality)}\n{self._say('ask_name', municipality)}"

    def ask_phone(self, municipality: Municipality) -> str:
        return self._say("ask_phone", municipality)

    def ask_topic(self, topic: str | None, category: str | None, municipality: Municipality) -> Reply:
        """What the call is about. A known errand or category: confirm it with
        yes/no. Unknown (the citizen asked for a call before naming an
        errand): a short list of errands as buttons (their intents, which the
        form reads with ``chosen_topic``), "Noget andet", or the citizen
        writes it."""
        if topic in self.knowledge.topics or category in self.knowledge.sensitive or category == CASE_CATEGORY:
            label = self.topic_label(topic, category)
            buttons = [
                {"title": self._say("button_yes", municipality), "payload": "/affirm"},
                {"title": self._say("button_other_topic", municipality), "payload": "/deny"},
            ]
            return Reply(self._say("ask_topic", municipality, topic=label), buttons)
        choices = [self.knowledge.topics[k] for k in TOPIC_CHOICES if k in self.knowledge.topics]
        buttons = [{"title": capitalise(t.name), "payload": f"/{t.key}"} for t in choices]
        buttons.append({"title": self._say("button_something_else", municipality), "payload": "/deny"})
        return Reply(self._say("ask_topic_choice", municipality), buttons)

    def chosen_topic(self, intent: str | None, text: str | None) -> tuple[bool, str | None] | None:
        """The answer to ``ask_topic``'s list when it is neither yes nor no:
        an errand (a button or a message the NLU read as one) is that topic;
        anything else written is the matter in the citizen's words, kept in
        the conversation, so the topic is "andet" (OTHER_TOPIC). None: a
        yes or no, which the form's own mapping reads."""
        if intent in ("affirm", "deny"):
            return None
        if intent in self.knowledge.topics:
            return True, intent
        if (text or "").strip():
            return False, None
        return None

    def stopped(self, municipality: Municipality) -> str:
        return self._say("callback_stopped", municipality)

    def check_name(self, text: str | None, municipality: Municipality) -> Check:
        name = " ".join((text or "").split())
        if 2 <= len(name) <= 80 and _NAME.match(name):
            return Check(name)
        return Check(error=self._say("invalid_name", municipality))

    def check_phone(self, text: str | None, municipality: Municipality) -> Check:
        phone = parse_danish_phone(text)
        if phone is None:
            return Check(error=self._say("invalid_phone", municipality))
        return Check(phone.display)

    def is_urgent(self, category: str | None, municipality: Municipality) -> bool:
        """Whether the reason for the callback cannot wait days: a category the
        municipality lists as urgent (DEFAULT_URGENT_CALLBACKS unless its file
        says otherwise), or any sensitive category marked urgent (112)."""
        if not category:
            return False
        known = self.knowledge.sensitive.get(category)
        return category in municipality.urgent_callbacks or bool(known and known.urgent)

    def same_day_line(self, municipality: Municipality) -> str:
        """What to do today when no time is free today: the municipality's own
        line, else the message ``urgent_same_day`` (a phone number only when
        the municipality's number is verified)."""
        if municipality.same_day:
            return self.responder.render(municipality.same_day, municipality)
        return self._say("urgent_same_day", municipality)

    def _today(self, hours, slot: dt.datetime, now: dt.datetime) -> bool:
        return slot.astimezone(hours.tz).date() == now.astimezone(hours.tz).date()

    def slot_question(
        self,
        municipality: Municipality,
        now: dt.datetime,
        after: dt.datetime | None = None,
        taken: bool = False,
        category: str | None = None,
    ) -> Reply:
        """The first free times. An urgent callback is offered today's free
        times first, from all of the day's places (the quarter kept for staff
        too: that reserve is for matters that cannot wait); with none free
        today the reply opens with the same-day line."""
        urgent = self.is_urgent(category, municipality)
        hours = municipality.callback_hours
        slots = []
        prefix = ""
        if hours:
            # From the start of today: the chat's share counts the whole day's bookings.
            counts = self.store.booked_counts(municipality.key, hours.chat_day(now).start)

            def booked(slot: dt.datetime) -> int:
                return counts.get(storage_time(slot), 0)

            def booked_on(day: ChatDay) -> int:
                start, end = storage_time(day.start), storage_time(day.end)
                return sum(n for slot, n in counts.items() if start <= slot < end)

            if urgent and after is None:
                slots = [s for s in hours.free_slots(now, booked, 3) if self._today(hours, s, now)]
                if not slots:
                    prefix = self.same_day_line(municipality)
            if not slots:
                slots = hours.free_slots(now, booked, 3, after, booked_on)
            if not slots and hours.free_slots(now, booked, 1, after):
                # Places are left, but only staff's: the citizen can still get a call by phoning.
                return Reply(_join(prefix, self._say("no_chat_places", municipality)))
        if not slots:
            return Reply(_join(prefix, self._say("no_slots", municipality)))
        buttons = [{"title": danish_slot_label(s), "payload": s.isoformat()} for s in slots]
        buttons.append({"title": self._say("more_slots", municipality), "payload": MORE})
        question = self._say("slot_taken" if taken else "ask_slot", municipality)
        return Reply(_join(prefix, question), buttons)

    def check_slot(
        self, text: str | None, municipality: Municipality, now: dt.datetime, category: str | None = None
    ) -> Check:
        """A free, bookable slot; MORE for later times; otherwise an error.
        An urgent callback may take any of today's places (slot_question)."""
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
        day = self._day(hours, slot, now, self.is_urgent(category, municipality))
        if self.store.booked_on(municipality.key, day) >= day.places:
            return Check(error=self._say("slot_taken", municipality))
        return Check(slot)

    def _day(self, hours, slot: dt.datetime, now: dt.datetime, urgent: bool) -> ChatDay:
        """The slot's day and the places the chat may book on it: all of them
        for an urgent callback today."""
        day = hours.chat_day(slot)
        if urgent and self._today(hours, slot, now):
            return dataclasses.replace(day, places=hours.day_places(day.date))
        return day

    def book(
        self,
        municipality: Municipality,
        slot: dt.datetime,
        name: str,
        phone: str,
        topic: str | None,
        category: str | None,
        conversation_id: str,
        now: dt.datetime | None = None,
        client: object = None,
        reason: str | None = None,
    ) -> Booking:
        """Check every value again and store the booking; record the outcome.

        The values come from the tracker, which a forged call to the action
        server can fill with anything, so nothing the form validated is
        trusted here; ``client`` is the message metadata's pseudonym of the
        client address, checked by ``client_pseudonym``."""
        checked_name = self.check_name(redact(name or "").text, municipality)
        if checked_name.error:
            return Booking(REFUSED, checked_name.error)
        checked_phone = self.check_phone(phone, municipality)
        if checked_phone.error:
            return Booking(REFUSED, checked_phone.error)
        hours = municipality.callback_hours
        if hours is None or not isinstance(slot, dt.datetime) or slot.tzinfo is None:
            return Booking(REFUSED, self._say("invalid_slot", municipality))
        now = now or dt.datetime.now(dt.timezone.utc)
        if not hours.is_bookable(slot, now):
            return Booking(SLOT_TAKEN, self._say("invalid_slot", municipality))
        name, phone = checked_name.value, checked_phone.value
        try:
            callback = self.store.book(
                municipality.key,
                slot,
                hours.capacity,
                name,
                phone,
                topic=topic if topic in self.knowledge.topics or topic == OTHER_TOPIC else None,
                category=category if category in self.knowledge.sensitive or category in DETECTED else None,
                conversation_id=conversation_id,
                max_active=self.max_active,
                client=client_pseudonym(client),
                per_address=self.per_address,
                chat_day=self._day(hours, slot, now, self.is_urgent(category, municipality)),
                reason=reason,
            )
        except ChatPlacesFull:
            # Logged: a day's chat share running out is what an operator may want to know about.
            log.info(
                "the chat's share of callback places on %s is booked for %s",
                hours.chat_day(slot).date,
                municipality.key,
            )
            return Booking(SLOT_TAKEN, self._say("slot_taken", municipality))
        except SlotFull:
            return Booking(SLOT_TAKEN, self._say("slot_taken", municipality))
        except TooManyBookings as refusal:
            # Not journaled (nothing was booked), and no personal data or pseudonym in the log.
            per, which = refusal.args[0], refusal.args[1] if len(refusal.args) > 1 else "active"
            log.warning("refused a callback booking for %s: too many %s bookings per %s", municipality.key, which, per)
            if refusal.args[0] == "address":
                return Booking(REFUSED, self._say("too_many_bookings_address", municipality))
            return Booking(REFUSED, self._say("too_many_bookings", municipality, count=self.max_active))
        except DatabaseUnavailable as exc:
            # Nothing was stored: the transaction never committed. The message names the database.
            log.error("could not store a callback booking for %s: %s", municipality.key, exc)
            return Booking(FAILED, self._say("callback_failed", municipality))
        except Exception:
            log.exception("could not store a callback booking for %s", municipality.key)
            return Booking(FAILED, self._say("callback_failed", municipality))
        text = self._say(
            "callback_booked",
            municipality,
            name=name.split()[0],
            slot=danish_slot_label(slot.astimezone(municipality.callback_hours.tz)),
            phone=phone,
            reference=callback.reference,
            cancel_url=self.cancel_url,
        )
        if self.record_outcome is not None:
            self.record_outcome(municipality.key, "callback", topic, category)
        return Booking(BOOKED, text, callback.reference)

    def cancel(
        self, text: str | None, municipality: Municipality, conversation_id: str, language: str = DANISH
    ) -> Booking:
        """Cancel by reference: at once in the conversation that booked it;
        from any other, after the last four digits of the phone number it
        was booked with (``ASK_DIGITS``; the channel guard hands them over as
        a keyed token). An unknown reference is asked for digits too, and
        wrong digits get the same reply as an unknown reference, so nobody
        learns which references exist."""
        text = text or ""
        match = REFERENCE.search(text)
        if not match:
            return Booking(NOT_CANCELLED, self._say("ask_reference", municipality, language=language))
        reference = match.group(0).upper()
        token = DIGITS_TOKEN.search(text)
        if token is not None:
            try:
                booking = self.store.cancel_with_token(reference, token.group(1), via="chat")
            except CancelLocked:
                return Booking(NOT_CANCELLED, self._say("cancel_locked", municipality, language=language))
            except CancelRefused:
                return Booking(
                    NOT_CANCELLED, self._say("cancel_refused", municipality, language=language, reference=reference)
                )
        else:
            try:
                booking = self.store.cancel(reference, actor="citizen", conversation_id=conversation_id)
            except CallbackNotFound:
                return Booking(
                    ASK_DIGITS,
                    self._say("ask_cancel_digits", municipality, language=language, reference=reference),
                    reference,
                )
        return Booking(
            CANCELLED,
            self._say("callback_cancelled", municipality, language=language, reference=booking.reference),
            booking.reference,
        )
