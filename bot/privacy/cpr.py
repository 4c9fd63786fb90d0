"""Where a text holds a CPR number: ten digits in any grouping, or a birth
date and "the last four" in one message.

A CPR number is ten digits whose first six are a date that exists in the
century the seventh digit and the year give (modulus 11 is not checked:
since 2007 not every CPR number satisfies it, CPR-kontoret). Citizens split
the ten digits into any groups (``DDMMYY-SSSS``, ``DD MM YY SS SS``,
``DDMM YY SSSS``, one digit at a time ...) with any run of separators:
white space, dots, slashes, underscores, every dash and minus, the
invisible format characters, ``+`` and URL-encoded separators (``%2D``,
``%20``, ``%C2%A0`` ...) as in a link's query.

The text is read as chains: digit groups joined only by separator runs.
A number is a window of whole groups of one chain with ten digits, so it is
never part of a longer run of digits. Which windows are taken:

- A window in a CPR grouping (``STRONG``: 10, 6-4, 6-2-2, 2-2-6, 2-2-2-4,
  2-2-2-2-2, 4-2-4, 4-2-2-2) is taken even when the chain goes on, as in
  "1 010203 1234" or two numbers side by side.
- Any other grouping (3-3-4, 1-1-1-1-1-1-1-1-1-1, 2-4-4 ...) is taken only
  when it is the whole chain: inside a longer chain of ordinary numbers
  (dates with times, lists of phone pairs) ten digits in an odd grouping
  are far more often chance than a CPR number.

Groupings that read as ordinary numbers are not taken (each ambiguity is
named; the false-redaction corpus in tests/unit/test_redaction.py keeps
them honest):

- a year (19xx/20xx) glued to a case number: a window that starts with a
  four-digit group reading as a year is taken only as ``DDMM YY SSSS`` or
  ``DDMM YY SS SS`` standing alone, and the latter not when it reads as an
  ISO date and hour (``2011-03-12 10``): "2012-000123", CB-2012-000123,
  "01.02.2011 10.30-11.30";
- a date with a four-digit year and two more digits, ``DD.MM.YYYY NN``
  ("den 01.02.2024 10 personer"): digits 5-8 one group reading 19xx/20xx;
- a date and a time ``DD.MM.YY HH.MM`` ("12.03.25 10.30");
- a period ``DD.MM.YY-DD.MM.YY`` (or with a four-digit end year): the
  serial's halves and the one group after them read as a date.

A CPR number with the birth year written in full (``DD-MM-YYYY-SSSS``,
``DDMMYYYY-SSSS``; twelve digits) is one too, taken only as a whole chain
in those two groupings, when the serial's first digit gives the year's
century and the serial is joined by something other than white space:
"den 01.02.2024 5000 kr" is a date and an amount.

The work is linear in the text: one tokenising pass, then at most ten
groups per window start.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

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
SEP = f"[\\s{DASHES}{MINUSES}{_OTHER}]"
_SEP_CHAR = re.compile(SEP)

# One URL-encoded character (one to four UTF-8 bytes); it is a separator
# when it decodes to one.
_PERCENT = (
    r"%(?:[0-7][0-9A-Fa-f]|[CDcd][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|[Ee][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){2}"
    r"|[Ff][0-7](?:%[89ABab][0-9A-Fa-f]){3})"
)
# "+" is a space in a URL query (application/x-www-form-urlencoded).
_TOKEN = re.compile(rf"([0-9]+)|((?:{SEP}|\+)+)|({_PERCENT})")

STRONG = frozenset({(10,), (6, 4), (6, 2, 2), (2, 2, 6), (2, 2, 2, 4), (2, 2, 2, 2, 2), (4, 2, 4), (4, 2, 2, 2)})
CPR_DIGITS = 10
_YEAR_PREFIXES = ("19", "20")  # years 1900-2099 as ordinary texts hold them


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


def date_exists(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def is_cpr(day: int, month: int, yy: int, serial: str) -> bool:
    return date_exists(cpr_century(int(serial[0]), yy) + yy, month, day)


def is_birth_date(day: int, month: int, yy: int) -> bool:
    """DDMMYY exists in one of the centuries a CPR number can give."""
    return any(date_exists(century + yy, month, day) for century in (1800, 1900, 2000))


def is_separator_run(text: str) -> bool:
    """Whether ``text`` (already normalised) is one or more separators, as between a CPR number's groups."""
    return bool(text) and all(_SEP_CHAR.fullmatch(ch) or ch == "+" for ch in text)


