"""Button payloads: the only slash messages that reach Rasa.

Rasa reads a message starting with "/" as an intent with JSON entities
(``/pas{"situation": "fornyelse", "person": "voksen"}``) and stores those
entities unchecked, without the NLU ever seeing the text. So a slash
message is parsed here: JSON escapes are decoded (``\\u0030`` is a digit),
entity values are CPR-redacted, and only the payloads the assistant offers
as buttons pass, re-written in the assistant's own form:

- an errand topic key alone or with ``situation`` (one of that topic's
  situation keys) and ``person`` (voksen/barn): bot.chat.answers
  (``ask_situation``, ``ask_person``, ``clarify``);
- ``/callback_request``, ``/deny``, ``/affirm``, ``/out_of_scope`` without
  entities: bot.chat.conversation (``sensitive``), bot.chat.booking
  (``ask_topic``) and ``clarify``.

Any other slash message is refused with a Danish reply rather than passed
on as text without its slash: an old or hand-made payload is no question
the NLU could answer, and the citizen is told to write in words instead.
Callback slot buttons send ISO times and "andre tider" as plain text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.privacy.redaction import redact

FIXED_INTENTS = frozenset({"callback_request", "deny", "affirm", "out_of_scope"})
PERSONS = frozenset({"voksen", "barn"})
TOPIC_ENTITIES = ("situation", "person")  # in the order bot.chat.answers.button writes them

_PAYLOAD = re.compile(r"/(\w+)(\{.*\})?", re.DOTALL)
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class Vocabulary:
    """What the knowledge base offers: municipality keys (None: any
    well-formed key, for callers without a knowledge base) and each errand
    topic's situation keys."""

    municipalities: frozenset[str] | None = None
    situations: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Payload:
    text: str | None  # the payload in the assistant's own form, or None: refused
    cpr: int = 0  # CPR numbers found in it (a payload with one is refused)


def check_payload(text: str, vocabulary: Vocabulary) -> Payload:
    match = _PAYLOAD.fullmatch(text)
    entities: object = {}
    if match and match.group(2):
        try:
            entities = json.loads(match.group(2))
        except ValueError:
            entities = None
    if not match or not isinstance(entities, dict):
        # Counted only for the log line; the text goes nowhere.
        return Payload(None, redact(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)).counts.get("cpr", 0))
    intent = match.group(1)
    found = redact(intent).counts.get("cpr", 0)
    values: dict[str, str] = {}
    for key, value in entities.items():
        redaction = redact(f"{key} {value if isinstance(value, str) else json.dumps(value)}")
        found += redaction.counts.get("cpr", 0)
        values[key] = value if isinstance(value, str) and not redaction.changed else None
    if found or not _offered(intent, values, vocabulary):
        return Payload(None, found)
    ordered = {name: values[name] for name in TOPIC_ENTITIES if name in values}
    return Payload(f"/{intent}{json.dumps(ordered, ensure_ascii=False) if ordered else ''}")


def _offered(intent: str, values: dict[str, str | None], vocabulary: Vocabulary) -> bool:
    if intent in FIXED_INTENTS:
        return not values
    situations = vocabulary.situations.get(intent)
    if situations is None or not set(values) <= set(TOPIC_ENTITIES):
        return False
    return ("situation" not in values or values["situation"] in situations) and (
        "person" not in values or values["person"] in PERSONS
    )
