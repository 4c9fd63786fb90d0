"""What one turn brings in and what it gives back, independent of Rasa.

The Rasa actions translate the tracker into a ``Turn`` and the ``Result``
back into events. A ``Turn`` is the message as the NLU parsed it plus the
thread the slots remember; the thread's routing may re-aim it (another
intent or open topic), never re-read it: what the message says is read
once, into a ``MessageReading`` (bot/chat/message.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.chat.answers import Reply

# The intent for help without the digital solutions: not an errand, but
# answered by the errand handler for the errand it concerns.
NEEDS_ASSISTANCE = "needs_assistance"
OUT_OF_SCOPE_INTENT = "out_of_scope"


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
    # The case model's confidence that the message tells of an own case
    # (glue/matter_classifier.py); None when the parse has none.
    case_score: float | None = None
    # The sensitive model's confidence that the message tells of a sensitive
    # matter (glue/matter_classifier.py); None when the parse has none.
    sensitive_score: float | None = None
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
