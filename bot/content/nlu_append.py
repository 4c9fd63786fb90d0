"""Append one example to an intent's training file, keeping the file as the
editor wrote it (comments, order) and never leaving it half-written.

Training data is committed and shared, so the text is CPR-redacted again
here: an inbox message may have been stored before the channel's redaction
knew every form of a CPR number.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from bot.content.training_data import load_training_data
from bot.errors import Refused
from bot.privacy.redaction import redact


class AppendError(Refused):
    """Reasons: unknown_intent, duplicate, empty, invalid."""


def append_example(root: Path, intent: str, text: str) -> tuple[str, int]:
    """Add ``text`` under ``intent`` in the data/nlu file that defines it;
    returns the file (relative to root) and the new line number."""
    text = " ".join(redact(text or "").text.split())
    if not text:
        raise AppendError("empty")
    data = load_training_data(root, ("data",))
    if intent not in data.intent_lines:
        raise AppendError("unknown_intent", intent)
    normal = text.lower()
    if any(e.text.lower() == normal for e in data.examples):
        raise AppendError("duplicate", text)
    display, intent_line = data.intent_lines[intent]
    path = root / display
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    last = _last_example_line(lines, _last_plain_block(lines, intent, intent_line - 1))
    if last is None:
        raise AppendError("invalid", f"{display}: no examples block for {intent}")
    indent = lines[last][: len(lines[last]) - len(lines[last].lstrip())] or "    "
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, f"{indent}- {text}\n")
    new_text = "".join(lines)
    try:
        parsed = yaml.safe_load(new_text)
    except yaml.YAMLError as exc:
        raise AppendError("invalid", str(exc)) from None
    blocks = [item.get("examples") or "" for item in parsed["nlu"] if item.get("intent") == intent]
    if not any(f"- {text}" in block.splitlines() for block in blocks):
        raise AppendError("invalid", f"{display}: the example did not land in {intent}'s block")
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(new_text, encoding="utf-8")
    os.replace(tmp, path)
    return display, last + 2


def _last_plain_block(lines: list[str], intent: str, first: int) -> int:
    """The line of the intent's last block in the file without metadata: an
    errand's file may hold several blocks (one per round of examples, each
    under its own comment), and a new example goes after the newest. A block
    with metadata (an own case, a sensitive matter) teaches more than the
    intent, so an inbox example never joins one."""
    head = lines[first]
    found = first
    for i in range(first + 1, len(lines) - 1):
        if lines[i] == head and lines[i + 1].strip().startswith("examples:"):
            found = i
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _last_example_line(lines: list[str], intent_index: int):
    """Index of the last line of the 'examples: |' block after the intent line."""
    start = next(
        (i for i in range(intent_index, min(intent_index + 4, len(lines))) if lines[i].strip().startswith("examples:")),
        None,
    )
    if start is None:
        return None
    last = None
    for i in range(start + 1, len(lines)):
        if lines[i].strip() and _indent(lines[i]) <= _indent(lines[start]):
            break
        if lines[i].strip():
            last = i
    return last
