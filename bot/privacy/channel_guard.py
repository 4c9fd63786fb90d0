"""The one guard every input channel puts in front of Rasa.

``prepare`` decides what of a citizen's message Rasa may see; whatever
reaches Rasa is parsed, logged and kept in the tracker store. In order:

1. the sender id must be a short plain id that is not a CPR number
   (otherwise HTTP 400 on REST and a Danish reply);
2. the message must be text and the metadata an object (otherwise HTTP 400
   and a Danish reply: a broken or hostile client, never an answer);
3. metadata: only ``kommune`` passes, and only as a known municipality key;
   other keys are dropped (their names logged, never their values), and an
   unknown municipality gets the setup error, since answering with another
   municipality's addresses and phone numbers would mislead; the channel
   adds ``client``, its pseudonym for the client address (glue.guard), so
   the booking can cap bookings per address;
4. the text must not be empty or too long, measured before any Unicode
   normalisation (bot.privacy.message_guard);
5. a slash message must be a button the assistant offers
   (bot.privacy.payloads), or it is refused;
6. CPR numbers, e-mail addresses and phone numbers are removed
   (bot.privacy.redaction), including a CPR number split over two messages
   from the same sender (bot.privacy.split). Phone numbers stay only in the
   one message that answers the callback form's phone question: the
   channel tells the guard when the assistant asked it (``expect_phone``).
   Likewise, after "the last four digits of the phone number?" (to cancel
   a callback from another conversation, ``expect_digits``), a message of
   four digits reaches Rasa only as the cancel intent with the digits'
   keyed token (bot.privacy.cancel_digits), so the tracker never holds them.

A refused message gets a Danish reply from the channel itself.
``error_reply`` words the apology for a turn that produced no answer. Both
channels (REST and socket.io) use this class, so they behave alike.

The replies are knowledge texts, reached through a ``messages`` callable
(message name, municipality key, template values), and the keys the guard
accepts through a ``vocabulary`` callable, both built by the channel from
the knowledge base; this module never sees the Assistant. When even that
fails, fixed Danish fallbacks keep the citizen informed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.privacy.cancel_digits import REFERENCE, ExpectedDigits, digits_token, sealed_message, typed_digits
from bot.privacy.message_guard import check_message, valid_sender
from bot.privacy.payloads import Vocabulary, check_payload
from bot.privacy.redaction import redact, redact_message
from bot.privacy.split import SplitNumbers

log = logging.getLogger(__name__)

# Replies when the configuration itself is broken, so no municipality data
# can be trusted; deliberately free of template fields.
SETUP_ERROR = (
    "Beklager, assistenten er ikke sat rigtigt op lige nu, så jeg kan ikke svare. "
    "Kontakt venligst kommunen via kommunens hjemmeside."
)
BAD_REQUEST = "Beskeden kunne ikke læses. Prøv at sende den igen."
BAD_SENDER = "Beskeden kunne ikke modtages, fordi samtalens id ikke er gyldigt. Start en ny samtale, og prøv så igen."
UNKNOWN_BUTTON = "Den knap eller kommando kender jeg ikke. Skriv dit spørgsmål med dine egne ord, så hjælper jeg gerne."
_FALLBACKS = {
    "bad_sender": BAD_SENDER,
    "unknown_button": UNKNOWN_BUTTON,
    "not_text": BAD_REQUEST,
    "rate_limited": "Du har sendt mange beskeder på kort tid. Prøv igen om lidt.",
    "too_long": "Din besked er for lang ({length} tegn). Skriv dit spørgsmål kort.",
    "empty_message": "Din besked var tom. Skriv dit spørgsmål, så hjælper jeg gerne.",
    "technical_error": SETUP_ERROR,
    "chat_unavailable": "Chatten er midlertidigt utilgængelig, så din besked er ikke modtaget. "
    "Prøv igen om et par minutter, eller ring til kommunen.",
}

# Municipality keys are file names in knowledge/municipalities/.
_MUNICIPALITY_KEY = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_LOGGED_KEYS = 10

# (message name, municipality key or None for the default, template values) -> Danish text
Messages = Callable[..., str]


@dataclass(frozen=True)
class Prepared:
    """A message ready for Rasa (``text``), or the channel's own ``refusal``
    with the HTTP ``status`` a REST channel answers it with."""

    text: str | None
    metadata: dict = field(default_factory=dict)
    refusal: str | None = None
    status: int = 200


class ChannelGuard:
    def __init__(
        self,
        messages: Messages,
        max_chars: int,
        vocabulary: Callable[[], Vocabulary] = Vocabulary,
        split: SplitNumbers | None = None,
        phone_fields: SplitNumbers | None = None,
        cancel_key: bytes | None = None,
    ):
        self.messages = messages
        self.max_chars = max_chars
        self.vocabulary = vocabulary
        self.split = split if split is not None else SplitNumbers()
        # Senders whom the assistant has just asked for their phone number.
        self.phone_fields = phone_fields if phone_fields is not None else SplitNumbers()
        # Senders asked for the last four digits of a booking's phone, to cancel it (issue 27).
        self.cancel_key = cancel_key
        self.digit_fields = ExpectedDigits()

    def expect_phone(self, sender: str) -> None:
        """The assistant asked this sender for a phone number: the next
        message is the callback form's phone field, so its number stays."""
        self.phone_fields.remember(sender)

    def expect_digits(self, sender: str, reference: object) -> None:
        """The assistant asked this sender for the last four digits of the
        phone number ``reference`` was booked with: four digits in the next
        message reach Rasa only as their keyed token (never in clear)."""
        if self.cancel_key is not None and isinstance(reference, str) and REFERENCE.fullmatch(reference):
            self.digit_fields.remember(sender, reference)

    def prepare(self, text: object, metadata: object, sender: object, client: str | None = None) -> Prepared:
        if not valid_sender(sender):
            log.warning("message refused: the sender id is not a short plain id")
            return Prepared(None, refusal=self._say("bad_sender", None), status=400)
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict) or not isinstance(text, str):
            problem = "'metadata' is not an object" if isinstance(text, str) else "'message' is not a string"
            log.warning("message from %s refused: %s", sender, problem)
            return Prepared(None, refusal=self._say("not_text", None), status=400)
        _log_dropped(sender, [key for key in metadata if key != "kommune"])
        municipality = self.municipality(metadata.get("kommune"))
        if municipality is False:
            log.warning("message from %s refused: unknown municipality key in its metadata", sender)
            return Prepared(None, refusal=SETUP_ERROR)
        passed = {"kommune": municipality} if municipality else {}
        if client:
            passed["client"] = client
        checked = check_message(text, self.max_chars)
        if checked.problem:
            log.info("message from %s not passed on: %s (%d chars)", sender, checked.problem, checked.length)
            return Prepared(None, passed, self._say(checked.problem, municipality, length=checked.length))
        phone_field = self.phone_fields.take(sender)
        digits_for = self.digit_fields.take(sender)
        if digits_for is not None and (digits := typed_digits(checked.text)) is not None:
            self.split.take(sender)
            log.info("the last four digits from %s passed on as their keyed token", sender)
            return Prepared(sealed_message(digits_for, digits_token(self.cancel_key, digits)), passed)
        if checked.text.startswith("/"):
            self.split.take(sender)  # a button is no serial
            payload = check_payload(checked.text, self._vocabulary())
            if payload.text is None:
                log.info("button payload from %s refused (%d CPR numbers in it)", sender, payload.cpr)
                return Prepared(None, passed, self._say("unknown_button", municipality))
            return Prepared(payload.text, passed)
        # Redact before Rasa sees the text: whatever reaches Rasa is stored.
        redaction = redact_message(checked.text, continues_date=self.split.take(sender), keep_phone=phone_field)
        if redaction.ends_with_date:
            self.split.remember(sender)
        if redaction.changed:
            passed = {**passed, "redacted": redaction.counts}
            log.info("redacted %s in a message from %s", redaction.counts, sender)
        return Prepared(redaction.text, passed)

    def municipality(self, raw: object) -> str | None | bool:
        """The known municipality key, None when none is given, False when it is unknown."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        key = raw.strip().lower() if isinstance(raw, str) else ""
        if not _MUNICIPALITY_KEY.fullmatch(key) or redact(key).changed:
            return False
        known = self._vocabulary().municipalities
        return key if known is None or key in known else False

    def error_reply(self, municipality: object) -> str:
        key = self.municipality(municipality)
        return self._say("technical_error", key or None) if key is not False else SETUP_ERROR

    def _vocabulary(self) -> Vocabulary:
        try:
            return self.vocabulary()
        except Exception as exc:
            # Nothing can be confirmed: no municipality key, no topic button passes.
            log.error("channel guard without its vocabulary: %s", exc)
            return Vocabulary(frozenset())

    def unavailable(self, municipality: object) -> str:
        """The Danish 'the chat is down, try again or call' when Rasa cannot
        take the conversation's lock (its lock store is unreachable)."""
        key = self.municipality(municipality)
        return self._say("chat_unavailable", key or None)

    def rate_limited(self, municipality: str | None) -> str:
        """The Danish 'try again in a moment' for a channel's rate limit."""
        return self._say("rate_limited", municipality)

    def _say(self, name: str, municipality: str | None, **values) -> str:
        try:
            return self.messages(name, municipality, **values)
        except Exception:
            log.exception("could not render the %s message", name)
            return _FALLBACKS[name].format(**values)


def _log_dropped(sender: str, keys: list) -> None:
    if keys:
        # Key names come from the client: redacted, shortened, a few at most.
        names = sorted(repr(redact(str(key)).text[:40]) for key in keys[:_LOGGED_KEYS])
        log.info("metadata keys dropped from a message from %s: %s", sender, ", ".join(names))
