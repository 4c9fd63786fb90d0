"""Compose the assistant's Danish replies from the knowledge base.

Order follows the channel strategies: self-service link first, then the
facts, then booked attendance where the errand needs it, and always one
line on the alternative for citizens who can't use the digital solutions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from bot.chat.language import DANISH, ENGLISH
from bot.knowledge.model import BARRIERS, Answer, Knowledge, Municipality, Topic
from bot.knowledge.texts import Texts, capitalise, month_year

SELFSERVICE = "selfservice"
BOOKING = "booking"
ASSISTED = "assisted"
FALLBACK = "fallback"
OUT_OF_SCOPE = "out_of_scope"
# A callback situation's answer: referred to a booked call (counted once;
# the booking itself is counted as "callback" when it is made).
CALLBACK_OFFERED = "callback_offered"


# The channel a reply puts the citizen in, for the conversation
# evaluation and the transcript (the dashboard counts outcomes instead).
CALLBACK = "callback"
URGENT = "urgent"
SMALL_TALK = "small_talk"
ASK = "ask"


@dataclass
class Reply:
    text: str
    buttons: list[dict] = field(default_factory=list)
    # None while the assistant is still asking; otherwise how the turn ended.
    outcome: str | None = None
    topic: str | None = None
    situation: str | None = None
    # Where the reply sends the citizen (selfservice, booking, callback ...).
    channel: str | None = None
    # The question the reply leaves open: "situation", "person" or None.
    asks: str | None = None
    language: str = DANISH
    # A topic menu: the citizen is asked to pick an errand instead of being
    # answered (the clarify list, or "Mente du …?" in place of an answer).
    # Written to the tracker, so the evaluation counts the conversations
    # that got one.
    menu: bool = False


def button(title: str, intent: str, **entities: str) -> dict:
    payload = f"/{intent}"
    if entities:
        payload += json.dumps(entities, ensure_ascii=False)
    return {"title": title, "payload": payload}


class _Wording:
    """Collects whether any line fell back to Danish for an English reader."""

    def __init__(self, language: str):
        self.language = language
        self.danish_only = False

    def pick(self, english: str | None, danish: str) -> str:
        if self.language != ENGLISH:
            return danish
        if english:
            return english
        self.danish_only = True
        return danish


class Responder:
    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge
        self.texts = Texts(knowledge)
        self.render = self.texts.render

    def message(self, key: str, municipality: Municipality, /, language: str = DANISH, **extra) -> str:
        """A knowledge message in the citizen's language when it has one."""
        wording = _Wording(language)
        return self._message(key, municipality, wording, **extra)

    def _message(self, key: str, municipality: Municipality, wording: _Wording, /, **extra) -> str:
        return self._text(
            self.knowledge.messages_en.get(key), self.knowledge.messages[key], municipality, wording, **extra
        )

    def _text(self, english: str | None, danish: str, municipality: Municipality, wording: _Wording, /, **extra) -> str:
        """The English text for an English reader when there is one, else the
        Danish; generated phrases (phone hint, topic list) follow the text."""
        text = wording.pick(english, danish)
        language = ENGLISH if wording.language == ENGLISH and english else DANISH
        return self.render(text, municipality, language, **extra)

    def _finish_text(self, lines: list[str], wording: _Wording, municipality: Municipality) -> str:
        if wording.danish_only:
            lines.append(self.render(self.knowledge.messages["only_danish"], municipality))
        return "\n".join(line for line in lines if line)

    def _label(self, topic: Topic, wording: _Wording) -> str:
        return wording.pick(topic.en.get("name"), topic.name)

    def situation_buttons(self, topic: Topic, wording: _Wording, exclude: str | None = None) -> list[dict]:
        return [
            button(wording.pick(s.en_label, s.label), topic.key, situation=s.key)
            for s in topic.situations
            if s.key != exclude
        ]

    def _first_line(self, answer: Answer, municipality: Municipality, wording: _Wording) -> str:
        lead = wording.pick(answer.en_lead, answer.lead)
        if answer.link:
            return f"{lead}: {answer.link}"
        url = municipality.waste_link(answer.municipal_link)
        if url:
            return f"{lead}: {url}"
        where = (
            "on the municipality's website"
            if wording.language == ENGLISH and answer.en_lead
            else "på kommunens hjemmeside"
        )
        return f"{lead} {where}: {municipality.website_url}"

    def _updated_line(self, answer: Answer, municipality: Municipality, wording: _Wording) -> str:
        """The quiet "Opdateret december 2026" under the answer's facts: when
        an editor last checked them, so a citizen can judge a fee or a rule.
        In the language the facts were shown in."""
        english = wording.language == ENGLISH and bool(answer.en_text)
        language = ENGLISH if english else DANISH
        key = "answer_updated"
        text = (self.knowledge.messages_en.get(key) if english else None) or self.knowledge.messages[key]
        return self.render(text, municipality, language, month_year=month_year(answer.reviewed, language))

    def _main_answer(self, topic: Topic) -> Answer | None:
        """The general answer, or the first situation's when editors wrote none."""
        if topic.general is not None:
            return topic.general
        return topic.answers[0] if topic.answers else None

    def ask_situation(self, topic: Topic, municipality: Municipality | None = None, language: str = DANISH) -> Reply:
        wording = _Wording(language)
        return Reply(
            wording.pick(topic.en.get("question"), topic.question),
            self.situation_buttons(topic, wording),
            topic=topic.key,
            channel=ASK,
            asks="situation",
            language=language,
        )

    def general(self, topic: Topic, municipality: Municipality, language: str = DANISH) -> Reply:
        """Answer first: the errand's main link and facts, then its situations
        as buttons for a citizen whose case is more specific."""
        answer = self._main_answer(topic)
        if answer is None:
            return self.ask_situation(topic, municipality, language)
        wording = _Wording(language)
        lines = [self._first_line(answer, municipality, wording)]
        if topic.general is not None:
            lines.append(self._text(answer.en_text, answer.text, municipality, wording))
            lines.append(self._updated_line(answer, municipality, wording))
        lines.append(self._channel_line(self.channel_for(topic), municipality, wording))
        lines.append(self._message("alternative", municipality, wording))
        buttons = self.situation_buttons(topic, wording)
        if buttons:
            lines.append(self._message("other_situation", municipality, wording))
        return Reply(
            self._finish_text(lines, wording, municipality),
            buttons,
            outcome=self.channel_for(topic),
            topic=topic.key,
            channel=self.channel_for(topic),
            asks="situation" if buttons else None,
            language=language,
        )

    def ask_person(self, topic: Topic, situation: str, municipality: Municipality, language: str = DANISH) -> Reply:
        """Only where the answers differ by person: the link and the channel
        first anyway (book a time and attend, for a passport), since they are
        the same whoever it is for; the question comes after them."""
        wording = _Wording(language)
        buttons = [
            button(
                self._message("button_adult", municipality, wording), topic.key, situation=situation, person="voksen"
            ),
            button(self._message("button_child", municipality, wording), topic.key, situation=situation, person="barn"),
        ]
        question = wording.pick(
            topic.en.get("person_question") or topic.en.get("question"), topic.person_question or topic.question
        )
        answers = [a for a in topic.answers if a.situation == situation] or [self._main_answer(topic)]
        lines = [self._first_line(answers[0], municipality, wording)] if answers[0] else []
        lines.append(self._channel_line(self.channel_for(topic, situation), municipality, wording))
        lines.append(question)
        return Reply(
            self._finish_text(lines, wording, municipality),
            buttons,
            topic=topic.key,
            situation=situation,
            channel=self.channel_for(topic, situation),
            asks="person",
            language=language,
        )

    def situation_first(
        self, topic: Topic, situation: str, municipality: Municipality, language: str = DANISH
    ) -> Reply | None:
        """The first reply when a message names the situation but not the
        person: the person question where the answers differ by person
        (after the link and the channel), else the situation's answer."""
        known = topic.situation(situation)
        if known is not None and known.ask_person:
            return self.ask_person(topic, situation, municipality, language)
        return self.errand(topic, situation, None, municipality, language)

    def errand(
        self, topic: Topic, situation: str, person: str | None, municipality: Municipality, language: str = DANISH
    ) -> Reply | None:
        """The situation's answer in its channel, or None when the knowledge base has none."""
        answer = topic.answer_for(situation, person)
        if answer is None:
            return None
        channel = self.channel_for(topic, situation)
        if channel == CALLBACK:
            return self.callback_situation(topic, answer, municipality, language)
        wording = _Wording(language)
        lines = [
            self._first_line(answer, municipality, wording),
            self._text(answer.en_text, answer.text, municipality, wording),
            self._updated_line(answer, municipality, wording),
        ]
        lines.append(self._channel_line(channel, municipality, wording))
        lines.append(self._message("alternative", municipality, wording))
        return Reply(
            self._finish_text(lines, wording, municipality),
            outcome=channel,
            topic=topic.key,
            situation=situation,
            channel=channel,
            language=language,
        )

    def callback_situation(self, topic: Topic, answer: Answer, municipality: Municipality, language: str) -> Reply:
        """Too complex for chat (an appeal, a decision, a case being processed):
        a short explanation and the offer of a booked callback, not a link."""
        wording = _Wording(language)
        lines = [
            wording.pick(answer.en_lead, answer.lead),
            self._text(answer.en_text, answer.text, municipality, wording),
            self._message("callback_situation", municipality, wording),
            self._message("offer_callback", municipality, wording),
        ]
        buttons = self._callback_buttons(municipality, wording)
        return Reply(
            self._finish_text(lines, wording, municipality),
            buttons,
            outcome=CALLBACK_OFFERED,
            topic=topic.key,
            situation=answer.situation,
            channel=CALLBACK,
            language=language,
        )

    def case_matter(self, topic: Topic | None, municipality: Municipality, language: str = DANISH) -> Reply:
        """The citizen's own case (bot/chat/case_matter.py): why the chat cannot
        handle it and the offer of a booked callback about the errand, then
        the errand's own link for reading meanwhile; the link follows the
        offer, never replaces it."""
        wording = _Wording(language)
        lines = [
            self._message("case_matter", municipality, wording),
            self._message("offer_callback", municipality, wording),
        ]
        answer = self._main_answer(topic) if topic is not None else None
        if answer is not None:
            lines.append(self._message("case_selfservice", municipality, wording))
            lines.append(self._first_line(answer, municipality, wording))
        buttons = self._callback_buttons(municipality, wording)
        return Reply(
            self._finish_text(lines, wording, municipality),
            buttons,
            outcome=CALLBACK_OFFERED,
            topic=topic.key if topic is not None else None,
            channel=CALLBACK,
            language=language,
        )

    def _callback_buttons(self, municipality: Municipality, wording: _Wording) -> list[dict]:
        """Yes to a booked callback, or no thanks."""
        return [
            button(self._message("button_callback_yes", municipality, wording), "callback_request"),
            button(self._message("button_no_thanks", municipality, wording), "deny"),
        ]

    def _channel_line(self, channel: str, municipality: Municipality, wording: _Wording) -> str:
        """What the channel asks of the citizen beyond the link: a booked
        attendance says so with the booking page; a self-service link is its
        own channel (empty lines are dropped)."""
        return self._message("attendance", municipality, wording) if channel == BOOKING else ""

    @staticmethod
    def channel_for(topic: Topic, situation: str | None = None) -> str:
        """The channel a reply for the topic (and situation) puts the citizen in."""
        known = topic.situation(situation) if situation else None
        if known is not None:
            return known.channel
        return BOOKING if topic.attendance else SELFSERVICE

    def assisted(
        self,
        topic: Topic | None,
        barriers: Iterable[str],
        municipality: Municipality,
        answer: Answer | None = None,
        language: str = DANISH,
    ) -> Reply:
        """Booked help and phone instead of repeating the self-service link.

        When the situation is known its facts (price, delivery time ...) are
        kept, since they matter however the citizen applies."""
        wording = _Wording(language)
        if topic:
            intro = self._text(topic.en.get("assisted"), topic.assisted, municipality, wording)
        else:
            intro = self._message("general_assistance", municipality, wording)
        lines = [intro]
        if answer is not None:
            lines.append(self._text(answer.en_text, answer.text, municipality, wording))
        for barrier in BARRIERS:  # fixed order keeps replies stable
            if barrier in set(barriers) and barrier in self.knowledge.barriers:
                lines.append(
                    self._text(
                        self.knowledge.barriers_en.get(barrier), self.knowledge.barriers[barrier], municipality, wording
                    )
                )
        lines.append(self._message("assisted_contact", municipality, wording))
        return Reply(
            self._finish_text(lines, wording, municipality),
            outcome=ASSISTED,
            topic=topic.key if topic else None,
            situation=answer.situation if answer else None,
            channel=ASSISTED,
            language=language,
        )

    def clarify(self, candidates: list[str], municipality: Municipality, language: str = DANISH) -> Reply:
        wording = _Wording(language)
        topics = [self.knowledge.topics[c] for c in candidates if c in self.knowledge.topics]
        if not topics:
            topics = list(self.knowledge.topics.values())
        buttons = [button(capitalise(self._label(t, wording)), t.key) for t in topics]
        buttons.append(button(self._message("button_something_else", municipality, wording), "out_of_scope"))
        return Reply(
            self._finish_text([self._message("clarify", municipality, wording)], wording, municipality),
            buttons,
            outcome=FALLBACK,
            channel=FALLBACK,
            language=language,
            menu=True,
        )

    def did_you_mean(
        self, reply: Reply, alternatives: list[str], municipality: Municipality, language: str = DANISH
    ) -> Reply:
        """The answer to the errand that stood out, then "Mente du noget
        andet?" with the other likely errands as buttons: the citizen who
        meant another one is a click away, and the one who did not is
        answered already."""
        topics = [self.knowledge.topics[key] for key in alternatives if key in self.knowledge.topics]
        if not topics:
            return reply
        wording = _Wording(language)
        buttons = [button(capitalise(self._label(t, wording)), t.key) for t in topics]
        line = self._message("did_you_mean", municipality, wording)
        return replace(reply, text=f"{reply.text}\n{line}", buttons=[*reply.buttons, *buttons])

    def suggestions(
        self, suggestions: list, municipality: Municipality, language: str = DANISH, channel: str = OUT_OF_SCOPE
    ) -> Reply:
        """ "Mente du …?": the closest answers as buttons, and a way out."""
        wording = _Wording(language)
        buttons = []
        for suggestion in suggestions:
            topic = self.knowledge.topics[suggestion.topic]
            name = capitalise(self._label(topic, wording))
            situation = topic.situation(suggestion.situation)
            if situation is None:
                buttons.append(button(name, topic.key))
            else:
                title = f"{name}: {wording.pick(situation.en_label, situation.label)}"
                buttons.append(button(title, topic.key, situation=situation.key))
        buttons.append(button(self._message("button_none_of_these", municipality, wording), "out_of_scope"))
        text = self._finish_text([self._message("suggest", municipality, wording)], wording, municipality)
        # Counted as the path it came from (not understood, or out of scope),
        # like the reply it replaces; a chosen answer is counted as its errand.
        return Reply(text, buttons, outcome=channel, channel=channel, language=language, menu=True)

    def out_of_scope(self, municipality: Municipality, language: str = DANISH, subject: str | None = None) -> Reply:
        """What the assistant covers and the municipality's contact, led by
        where to go for ``subject`` (a key of knowledge/outside.yml) when the
        question was about one."""
        wording = _Wording(language)
        lines = [self._message("out_of_scope", municipality, wording)]
        found = next((s for s in self.knowledge.outside if s.key == subject), None)
        if found is not None:
            lines.insert(0, self._text(found.text_en, found.text, municipality, wording))
        text = self._finish_text(lines, wording, municipality)
        return Reply(text, outcome=OUT_OF_SCOPE, channel=OUT_OF_SCOPE, language=language)

    def missing_answer(self, municipality: Municipality, topic: str | None = None, language: str = DANISH) -> Reply:
        wording = _Wording(language)
        text = self._finish_text([self._message("missing_answer", municipality, wording)], wording, municipality)
        return Reply(text, outcome=FALLBACK, topic=topic, channel=FALLBACK, language=language)
