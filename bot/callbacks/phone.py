"""Danish phone numbers typed by citizens ("+45 12 34 56 78", "12345678")."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True)
class Phone:
    e164: str  # +4512345678, what is stored
    display: str  # +45 12 34 56 78, what staff and citizens see


def parse_danish_phone(text: str | None) -> Phone | None:
    """A valid Danish number, or None. Foreign numbers are refused because
    the caseworker calls from a Danish line within Danish opening hours."""
    if not text or len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, "DK")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 45 or not phonenumbers.is_valid_number(number):
        return None
    national = phonenumbers.national_significant_number(number)
    display = "+45 " + " ".join(national[i : i + 2] for i in range(0, len(national), 2))
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), display)