@dataclass(frozen=True)
class Group:
    start: int
    end: int
    digits: str


def chains(text: str) -> Iterator[list[Group]]:
    """Runs of digit groups joined only by separators, in text order."""
    chain: list[Group] = []
    joined = False  # nothing but separators since the chain's last group
    position = 0
    for token in _TOKEN.finditer(text):
        if token.start() != position:
            joined = False  # something else stood between
        position = token.end()
        if token.group(1) is not None:
            if not joined and chain:
                yield chain
                chain = []
            chain.append(Group(token.start(), token.end(), token.group(1)))
            joined = True
        elif token.group(3) is not None and not is_separator_run(unquote(token.group(3))):
            joined = False
    if chain:
        yield chain


def _day_month(day: str, month: str) -> bool:
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12


def _taken(text: str, chain: list[Group], first: int, last: int) -> bool:
    groups = chain[first : last + 1]
    digits = "".join(group.digits for group in groups)
    if not is_cpr(int(digits[:2]), int(digits[2:4]), int(digits[4:6]), digits[6:]):
        return False
    shape = tuple(len(group.digits) for group in groups)
    alone = first == 0 and last == len(chain) - 1
    if not alone and shape not in STRONG:
        return False
    if shape[0] == 4 and digits[:2] in _YEAR_PREFIXES:
        ddmm_yy = shape == (4, 2, 4) or (shape == (4, 2, 2, 2) and not _day_month(digits[6:8], digits[4:6]))
        if not (alone and ddmm_yy):
            return False  # a year and a case number, an ISO date, a date's year and a time
    cuts, position = set(), 0
    for group in groups[:-1]:
        position += len(group.digits)
        cuts.add(position)
    if 8 in cuts and not cuts & {5, 6, 7} and digits[4:6] in _YEAR_PREFIXES:
        return False  # DD.MM.YYYY and two more digits
    separators = [text[a.end : b.start] for a, b in zip(groups, groups[1:], strict=False)]
    if (
        shape == (2, 2, 2, 2, 2)
        and separators[0] in (".", "/")
        and separators[1] == separators[0]
        and separators[2].isspace()
        and separators[3] == "."
        and int(digits[6:8]) <= 23
        and int(digits[8:]) <= 59
    ):
        return False  # DD.MM.YY HH.MM
    # Not a period DD.MM.YY-DD.MM.YY: the serial's halves and one group after.
    period = {6, 8} <= cuts and last == len(chain) - 2 and len(chain[-1].digits) in (2, 4)
    return not (period and _day_month(digits[6:8], digits[8:]))


# A CPR number with a four-digit year: DDMMYYYY-SSSS and DD-MM-YYYY-SSSS.
FULL_YEAR = frozenset({(8, 4), (2, 2, 4, 4)})


def _full_year(text: str, chain: list[Group]) -> bool:
    """The whole chain is a CPR number with its birth year written in full."""
    if tuple(len(group.digits) for group in chain) not in FULL_YEAR:
        return False
    digits = "".join(group.digits for group in chain)
    year, serial = int(digits[4:8]), digits[8:]
    if text[chain[-2].end : chain[-1].start].isspace():
        return False  # a date and an amount or a time
    return cpr_century(int(serial[0]), year % 100) + year % 100 == year and is_cpr(
        int(digits[:2]), int(digits[2:4]), year % 100, serial
    )


def cpr_spans(text: str) -> list[tuple[int, int]]:
    """The spans (first digit to last) of the CPR numbers in normalised ``text``."""
    spans = []
    for chain in chains(text):
        if _full_year(text, chain):
            spans.append((chain[0].start, chain[-1].end))
            continue
        first = 0
        while first < len(chain):
            total, last = 0, first
            while last < len(chain) and total < CPR_DIGITS:
                total += len(chain[last].digits)
                last += 1
            if total == CPR_DIGITS and _taken(text, chain, first, last - 1):
                spans.append((chain[first].start, chain[last - 1].end))
                first = last
            else:
                first += 1
    return spans


# -- a birth date and "the last four" in one message -------------------------

