"""Decide what to say for one turn, independent of Rasa.

The Rasa actions translate the tracker into a ``Turn`` and the ``Result``
back into events; everything that decides the answer lives here so it can
be tested directly and reused by other channels. ``Assistant.handle`` is
the one way in: it diverts personal and urgent matters before any errand
handler answers, records the outcome, and turns every failure into a
Danish reply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from bot.chat.answers import CALLBACK, SMALL_TALK, URGENT, Reply, Responder, button
from bot.chat.language import DANISH, detect_language
from bot.chat.reading import (
    ANSWER_THRESHOLD,
    SITUATION_THRESHOLD,
    KeywordRules,
    is_correction,
    is_follow_up,
    read_person,
    read_situation,
)
from bot.chat.sensitive import URGENT_INTENT, Detection, SensitiveDetector
from bot.knowledge.loader import SMALL_TALK as SMALL_TALK_MESSAGES
from bot.knowledge.model import BARRIERS, Knowledge, Municipality
from bot.privacy.channel_guard import SETUP_ERROR
from bot.records.inbox import Inbox
from bot.records.outcomes import OutcomeLog

log = logging.getLogger(__name__)

NEEDS_ASSISTANCE = "needs_assistance"


class UnknownMunicipality(LookupError):
    pass


@dataclass
class Turn:
    intent: str | None
    entities: list[dict] = field(default_factory=list)
    topic: str | None = None
    situation: str | None = None
    person: str | None = None
    barriers: list[str] = field(default_factory=list)
    municipality: str | None = None
    intent_ranking: list[dict] = field(default_factory=list)
    text: str = ""
    confidence: float = 0.0
    # What the input channel removed, e.g. {"cpr": 1}.
    redacted: dict = field(default_factory=dict)
    # The situation model's reading: {topic: [{"name", "confidence"}, ...]}.
    situation_scores: dict = field(default_factory=dict)
    # What the previous reply asked ("situation", "person") and in which language.
    asked: str | None = None
    language: str | None = None
    # The topic whose outcome this conversation already recorded.
    answered: str | None = None

    def entity_values(self, name: str) -> list[str]:
        return [str(e.get("value")) for e in self.entities if e.get("entity") == name and e.get("value")]


@dataclass
class Result:
    reply: Reply
    slots: dict = field(default_factory=dict)


# The turn handlers the Rasa actions may ask for, by name.
HANDLERS = ("answer_errand", "clarify", "out_of_scope", "small_talk", "sensitive_intent")
# An NLU intent at least this sure of another errand switches topic even
# when the message could be read in the open errand's thread.
SWITCH_CONFIDENCE = 0.9
# Answers to our own question are short; a longer message is a new question.
SHORT_REPLY_WORDS = 12
# Small talk that may also answer the open question ("nej, til min datter").
_THREAD_SMALL_TALK = ("affirm", "deny")


class Assistant:
    def __init__(
        self,
        knowledge: Knowledge,
        outcomes: OutcomeLog | None,
        default_municipality: str,
        inbox: Inbox | None = None,
        detector: SensitiveDetector | None = None,
        rules: KeywordRules | None = None,
    ):
        self.knowledge = knowledge
        self.rules = rules
        self.responder = Responder(knowledge)
        self.outcomes = outcomes
        self.default_municipality = default_municipality
        self.inbox = inbox
        self.detector = detector

    def handle(self, handler: str, turn: Turn) -> Result:
        """Run one turn handler; personal or urgent matters are diverted
        first, and whatever goes wrong the citizen gets a Danish reply."""
        if handler not in HANDLERS:
            raise ValueError(f"unknown turn handler {handler!r}; expected one of {', '.join(HANDLERS)}")
        try:
            turn = replace(turn, language=self.language(turn))
            detection = self.detect(turn)
            if detection is not None:
                return self.sensitive(turn, detection)
            handler, turn = self.route(handler, turn)
            return getattr(self, handler)(turn)
        except UnknownMunicipality as exc:
            log.error("%s", exc)
            return Result(Reply(SETUP_ERROR))
        except Exception:
            log.exception("turn handler %s failed for intent %s", handler, turn.intent)
            return Result(Reply(self.technical_error(turn.municipality)))

    def detect(self, turn: Turn) -> Detection | None:
        if self.detector is None:
            return None
        return self.detector.detect(turn.text, turn.intent, turn.confidence, turn.redacted, turn.intent_ranking)

    def record_outcome(self, municipality: str, outcome: str, topic: str | None, situation: str | None) -> None:
        """One anonymous row per resolved contact; a failure to record never
        costs the citizen the answer."""
        if self.outcomes is None:
            return
        try:
            self.outcomes.record(municipality, outcome, topic, situation)
        except Exception:
            log.exception("could not record outcome %s for %s", outcome, municipality)

    def municipality(self, key: str | None) -> Municipality:
        key = (key or self.default_municipality or "").strip().lower()
        try:
            return self.knowledge.municipalities[key]
        except KeyError:
            known = ", ".join(sorted(self.knowledge.municipalities))
            raise UnknownMunicipality(
                f"unknown municipality {key!r} (KOMMUNEBOT_MUNICIPALITY or session metadata); known: {known}"
            ) from None

    # -- turn handlers -------------------------------------------------

    @staticmethod
    def language(turn: Turn) -> str:
        """The message's language; a message without evidence ("ok") keeps the conversation's."""
        return detect_language(turn.text) or turn.language or DANISH

    def route(self, handler: str, turn: Turn) -> tuple[str, Turn]:
        """Keep the thread: read a message in the open errand's context when
        it answers our question, follows up or corrects, and follow a switch
        to a clearly new errand. Decided here, from the open topic, rather
        than left to memorised stories."""
        open_topic = self.knowledge.topics.get(turn.topic or "")
        nlu_topic = turn.intent if turn.intent in self.knowledge.topics else None
        if handler == "answer_errand":
            if open_topic and nlu_topic and nlu_topic != open_topic.key and self._stays(turn, open_topic):
                return handler, replace(turn, intent=open_topic.key)
            return handler, turn
        if handler == "small_talk" and turn.intent not in _THREAD_SMALL_TALK:
            return handler, turn
        if handler not in ("clarify", "out_of_scope", "small_talk"):
            return handler, turn
        if open_topic is not None and self._in_thread(turn, open_topic, handler):
            return "answer_errand", replace(turn, intent=open_topic.key)
        if handler == "clarify":
            # Unsure NLU: take the best errand when its own situation reading is strong.
            best = next((r for r in turn.intent_ranking if r.get("name") in self.knowledge.topics), None)
            if best is not None and (best.get("confidence") or 0) >= 0.3:
                topic = self.knowledge.topics[best["name"]]
                reading = self._situation(topic, turn, SITUATION_THRESHOLD)
                if reading.key is not None and reading.confidence >= 0.8 and reading.source != "only":
                    return "answer_errand", replace(turn, intent=topic.key)
        return handler, turn

    def _situation(self, topic, turn: Turn, threshold: float):
        return read_situation(
            topic, turn.entity_values("situation"), self.rules, turn.text, turn.situation_scores, threshold
        )

    def _stays(self, turn: Turn, open_topic) -> bool:
        """The NLU names another errand: is this still the open one?"""
        if turn.confidence >= SWITCH_CONFIDENCE:
            return False
        if len(turn.text.split()) > SHORT_REPLY_WORDS:
            return False
        threshold = ANSWER_THRESHOLD if turn.asked == "situation" else SITUATION_THRESHOLD
        reading = self._situation(open_topic, turn, threshold)
        return reading.key is not None and reading.source in ("keywords", "keywords+model", "entity")

    def _in_thread(self, turn: Turn, open_topic, handler: str) -> bool:
        """An unclassified, out-of-scope or yes/no message that answers the
        open question, follows up or corrects."""
        if handler == "out_of_scope" and turn.confidence >= SWITCH_CONFIDENCE and not is_follow_up(turn.text):
            return False
        if len(turn.text.split()) > SHORT_REPLY_WORDS and handler != "clarify":
            return False
        if (turn.asked == "person" or is_correction(turn.text)) and read_person(
            turn.text, turn.entity_values("person")
        ):
            return True
        threshold = ANSWER_THRESHOLD if turn.asked == "situation" else SITUATION_THRESHOLD
        if self._situation(open_topic, turn, threshold).key is not None:
            return True
        return is_follow_up(turn.text) or (is_correction(turn.text) and handler != "small_talk")

    def answer_errand(self, turn: Turn) -> Result:
        municipality = self.municipality(turn.municipality)
        language = turn.language or DANISH
        topic_key = turn.intent if turn.intent in self.knowledge.topics else turn.topic
        topic = self.knowledge.topics.get(topic_key) if topic_key else None
        barriers = self._barriers(turn)

        if topic is None:
            if turn.intent == NEEDS_ASSISTANCE or barriers:
                reply = self.responder.assisted(None, barriers, municipality, language=language)
                return self._finish(reply, municipality, turn, barriers=barriers)
            return self._finish(self.responder.clarify([], municipality, language), municipality, turn)

        same_topic = turn.topic == topic.key
        threshold = ANSWER_THRESHOLD if same_topic and turn.asked == "situation" else SITUATION_THRESHOLD
        situation = self._situation(topic, turn, threshold).key
        # A correction or a repeat about the same case keeps its situation; a
        # follow-up the situation's answer does not cover gets the general one.
        if (
            situation is None
            and same_topic
            and topic.situation(turn.situation)
            and (not is_follow_up(turn.text) or is_correction(turn.text))
        ):
            situation = turn.situation
        person = read_person(turn.text, turn.entity_values("person"))
        if person is None and same_topic:
            person = turn.person

        if turn.intent == NEEDS_ASSISTANCE or barriers:
            # No questions first: the assisted channel helps whatever the situation.
            answer = topic.answer_for(situation, person) if situation else None
            reply = self.responder.assisted(topic, barriers, municipality, answer, language)
            return self._finish(
                reply, municipality, turn, topic=topic.key, situation=situation, person=person, barriers=barriers
            )
        if situation is None:
            reply = self.responder.general(topic, municipality, language)
        elif topic.situation(situation).ask_person and person is None:
            reply = self.responder.ask_person(topic, situation, municipality, language)
        else:
            reply = self.responder.errand(topic, situation, person, municipality, language)
            if reply is None:
                log.error(
                    "knowledge base has no answer for topic=%s situation=%s person=%s", topic.key, situation, person
                )
                reply = self.responder.missing_answer(municipality, topic.key, language)
        return self._finish(
            reply, municipality, turn, topic=topic.key, situation=situation, person=person, barriers=barriers
        )

    def clarify(self, turn: Turn) -> Result:
        """Low NLU confidence: ask, offering the closest errands; never guess."""
        municipality = self.municipality(turn.municipality)
        candidates = [
            r.get("name")
            for r in turn.intent_ranking
            if r.get("name") in self.knowledge.topics and (r.get("confidence") or 0) >= 0.05
        ][:3]
        self._keep_for_review(turn, municipality, "fallback")
        return self._finish(
            self.responder.clarify(candidates, municipality, turn.language or DANISH), municipality, turn
        )

    def small_talk(self, turn: Turn) -> Result:
        """Greetings, thanks and the like, worded in knowledge like every other text."""
        municipality = self.municipality(turn.municipality)
        name = turn.intent if turn.intent in SMALL_TALK_MESSAGES else "greet"
        language = turn.language or DANISH
        text = self.responder.message(name, municipality, language)
        return self._finish(Reply(text, channel=SMALL_TALK, language=language), municipality, turn)

    def sensitive_intent(self, turn: Turn) -> Result:
        """personal_matter or urgent_danger when neither the term list nor the
        confidence already gave a category: the intent alone decides."""
        urgent = turn.intent == URGENT_INTENT
        detection = Detection("urgent" if urgent else "personal", "Personlig sag", urgent, "nlu")
        return self.sensitive(turn, detection)

    def out_of_scope(self, turn: Turn) -> Result:
        municipality = self.municipality(turn.municipality)
        self._keep_for_review(turn, municipality, "out_of_scope")
        return self._finish(self.responder.out_of_scope(municipality, turn.language or DANISH), municipality, turn)

    def _keep_for_review(self, turn: Turn, municipality: Municipality, outcome: str) -> None:
        """Editors learn from what the assistant missed (the fallback inbox)."""
        if self.inbox is None:
            return
        try:
            self.inbox.add(municipality.key, turn.text or "", outcome, turn.intent, turn.confidence)
        except Exception:  # the citizen still gets the answer; the gap is logged
            log.exception("could not keep a %s message for review", outcome)

    def sensitive(self, turn: Turn, detection: Detection) -> Result:
        """Never answer a personal matter in chat: explain why and offer a callback.

        The reply does not repeat anything the citizen wrote."""
        municipality = self.municipality(turn.municipality)
        language = turn.language or DANISH
        say = lambda name: self.responder.message(name, municipality, language)  # noqa: E731
        lines = [say("urgent")] if detection.urgent else []
        lines.append(say("sensitive"))
        if turn.redacted.get("cpr"):
            lines.append(say("sensitive_cpr"))
        lines.append(say("offer_callback"))
        buttons = [button(say("button_callback_yes"), "callback_request"), button(say("button_no_thanks"), "deny")]
        reply = Reply(
            "\n".join(lines),
            buttons,
            outcome="emergency" if detection.urgent else None,
            channel=URGENT if detection.urgent else CALLBACK,
            language=language,
        )
        return self._finish(reply, municipality, turn, sensitive_category=detection.category)

    def technical_error(self, municipality_key: str | None) -> str:
        try:
            return self.responder.message("technical_error", self.municipality(municipality_key))
        except UnknownMunicipality:
            return SETUP_ERROR

    # -- helpers ----------------------------------------------------------

    def _barriers(self, turn: Turn) -> list[str]:
        found = set(turn.barriers or [])
        for value in turn.entity_values("barrier"):
            if value in BARRIERS:
                found.add(value)
        return [b for b in BARRIERS if b in found]

    @staticmethod
    def _first(values) -> str | None:
        return next((v for v in values if v), None)

    def _finish(self, reply: Reply, municipality: Municipality, turn: Turn | None = None, **slots) -> Result:
        answered = turn.answered if turn else None
        # One contact, one outcome: a general answer followed by the
        # situation's answer on the same errand is counted once.
        if reply.outcome and not (reply.topic and reply.topic == answered):
            self.record_outcome(municipality.key, reply.outcome, reply.topic, reply.situation)
            answered = reply.topic
        return Result(
            reply,
            {
                "kommune": municipality.key,
                "asked": reply.asks,
                "language": reply.language,
                "answered": answered,
                **slots,
            },
        )
