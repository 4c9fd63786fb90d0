"""A citizen turn as the actions build it from the tracker, for the unit
tests of the turn's decisions (bot/chat/)."""

from __future__ import annotations

from bot.chat.conversation import Turn


def turn(text: str, intent: str, confidence: float = 0.9, ranking: list | None = None, **slots) -> Turn:
    """The message, the NLU's intent and confidence (the whole ranking when
    given, else that intent alone) and the slots the previous reply set."""
    return Turn(
        intent=intent,
        confidence=confidence,
        text=text,
        intent_ranking=ranking or [{"name": intent, "confidence": confidence}],
        **slots,
    )
