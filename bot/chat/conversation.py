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

from bot.chat.answers import Reply, Responder, button
from bot.chat.sensitive import URGENT_INTENT, Detection, SensitiveDetector
from bot.chat.situations import normalise_person, normalise_situation
from bot.knowledge.loader import SMALL_TALK
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

    def entity_values(self, name: str) -> list[str]:
        return [str(e.get("value")) for e in self.entities if e.get("entity") == name and e.get("value")]


@dataclass
class Result:
    reply: Reply
    slots: dict = field(default_factory=dict)


# The turn handlers the Rasa actions may ask for, by name.
HANDLERS = ("answer_errand", "clarify", "out_of_scope", "small_talk", "sensitive_intent")


class Assistant:
    def __init__(
        self,
        knowledge: Knowledge,
        outcomes: OutcomeLog | None,
        default_municipality: str,
        inbox: Inbox | None = None,
        detector: SensitiveDetector | None = None,
    ):
        self.knowledge = knowledge
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
            detection = self.detect(turn)
            if detection is not None:
                return self.sensitive(turn, detection)
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

    def answer_errand(self, turn: Turn) -> Result:
        municipality = self.municipality(turn.municipality)
        topic_key = turn.intent if turn.intent in self.knowledge.topics else turn.topic
        topic = self.knowledge.topics.get(topic_key) if topic_key else None
        barriers = self._barriers(turn)

        if topic is None:
            if turn.intent == NEEDS_ASSISTANCE or barriers:
                reply = self.responder.assisted(None, barriers, municipality)
                return self._finish(reply, municipality, barriers=barriers)
            return self._finish(self.responder.clarify([], municipality), municipality)

        same_topic = turn.topic == topic.key
        situation = self._first(normalise_situation(topic, v) for v in turn.entity_values("situation"))
        if situation is None and same_topic and topic.situation(turn.situation):
            situation = turn.situation
        if situation is None and len(topic.situations) == 1:
            situation = topic.situations[0].key  # nothing to choose between: don't ask
        person = self._first(normalise_person(v) for v in turn.entity_values("person"))
        if person is None and same_topic:
            person = turn.person

        if turn.intent == NEEDS_ASSISTANCE or barriers:
            # No questions first: the assisted channel helps whatever the situation.
            answer = topic.answer_for(situation, person) if situation else None
            reply = self.responder.assisted(topic, barriers, municipality, answer)
            return self._finish(
                reply, municipality, topic=topic.key, situation=situation, person=person, barriers=barriers
            )
        if situation is None:
            reply = self.responder.ask_situation(topic)
        elif topic.situation(situation).ask_person and person is None:
            reply = self.responder.ask_person(topic, situation, municipality)
        else:
            reply = self.responder.errand(topic, situation, person, municipality)
            if reply is None:
                log.error(
                    "knowledge base has no answer for topic=%s situation=%s person=%s", topic.key, situation, person
                )
                reply = self.responder.missing_answer(municipality, topic.key)
        return self._finish(reply, municipality, topic=topic.key, situation=situation, person=person, barriers=barriers)

    def clarify(self, turn: Turn) -> Result:
        """Low NLU confidence: ask, offering the closest errands; never guess."""
        # A typed answer to our own question ("mistet") is often too short to
        # classify; when it names a situation of the open topic, use it.
        if turn.topic in self.knowledge.topics:
            topic = self.knowledge.topics[turn.topic]
            if any(normalise_situation(topic, v) for v in turn.entity_values("situation")):
                return self.answer_errand(replace(turn, intent=topic.key))
        municipality = self.municipality(turn.municipality)
        candidates = [
            r.get("name")
            for r in turn.intent_ranking
            if r.get("name") in self.knowledge.topics and (r.get("confidence") or 0) >= 0.05
        ][:3]
        self._keep_for_review(turn, municipality, "fallback")
        return self._finish(self.responder.clarify(candidates, municipality), municipality)

    def small_talk(self, turn: Turn) -> Result:
        """Greetings, thanks and the like, worded in knowledge like every other text."""
        municipality = self.municipality(turn.municipality)
        name = turn.intent if turn.intent in SMALL_TALK else "greet"
        return self._finish(Reply(self.responder.message(name, municipality)), municipality)

    def sensitive_intent(self, turn: Turn) -> Result:
        """personal_matter or urgent_danger when neither the term list nor the
        confidence already gave a category: the intent alone decides."""
        urgent = turn.intent == URGENT_INTENT
        detection = Detection("urgent" if urgent else "personal", "Personlig sag", urgent, "nlu")
        return self.sensitive(turn, detection)

    def out_of_scope(self, turn: Turn) -> Result:
        municipality = self.municipality(turn.municipality)
        self._keep_for_review(turn, municipality, "out_of_scope")
        return self._finish(self.responder.out_of_scope(municipality), municipality)

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
        say = lambda name: self.responder.message(name, municipality)  # noqa: E731
        lines = [say("urgent")] if detection.urgent else []
        lines.append(say("sensitive"))
        if turn.redacted.get("cpr"):
            lines.append(say("sensitive_cpr"))
        lines.append(say("offer_callback"))
        buttons = [button(say("button_callback_yes"), "callback_request"), button(say("button_no_thanks"), "deny")]
        reply = Reply("\n".join(lines), buttons, outcome="emergency" if detection.urgent else None)
        return self._finish(reply, municipality, sensitive_category=detection.category)

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

    def _finish(self, reply: Reply, municipality: Municipality, **slots) -> Result:
        if reply.outcome:
            self.record_outcome(municipality.key, reply.outcome, reply.topic, reply.situation)
        return Result(reply, {"kommune": municipality.key, **slots})
