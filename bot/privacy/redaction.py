"""Remove CPR numbers from a message before Rasa parses, logs or stores it.

Open-source Rasa keeps everything it receives in the tracker store, so the
input channel calls ``redact`` first. A CPR number is DDMMYY-SSSS with a
dash, a space or nothing between the parts; the date must exist in the
century that the seventh digit and the year give. Modulus-11 is not checked:
since 2007 not every CPR number satisfies it (CPR-kontoret).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

PLACEHOLDER = "[CPR-nummer fjernet]"

# Six digits, an optional single separator, four digits; never part of a
# longer run of digits (phone numbers, account numbers, amounts).
_CPR = re.compile(r"(?<![\d])(\d{2})(\d{2})(\d{2})[ \-\u2010-\u2015]?(\d{4})(?![\d])")


def cpr_century(seventh_digit: int, yy: int) -> int:
    """The century of a CPR birth date from digit 7 and the two-digit year."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800  # 5-8


def is_cpr(day: int, month: int, yy: int, serial: str) -> bool:
    try:
        dt.date(cpr_century(int(serial[0]), yy) + yy, month, day)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.counts)


def redact(text: str) -> Redaction:
    found = 0

    def replace(match: re.Match) -> str:
        nonlocal found
        day, month, yy, serial = match.groups()
        if not is_cpr(int(day), int(month), int(yy), serial):
            return match.group(0)
        found += 1
        return PLACEHOLDER

    result = _CPR.sub(replace, text)
    return Redaction(result, {"cpr": found} if found else {})
