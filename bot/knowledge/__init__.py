"""The knowledge base: human-edited YAML under knowledge/, validated and
compiled into a read-only SQLite file that the assistant answers from."""

from bot.knowledge.model import Answer, Fee, Knowledge, Municipality, Situation, Topic
from bot.knowledge.problems import KnowledgeError, Problem

__all__ = [
    "Answer",
    "Fee",
    "Knowledge",
    "KnowledgeError",
    "Municipality",
    "Problem",
    "Situation",
    "Topic",
]
