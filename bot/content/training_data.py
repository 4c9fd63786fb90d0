"""Read Rasa's YAML training data with the line of every example, intent,
rule and story step, so problems can point editors to the exact line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.problems import KnowledgeError, Problem
from bot.knowledge.yaml_lines import line_of, load_yaml, parse_yaml, read_text

# The marks an intent block's metadata may carry, the only metadata the
# assistant reads (glue/matter_classifier.py), and what they mark.
MARKS = {
    "case": "examples of citizens' own cases",
    "sensitive": "sensitive matters told inside an errand question",
}
# An intent block's metadata may instead name the situation every example
# in it tells (`metadata: {situation: raadhus}`): whole sentences for the
# situation model (glue/situation_classifier.py) without an entity span,
# for stories that tell a situation without a keyword to annotate.
SITUATION_MARK = "situation"
# `<mark>: true` as YAML 1.2 (Rasa's reader) spells a true boolean.
_TRUE = re.compile(rf"^\s*({'|'.join(MARKS)}):\s*(true|True|TRUE)\s*(#.*)?$")
# [text](entity), [text](entity:value) or [text]{"entity": "name", "value": ...}
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\((\w+)(?::([^)]*))?\)|(\{[^}]*\"entity\"\s*:\s*\"(\w+)\"[^}]*\}))")


@dataclass(frozen=True)
class Example:
    intent: str
    text: str  # without entity annotations
    file: str
    line: int
    entities: tuple[str, ...] = ()
    # In an intent block marked `metadata: {case: true}`: the citizen tells
    # of their own case (glue/matter_classifier.py).
    case: bool = False
    # Marked `metadata: {sensitive: true}`: a sensitive matter told inside
    # an errand question.
    sensitive: bool = False
    # The situation the block's metadata names (SITUATION_MARK), if any;
    # `kommunebot check` resolves it against the errand's situations.
    situation: str | None = None


@dataclass(frozen=True)
class Synonym:
    """One place that gives a surface word an entity value: a line of a
    `- synonym:` block, or an annotation (its own text when it names no value)."""

    word: str
    value: str
    file: str
    line: int
    intent: str | None = None  # None in a synonym block
    entity: str | None = None  # likewise: a synonym block serves every entity

    @property
    def place(self) -> str:
        return self.intent or f"synonym {self.value}"


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    intent_lines: dict[str, tuple[str, int]] = field(default_factory=dict)  # first place each intent is defined
    dialogue_intents: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # intent -> rule/story steps
    dialogue_actions: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    next_actions: dict[str, set[str]] = field(default_factory=dict)  # intent -> actions that directly follow it
    slots_used: list[tuple[str, str, int]] = field(default_factory=list)  # slot, file, line
    synonyms: list[Synonym] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def by_intent(self) -> dict[str, list[Example]]:
        grouped: dict[str, list[Example]] = {}
        for example in self.examples:
            grouped.setdefault(example.intent, []).append(example)
        return grouped


def plain_text(annotated: str) -> tuple[str, tuple[str, ...]]:
    entities = tuple(m.group(2) or m.group(5) for m in _ANNOTATION.finditer(annotated))
    return _ANNOTATION.sub(lambda m: m.group(1), annotated), entities


def annotations(annotated: str) -> list[tuple[str, str, str]]:
    """(text, entity, value) of every annotation; the value is the text when none is given."""
    found = []
    for m in _ANNOTATION.finditer(annotated):
        text, entity, value = m.group(1), m.group(2) or m.group(5), m.group(3)
        if m.group(4):
            try:
                value = json.loads(m.group(4)).get("value")
            except ValueError:
                value = None
        found.append((text, entity, str(value) if value is not None else text))
    return found


def _read(path: Path, root: Path, data: TrainingData) -> tuple[str, object, list[str]]:
    """The file's name for problems, its parsed content (None when it cannot
    be read or parsed) and its lines, read once."""
    display = str(path.relative_to(root))
    try:
        text = read_text(path, display)
        return display, parse_yaml(text, display), text.splitlines()
    except KnowledgeError as exc:
        data.problems.extend(exc.problems)
        return display, None, []


def _block(item, kind: str, display: str, data: TrainingData) -> list[tuple[int, str]] | None:
    """(line, text) of each '- ' line in an intent's or synonym's examples;
    None when there is no block at all."""
    name = item.get(kind)
    block = item.get("examples")
    if not isinstance(block, str):
        data.problems.append(
            Problem(display, f"{name}.examples", "expected a block of '- example' lines", line_of(item, kind))
        )
        return None
    first = (line_of(item, "examples") or 0) + 1  # a literal block starts on the next line
    lines = []
    for offset, raw in enumerate(block.splitlines()):
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("- "):
            data.problems.append(Problem(display, name, f"example must start with '- ': {stripped!r}", first + offset))
            continue
        lines.append((first + offset, stripped[2:].strip()))
    return lines


def _examples(item, display: str, data: TrainingData, source: list[str]) -> None:
    intent = item.get("intent")
    lines = _block(item, "intent", display, data)
    if lines is None:
        return
    data.intent_lines.setdefault(intent, (display, line_of(item, "intent")))
    situation = _situation(item)
    marks = frozenset() if situation else _marks(item, display, data, source)
    for line, annotated in lines:
        text, entities = plain_text(annotated)
        data.examples.append(
            Example(
                intent,
                text,
                display,
                line,
                entities,
                case="case" in marks,
                sensitive="sensitive" in marks,
                situation=situation,
            )
        )
        data.synonyms.extend(
            Synonym(word, value, display, line, intent, entity) for word, entity, value in annotations(annotated)
        )


def _situation(item) -> str | None:
    """The situation key the block's metadata names; whether the errand
    knows it is `kommunebot check`'s part, which knows the errands."""
    return block_situation(item.get("metadata"))


