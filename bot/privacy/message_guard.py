"""Checks on a citizen's message before it reaches Rasa.

Rejected messages get a Danish explanation straight from the channel and
are never parsed or stored, so nothing is silently dropped and nothing
oversized reaches the tracker store.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class GuardResult:
    text: str | None  # the cleaned text to send on, when accepted
    problem: str | None = None  # "empty_message" or "too_long"
    length: int = 0


def check_message(raw: object, max_chars: int) -> GuardResult:
    if raw is None:
        return GuardResult(None, "empty_message")
    text = unicodedata.normalize("NFC", str(raw))
    # Control characters break logs and the NLU tokenizer; keep line breaks.
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if not text:
        return GuardResult(None, "empty_message")
    if len(text) > max_chars:
        return GuardResult(None, "too_long", len(text))
    return GuardResult(text, length=len(text))
