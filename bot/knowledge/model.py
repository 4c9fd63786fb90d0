"""Plain data classes for the validated knowledge base."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.callbacks.hours import CallbackHours

PERSONS = ("voksen", "barn")
WASTE_LINKS = ("collection_url", "missed_url", "storskrald_url", "genbrugsplads_url", "sorting_url")
BARRIERS = (
    "ingen_mitid",
    "ingen_computer",
    "fritaget_digital_post",
    "blind",
    "ordblind",
    "paaroerende",
)
# Where a situation's answer sends the citizen (kanalstrategi): a self-service
# link, a booked attendance, or a booked phone callback for matters too
# complex for chat (appeals, decisions, cases already being processed).
CHANNELS = ("selfservice", "booking", "callback")


@dataclass(frozen=True)
class Fee:
    label: str
    kr: int
    year: int
    source: str


@dataclass(frozen=True)
class Situation:
    key: str
    label: str
    ask_person: bool = False
    keywords: tuple[str, ...] = ()
    en_label: str | None = None
    channel: str = "selfservice"
    # The citizen's own matter of this kind is what the situation's
    # self-service handles (a missed collection reported with the form, a
    # lost card ordered anew): telling of one's own is no case for a
    # caseworker unless a case phrase says so (bot/chat/message.py).
    own_matter: bool = False


@dataclass(frozen=True)
class Answer:
    topic: str
    situation: str
    person: str | None
    lead: str
    text: str
    sources: tuple[str, ...]
    reviewed: str
    link: str | None = None
    municipal_link: str | None = None
    fees: tuple[Fee, ...] = ()
    en_lead: str | None = None
    en_text: str | None = None


@dataclass(frozen=True)
class Topic:
    key: str
    name: str
    attendance: bool
    question: str
    assisted: str
    situations: tuple[Situation, ...]
    answers: tuple[Answer, ...]
    person_question: str | None = None
    # The answer when the errand is named but no situation: its main link.
    general: Answer | None = None
    # English variants of name, question, person_question, assisted.
    en: dict = field(default_factory=dict, hash=False, compare=False)
    # Words that name the errand ("pas", "passport"): how a message shows
    # it switches to this errand, or stays in it.
    words: tuple[str, ...] = ()

    def situation(self, key: str | None) -> Situation | None:
        return next((s for s in self.situations if s.key == key), None)

    def answer_for(self, situation: str, person: str | None) -> Answer | None:
        """The most specific answer: exact person first, then the person-less one."""
        candidates = [a for a in self.answers if a.situation == situation]
        for answer in candidates:
            if person and answer.person == person:
                return answer
        return next((a for a in candidates if a.person is None), None)


# Callback categories that get the earliest free slot of the day, or a
# same-day line when today is full (issue 27): losing one's home, no money
# for food or medicine, a child at risk, violence, and the detector's urgent
# danger. Every sensitive category marked urgent (112) counts too. A
# municipality may list its own under `urgent_callbacks.categories`.
DEFAULT_URGENT_CALLBACKS = ("basic_needs", "child_worry", "violence", "urgent")


@dataclass(frozen=True)
class Municipality:
    key: str
    name: str
    website_url: str
    phone_number: str | None = None
    phone_hours: str | None = None
    address: str | None = None
    booking_url: str | None = None
    waste: dict = field(default_factory=dict)
    primary_colour: str | None = None
    # Groups whose values are not (fully) verified against a source.
    unverified: tuple[str, ...] = ()
    callback_hours: CallbackHours | None = None
    retention_days: int = 30
    # Callback categories treated as urgent (DEFAULT_URGENT_CALLBACKS unless
    # the municipality lists its own), and its own same-day line, if any,
    # instead of the message `urgent_same_day`.
    urgent_callbacks: tuple[str, ...] = DEFAULT_URGENT_CALLBACKS
    same_day: str | None = None

    def waste_link(self, name: str) -> str | None:
        return self.waste.get(name)


@dataclass(frozen=True)
class SensitiveCategory:
    key: str
    label: str
    urgent: bool
    terms: tuple[str, ...]


# The callback category of a booking made after a case-matter reply, beside
# the sensitive categories; its label is CaseSignals.label.
CASE_CATEGORY = "case"
# The categories the sensitive detector names itself (bot/chat/sensitive.py
# DETECTOR_CATEGORIES labels them), beside those of knowledge/sensitive_terms.yml.
PERSONAL_CATEGORY = "personal"
URGENT_CATEGORY = "urgent"
CPR_CATEGORY = "cpr"
# Every category a callback can carry that is not a sensitive_terms.yml
# category: the detector's own and the case matter's.
BUILT_IN_CATEGORIES = (PERSONAL_CATEGORY, URGENT_CATEGORY, CPR_CATEGORY, CASE_CATEGORY)
# The topic of a callback whose citizen answered "Nej, noget andet" to the
# topic the assistant suggested: the caseworker reads the matter in the
# conversation (the dashboard's "Andet" too).
OTHER_TOPIC = "andet"


@dataclass(frozen=True)
class CaseSignals:
    """What shows a message is about the citizen's own case (knowledge/case_signals.yml,
    read by bot/chat/case_matter.py): phrases per group, each group's phrases either
    enough alone (``signals``) or only two groups together (``hints``); the
    markers of a general question, and the question words; the words by
    which a writer speaks of themselves or someone they act for."""

    label: str = "Egen sag"
    signals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hints: dict[str, tuple[str, ...]] = field(default_factory=dict)
    general: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallbackGuidance:
    """What a caseworker should consider offering, per callback category and
    per errand (knowledge/callback_guidance.yml): short Danish lines shown on
    the callback page as "Forslag til næste skridt". Reference for staff,
    not advice to the citizen."""

    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    errands: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class OutsideSubject:
    """A subject the assistant does not answer, which shares words with an
    errand (a tax card, a credit card, kontanthjælp): the words that show it
    and the line that says where to go instead (knowledge/outside.yml)."""

    key: str
    words: tuple[str, ...]
    text: str
    text_en: str | None = None
    # The words name who the matter is with (a private parking company), so
    # the subject applies though an errand's words or situation words are in
    # the message too ("kontrolafgift", "beboerlicens").
    other_party: bool = False


@dataclass(frozen=True)
class Knowledge:
    topics: dict[str, Topic]
    municipalities: dict[str, Municipality]
    barriers: dict[str, str]
    messages: dict[str, str]
    sensitive: dict[str, SensitiveCategory] = field(default_factory=dict)
    # English variants editors may add; a missing one falls back to Danish.
    messages_en: dict[str, str] = field(default_factory=dict)
    barriers_en: dict[str, str] = field(default_factory=dict)
    # Phrases that show a barrier ("har ikke mitid"), matched like situation keywords.
    barrier_keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What shows a message is about the citizen's own case (bot/chat/case_matter.py).
    case_signals: CaseSignals = field(default_factory=CaseSignals)
    # Suggested next steps for the caseworker, per callback category and errand.
    guidance: CallbackGuidance = field(default_factory=CallbackGuidance)
    # Subjects outside the errands, in file order (knowledge/outside.yml).
    outside: tuple[OutsideSubject, ...] = ()
