"""What led to a callback, for the top of its page: the citizen's own words
before the booking began, and what the assistant answered them.

A caseworker used to scroll past the forms and the whole conversation to
find the one sentence that mattered (issue 28). The transcript is stored
redacted, so the summary is too.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.model import CASE_CATEGORY, CallbackGuidance
from bot.records.transcripts import Line

# The citizen's last typed messages before the booking, shown in full: the
# matter is usually told in one or two (the held-out case matters are).
REQUEST_LINES = 2


@dataclass(frozen=True)
class Summary:
    request: tuple[Line, ...]
    answer: Line | None


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def summarise(transcript: list[Line], name: str, phone: str) -> Summary:
    """The citizen's typed lines before they gave their name for the
    booking (or, when the name is not found, all typed lines but the name
    and phone answers), the last REQUEST_LINES of them, and the assistant's
    reply to the last of those (the one that led to the callback)."""
    phone_tail = _digits(phone)[-4:]

    def booking_answer(line: Line) -> bool:
        text = line.text.strip()
        return text.casefold() == name.strip().casefold() or bool(phone_tail and phone_tail in _digits(text))

    typed = [(i, line) for i, line in enumerate(transcript) if line.speaker == "citizen" and not line.clicked]
    named = next((i for i, line in typed if line.text.strip().casefold() == name.strip().casefold()), None)
    before = [(i, line) for i, line in typed if (named is None or i < named) and not booking_answer(line)]
    request = before[-REQUEST_LINES:]
    if not request:
        return Summary((), None)
    last = request[-1][0]
    answer = next((line for line in transcript[last + 1 :] if line.speaker == "assistant"), None)
    return Summary(tuple(line for _, line in request), answer)


def next_steps(guidance: CallbackGuidance, category: str | None, topic: str | None) -> tuple[str, ...]:
    """What the caseworker should consider offering (knowledge/callback_guidance.yml):
    for the citizen's own case or a callback without a category, the errand's
    lines first, being the more specific; then the category's."""
    errand = guidance.errands.get(topic or "", ()) if category in (None, CASE_CATEGORY) else ()
    return (*errand, *guidance.categories.get(category or "", ()))
