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


# -- any grouping of the ten digits --------------------------------------------

# Valid numbers from each century digit 7 can give, none with a day or year
# of 19 or 20 (those meet the documented exceptions in ``reads_as_ordinary``).
GROUPING_NUMBERS = (
    "0102031234",  # 1 Feb 1903
    "3112994321",  # 31 Dec 1999 (digit 4, year 99)
    "1505585123",  # 15 May 1858 (digit 5, year 58)
    "2902004123",  # 29 Feb 2000
    "0711876789",  # 7 Nov 1887 (digit 6, year 87)
    "1206309012",  # 12 Jun 2030 (digit 9, year 30)
)

# Every kind of separator the redactor accepts between groups: each single
# character, runs, URL-encoded characters (any case, multi-byte UTF-8 too)
# and "+", a space in a URL query.
SINGLE_SEPARATORS = (
    " ",
    ".",
    "/",
    "_",
    "-",
    *"\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d\u2e3a",
    "\u00a0",
    "\u202f",
    "\t",
    "\n",
    "\u200b",
    "\u00ad",
)
SEPARATOR_RUNS = ("  ", ". ", " - ", " \u2013 ", " / ", "-\n", "._")
URL_SEPARATORS = ("%2D", "%20", "%2F", "%2E", "%5F", "%2d", "%2e", "%2f", "%5f", "%C2%A0", "%E2%80%93", "%20%2D%20")
PLUS_SEPARATORS = ("+", "+%2D+")
ALL_SEPARATORS = (*SINGLE_SEPARATORS, *SEPARATOR_RUNS, *URL_SEPARATORS, *PLUS_SEPARATORS)

# Where a number stands: in Danish sentences, at the start and end of the
# text, alone, and in a link's query. No digits, so any digit left is a leak.
CONTEXTS = (
    "mit cpr-nummer er {} tak",
    "{} er min søns personnummer",
    "hej, her er det: {}",
    "{}",
    "https://www.borger.dk/side?cpr={}&kommune=nyborg",
)


def groupings(total: int = 10, largest: int = 6) -> list[tuple[int, ...]]:
    """Every composition of ``total`` digits into groups of 1..``largest`` (492 for 10 and 6)."""
    if total == 0:
        return [()]
    return [(first, *rest) for first in range(1, min(largest, total) + 1) for rest in groupings(total - first, largest)]


def grouped(number: str, grouping: tuple[int, ...], separator: str) -> str:
    parts, position = [], 0
    for size in grouping:
        parts.append(number[position : position + size])
        position += size
    return separator.join(parts)


def compositions(number: str, separators=ALL_SEPARATORS, largest: int = 6):
    """``number`` in every grouping of its ten digits with each separator."""
    for separator in separators:
        for grouping in groupings(10, largest):
            yield grouped(number, grouping, separator)


def reads_as_ordinary(number: str, grouping: tuple[int, ...]) -> bool:
    """The groupings the redactor leaves, documented in bot/privacy/cpr.py:
    a first group of four digits reading as a year (19xx, 20xx) other than
    DDMM YY SSSS and DDMM YY SS SS (and that not as an ISO date and hour),
    and digits 5-8 in one group reading as a year (DD.MM.YYYY NN)."""
    cuts = {sum(grouping[:i]) for i in range(1, len(grouping))}
    if grouping[0] == 4 and number[:2] in ("19", "20"):
        iso = 1 <= int(number[4:6]) <= 12 and 1 <= int(number[6:8]) <= 31
        if not (grouping == (4, 2, 4) or (grouping == (4, 2, 2, 2) and not iso)):
            return True
    return 8 in cuts and not cuts & {5, 6, 7} and number[4:6] in ("19", "20")


# -- ordinary numbers citizens write -------------------------------------------

