"""Remove CPR numbers, e-mail addresses and phone numbers from a message
before Rasa parses, logs or stores it.

Open-source Rasa keeps everything it receives in the tracker store, so the
input channel calls ``redact`` first. A CPR number is DDMMYY-SSSS; citizens
write it in many ways, so the text is NFKC-normalised (full-width digits and
dashes, no-break spaces), every Unicode decimal digit is read as its ASCII
digit, and any run of separators (white space, dots, slashes, underscores,
every dash and minus) may stand between the date's groups DD, MM and YY
may split the ten digits into groups of one to six digits in any way
(``DDMM YY SSSS``, ``D DMMY YSS SS``, ``0102 03-1234`` …), URL-encoded
separators (``%2D``, ``%20`` …) and ``+`` included, as a link's query
string writes them. The ten digits are never part of a longer group of
digits, and the date must exist in the century that the seventh digit and
the year give. Modulus-11 is not checked: since 2007 not every CPR number
satisfies it (CPR-kontoret). A birth date and four digits introduced as the
last four ("de sidste fire", "last 4", "løbenummer") in one message are a
CPR number too. One shape is read as a case number, not a CPR number: a
year and a six-digit number after a case-number word or a reference prefix
("sagsnr. 2012-000123", "CB-2012-000123").

``redact_message`` also replaces e-mail addresses and phone numbers (the
pinned ``phonenumbers`` library's matcher, Danish numbers and international
ones with a +; a written date such as 24-12-2026 is no phone number),
except phone numbers when the channel says the message answers the
callback form's phone question (``keep_phone``). ``redact`` (sender ids,
metadata keys, names, journal values) removes CPR numbers only.

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
EMAIL_PLACEHOLDER = "[e-mail fjernet]"
PHONE_PLACEHOLDER = "[telefonnummer fjernet]"

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
# A link's query string writes a space, dash, dot, slash, underscore or plus
# URL-encoded, or a space as "+".
_URL_SEP = "%(?:2[0BbDdEeFf]|5[Ff])"
_ANY_SEP = f"(?:[\\s{DASHES}{MINUSES}{_OTHER}+]|{_URL_SEP})"
# Digit groups joined by separator runs. Digits and separators are disjoint,
# so the pattern never backtracks: linear in the text.
_RUN = re.compile(f"[0-9]+(?:{_ANY_SEP}+[0-9]+)*")
_RUN_TOKEN = re.compile(f"{_URL_SEP}|[0-9]+")
# The longest group a CPR number is written with, but the whole ten digits.
MAX_GROUP = 6
# "sagsnr. 2012-000123", "CB-2012-000123": a case number, not DDMM-YYSSSS.
_CASE_PREFIX = re.compile(
    r"(?:\b[A-Za-z]{1,4}-|\b(?:nr|sag|sags?nr|sagsnummer|j\.?\s?nr|journal(?:nr|nummer)|ref(?:erence)?)\.?:?\s*)$",
    re.IGNORECASE,
)
_YEAR = re.compile("(?:19|20)[0-9]{2}")

_DIGITS_2 = "[0-9]{2}"
# The halves of a number split over two messages: the date closing the first
# (not the last group of a longer number, as in the callback reference
# CB-2026-010203), the serial opening the next (not running on into another
# number).
_TRAILING_DATE = re.compile(rf"(?<![0-9])(?<![0-9]{_SEP})([0-9]{{2}})([0-9]{{2}})([0-9]{{2}}){_SEP}*$")
_LEADING_SERIAL = re.compile(rf"^{_SEP}*{_DIGITS_2}{_SEP}*{_DIGITS_2}(?!{_SEP}*[0-9])")


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
    for run in _RUN.finditer(text):
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in _RUN_TOKEN.finditer(run.group(0))]
        groups = [(start, end) for start, end in groups if text[start] != "%"]
        case_number = _CASE_PREFIX.search(text, max(0, run.start() - 24), run.start()) is not None
        spans.extend(_windows(text, groups, case_number))
    return spans


def _windows(text: str, groups: list[tuple[int, int]], case_number: bool) -> list[tuple[int, int]]:
    """Consecutive digit groups holding exactly ten digits that read as a CPR number."""
    found = []
    i = 0
    while i < len(groups):
        digits = ""
        end = i
        for j in range(i, len(groups)):
            group = text[groups[j][0] : groups[j][1]]
            if len(group) > MAX_GROUP and not (j == i and len(group) == 10):
                break
            digits += group
            end = j
            if len(digits) >= 10:
                break
        first = text[groups[i][0] : groups[i][1]]
        year_and_case = case_number and i == 0 and end == i + 1 and _YEAR.fullmatch(first) and len(digits) == 10
        if (
            len(digits) == 10
            and not year_and_case
            and is_cpr(*(int(d) for d in (digits[:2], digits[2:4], digits[4:6])), digits[6:])
        ):
            found.append((groups[i][0], groups[end][1]))
            i = end + 1
        else:
            i += 1
    return found


_MONTHS = {
    **dict.fromkeys(("jan", "januar", "january"), 1),
    **dict.fromkeys(("feb", "februar", "february"), 2),
    **dict.fromkeys(("mar", "marts", "march"), 3),
    **dict.fromkeys(("apr", "april"), 4),
    **dict.fromkeys(("maj", "may"), 5),
    **dict.fromkeys(("jun", "juni", "june"), 6),
    **dict.fromkeys(("jul", "juli", "july"), 7),
    **dict.fromkeys(("aug", "august"), 8),
    **dict.fromkeys(("sep", "sept", "september"), 9),
    **dict.fromkeys(("okt", "oct", "oktober", "october"), 10),
    **dict.fromkeys(("nov", "november"), 11),
    **dict.fromkeys(("dec", "december"), 12),
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_SEP = r"[./\- ]"
# A birth date as people write one: 12.03.1985, 12/3-85, 120385, 12. marts 1985, March 12, 1985.
_BIRTH_DATES = (
    re.compile(
        rf"(?<![0-9])([0-9]{{1,2}}){_DATE_SEP}{{1,2}}([0-9]{{1,2}}){_DATE_SEP}{{1,2}}([0-9]{{4}}|[0-9]{{2}})(?![0-9])"
    ),
    re.compile(r"(?<![0-9])([0-9]{2})([0-9]{2})([0-9]{2}|(?:19|20)[0-9]{2})(?![0-9])"),
    re.compile(
        rf"(?<![0-9])([0-9]{{1,2}})\.?\s*({_MONTH_NAMES})\.?,?\s*([0-9]{{4}}|[0-9]{{2}})(?![0-9])", re.IGNORECASE
    ),
    re.compile(rf"\b({_MONTH_NAMES})\.?\s*([0-9]{{1,2}})(?:st|nd|rd|th)?,?\s*([0-9]{{4}})(?![0-9])", re.IGNORECASE),
)
# Four digits introduced as a CPR number's serial.
_LAST_FOUR = re.compile(
    r"(?:(?:sidste|last|bageste)\s+(?:fire|4|four)|(?:fire|4|four)\s+(?:sidste|last|bageste)|kontrol(?:cifre|tal|nummer)"
    r"|l[øo]benummer|serial)[^0-9]{0,30}?(?<![0-9])([0-9]{4})(?![0-9])",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![\w-])")
# A written date (24-12-2026, 24.12.26) is no phone number, though its digits may be.
_WRITTEN_DATE = re.compile(r"([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{2}|[0-9]{4})")
# Thousands grouped with dots (40.100.000 kr) are an amount, not a phone number.
_AMOUNT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
# Phone numbers are read as Danish unless they carry a country code.
PHONE_REGION = "DK"


def _birth_date_with_last_four(text: str) -> list[tuple[int, int]]:
    """The spans of a birth date and the last four given apart in one
    message, when together they make a CPR number; else none."""
    serial = _LAST_FOUR.search(text)
    if serial is None:
        return []
    for pattern in _BIRTH_DATES:
        for match in pattern.finditer(text):
            parts = match.groups()
            if parts[0].isalpha() or parts[0].lower() in _MONTHS:
                month, day, year = parts
            else:
                day, month, year = parts
            month = _MONTHS[month.lower()] if month.lower() in _MONTHS else int(month)
            day, year = int(day), int(year)
            if year >= 100 and cpr_century(int(serial.group(1)[0]), year % 100) != year - year % 100:
                continue
            if _date_exists(year if year >= 100 else cpr_century(int(serial.group(1)[0]), year) + year, month, day):
                return sorted([match.span(), serial.span(1)])
    return []


def _replace(text: str, spans: list[tuple[int, int]], placeholder: str = PLACEHOLDER) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + placeholder + text[end:]
    return text


def _email_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _EMAIL.finditer(text)]


def _phone_spans(text: str) -> list[tuple[int, int]]:
    import phonenumbers

    spans = []
    for match in phonenumbers.PhoneNumberMatcher(text, PHONE_REGION, leniency=phonenumbers.Leniency.VALID):
        date = _WRITTEN_DATE.fullmatch(match.raw_string)
        if date and is_birth_date(int(date.group(1)), int(date.group(2)), int(date.group(3)) % 100):
            continue
        if _AMOUNT.fullmatch(match.raw_string):
            continue
        spans.append((match.start, match.end))
    return spans


def redact(text: str) -> Redaction:
    """``text`` normalised, with every complete CPR number replaced."""
    text = normalise(text)
    spans = _cpr_spans(text)
    text = _replace(text, spans)
    together = _birth_date_with_last_four(text)
    if together:
        text = _replace(text, together)
    found = len(spans) + (1 if together else 0)
    return Redaction(text, {"cpr": found} if found else {})


def redact_message(text: str, continues_date: bool = False, keep_phone: bool = False) -> Redaction:
    """``redact``, the halves of a number split over two messages, e-mail
    addresses and (unless ``keep_phone``) phone numbers.

    ``continues_date``: the sender's previous message ended in a birth date,
    so four digits opening this one are its serial. ``keep_phone``: the
    message answers the callback form's phone question."""
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
    counts = {"cpr": found} if found else {}
    if emails := _email_spans(text):
        text = _replace(text, emails, EMAIL_PLACEHOLDER)
        counts["email"] = len(emails)
    if not keep_phone and (phones := _phone_spans(text)):
        text = _replace(text, phones, PHONE_PLACEHOLDER)
        counts["phone"] = len(phones)
    return Redaction(text, counts, ends_with_date)