def block_situation(metadata) -> str | None:
    """The situation key an intent block's metadata names
    (`situation: <key>`), if that is all it says; Rasa's reader hands the
    same dict to glue/situation_classifier.py."""
    if isinstance(metadata, dict) and len(metadata) == 1:
        value = metadata.get(SITUATION_MARK)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _marks(item, display: str, data: TrainingData, source: list[str]) -> frozenset[str]:
    """The marks of the block's `metadata` (MARKS, each `<mark>: true`);
    anything else there is a problem, since Rasa would accept it silently
    and the examples would teach nothing of what was meant."""
    if "metadata" not in item:
        return frozenset()
    metadata = item.get("metadata")
    lines = getattr(metadata, "lines", {})
    if isinstance(metadata, dict) and len(metadata) == 1:
        mark, value = next(iter(metadata.items()))
        line = lines.get(mark)
        # PyYAML (YAML 1.1) reads "yes" and "on" as true; Rasa (YAML 1.2)
        # reads them as text, so the mark must be written as Rasa reads it.
        written = source[line - 1] if line and line <= len(source) else ""
        if mark in MARKS and value is True and (found := _TRUE.match(written)) and found.group(1) == mark:
            return frozenset({mark})
    expected = " or ".join(
        [f"'{mark}: true' ({what})" for mark, what in MARKS.items()]
        + [f"'{SITUATION_MARK}: <key>' (every example tells that situation)"]
    )
    data.problems.append(
        Problem(
            display,
            f"{item.get('intent')}.metadata",
            f"expected {expected}, got {metadata!r}",
            line_of(item, "metadata"),
        )
    )
    return frozenset()


def _synonyms(item, display: str, data: TrainingData) -> None:
    value = str(item.get("synonym"))
    for line, word in _block(item, "synonym", display, data) or []:
        data.synonyms.append(Synonym(word, value, display, line))


def _steps(steps, display: str, data: TrainingData) -> None:
    previous_intent = None
    for index, step in enumerate(steps or []):
        if not isinstance(step, dict):
            continue
        if "action" in step and previous_intent:
            data.next_actions.setdefault(previous_intent, set()).add(step["action"])
        previous_intent = step.get("intent")
        line = line_of(steps, index)
        if "intent" in step:
            data.dialogue_intents.setdefault(step["intent"], []).append((display, line))
        if "action" in step:
            data.dialogue_actions.setdefault(step["action"], []).append((display, line))
        if "or" in step:
            _steps(step["or"], display, data)
        for slot_event in step.get("slot_was_set", []) or []:
            names = slot_event.keys() if isinstance(slot_event, dict) else [slot_event]
            data.slots_used.extend((name, display, line) for name in names)


def load_training_data(root: Path, folders: tuple[str, ...] = ("data",)) -> TrainingData:
    data = TrainingData()
    for folder in folders:
        for path in sorted((root / folder).rglob("*.yml")):
            display, content, source = _read(path, root, data)
            if not isinstance(content, dict):
                continue
            for item in content.get("nlu", []) or []:
                if isinstance(item, dict) and "intent" in item:
                    _examples(item, display, data, source)
                elif isinstance(item, dict) and "synonym" in item:
                    _synonyms(item, display, data)
            for key in ("rules", "stories"):
                for entry in content.get(key, []) or []:
                    if isinstance(entry, dict):
                        _steps(entry.get("steps"), display, data)
    return data


def domain_intents(root: Path) -> list[str]:
    """The intents domain.yml lists, in its order."""
    try:
        domain = load_yaml(root / "domain.yml", "domain.yml") or {}
    except KnowledgeError:
        return []
    return list(domain.get("intents") or [])