# None of these is a CPR number; the phone numbers among them may be removed
# as phone numbers, never as CPR numbers. Bank accounts: a ten-digit account
# number whose first six digits form a date cannot be told from DDMMYYSSSS
# and is removed as a CPR number (ACCOUNT_NUMBERS_LIKE_CPR); the accounts
# here do not form a date.
PHONE_NUMBERS = (
    "ring på 22 33 44 55",
    "mit nummer er 22334455",
    "tlf. 2233 4455",
    "+45 22 33 44 55",
    "0045 22334455",
    "(+45) 22 33 44 55",
    "+4522334455",
    "mobil: 40 50 60 70",
    "ring mellem 8 og 16 på 70 20 30 40",
    "I kan ringe til mig på 31 12 85 40",
    "min mand har 21 03 85 12",
    "tlf 20-30-40-50",
    "nummer 28.12.19.90",
    "ring 22 33 44 55 eller 66 77 88 99",
    "22334455 / 33445566",
    "+46 70 123 45 67",
    "+49 30 12345678",
    "+44 7911 123456",
    "+1 202 555 0147",
    "+1 310 112 3456",
    "+358 40 1234567",
    "ring på +45 31 12 85 40 efter kl. 16",
    "tlf.nr. 51 02 03 12",
    "mobil 60 01 02 03, fastnet 33 12 12 12",
    "Du kan fange mig på 3112 8540",
    "kontakt: 45 12 34 56",
    "ring +4531128540",
    "nr 81 11 85 12",
    "telefon 9999 0000",
    "+45 70 10 18 18",
)
DATES_AND_TIMES = (
    "d. 12.03.2025",
    "12/3 kl. 10.30",
    "mødet er d. 12.03.25 kl. 10.30",
    "12.03.25 10.30",
    "den 24-12-2026",
    "fra 01.02.2024 til 31.12.2024",
    "perioden 01.02.2024-31.12.2024",
    "perioden 01.02.24-31.12.24",
    "perioden 01.02.24 - 31.12.2024",
    "den 01.02.2024 10 personer",
    "d. 01.02.2011 10.30-11.30",
    "2011-03-12 10:00",
    "2025-03-12 10.30",
    "2012-11-30 14",
    "den 5/11-2024",
    "12.3.2025 kl 14",
    "født 12.03.1985",
    "min fødselsdag er 12/3-85",
    "jeg er født i 1985",
    "d. 1. maj 2025",
    "den 12. marts 2025 kl. 9.00",
    "fra 10.30 til 12.00",
    "kl. 8.30-16.00",
    "mandag-torsdag 10-15, fredag 10-13",
    "åbent 9-15 og 16-18",
    "tirsdag d. 14.01 kl 13.15",
    "d. 14/1 2025",
    "24.12.2026",
    "uge 12 2025",
    "den 29.02.2024",
    "12.03.2025 10.30 - 11.30",
    "1.2.2024 12",
    "20240312",
    "24122026",
    "2023-2024",
    "skoleåret 2024/2025",
    "i 2019 og 2020",
    "fra 2010 til 2012",
    "1985-1990",
    "født 1990, flyttet 2012",
)
AMOUNTS = (
    "1.234,50 kr",
    "kr. 12.345",
    "det koster 1.234.567 kr",
    "beløbet var 15000 kr",
    "kr. 22.345.678",
    "22.345.678 kr",
    "jeg skylder 120.385,12 kr",
    "1.012.034 kr",
    "husleje 8.450 kr. om måneden",
    "12.500,- kr",
    "DKK 45.000",
    "2.150.000 kroner",
    "100 kr",
    "kr. 1.234,00",
    "depositum 25.000 kr og forudbetalt leje 8.000 kr",
    "50%",
    "12,5 %",
    "3 x 250 kr",
    "i alt 21.038,50 kr",
    "kr 31128540",
)
REFERENCES = (
    "sagsnr. 2024-012345",
    "sag nr. 2012-000123",
    "sagsnummer 2011-123456",
    "J.nr. 27.12.04-P20-1-24",
    "journalnummer 12.34.56-A00-1-24",
    "j.nr. 00.01.00-G01-12-23",
    "CB-2026-000123",
    "CB-2012-000123",
    "min reference er CB-2026-010203",
    "CB-2019-120385",
    "reference CB-2020-311299",
    "cvr 22334455",
    "CVR-nr. 31128540",
    "SE-nr 12345678",
    "ordrenr. 1234567",
    "faktura 2024-00123",
    "kundenr 123456",
    "ISBN 87-7245-123-4",
    "ISBN 978-87-7245-123-4",
    "EAN 5790000123456",
    "sag 24/12345",
    "brev nr 2024/123",
    "reg.nr 1234 kontonr 1234567890",
    "reg. nr. 9570 konto 0012345678",
    "konto 1234 0123456789",
    "kontonummer 5301-0004567890",
    "reg 3409 kto 3409123456",
    "IBAN DK50 0040 0440 1162 43",
    "NemKonto 4567 8901234567",
    "id 550e8400-e29b-41d4-a716-446655440000",
)
PLACES_AND_QUANTITIES = (
    "postnummer 5800 Nyborg",
    "5800 Nyborg",
    "Nørregade 12, 2. tv, 5800 Nyborg",
    "Vestergade 3 1. sal 8000 Aarhus C",
    "jeg bor på Parkvej 120 st. th",
    "matrikel 12a Nyborg Jorder",
    "vi er 4 personer, 2 voksne og 2 børn",
    "barnet er 3 år og 5 måneder",
    "lejligheden er 85 m2",
    "jeg har 2 børn på 7 og 12 år",
    "bil nr. AB 12 345",
    "bus 12 kl 10.05",
    "postboks 123, 8000 Aarhus",
    "1 2 3 4 5 6",
    "side 12-14",
    "paragraf 12, stk. 3",
    "§ 85 i serviceloven",
    "version 2.0.1",
    "2 x 2 = 4",
    "3-4 uger",
    "10-12 og 14-16",
    "100-200 meter",
    "klokken er 10.30",
    "spørgsmål 1, 2 og 3",
    "nr. 1 og nr. 2",
    "1234",
    "123456",
    "12345678901",
    "hus nr 12 og 14",
    "værelse 2.12",
    "bord 12 13 14",
    "lokale 1.012 på 3. sal",
    "3 af 4 sidste år",
    "de sidste fire år har jeg boet i 5800",
    "de sidste 4 gange 1234 kr",
    "de sidste fire cifre på mit kort er 1234",
    "løbenummer 1234 på skemaet",
    "den 1. i måneden",
    "2,5 km",
    "1/2 time",
    "12 34 56",
    "kode 2468",
    "pinkode 1234",
    "0,5 liter",
    "100 %",
    "50 stk",
    "4 timer om ugen",
    "20 30 40 50 60",
    "300 kr. x 12 måneder",
    "1.-3. klasse",
    "8.-10. klasse",
)
ORDINARY_NUMBERS = (*PHONE_NUMBERS, *DATES_AND_TIMES, *AMOUNTS, *REFERENCES, *PLACES_AND_QUANTITIES)

# Date-shaped ten-digit account numbers: removed as CPR numbers, by design.
ACCOUNT_NUMBERS_LIKE_CPR = ("kontonr 0102031234", "reg 1234 konto 3112851234")


# One separator of each family, for tests that send every grouping through
# the real servers (all of ALL_SEPARATORS would be 41,000 forms a number).
GROUP_SEPARATORS = (" ", ".", "/", "_", "-", "\u2013", "\u2212", "\u00a0", " - ", "%2D", "%20", "%C2%A0", "+", "+%2D+")


def any_leak_pattern(number: str) -> re.Pattern:
    """The ten digits with up to six separator characters or URL escapes
    between any two of them: what a leak of any grouping would look like."""
    sep = r"(?:[\W_]|%[0-9A-Fa-f]{2}){0,6}"
    return re.compile(sep.join(number))
