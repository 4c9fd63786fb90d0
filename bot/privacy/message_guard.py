"""Checks on a citizen's message before it reaches Rasa.

Rejected messages get a Danish explanation straight from the channel and
are never parsed or stored, so nothing is silently dropped and nothing
oversized reaches the tracker store.

The work per message is bounded before any Unicode processing: the raw
text is measured first, and runs of combining marks are cut to the
stream-safe length before NFKC. ``unicodedata.normalize`` sorts each run of
combining marks, which is quadratic in the run's length: one letter with
64,000 accents blocked the Rasa server's only event loop for 6 s, and a
1 MiB WebSocket frame would have blocked it for minutes.
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

# The raw text may be this many times the allowed length before it is
# refused unread: room for trailing white space and for keyboards that send
# letters decomposed (NFD: "å" as a + ring is two characters), which NFKC
# joins again. Past it the text is refused before any normalisation.
RAW_SLACK = 2
# Unicode's Stream-Safe Text Format (UAX #15, section 13) allows at most 30
# non-starters in a row; no language needs more. Longer runs (stacked
# "Zalgo" accents) are cut to that before NFKC, which keeps NFKC linear.
MAX_COMBINING_RUN = 30


@dataclass(frozen=True)
class GuardResult:
    text: str | None  # the cleaned text to send on, when accepted
    problem: str | None = None  # "empty_message", "too_long" or "not_text"
    length: int = 0


def stream_safe(text: str) -> str:
    """``text`` with every run of combining marks cut to MAX_COMBINING_RUN."""
    out = []
    run = 0
    for ch in text:
        if unicodedata.combining(ch):
            run += 1
            if run > MAX_COMBINING_RUN:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def check_message(raw: object, max_chars: int) -> GuardResult:
    if raw is None:
        return GuardResult(None, "empty_message")
    if not isinstance(raw, str):
        # A number, list or object where text belongs: a broken or hostile client.
        return GuardResult(None, "not_text")
    if len(raw) > max_chars * RAW_SLACK:
        return GuardResult(None, "too_long", len(raw))
    # NFKC as the CPR patterns read it, so what Rasa gets is what was checked.
    text = normalise(stream_safe(raw))
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
