"""Remove CPR numbers from a message before Rasa parses, logs or stores it.

Open-source Rasa keeps everything it receives in the tracker store, so the
input channel calls ``redact`` first. A CPR number is DDMMYY-SSSS; citizens
write it in many ways, so the text is NFKC-normalised (full-width digits and
dashes, no-break spaces), every Unicode decimal digit is read as its ASCII
digit, and any run of separators (white space, dots, slashes, underscores,
every dash and minus) may stand between the date's groups DD, MM and YY
(both or neither), before the serial, and between the serial's halves when
the serial stands apart (``DD MM YY SS SS``). The ten digits are never part
of a longer run of digits, and the date must exist in the century that the
seventh digit and the year give. Modulus-11 is not checked: since 2007 not every CPR number
satisfies it (CPR-kontoret).

A number split over two messages is handled with ``redact_message``: a
trailing six-digit date is removed at once (it is stored otherwise), and
the channel guard remembers that the sender's next message may start with
the serial.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

PLACEHOLDER = "[CPR-nummer fjernet]"

# Unicode's dash punctuation (category Pd; tests/unit/test_redaction.py keeps
# the list complete) and the minus signs, which are mathematical symbols.
DASHES = (
    "\\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d"
    "\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead"
)
MINUSES = "\u2212\u2796\u02d7\u207b\u208b"
# Slashes beyond "/" survive NFKC; the format characters are invisible and
# would otherwise split a number for the pattern but not for the reader.
_OTHER = "./_\u2044\u2215\u00ad\u200b-\u200d\u2060\ufeff"
_SEP = f"[\\s{DASHES}{MINUSES}{_OTHER}]"

# The date is DDMMYY or DD MM YY with both inner separators: a year glued to
# a six-digit case number ("2012-000123", CB-2012-000123) is no CPR number.
# The serial's halves stand apart only when the serial does (DD MM YY SS SS).
_DIGITS_2 = "[0-9]{2}"
_CPR = re.compile(
    rf"(?<![0-9])(?:[0-9]{{6}}|{_DIGITS_2}{_SEP}+{_DIGITS_2}{_SEP}+{_DIGITS_2})"
    rf"(?:{_SEP}*[0-9]{{4}}|{_SEP}+{_DIGITS_2}{_SEP}+{_DIGITS_2})(?![0-9])"
)
# The halves of a number split over two messages: the date closing the first
# (not the last group of a longer number, as in the callback reference
# CB-2026-010203), the serial opening the next (not running on into another
# number).
_TRAILING_DATE = re.compile(rf"(?<![0-9])(?<![0-9]{_SEP})([0-9]{{2}})([0-9]{{2}})([0-9]{{2}}){_SEP}*$")
_LEADING_SERIAL = re.compile(rf"^{_SEP}*{_DIGITS_2}{_SEP}*{_DIGITS_2}(?!{_SEP}*[0-9])")
_NOT_DIGIT = re.compile("[^0-9]")


def normalise(text: str) -> str:
    """NFKC, then every decimal digit as ASCII, so the patterns see what a reader sees."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(_ascii_digit(ch) for ch in text)


def _ascii_digit(ch: str) -> str:
    if ch.isascii():
        return ch
    value = unicodedata.decimal(ch, None)
    return ch if value is None else str(value)


def cpr_century(seventh_digit: int, yy: int) -> int:
    """The century of a CPR birth date from digit 7 and the two-digit year."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800  # 5-8


def _date_exists(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def is_cpr(day: int, month: int, yy: int, serial: str) -> bool:
    return _date_exists(cpr_century(int(serial[0]), yy) + yy, month, day)


def is_birth_date(day: int, month: int, yy: int) -> bool:
    """DDMMYY exists in one of the centuries a CPR number can give."""
    return any(_date_exists(century + yy, month, day) for century in (1800, 1900, 2000))


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


def _cpr_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    while (match := _CPR.search(text, pos)) is not None:
        digits = _NOT_DIGIT.sub("", match.group(0))
        if is_cpr(int(digits[:2]), int(digits[2:4]), int(digits[4:6]), digits[6:]):
            spans.append(match.span())
            pos = match.end()
        else:
            # An impossible date may overlap a real number ("32 01 02 03 12 34").
            pos = match.start() + 1
    return spans


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in reversed(spans):
        text = text[:start] + PLACEHOLDER + text[end:]
    return text


def redact(text: str) -> Redaction:
    """``text`` normalised, with every complete CPR number replaced."""
    text = normalise(text)
    spans = _cpr_spans(text)
    return Redaction(_replace(text, spans), {"cpr": len(spans)} if spans else {})


def redact_message(text: str, continues_date: bool = False, keep_phone: bool = False) -> Redaction:
    """``redact``, plus the halves of a number split over two messages.

    ``continues_date``: the sender's previous message ended in a birth date,
    so four digits opening this one are its serial."""
    redaction = redact(text)
    text, found = redaction.text, redaction.counts.get("cpr", 0)
    if continues_date and (serial := _LEADING_SERIAL.match(text)):
        text = PLACEHOLDER + text[serial.end() :]
        found += 1
    date = _TRAILING_DATE.search(text)
    ends_with_date = date is not None and is_birth_date(*(int(g) for g in date.groups()))
    if ends_with_date:
        text = text[: date.start()] + PLACEHOLDER
        found += 1
    return Redaction(text, {"cpr": found} if found else {}, ends_with_date)
