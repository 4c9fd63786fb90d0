"""Decide what to say for one turn, independent of Rasa.

The Rasa actions translate the tracker into a ``Turn`` and the ``Result``
back into events; everything that decides the answer lives under bot/chat
so it can be tested directly and reused by other channels.
``Assistant.handle`` is the one way in. It reads the message once
(bot/chat/message.py), diverts personal and urgent matters before any
errand handler answers, lets the thread (bot/chat/thread.py) choose the
errand, lets the handler (bot/chat/answering.py) answer it, and turns every
failure into a Danish reply.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.chat.answering import Answering, UnknownMunicipality
from bot.chat.answers import Reply, Responder
from bot.chat.case_matter import CaseReader
from bot.chat.message import MessageReading, read_message
from bot.chat.reading import KeywordRules
from bot.chat.sensitive import MODEL_SOURCES, Detection, SensitiveDetector
from bot.chat.thread import Thread
from bot.chat.turn import NEEDS_ASSISTANCE, Result, Turn
from bot.knowledge.model import Knowledge, Municipality
from bot.knowledge.search import KnowledgeSearch
from bot.privacy.channel_guard import SETUP_ERROR
from bot.records.inbox import Inbox
from bot.records.outcomes import OutcomeLog

__all__ = ["HANDLERS", "NEEDS_ASSISTANCE", "SETUP_ERROR", "Assistant", "Result", "Turn", "UnknownMunicipality"]

log = logging.getLogger(__name__)

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
        rules: KeywordRules | None = None,
        search: KnowledgeSearch | None = None,
        case_reader: CaseReader | None = None,
    ):
        self.knowledge = knowledge
        self.case_reader = case_reader
        self.search = search
        self.rules = rules
        self.responder = Responder(knowledge)
        self.outcomes = outcomes
        self.default_municipality = default_municipality
        self.inbox = inbox
        self.detector = detector
        self.thread = Thread(knowledge.topics)
        self.answering = Answering(
            knowledge, self.responder, self.thread, outcomes, default_municipality, inbox, search
        )

    def record_outcome(self, municipality: str, outcome: str, topic: str | None, situation: str | None) -> None:
        """The callback flow (bot/chat/booking.py) records its bookings here too."""
        self.answering.record_outcome(municipality, outcome, topic, situation)

    def municipality(self, key: str | None) -> Municipality:
        """The turn's municipality, or the configured one; the callback form uses it too."""
        return self.answering.municipality(key)

    def read(self, turn: Turn) -> MessageReading:
        return read_message(turn, self.knowledge.topics, self.rules, self.detector, self.case_reader)

    def handle(self, handler: str, turn: Turn) -> Result:
        """Run one turn handler; personal or urgent matters are diverted
        first, and whatever goes wrong the citizen gets a Danish reply."""
        if handler not in HANDLERS:
            raise ValueError(f"unknown turn handler {handler!r}; expected one of {', '.join(HANDLERS)}")
        try:
            reading = self.read(turn)
            self.answering.note_choice(turn, reading)
            self.answering.note_correction(turn, reading)
            detection = reading.detection
            if self.thread.assistance_over_matter(turn, reading):
                # Help without the digital solutions, told with why: the
                # booked help at Borgerservice, not a caseworker.
                handler = "answer_errand"
            elif reading.case_matter.case and (detection is None or detection.category == "personal"):
                if self.thread.outside_case(handler, turn, reading):
                    # A case about a subject the assistant does not cover:
                    # its own authority, not the municipality, can take it.
                    return self.answering.out_of_scope(turn, reading)
                # The citizen's own case: the callback about its errand, also
                # when the NLU alone took it for a personal matter.
                return self.answering.case_matter(turn, reading)
            elif detection is not None:
                # The NLU's and the sensitive model's word alone: a short
                # answer in the open errand ("det er til min dreng, han er
                # 14" about MitID) is who or what the errand is for.
                explained = (detection.source in MODEL_SOURCES and self.thread.explains(turn, reading)) or (
                    self.thread.errand_context(turn, reading)
                )
                if not explained and self.thread.outside_context(handler, turn, reading):
                    # The open errand is set aside as the routing would.
                    return self.answering.out_of_scope(turn, reading)
                if not explained:
                    return self.answering.sensitive(turn, reading, detection)
                if handler == "sensitive_intent":
                    # The NLU's own intent was the personal or urgent guess the
                    # thread explained ("han er altså 22, ikke et barn" in the
                    # passport errand): the reply answers the open errand.
                    handler, turn = "answer_errand", replace(turn, intent=turn.topic)
            handler, turn = self.thread.route(handler, turn, reading)
            return getattr(self.answering, handler)(turn, reading)
        except UnknownMunicipality as exc:
            log.error("%s", exc)
            return Result(Reply(SETUP_ERROR))
        except Exception:
            log.exception("turn handler %s failed for intent %s", handler, turn.intent)
            return Result(Reply(self.answering.technical_error(turn.municipality)))

    # -- one handler alone -----------------------------------------------
    # The turn as given, without the sensitive check or the thread's
    # routing: for looking at one handler's reply (tests), never for a
    # citizen's turn, which goes through ``handle``.

    def answer_errand(self, turn: Turn) -> Result:
        return self.answering.answer_errand(turn, self.read(turn))

    def clarify(self, turn: Turn) -> Result:
        return self.answering.clarify(turn, self.read(turn))

    def out_of_scope(self, turn: Turn) -> Result:
        return self.answering.out_of_scope(turn, self.read(turn))

    def small_talk(self, turn: Turn) -> Result:
        return self.answering.small_talk(turn, self.read(turn))

    def sensitive_intent(self, turn: Turn) -> Result:
        return self.answering.sensitive_intent(turn, self.read(turn))

    def sensitive(self, turn: Turn, detection: Detection) -> Result:
        return self.answering.sensitive(turn, self.read(turn), detection)
