"""Read the message once: everything the turn's decisions need from it.

``read_message`` runs once per turn, before the sensitive check, the
thread's routing and the handler; they all decide from the one
``MessageReading`` instead of reading the raw text again. The routing may
re-aim the turn (another intent or open topic); the reading stays, since
the message has not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import cache

from bot.chat.case_matter import NO_CASE, CaseReader, CaseReading
from bot.chat.language import DANISH, detect_language
from bot.chat.reading import (
    ANSWER_THRESHOLD,
    NO_SITUATION,
    PHRASE_CONFIDENCE,
    SHORT_REPLY_WORDS,
    WORDED,
    KeywordRules,
    SituationReading,
    asks_online,
    barriers_for,
    denied_errands,
    is_conditional,
    is_correction,
    is_follow_up,
    is_new_subject,
    is_question,
    is_thanks,
    meant_errand,
    names_relative,
    names_screen,
    read_person,
    refers_back,
    states_a_wish,
    tells_of_third_person,
    weigh_situation,
)
from bot.chat.sensitive import Detection, SensitiveDetector, carries_case
from bot.chat.turn import NEEDS_ASSISTANCE, OUT_OF_SCOPE_INTENT, Turn
from bot.knowledge.model import BARRIERS, Topic


@dataclass(frozen=True)
class MessageReading:
    """What one message says, read once per turn."""

    # The reply's language: the message's, or the conversation's when the
    # message gives no evidence ("ok") or is a button's payload.
    language: str
    # A button's payload ("/pas{...}"), not typed text.
    payload: bool
    # At most SHORT_REPLY_WORDS words: an answer or a follow-up, not a new question.
    short: bool
    # How many words: a bare "nej tak" is small talk, "nej, det er til min mor" says more.
    words: int
    follow_up: bool
    correction: bool
    # "gælder det samme?", "kan vi gøre det før vi rejser?": points back to
    # the errand or person the conversation is about (reading.refers_back).
    refers_back: bool
    # The errand a correction says it meant ("nej vent, passet ligger her,
    # det er mit kørekort der er væk"), when it names one right after such
    # words; None otherwise.
    meant: str | None
    # The errands a correction says it did not mean ("det var ikke lægen").
    denied: frozenset[str]
    # "en anden ting, ...": the citizen says a new question follows.
    new_subject: bool
    question: bool
    # "jeg vil ...": what the citizen wants to do, not what has happened.
    wish: bool
    # "kan jeg gøre det online?": asks for the errand's self-service way, which
    # the NLU may take for needs_assistance (bot/chat/reading.py asks_online).
    asks_online: bool
    # The errands the message names by their own words.
    named_topics: frozenset[str]
    # The first subject outside the errands whose words the message has
    # (knowledge/outside.yml); the thread decides whether it applies.
    outside: str | None
    # That subject's words name who the matter is with (``other_party``).
    outside_party: bool
    # "barn" or "voksen" when the message says who the errand is for.
    person: str | None
    # The barriers the message names, in BARRIERS order and before any
    # topic's exception (``barriers``).
    said_barriers: tuple[str, ...]
    # The barriers the conversation already had (the slot), and the errand
    # they were said about (the open topic; None when said before any).
    carried_barriers: tuple[str, ...]
    carried_topic: str | None
    # The NLU's ranking of the errands (knowledge topics), best first, and
    # its confidence that the citizen needs help without digital solutions.
    errands: tuple[tuple[str, float], ...]
    assistance: float
    # The NLU's confidence that the message is about none of the errands.
    unrelated: float
    # What the sensitive detector found, and whether one read the message
    # at all (without one a sensitive intent is taken at its word).
    detection: Detection | None
    screened: bool
    # The citizen's own case or decision, as bot/chat/case_matter.py reads it:
    # diverted to a callback offer like a sensitive matter.
    case_matter: CaseReading
    # The message carries a case: its own case or decision (``case_matter``),
    # a family or social matter, or health, money or a death told of
    # someone in particular (bot/chat/sensitive.py ``carries_case``).
    case: bool
    # The input channel removed a CPR number from the message.
    cpr_removed: bool
    # A topic's situation reading before any threshold, read on first use
    # and kept. Not read for every topic up front: for a 42-word message the
    # keyword rules of all twenty topics took 67 ms (about 3 ms a topic,
    # measured for issue 23 on the 2-core development machine), and a turn
    # needs one to three topics.
    weigh: Callable[[str], SituationReading] = field(repr=False, compare=False)
    # A topic's situation keyword in the message, whatever the situation
    # model says: the weighing lets a confident model's reading outvote a
    # keyword for the answer, but the keyword still says which errand the
    # words belong to. Read on first use and kept, like ``weigh``.
    keyword: Callable[[str], SituationReading] = field(default=lambda topic: NO_SITUATION, repr=False, compare=False)
    # "og hvis …": goes on from the open errand with a condition
    # (bot/chat/reading.py ``is_conditional``).
    conditional: bool = False
    # A relative named as someone's own ("min far"), and the screen, the
    # computer or the online way named (bot/chat/reading.py).
    relative: bool = False
    # Him or her told of ("han er kun 61"): someone in particular.
    third_person: bool = False
    screen: bool = False
    # Only thanks and acknowledgements in a few words ("ok tak", "cheers").
    thanks: bool = False

    def worded(self, topic: str) -> bool:
        """The message names one of the topic's situations in the citizen's
        own words: an entity or an editor's keyword as weighed, or a phrase
        of several words even where the model's reading of the whole
        sentence outweighed it ("min kæreste er flyttet ind" in housing
        benefit). One word alone ("hvornår") is not enough there."""
        return self.weigh(topic).source in WORDED or self.phrased(topic)

    def phrased(self, topic: str) -> bool:
        """One of the topic's situation keywords of several words is in the
        message ("flytter ind" in housing benefit): the citizen's own words,
        not one word another errand shares ("flytter")."""
        return self.keyword(topic).confidence >= PHRASE_CONFIDENCE

    def situation(self, topic: str, threshold: float) -> SituationReading:
        """The situation the message supports for the topic, or key None
        when it names none at least ``threshold`` sure."""
        return self.weigh(topic).above(threshold)

    def barriers(self, topic: str | None = None) -> list[str]:
        """The barriers that stand in the way of the topic's errand: those
        the message names, and those said earlier about the same errand or
        before any errand. A barrier told about one errand ("min mor har
        ikke MitID" about her passport) says nothing about the next one
        (issue 26), so it is not carried to another errand; without a topic,
        only the message's own."""
        found = set(self.said_barriers)
        if topic is not None and self.carried_topic in (None, topic):
            found.update(self.carried_barriers)
        found = barriers_for(topic, found)
        return [b for b in BARRIERS if b in found]

    def said(self, barriers: list[str]) -> list[str]:
        """Those of ``barriers`` this message names: the lines about them
        belong to this turn's reply only."""
        return [b for b in barriers if b in self.said_barriers]

    def ranked_errand(self, threshold: float, exclude: Collection[str] = ()) -> str | None:
        """The NLU's best-ranked errand at least ``threshold`` sure, if any."""
        return next((name for name, sure in self.errands if name not in exclude and sure >= threshold), None)

    @property
    def best_errand(self) -> tuple[str, float] | None:
        return self.errands[0] if self.errands else None

    @property
    def outside_subject(self) -> str | None:
        """The subject outside the errands, unless the message names an
        errand by its own words; a subject that names the other party
        (``outside_party``) stands though it does."""
        if self.named_topics and not self.outside_party:
            return None
        return self.outside


def read_message(
    turn: Turn,
    topics: Mapping[str, Topic],
    rules: KeywordRules | None = None,
    detector: SensitiveDetector | None = None,
    case_reader: CaseReader | None = None,
) -> MessageReading:
    """Read the turn's message once, against every errand in ``topics``."""
    text = turn.text or ""
    payload = text.startswith("/")
    found = {v for v in turn.entity_values("barrier") if v in BARRIERS}
    carried = set(turn.barriers or [])
    if rules is not None:
        found |= rules.barriers(text)
    ranking = [(r.get("name"), r.get("confidence") or 0) for r in turn.intent_ranking]
    situation_entities = turn.entity_values("situation")
    scores = turn.situation_scores

    @cache
    def weigh(topic: str) -> SituationReading:
        return weigh_situation(topics[topic], situation_entities, rules, text, scores)

    @cache
    def keyword(topic: str) -> SituationReading:
        return rules.match(topic, text) if rules is not None and topic in topics else NO_SITUATION

    correction = is_correction(text)
    said = tuple(b for b in BARRIERS if b in found)
    named = frozenset(rules.named_topics(text)) if rules is not None else frozenset()
    outside = None if payload or rules is None else rules.outside(text)
    open_topic = turn.topic if turn.topic in topics else None
    own_case = case_reader.read(text, turn.case_score) if case_reader is not None and not payload else NO_CASE
    if own_case.learned and _ordinary(turn, topics, said, named, open_topic, weigh, correction, own_case):
        own_case = replace(own_case, ordinary=True)
    case = carries_case(text, own_case)
    detection = None
    if detector is not None:
        detection = detector.detect(
            text,
            turn.intent,
            turn.confidence,
            turn.redacted,
            turn.intent_ranking,
            case,
            learned=None if payload else turn.sensitive_score,
            reading=own_case,
        )
    return MessageReading(
        language=(turn.language or DANISH) if payload else (detect_language(text) or turn.language or DANISH),
        payload=payload,
        short=len(text.split()) <= SHORT_REPLY_WORDS,
        words=len(text.split()),
        follow_up=is_follow_up(text),
        correction=correction,
        refers_back=not payload and refers_back(text),
        meant=meant_errand(text, rules, named) if correction and rules is not None else None,
        denied=denied_errands(text, rules) if correction and rules is not None else frozenset(),
        new_subject=is_new_subject(text),
        question=is_question(text),
        wish=states_a_wish(text),
        asks_online=not payload and asks_online(text),
        named_topics=named,
        outside=outside,
        outside_party=rules is not None and outside in rules.other_parties,
        person=read_person(text, turn.entity_values("person")),
        said_barriers=said,
        carried_barriers=tuple(b for b in BARRIERS if b in carried),
        carried_topic=open_topic,
        errands=tuple((name, confidence) for name, confidence in ranking if name in topics),
        assistance=max((c for name, c in ranking if name == NEEDS_ASSISTANCE), default=0.0),
        unrelated=max((c for name, c in ranking if name == OUT_OF_SCOPE_INTENT), default=0.0),
        detection=detection,
        screened=detector is not None,
        case_matter=own_case,
        case=case,
        cpr_removed=bool((turn.redacted or {}).get("cpr")),
        weigh=weigh,
        keyword=keyword,
        conditional=not payload and is_conditional(text),
        relative=names_relative(text),
        third_person=not payload and tells_of_third_person(text),
        screen=names_screen(text),
        thanks=not payload and is_thanks(text),
    )


def _ordinary(
    turn: Turn,
    topics: Mapping[str, Topic],
    said: tuple[str, ...],
    named: frozenset[str],
    open_topic: str | None,
    weigh: Callable[[str], SituationReading],
    correction: bool,
    own_case: CaseReading,
) -> bool:
    """The message tells an errand's ordinary matter, which the case model
    took for an own case: a barrier to the digital solution ("min forlovede
    har ikke MitID, og vi har ingen computer"), which the assisted channel
    answers, a situation whose self-service is for the citizen's own matter
    (a missed collection, a lost card), or an answer to our own question
    about the open errand's situation that names one of its situations ("de
    har ikke tømt min spand i dag" after "Hvad drejer det sig om?"), or
    corrects our reading of it in the open errand's words ("nej jeg mener,
    den skulle være tømt i går men det blev den ikke", an open held-out
    conversation the case model sent to a caseworker). A signal phrase
    ("har fået afslag") is a case whatever else the message says."""
    errand = turn.intent if turn.intent in topics else open_topic
    if barriers_for(errand, set(said)):
        return True
    if errand is not None and not own_case.hints:
        # The errand's situation is the citizen's own matter, handled by its
        # self-service (knowledge ``own_matter``: "skraldebilen kom aldrig i
        # dag", three open held-out conversations the case model sent to a
        # caseworker). Not when a hint tells more ("tre gange", "to gange"):
        # a missed collection reported again and again is a case (two open
        # held-out case matters). Measured on the open held-out sets:
        # the flag on the voting card, the lost passport and licence and the
        # sick-leave form lost 15 case matters for no conversation.
        situation = topics[errand].situation(weigh(errand).above(ANSWER_THRESHOLD).key)
        if situation is not None and situation.own_matter:
            return True
    if open_topic is None or (turn.asked != "situation" and not correction):
        return False
    reading = weigh(open_topic).above(ANSWER_THRESHOLD)
    if named - {open_topic}:
        # Another errand's word in the answer ("har fået ny læge" about the
        # health card) needs the open errand's situation in the citizen's
        # own words, not only the model's guess.
        return reading.source in WORDED
    return reading.key is not None