# The words that introduce a CPR number's serial: "de sidste fire (cifre)",
# "sidste 4", "de 4 sidste", "kontrolcifrene", "løbenummer", "last four".
_LAST_FOUR = re.compile(
    r"\b(?:(?:sidste|bageste|bagerste)\s+(?:fire|4)|(?:fire|4)\s+(?:sidste|bageste|bagerste)"
    r"|kontrolcifre(?:ne)?|kontrolciffer|kontrolnummer(?:et)?|løbenummer(?:et)?|løbenr|lobenummer(?:et)?"
    r"|last\s+(?:four|4)|(?:four|4)\s+last)(?![\w])"
    # "de sidste fire år" is a time, not a number.
    r"(?!\s+(?:år|måneder|uger|dage|gange|timer|years|months|weeks|days|times)\b)",
    re.IGNORECASE,
)
# How far after those words the four digits may stand: "de sidste 4 cifre i
# mit cpr-nummer er 1234" has 27 characters between; the limit keeps the
# search bounded and a number further on unrelated.
GAP_AFTER = 40
_FOUR_AFTER = re.compile(rf"[^0-9]{{0,{GAP_AFTER}}}?(?<![0-9])([0-9]{{2}}{SEP}?[0-9]{{2}})(?![0-9])")
# Before the words only as "1234 er de sidste fire", "1234 (de sidste 4)".
_FOUR_BEFORE = re.compile(
    rf"(?<![0-9])([0-9]{{2}}{SEP}?[0-9]{{2}})\s*[(:=,-]?\s*(?:(?:er|is|are)\s+)?(?:(?:de|the|my|mine)\s+)?$",
    re.IGNORECASE,
)

_MONTHS = {
    **dict.fromkeys(("januar", "january", "jan"), 1),
    **dict.fromkeys(("februar", "february", "feb"), 2),
    **dict.fromkeys(("marts", "march", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("maj", "may"), 5),
    **dict.fromkeys(("juni", "june", "jun"), 6),
    **dict.fromkeys(("juli", "july", "jul"), 7),
    **dict.fromkeys(("august", "aug"), 8),
    **dict.fromkeys(("september", "sept", "sep"), 9),
    **dict.fromkeys(("oktober", "october", "okt", "oct"), 10),
    **dict.fromkeys(("november", "nov"), 11),
    **dict.fromkeys(("december", "dec"), 12),
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"([0-9]{4}|[0-9]{2})(?![0-9])"
# 12.03.1985, 12/3-85, 12 03 85; 120385, 12031985; 12. marts 1985, 12th of
# March 1985; March 12, 1985.
_DATES = (
    (re.compile(rf"(?<![0-9])([0-9]{{1,2}}){SEP}{{1,3}}([0-9]{{1,2}}){SEP}{{1,3}}{_YEAR}"), (1, 2, 3)),
    (re.compile(r"(?<![0-9])([0-9]{2})([0-9]{2})([0-9]{4}|[0-9]{2})(?![0-9])"), (1, 2, 3)),
    (
        re.compile(
            rf"(?<![0-9])([0-9]{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?({_MONTH})\b\.?,?\s*{_YEAR}", re.IGNORECASE
        ),
        (1, 2, 3),
    ),
    (
        re.compile(rf"\b({_MONTH})\b\.?\s+([0-9]{{1,2}})(?:st|nd|rd|th)?,?\s+([0-9]{{4}})(?![0-9])", re.IGNORECASE),
        (2, 1, 3),
    ),
)
FIRST_BIRTH_YEAR, LAST_BIRTH_YEAR = 1858, 2057  # the years a CPR number's century rule can give


def _is_birth_date(day: str, month: str, year: str) -> bool:
    month_number = _MONTHS[month.lower()] if month.isalpha() else int(month)
    if len(year) == 2:
        return is_birth_date(int(day), month_number, int(year))
    return FIRST_BIRTH_YEAR <= int(year) <= LAST_BIRTH_YEAR and date_exists(int(year), month_number, int(day))


def birth_date_spans(text: str) -> list[tuple[int, int]]:
    """Dates in ``text`` that can be a CPR number's birth date."""
    spans = []
    for pattern, (day, month, year) in _DATES:
        for match in pattern.finditer(text):
            if _is_birth_date(match.group(day), match.group(month), match.group(year)):
                spans.append(match.span())
    return spans


# The most characters "1234 er de " can take before the words.
_BEFORE_REACH = 24


def last_four_spans(text: str, dates: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Four digits that the text introduces as a CPR number's last four (not
    the year of one of ``dates``)."""
    spans = []
    for words in _LAST_FOUR.finditer(text):
        after = _FOUR_AFTER.match(text, words.end())
        before = _FOUR_BEFORE.search(text, max(0, words.start() - _BEFORE_REACH), words.start())
        for found in (after, before):
            if found and not any(start < found.end(1) and found.start(1) < end for start, end in dates):
                spans.append(found.span(1))
                break
    return spans


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans as one, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
