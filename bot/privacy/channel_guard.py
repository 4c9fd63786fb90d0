"""The one guard every input channel puts in front of Rasa.

``prepare`` checks a citizen's message and removes CPR numbers before Rasa
parses, logs or stores anything; a message that is refused (empty, too
long) gets a Danish reply from the channel itself. ``error_reply`` words
the apology for a turn that produced no answer. Both channels (REST and
socket.io) use this class, so they behave alike.

The replies are knowledge texts, reached through a ``messages`` callable
(message name, municipality key, template values) that the channel builds
from the knowledge base; this module never sees the Assistant. When even
that fails, fixed Danish fallbacks keep the citizen informed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.privacy.message_guard import check_message
from bot.privacy.redaction import redact

log = logging.getLogger(__name__)

# Replies when the configuration itself is broken, so no municipality data
# can be trusted; deliberately free of template fields.
SETUP_ERROR = (
    "Beklager, assistenten er ikke sat rigtigt op lige nu, så jeg kan ikke svare. "
    "Kontakt venligst kommunen via kommunens hjemmeside."
)
BAD_REQUEST = "Beskeden kunne ikke læses. Prøv at sende den igen."
_FALLBACKS = {
    "too_long": "Din besked er for lang ({length} tegn). Skriv dit spørgsmål kort.",
    "empty_message": "Din besked var tom. Skriv dit spørgsmål, så hjælper jeg gerne.",
    "technical_error": SETUP_ERROR,
}

# (message name, municipality key or None for the default, template values) -> Danish text
Messages = Callable[..., str]


@dataclass(frozen=True)
class Prepared:
    """A message ready for Rasa (``text``), or the channel's own ``refusal``."""

    text: str | None
    metadata: dict = field(default_factory=dict)
    refusal: str | None = None


class ChannelGuard:
    def __init__(self, messages: Messages, max_chars: int):
        self.messages = messages
        self.max_chars = max_chars

    def prepare(self, text: object, metadata: dict, sender: str) -> Prepared:
        municipality = metadata.get("kommune")
        checked = check_message(text, self.max_chars)
        if checked.problem:
            log.info("message from %s not passed on: %s (%d chars)", sender, checked.problem, checked.length)
            return Prepared(None, metadata, self._say(checked.problem, municipality, length=checked.length))
        # Redact before Rasa sees the text: whatever reaches Rasa is stored.
        redaction = redact(checked.text)
        if redaction.changed:
            metadata = {**metadata, "redacted": redaction.counts}
            log.info("redacted %s in a message from %s", redaction.counts, sender)
        return Prepared(redaction.text, metadata)

    def error_reply(self, municipality: str | None) -> str:
        return self._say("technical_error", municipality)

    def _say(self, name: str, municipality: str | None, **values) -> str:
        try:
            return self.messages(name, municipality, **values)
        except Exception:
            log.exception("could not render the %s message", name)
            return _FALLBACKS[name].format(**values)
