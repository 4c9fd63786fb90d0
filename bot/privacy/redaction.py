"""Remove CPR numbers, e-mail addresses and phone numbers from a message
before Rasa parses, logs or stores it.

Open-source Rasa keeps everything it receives in the tracker store, so the
input channel calls ``redact_message`` first. The text is NFKC-normalised
(full-width digits and dashes, no-break spaces) and every Unicode decimal
digit is read as its ASCII digit, so the patterns see what a reader sees.
What is removed, and its placeholder and key in ``Redaction.counts``:

- CPR numbers, ``[CPR-nummer fjernet]``, "cpr": ten digits in any grouping
  by any separators, including URL-encoded ones in a link (bot/privacy/cpr.py
  says which groupings are taken and which read as ordinary numbers); and a
  birth date together with four digits introduced as "the last four" ("født
  12.03.1985, de sidste fire er 1234"): both are removed and count as one
  number. A birth date alone stays, except as below.
- E-mail addresses, ``[e-mail fjernet]``, "email".
- Phone numbers, ``[telefonnummer fjernet]``, "phone": Danish numbers and
  numbers with a country prefix (bot/privacy/contacts.py). The callback
  form's answer to "what is your phone number?" keeps its number
  (``keep_phone``): it is what the caseworker calls.

``redact`` removes CPR numbers only: ids, keys, names, log lines and
caseworkers' notes hold dates, amounts and references that a phone-number
reader would take, and e-mail or phone there is not the citizen's chat.

A number split over two messages is handled with ``redact_message``: a
trailing six-digit date is removed at once (it is stored otherwise), and
the channel guard remembers that the sender's next message may start with
the serial (or give it as "de sidste fire er 1234").

The CPR placeholder marks a personal matter for bot/chat/sensitive.py; the
e-mail and phone placeholders do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.privacy.contacts import email_spans, phone_spans
from bot.privacy.cpr import (
    DASHES,
    MINUSES,
    SEP,
    birth_date_spans,
    cpr_century,
    cpr_spans,
    is_birth_date,
    is_cpr,
    last_four_spans,
    merge,
    normalise,
)

__all__ = [
    "DASHES",
    "EMAIL_PLACEHOLDER",
    "MINUSES",
    "PHONE_PLACEHOLDER",
    "PLACEHOLDER",
    "Redaction",
    "cpr_century",
    "is_birth_date",
    "is_cpr",
    "normalise",
    "redact",
    "redact_message",
]

PLACEHOLDER = "[CPR-nummer fjernet]"
EMAIL_PLACEHOLDER = "[e-mail fjernet]"
PHONE_PLACEHOLDER = "[telefonnummer fjernet]"

# The halves of a number split over two messages: the date closing the first
# (not the last group of a longer number, as in the callback reference
# CB-2026-010203), the serial opening the next (not running on into another
# number).
_TRAILING_DATE = re.compile(rf"(?<![0-9])(?<![0-9]{SEP})([0-9]{{2}})([0-9]{{2}})([0-9]{{2}}){SEP}*$")
_LEADING_SERIAL = re.compile(rf"^{SEP}*[0-9]{{2}}{SEP}*[0-9]{{2}}(?!{SEP}*[0-9])")


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict = field(default_factory=dict)
    # The text ended in a birth date (removed): the sender's next message may
    # open with the serial.
    ends_with_date: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.counts)


def _replace(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    for start, end in reversed(spans):
        text = text[:start] + placeholder + text[end:]
    return text


def _count(counts: dict, key: str, found: int) -> None:
    if found:
        counts[key] = counts.get(key, 0) + found


def _redact_cpr(text: str, counts: dict, continues_date: bool = False) -> str:
    spans = cpr_spans(text)
    text = _replace(text, spans, PLACEHOLDER)
    _count(counts, "cpr", len(spans))
    # A birth date and the last four: each four is one number. After a
    # message that ended in a date the four alone are the serial.
    dates = birth_date_spans(text)
    if (fours := last_four_spans(text, dates)) and (dates or continues_date):
        text = _replace(text, merge(fours + dates), PLACEHOLDER)
        _count(counts, "cpr", len(fours))
    return text


def redact(text: str) -> Redaction:
    """``text`` normalised, with every CPR number replaced."""
    counts: dict = {}
    text = _redact_cpr(normalise(text), counts)
    return Redaction(text, counts)


def redact_message(text: str, continues_date: bool = False, keep_phone: bool = False) -> Redaction:
    """A citizen's message with CPR numbers, e-mail addresses and phone
    numbers replaced, and the halves of a CPR number split over two messages.

    ``continues_date``: the sender's previous message ended in a birth date,
    so four digits opening this one (or introduced as the last four) are its
    serial. ``keep_phone``: leave phone numbers (the answer to the callback
    form's phone question); CPR numbers and e-mail addresses still go."""
    counts: dict = {}
    text = normalise(text)
    # E-mail first: an address may hold digits that read as a CPR number,
    # and the address goes whole. Such digits still count as a CPR number.
    emails = email_spans(text)
    _count(counts, "cpr", sum(len(cpr_spans(text[start:end])) for start, end in emails))
    text = _replace(text, emails, EMAIL_PLACEHOLDER)
    _count(counts, "email", len(emails))
    found_before = counts.get("cpr", 0)
    text = _redact_cpr(text, counts, continues_date)
    if continues_date and counts.get("cpr", 0) == found_before and (serial := _LEADING_SERIAL.match(text)):
        text = PLACEHOLDER + text[serial.end() :]
        _count(counts, "cpr", 1)
    date = _TRAILING_DATE.search(text)
    ends_with_date = date is not None and is_birth_date(*(int(g) for g in date.groups()))
    if ends_with_date:
        text = text[: date.start()] + PLACEHOLDER
        _count(counts, "cpr", 1)
    if not keep_phone:
        phones = phone_spans(text)
        text = _replace(text, phones, PHONE_PLACEHOLDER)
        _count(counts, "phone", len(phones))
    return Redaction(text, counts, ends_with_date)
