"""Checks on a citizen's message before it reaches Rasa.

Rejected messages get a Danish explanation straight from the channel and
are never parsed or stored, so nothing is silently dropped and nothing
oversized reaches the tracker store.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.privacy.redaction import normalise, redact

# The tracker store keys every conversation by its sender id and keeps it:
# a short plain id, never free text (names, e-mail addresses, CPR numbers).
MAX_SENDER_CHARS = 64
_SENDER = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_SENDER_CHARS}}}")


@dataclass(frozen=True)
class GuardResult:
    text: str | None  # the cleaned text to send on, when accepted
    problem: str | None = None  # "empty_message" or "too_long"
    length: int = 0


def check_message(raw: object, max_chars: int) -> GuardResult:
    if raw is None:
        return GuardResult(None, "empty_message")
    # NFKC as the CPR patterns read it, so what Rasa gets is what was checked.
    text = normalise(str(raw))
    # Control characters break logs and the NLU tokenizer; keep line breaks.
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if not text:
        return GuardResult(None, "empty_message")
    if len(text) > max_chars:
        return GuardResult(None, "too_long", len(text))
    return GuardResult(text, length=len(text))


def valid_sender(sender: object) -> bool:
    """A short id of plain characters that does not look like a CPR number."""
    if not isinstance(sender, str) or not _SENDER.fullmatch(sender):
        return False
    # A colon is no CPR separator in text, but an id has no other use for it.
    return not redact(sender.replace(":", ".")).changed
