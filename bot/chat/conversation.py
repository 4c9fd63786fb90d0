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

from bot.chat.answers import CALLBACK, FALLBACK, OUT_OF_SCOPE, SMALL_TALK, URGENT, Reply, Responder, button
from bot.chat.language import DANISH, detect_language
from bot.chat.reading import (
    ANSWER_THRESHOLD,
    SITUATION_THRESHOLD,
    KeywordRules,
    barriers_for,
    is_correction,
    is_follow_up,
    is_new_subject,
    is_question,
    read_person,
    read_situation,
)
from bot.chat.sensitive import URGENT_INTENT, Detection, SensitiveDetector, carries_case
from bot.knowledge.loader import SMALL_TALK as SMALL_TALK_MESSAGES
from bot.knowledge.model import BARRIERS, Knowledge, Municipality
from bot.knowledge.search import KnowledgeSearch
from bot.privacy.channel_guard import SETUP_ERROR
from bot.records.inbox import NONE_CHOSEN, Inbox
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
    # The previous reply's "Mente du …?" offer: {"inbox": id, "options": [...]}.
    suggested: dict | None = None

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
# A plain first-person question goes to an errand this close in the ranking.
PLAIN_ERRAND_CONFIDENCE = 0.1
# Help without digital solutions is given for the errand the NLU ranks next
# when the message names none, if it is at least this sure.
ASSISTED_ERRAND_CONFIDENCE = 0.25
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
        search: KnowledgeSearch | None = None,
    ):
        self.knowledge = knowledge
        self.search = search
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
            self.note_choice(turn)
            detection = self.detect(turn)
            if detection is not None and not (detection.source == "nlu" and self.explained_by_thread(turn)):
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
        """The message's language; a message without evidence ("ok") keeps the
        conversation's, and so does a button payload ("/out_of_scope" is no English)."""
        if (turn.text or "").startswith("/"):
            return turn.language or DANISH
        return detect_language(turn.text) or turn.language or DANISH

    def route(self, handler: str, turn: Turn) -> tuple[str, Turn]:
        """Keep the thread: read a message in the open errand's context when
        it answers our question, follows up or corrects, and follow a switch
        to an errand the message names. Decided here, from the open topic,
        rather than left to memorised stories."""
        open_topic = self.knowledge.topics.get(turn.topic or "")
        nlu_topic = turn.intent if turn.intent in self.knowledge.topics else None
        named = self.rules.named_topics(turn.text) if self.rules else set()
        if handler == "answer_errand":
            if nlu_topic == "mitid" and "ingen_mitid" in self._barriers(turn):
                # "Jeg har ikke MitID, så jeg kan ikke melde flytning": MitID is
                # the barrier, the errand is the one named or the open one.
                others = named - {"mitid"}
                target = next(iter(others)) if len(others) == 1 else (open_topic.key if open_topic else None)
                if target and target != "mitid":
                    return handler, replace(turn, intent=target)
            if open_topic and nlu_topic and nlu_topic != open_topic.key and self._stays(turn, open_topic, named):
                return handler, replace(turn, intent=open_topic.key)
            if nlu_topic and nlu_topic not in named and len(named) == 1:
                # The NLU keyed on a question word ("hvornår"), the message
                # names another errand by its own words.
                return handler, replace(turn, intent=next(iter(named)))
            others = named - {open_topic.key} if open_topic else named
            if turn.intent == NEEDS_ASSISTANCE and "ingen_mitid" in self._barriers(turn):
                others = others - {"mitid"}  # "har ikke MitID": the barrier, not the errand
            if turn.intent == NEEDS_ASSISTANCE and len(others) == 1:
                # Help without digital solutions for the errand the message names
                # (answer_errand otherwise takes the open one).
                return handler, replace(turn, topic=next(iter(others)), situation=None, person=None)
            if turn.intent == NEEDS_ASSISTANCE and not others and open_topic is None:
                # Names no errand by its words, but the NLU ranks one clearly
                # next ("min far vil bygge en carport, men har ingen computer").
                errand = self._ranked_errand(turn, ASSISTED_ERRAND_CONFIDENCE, exclude={"mitid"})
                if errand is not None:
                    return handler, replace(turn, topic=errand, situation=None, person=None)
            return handler, turn
        if handler == "small_talk" and turn.intent not in _THREAD_SMALL_TALK:
            return handler, turn
        if handler not in ("clarify", "out_of_scope", "small_talk"):
            return handler, turn
        other = named - {open_topic.key} if open_topic else named
        if open_topic is not None and not other and self._in_thread(turn, open_topic, handler):
            return "answer_errand", replace(turn, intent=open_topic.key)
        if handler == "clarify":
            # Unsure NLU, but the message names exactly one errand.
            if len(named) == 1:
                return "answer_errand", replace(turn, intent=next(iter(named)))
            # Or the best errand's own situation reading is strong.
            best = next((r for r in turn.intent_ranking if r.get("name") in self.knowledge.topics), None)
            if best is not None and (best.get("confidence") or 0) >= 0.3:
                topic = self.knowledge.topics[best["name"]]
                reading = self._situation(topic, turn, SITUATION_THRESHOLD)
                if reading.key is not None and reading.confidence >= 0.8 and reading.source != "only":
                    return "answer_errand", replace(turn, intent=topic.key)
        return handler, turn

    def _ranked_errand(self, turn: Turn, threshold: float, exclude: set[str] = frozenset()) -> str | None:
        """The NLU's best-ranked errand at least ``threshold`` sure, if any."""
        return next(
            (
                r["name"]
                for r in turn.intent_ranking
                if r.get("name") in self.knowledge.topics
                and r.get("name") not in exclude
                and (r.get("confidence") or 0) >= threshold
            ),
            None,
        )

    def _situation(self, topic, turn: Turn, threshold: float):
        return read_situation(
            topic, turn.entity_values("situation"), self.rules, turn.text, turn.situation_scores, threshold
        )

    def _stays(self, turn: Turn, open_topic, named: set[str]) -> bool:
        """The NLU names another errand: is this still the open one?"""
        if turn.intent in named and open_topic.key not in named:
            return False  # the message names the new errand
        if open_topic.key in named:
            return True
        if is_new_subject(turn.text):
            return False  # "en anden ting, ..."
        short = len(turn.text.split()) <= SHORT_REPLY_WORDS
        if short and (is_follow_up(turn.text) or is_correction(turn.text) or turn.confidence < SWITCH_CONFIDENCE):
            # A short question that names no errand is about the open one
            # ("koster det noget?"), whatever word the NLU keyed on.
            return True
        threshold = ANSWER_THRESHOLD if turn.asked == "situation" else SITUATION_THRESHOLD
        reading = self._situation(open_topic, turn, threshold)
        return short and reading.key is not None and reading.source in ("keywords", "keywords+model", "entity")

    def _in_thread(self, turn: Turn, open_topic, handler: str) -> bool:
        """An unclassified, out-of-scope or yes/no message, naming no other
        errand, that answers the open question, follows up or corrects."""
        text = turn.text
        short = len(text.split()) <= SHORT_REPLY_WORDS
        if short and self._situation(open_topic, turn, ANSWER_THRESHOLD if turn.asked else SITUATION_THRESHOLD).key:
            return True
        if turn.asked == "situation" and short and handler in ("clarify", "out_of_scope") and not is_new_subject(text):
            # An answer to our own question we cannot place: the errand's
            # general answer and its choices again beat "can't help".
            return True
        if (turn.asked == "person" or is_correction(text)) and read_person(text, turn.entity_values("person")):
            return True
        if short and self._barriers(turn):
            return True
        if handler == "small_talk":
            return is_correction(text) and self._situation(open_topic, turn, SITUATION_THRESHOLD).key is not None
        if handler == "out_of_scope" and turn.confidence >= SWITCH_CONFIDENCE and not is_follow_up(text):
            return False
        if not short:
            return handler == "clarify" and self._situation(open_topic, turn, SITUATION_THRESHOLD).key is not None
        return is_follow_up(text) or is_correction(text) or is_question(text)

    def explained_by_thread(self, turn: Turn) -> bool:
        """A short reply in an open errand that the NLU alone took for a
        personal or urgent matter ("min dreng er 14 og skal have sit eget"),
        with no case and no urgent term in it: it answers the errand."""
        open_topic = self.knowledge.topics.get(turn.topic or "")
        if open_topic is None or len(turn.text.split()) > SHORT_REPLY_WORDS or carries_case(turn.text):
            return False
        if self.rules and self.rules.named_topics(turn.text) - {open_topic.key}:
            return False
        return bool(
            read_person(turn.text, turn.entity_values("person"))
            or self._situation(open_topic, turn, ANSWER_THRESHOLD).key
            or is_follow_up(turn.text)
            or is_question(turn.text)
        )

    def answer_errand(self, turn: Turn) -> Result:
        municipality = self.municipality(turn.municipality)
        language = turn.language or DANISH
        topic_key = turn.intent if turn.intent in self.knowledge.topics else turn.topic
        topic = self.knowledge.topics.get(topic_key) if topic_key else None
        barriers = self._barriers(turn, topic.key if topic else None)

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
        """Low NLU confidence: ask, never guess. The closest answers from the
        knowledge base's search when it has some ("Mente du …?"), otherwise
        the closest errands."""
        municipality = self.municipality(turn.municipality)
        language = turn.language or DANISH
        offer = self._offer(turn, municipality, FALLBACK)
        if offer is not None:
            return offer
        candidates = [
            r.get("name")
            for r in turn.intent_ranking
            if r.get("name") in self.knowledge.topics and (r.get("confidence") or 0) >= 0.05
        ][:3]
        return self._finish(self.responder.clarify(candidates, municipality, language), municipality, turn)

    def small_talk(self, turn: Turn) -> Result:
        """Greetings, thanks and the like, worded in knowledge like every other text."""
        municipality = self.municipality(turn.municipality)
        name = turn.intent if turn.intent in SMALL_TALK_MESSAGES else "greet"
        language = turn.language or DANISH
        text = self.responder.message(name, municipality, language)
        return self._finish(Reply(text, channel=SMALL_TALK, language=language), municipality, turn)

    def sensitive_intent(self, turn: Turn) -> Result:
        """personal_matter or urgent_danger as the NLU's intent, when the
        detector (already run by ``handle``) found no case in the message.

        Urgent always escalates: the safe error. A "personal" message with no
        case in it is a plain question in the first person ("jeg skal til
        Spanien, skal jeg have blåt kort?"): it is answered as the closest
        errand, or as out of scope when no errand is near."""
        if turn.intent == URGENT_INTENT:
            return self.sensitive(turn, Detection("urgent", "Akut fare", True, "nlu"))
        if self.detector is None:
            return self.sensitive(turn, Detection("personal", "Personlig sag", False, "nlu"))
        errand = self._ranked_errand(turn, PLAIN_ERRAND_CONFIDENCE)
        if errand is not None:
            return self.answer_errand(replace(turn, intent=errand))
        if turn.intent_ranking and any(
            r.get("name") == NEEDS_ASSISTANCE and (r.get("confidence") or 0) >= PLAIN_ERRAND_CONFIDENCE
            for r in turn.intent_ranking
        ):
            return self.answer_errand(replace(turn, intent=NEEDS_ASSISTANCE))
        return self.out_of_scope(turn)

    def out_of_scope(self, turn: Turn) -> Result:
        """No errand fits: first the closest answers from the knowledge
        base's search ("Mente du …?"), then "Det kan jeg ikke hjælpe med"."""
        municipality = self.municipality(turn.municipality)
        offer = self._offer(turn, municipality, OUT_OF_SCOPE)
        if offer is not None:
            return offer
        return self._finish(self.responder.out_of_scope(municipality, turn.language or DANISH), municipality, turn)

    def _offer(self, turn: Turn, municipality: Municipality, outcome: str) -> Result | None:
        """Keep the message for review with the search's suggestions; the
        "Mente du …?" reply when there are any, else None."""
        suggestions = self.suggestions(turn.text)
        options = [s.key for s in suggestions]
        message_id = self._keep_for_review(turn, municipality, outcome, options)
        if not suggestions:
            return None
        reply = self.responder.suggestions(suggestions, municipality, turn.language or DANISH, channel=outcome)
        return self._finish(reply, municipality, turn, suggested={"inbox": message_id, "options": options})

    def suggestions(self, text: str) -> list:
        """The search's suggestions for a typed message; a button payload or a
        search failure gets none (the citizen then gets the plain reply)."""
        if self.search is None or not text or text.startswith("/"):
            return []
        try:
            return [s for s in self.search.suggest(text) if s.topic in self.knowledge.topics]
        except Exception:
            log.exception("knowledge search failed")
            return []

    def note_choice(self, turn: Turn) -> None:
        """After a "Mente du …?" offer, record in the inbox which suggestion
        the citizen chose, or "none" (the "Ingen af dem" button, or a new
        message instead)."""
        offer = turn.suggested if isinstance(turn.suggested, dict) else None
        if self.inbox is None or offer is None or not isinstance(offer.get("inbox"), int):
            return
        options = [o for o in offer.get("options") or [] if isinstance(o, str)]
        chosen = NONE_CHOSEN
        if (turn.text or "").startswith("/") and turn.intent in self.knowledge.topics:
            situation = self._first(turn.entity_values("situation"))
            key = f"{turn.intent}/{situation}" if situation else turn.intent
            chosen = key if key in options else NONE_CHOSEN
        try:
            self.inbox.choose(offer["inbox"], chosen)
        except Exception:
            log.exception("could not record the chosen suggestion")

    def _keep_for_review(
        self, turn: Turn, municipality: Municipality, outcome: str, suggestions: list[str] | None = None
    ) -> int | None:
        """Editors learn from what the assistant missed (the fallback inbox)."""
        if self.inbox is None:
            return None
        try:
            return self.inbox.add(
                municipality.key, turn.text or "", outcome, turn.intent, turn.confidence, suggestions or ()
            )
        except Exception:  # the citizen still gets the answer; the gap is logged
            log.exception("could not keep a %s message for review", outcome)
            return None

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

    def _barriers(self, turn: Turn, topic: str | None = None) -> list[str]:
        found = set(turn.barriers or [])
        for value in turn.entity_values("barrier"):
            if value in BARRIERS:
                found.add(value)
        if self.rules is not None:
            found |= self.rules.barriers(turn.text)
        found = barriers_for(topic, found)
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
                # An offer of suggestions lasts one turn.
                "suggested": None,
                **slots,
            },
        )
