"""Compose the assistant's Danish replies from the knowledge base.

Order follows the channel strategies: self-service link first, then the
facts, then booked attendance where the errand needs it, and always one
line on the alternative for citizens who can't use the digital solutions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Optional

import jinja2

from bot.knowledge.model import BARRIERS, Answer, Knowledge, Municipality, Topic

SELFSERVICE = "selfservice"
BOOKING = "booking"
ASSISTED = "assisted"
FALLBACK = "fallback"
OUT_OF_SCOPE = "out_of_scope"

_env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


@lru_cache(maxsize=512)
def _template(text: str) -> jinja2.Template:
    # Compiling is most of the cost of rendering; the texts are few and fixed.
    return _env.from_string(text)


@dataclass
class Reply:
    text: str
    buttons: list[dict] = field(default_factory=list)
    # None while the assistant is still asking; otherwise how the turn ended.
    outcome: Optional[str] = None
    topic: Optional[str] = None
    situation: Optional[str] = None


def _join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


def template_context(municipality: Municipality, topics: dict[str, Topic]) -> dict:
    """Variables available to every text template in knowledge/."""
    phone = municipality.phone_number
    if phone:
        hours = f" ({municipality.phone_hours})" if municipality.phone_hours else ""
        phone_hint = f" på {phone}{hours}"
        phone_sentence = f" eller ring på {phone}{hours}."
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
        "topics": _join_names([t.name for t in topics.values()]),
        "phone_hint": phone_hint,
        "phone_sentence": phone_sentence,
        "booking_link": municipality.booking_url or municipality.website_url,
    }


def button(title: str, intent: str, **entities: str) -> dict:
    payload = f"/{intent}"
    if entities:
        payload += json.dumps(entities, ensure_ascii=False)
    return {"title": title, "payload": payload}


class Responder:
    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge

    def render(self, text: str, municipality: Municipality, **extra) -> str:
        context = template_context(municipality, self.knowledge.topics)
        return " ".join(_template(text).render(**context, **extra).split())

    def message(self, message: str, municipality: Municipality, **extra) -> str:
        return self.render(self.knowledge.messages[message], municipality, **extra)

    def ask_situation(self, topic: Topic) -> Reply:
        buttons = [button(s.label, topic.key, situation=s.key) for s in topic.situations]
        return Reply(topic.question, buttons, topic=topic.key)

    def ask_person(self, topic: Topic, situation: str) -> Reply:
        buttons = [
            button("Voksen", topic.key, situation=situation, person="voksen"),
            button("Barn under 18 år", topic.key, situation=situation, person="barn"),
        ]
        return Reply(topic.person_question or topic.question, buttons, topic=topic.key, situation=situation)

    def errand(self, topic: Topic, situation: str, person: Optional[str], municipality: Municipality) -> Optional[Reply]:
        """The self-service answer, or None when the knowledge base has none."""
        answer = topic.answer_for(situation, person)
        if answer is None:
            return None
        if answer.link:
            first = f"{answer.lead}: {answer.link}"
        else:
            url = municipality.waste_link(answer.municipal_link)
            first = f"{answer.lead}: {url}" if url else f"{answer.lead} på kommunens hjemmeside: {municipality.website_url}"
        lines = [first, self.render(answer.text, municipality)]
        if topic.attendance:
            lines.append(self.message("attendance", municipality))
        lines.append(self.message("alternative", municipality))
        outcome = BOOKING if topic.attendance else SELFSERVICE
        return Reply("\n".join(lines), outcome=outcome, topic=topic.key, situation=situation)

    def assisted(
        self,
        topic: Optional[Topic],
        barriers: Iterable[str],
        municipality: Municipality,
        answer: Optional[Answer] = None,
    ) -> Reply:
        """Booked help and phone instead of repeating the self-service link.

        When the situation is known its facts (price, delivery time ...) are
        kept, since they matter however the citizen applies."""
        intro = topic.assisted if topic else self.knowledge.messages["general_assistance"]
        lines = [self.render(intro, municipality)]
        if answer is not None:
            lines.append(self.render(answer.text, municipality))
        for barrier in BARRIERS:  # fixed order keeps replies stable
            if barrier in set(barriers) and barrier in self.knowledge.barriers:
                lines.append(self.render(self.knowledge.barriers[barrier], municipality))
        lines.append(self.message("assisted_contact", municipality))
        return Reply(
            "\n".join(lines),
            outcome=ASSISTED,
            topic=topic.key if topic else None,
            situation=answer.situation if answer else None,
        )

    def clarify(self, candidates: list[str], municipality: Municipality) -> Reply:
        topics = [self.knowledge.topics[c] for c in candidates if c in self.knowledge.topics]
        if not topics:
            topics = list(self.knowledge.topics.values())
        buttons = [button(t.name[:1].upper() + t.name[1:], t.key) for t in topics]
        buttons.append(button("Noget andet", "out_of_scope"))
        return Reply(self.message("clarify", municipality), buttons, outcome=FALLBACK)

    def out_of_scope(self, municipality: Municipality) -> Reply:
        return Reply(self.message("out_of_scope", municipality), outcome=OUT_OF_SCOPE)

    def missing_answer(self, municipality: Municipality, topic: Optional[str] = None) -> Reply:
        return Reply(self.message("missing_answer", municipality), outcome=FALLBACK, topic=topic)
