"""Where a text holds an e-mail address or a phone number.

E-mail: a local part, "@" (spaces around it allowed, as phones' keyboards
put them) and a domain of at least two labels ending in letters. Found by
expanding from each "@" over a bounded number of characters, so a long run
without one costs nothing and the work stays linear.

Phone numbers: libphonenumber's matcher (the ``phonenumbers`` package, as
bot/callbacks/phone.py uses) with Denmark as the default region, so it
finds valid Danish numbers and numbers with a country prefix (+46 70 123 45
67, 0045 12345678, (+45) 12 34 56 78). A Danish number without a prefix is
also an amount, a date, a case number or a year range, so it is taken only

- grouped as a citizen writes a phone number: 12345678, 12 34 56 78 or
  1234 5678, with one kind of separator (not "20.30-21.30");
- not a date (24122026, 20240312) nor two years (2023-2024);
- not an amount ("kr. 22345678", "22345678 kr") nor labelled as another
  kind of number (CVR, sagsnr., konto, ordrenr. ...).

Text the matcher reads as one long number ("22 33 44 55 2 gange") yields
nothing; phone numbers are found where they stand apart.
"""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers

# RFC 5321's limits: a local part of at most 64 characters, a domain of at most 255.
MAX_LOCAL = 64
MAX_DOMAIN = 255
_LOCAL = re.compile(rf"[\w.%+'-]{{1,{MAX_LOCAL}}} ?$")
_DOMAIN = re.compile(r" ?([\w-]+(?:\.[\w-]+)+)")

REGION = "DK"
# Danish numbers as citizens group them: the digit-group lengths.
_DANISH_GROUPINGS = frozenset({(8,), (2, 2, 2, 2), (4, 4)})
_GROUPS = re.compile(r"[0-9]+")
_PREFIXED = re.compile(r"\(?(?:\+|00)")
# Words before a number that say it is something else than a phone number:
# a company's CVR, SE or P number, a case, account, order, invoice, customer
# or membership number. Only the last characters before the number are read.
_LOOK_BEHIND = 30
_LABEL_BEFORE = re.compile(
    r"(?:\b(?:cvr|se|p|sags|j|journal|konto|reg|registrerings|ordre|faktura|kunde|medlems|police|ean|"
    r"kvitterings|ref|reference|cpr)\.?[\s-]*(?:nr|nummer|nummeret|no)?|\bkr|\bdkk|€|\$)[\s.:=#-]*$",
    re.IGNORECASE,
)
_AMOUNT_AFTER = re.compile(r"\s*(?:kr\b|kroner\b|dkk\b|,-|,[0-9]{2}\b|%|€|euro\b)", re.IGNORECASE)
_YEAR_RANGE = (1900, 2099)


def email_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    position = 0
    while (at := text.find("@", position)) >= 0:
        position = at + 1
        local = _LOCAL.search(text, max(0, at - MAX_LOCAL - 1), at)
        domain = _DOMAIN.match(text, at + 1, at + 2 + MAX_DOMAIN)
        if local is None or domain is None or (spans and local.start() < spans[-1][1]):
            continue
        # The last label is a top-level domain: letters, two or more.
        labels = domain.group(1).split(".")
        if not (len(labels[-1]) >= 2 and labels[-1].isalpha()):
            continue
        spans.append((local.start(), domain.end()))
        position = domain.end()
    return spans


def phone_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in phonenumbers.PhoneNumberMatcher(text, REGION):
        if _PREFIXED.match(match.raw_string) or _danish(text, match.start, match.end):
            spans.append((match.start, match.end))
    return spans


def _danish(text: str, start: int, end: int) -> bool:
    raw = text[start:end]
    groups = _GROUPS.findall(raw)
    if tuple(len(group) for group in groups) not in _DANISH_GROUPINGS:
        return False
    if len({sep for sep in _GROUPS.split(raw)[1:-1]}) > 1:
        return False  # mixed separators: times "20.30-21.30", not a number written by hand
    digits = "".join(groups)
    if _is_date(digits[:2], digits[2:4], digits[4:]) or _is_date(digits[6:], digits[4:6], digits[:4]):
        return False
    if len(groups) == 2 and all(_YEAR_RANGE[0] <= int(group) <= _YEAR_RANGE[1] for group in groups):
        return False
    labelled = _LABEL_BEFORE.search(text, max(0, start - _LOOK_BEHIND), start)
    return not (labelled or _AMOUNT_AFTER.match(text, end))


def _is_date(day: str, month: str, year: str) -> bool:
    if not _YEAR_RANGE[0] <= int(year) <= _YEAR_RANGE[1]:
        return False
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True
