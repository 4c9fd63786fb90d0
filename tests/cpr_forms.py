"""Valid CPR numbers written the ways citizens write them, for the unit
tests' generated examples (hypothesis) and the server's leak test, plus
the oracle that finds such a number again in text, files and logs."""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata

from bot.privacy.redaction import cpr_century

FIRST_DAY, LAST_DAY = dt.date(1858, 1, 1), dt.date(2057, 12, 31)  # the centuries digit 7 can give

# One separator run each: white space of every kind, dots, slashes,
# underscores, every dash and minus, and mixtures.
SEPARATORS = (
    " ",
    "  ",
    ".",
    ". ",
    "/",
    "_",
    "-",
    " - ",
    "\u2010",
    "\u2011",
    "\u2012",
    "\u2013",
    "\u2014",
    "\u2015",
    "\u2212",
    "\ufe63",
    "\uff0d",
    "\u2e3a",
    "\u00a0",
    "\u202f",
    "\t",
    "\n",
    " \u2013 ",
)

# Separators after DD, after MM, after YY, and between the serial's halves.
FORMS = {
    "DDMMYYSSSS": ("", "", "", ""),
    "DDMMYY-SSSS": ("", "", "-", ""),
    "DD MM YY-SSSS": (" ", " ", "-", ""),
    "DD.MM.YY-SSSS": (".", ".", "-", ""),
    "DD-MM-YY-SSSS": ("-", "-", "-", ""),
    "DD/MM/YY SSSS": ("/", "/", " ", ""),
    "DD MM YY SS SS": (" ", " ", " ", " "),
    "DDMMYY - SSSS": ("", "", " - ", ""),
    "DDMMYY  SSSS": ("", "", "  ", ""),
    "DDMMYY_SSSS": ("", "", "_", ""),
    "DDMMYY\u2013SSSS (en dash)": ("", "", "\u2013", ""),
    "DDMMYY\u2212SSSS (minus)": ("", "", "\u2212", ""),
    "DDMMYY\uff0dSSSS (full-width hyphen)": ("", "", "\uff0d", ""),
    "DDMMYY\u00a0SSSS (no-break space)": ("", "", "\u00a0", ""),
    "DD\u202fMM\u202fYY\u202fSSSS (narrow no-break spaces)": ("\u202f", "\u202f", "\u202f", ""),
    "DDMMYY\tSSSS (tab)": ("", "", "\t", ""),
    "DDMMYY\nSSSS (line break)": ("", "", "\n", ""),
}

DIGITS = {
    "ascii": "0123456789",
    "full-width": "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19",
    "arabic-indic": "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
}

# Danish text around the numbers: no digits, so any digit left after
# redaction is a leak.
WORDS = (
    "mit cpr er",
    "cpr-nr.",
    "personnummer:",
    "min søns",
    "hej jeg hedder Åse Ørum og",
    "kan I hjælpe?",
    "jeg har mistet mit pas",
    "tak for hjælpen",
    "(",
    ")",
    "æøå",
    "mvh",
    "mit sundhedskort",
    "—",
    "nr:",
    "og",
    "",
)


def seventh_digits(day: dt.date) -> list[int]:
    """The digits 7 that give this date's century."""
    yy = day.year % 100
    return [digit for digit in range(10) if cpr_century(digit, yy) + yy == day.year]


def cpr(day: dt.date, seventh: int, rest: int) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year % 100:02d}{seventh}{rest:03d}"


def written(number: str, separators: tuple[str, str, str, str], digits: str = "ascii") -> str:
    """The ten digits with a separator run after DD, MM and YY, and between
    the serial's halves (only where the serial stands apart)."""
    after_dd, after_mm, after_yy, in_serial = separators
    if in_serial and not after_yy:
        in_serial = ""
    text = f"{number[:2]}{after_dd}{number[2:4]}{after_mm}{number[4:6]}{after_yy}{number[6:8]}{in_serial}{number[8:]}"
    return text.translate(str.maketrans("0123456789", DIGITS[digits]))


def escaped(text: str) -> str:
    """Every character as a JSON escape: \\u0030 for 0."""
    return "".join(f"\\u{ord(ch):04x}" for ch in text)


def random_numbers(rng: random.Random, count: int) -> list[str]:
    """Distinct valid CPR numbers, no two with the same date."""
    numbers: dict[str, str] = {}
    span = (LAST_DAY - FIRST_DAY).days
    while len(numbers) < count:
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(span + 1))
        number = cpr(day, rng.choice(seventh_digits(day)), rng.randrange(1000))
        numbers.setdefault(number[:6], number)
    return list(numbers.values())


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch for ch in text)


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([nt/])")


def readable(data: bytes) -> str:
    """File contents as a leak would read: UTF-8, JSON escapes decoded, NFKC, ASCII digits."""
    text = data.decode("utf-8", errors="replace")
    text = _JSON_ESCAPE.sub(
        lambda m: chr(int(m.group(1), 16)) if m.group(1) else {"n": "\n", "t": "\t"}.get(m.group(2), "/"), text
    )
    return _plain(text)


def leak_pattern(number: str) -> re.Pattern:
    """The ten digits, the 6+4 halves side by side, or any form above with
    separators (up to six non-alphanumeric characters) between the groups."""
    sep = r"[\W_]{0,6}"
    d = number
    return re.compile(rf"{d[0:2]}{sep}{d[2:4]}{sep}{d[4:6]}{sep}{d[6:8]}{sep}{d[8:10]}")


def date_pattern(number: str) -> re.Pattern:
    """The date half alone as text holds it (not inside a longer run of
    digits or letters, nor the fraction of a timestamp)."""
    return re.compile(rf"(?<![0-9A-Za-z.]){number[:6]}(?![0-9A-Za-z])")


# Separator kinds the guard accepts between any two groups, one of each
# family: white space, dots, slashes, underscores, dashes and minus signs,
# a run of several, and a link's URL-encoded ones and "+".
GROUP_SEPARATORS = (" ", ".", "/", "_", "-", "\u2013", "\u2212", " - ", "%2D", "%20", "%2d", "+", "%2F", "%5F")


def groupings(total: int = 10, largest: int = 6) -> list[tuple[int, ...]]:
    """Every composition of ``total`` digits into groups of 1..``largest`` (492 for ten)."""
    if total == 0:
        return [()]
    return [(first, *rest) for first in range(1, min(largest, total) + 1) for rest in groupings(total - first, largest)]


def grouped(number: str, sizes: tuple[int, ...], separator: str) -> str:
    """The digits in groups of the given sizes, joined by ``separator``."""
    parts, start = [], 0
    for size in sizes:
        parts.append(number[start : start + size])
        start += size
    return separator.join(parts)


def any_leak_pattern(number: str) -> re.Pattern:
    """The ten digits with up to six separator characters or URL escapes
    between any two of them: what a leak of any grouping would look like."""
    sep = r"(?:[\W_]|%[0-9A-Fa-f]{2}){0,6}"
    return re.compile(sep.join(number))
