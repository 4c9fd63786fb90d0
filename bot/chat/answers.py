"""Compose the assistant's Danish replies from the knowledge base.

Order follows the channel strategies: self-service link first, then the
facts, then booked attendance where the errand needs it, and always one
line on the alternative for citizens who can't use the digital solutions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.knowledge.model import BARRIERS, Answer, Knowledge, Municipality, Topic
from bot.knowledge.texts import Texts, capitalise

SELFSERVICE = "selfservice"
BOOKING = "booking"
ASSISTED = "assisted"
FALLBACK = "fallback"
OUT_OF_SCOPE = "out_of_scope"


@dataclass
class Reply:
    text: str
    buttons: list[dict] = field(default_factory=list)
    # None while the assistant is still asking; otherwise how the turn ended.
    outcome: str | None = None
    topic: str | None = None
    situation: str | None = None


def button(title: str, intent: str, **entities: str) -> dict:
    payload = f"/{intent}"
    if entities:
        payload += json.dumps(entities, ensure_ascii=False)
    return {"title": title, "payload": payload}


class Responder:
    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge
        self.texts = Texts(knowledge)
        self.render = self.texts.render
        self.message = self.texts.message

    def ask_situation(self, topic: Topic) -> Reply:
        buttons = [button(s.label, topic.key, situation=s.key) for s in topic.situations]
        return Reply(topic.question, buttons, topic=topic.key)

    def ask_person(self, topic: Topic, situation: str, municipality: Municipality) -> Reply:
        buttons = [
            button(self.message("button_adult", municipality), topic.key, situation=situation, person="voksen"),
            button(self.message("button_child", municipality), topic.key, situation=situation, person="barn"),
        ]
        return Reply(topic.person_question or topic.question, buttons, topic=topic.key, situation=situation)

    def errand(self, topic: Topic, situation: str, person: str | None, municipality: Municipality) -> Reply | None:
        """The self-service answer, or None when the knowledge base has none."""
        answer = topic.answer_for(situation, person)
        if answer is None:
            return None
        if answer.link:
            first = f"{answer.lead}: {answer.link}"
        else:
            url = municipality.waste_link(answer.municipal_link)
            first = (
                f"{answer.lead}: {url}" if url else f"{answer.lead} på kommunens hjemmeside: {municipality.website_url}"
            )
        lines = [first, self.render(answer.text, municipality)]
        if topic.attendance:
            lines.append(self.message("attendance", municipality))
        lines.append(self.message("alternative", municipality))
        outcome = BOOKING if topic.attendance else SELFSERVICE
        return Reply("\n".join(lines), outcome=outcome, topic=topic.key, situation=situation)

    def assisted(
        self,
        topic: Topic | None,
        barriers: Iterable[str],
        municipality: Municipality,
        answer: Answer | None = None,
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
        buttons = [button(capitalise(t.name), t.key) for t in topics]
        buttons.append(button(self.message("button_something_else", municipality), "out_of_scope"))
        return Reply(self.message("clarify", municipality), buttons, outcome=FALLBACK)

    def out_of_scope(self, municipality: Municipality) -> Reply:
        return Reply(self.message("out_of_scope", municipality), outcome=OUT_OF_SCOPE)

    def missing_answer(self, municipality: Municipality, topic: str | None = None) -> Reply:
        return Reply(self.message("missing_answer", municipality), outcome=FALLBACK, topic=topic)
