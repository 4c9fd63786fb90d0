"""Render the knowledge base's Danish texts for one municipality.

Every text citizens see (messages, button titles, answers) is a Jinja2
template in knowledge/; this is the one place that fills them in, so the
channel guard, the conversation and the booking flow word things alike.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import jinja2

from bot.callbacks.hours import DANISH_MONTHS
from bot.knowledge.model import Knowledge, Municipality, Topic

_env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


@lru_cache(maxsize=512)
def _template(text: str) -> jinja2.Template:
    # Compiling is most of the cost of rendering; the texts are few and fixed.
    return _env.from_string(text)


def join_names(names: list[str], conjunction: str = "og") -> str:
    """'pas, kørekort og affald' — a Danish list (``conjunction="and"`` for English)."""
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {conjunction} " + names[-1]


ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month_year(date: dt.date | str, language: str = "da") -> str:
    """'december 2026' (Danish month names are lower-case), 'December 2026' in English."""
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    months = ENGLISH_MONTHS if language == "en" else DANISH_MONTHS
    return f"{months[date.month - 1]} {date.year}"


def capitalise(text: str) -> str:
    """First letter upper-case, the rest as written (MitID stays MitID)."""
    return text[:1].upper() + text[1:]


def template_context(municipality: Municipality, topics: dict[str, Topic], language: str = "da") -> dict:
    """Variables available to every text template in knowledge/ (``language``
    "en" words the generated phrases and the topic list in English)."""
    phone = municipality.phone_number
    english = language == "en"
    if phone:
        hours = f" ({municipality.phone_hours})" if municipality.phone_hours else ""
        phone_hint = f" {'on' if english else 'på'} {phone}{hours}"
        phone_sentence = f" {'or call' if english else 'eller ring på'} {phone}{hours}."
    elif english:
        phone_hint = f" {municipality.name} (the phone number is on {municipality.website_url})"
        phone_sentence = "."
    else:
        # An unverified number is never shown; point to the website instead.
        phone_hint = f" til {municipality.name} (telefonnummeret står på {municipality.website_url})"
        phone_sentence = "."
    return {
        "kommune": {
            "key": municipality.key,
            "name": municipality.name,
            "website_url": municipality.website_url,
            "phone_number": phone,
            "phone_hours": municipality.phone_hours,
            "address": municipality.address,
            "booking_url": municipality.booking_url or municipality.website_url,
        },
        "topics": join_names(
            [(t.en.get("name") or t.name) if english else t.name for t in topics.values()], "and" if english else "og"
        ),
        # How many errands, for replies that name a few instead of all twenty
        # (a screen reader reads every name of the list aloud).
        "topic_count": len(topics),
        "phone_hint": phone_hint,
        "phone_sentence": phone_sentence,
        "booking_link": municipality.booking_url or municipality.website_url,
        "retention_days": municipality.retention_days,
    }


class Texts:
    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge

    # Positional-only: templates have their own ``name`` (the citizen's).
    def render(self, text: str, municipality: Municipality, /, language: str = "da", **extra) -> str:
        context = template_context(municipality, self.knowledge.topics, language)
        return " ".join(_template(text).render(**{**context, **extra}).split())

    def message(self, key: str, municipality: Municipality, /, **extra) -> str:
        return self.render(self.knowledge.messages[key], municipality, **extra)

    def message_for(self, key: str, municipality_key: str, /, **extra) -> str:
        """By municipality key, for callers that hold no Municipality (the
        channel guard); raises KeyError for an unknown municipality."""
        return self.message(key, self.knowledge.municipalities[municipality_key], **extra)
