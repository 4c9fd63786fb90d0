"""YAML loading that remembers the line of every key and list item.

Editors fix content by line number, so each mapping and sequence built here
knows where its entries were written (1-based lines).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.problems import KnowledgeError, Problem


class LineDict(dict):
    lines: dict
    line: int


class LineList(list):
    lines: list
    line: int


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.lines = {}
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, display: str) -> Any:
    """Parse one YAML file, turning every failure into a Problem for ``display``."""
    return parse_yaml(read_text(path, display), display)


def read_text(path: Path, display: str) -> str:
    """A content file's text; a file that cannot be read is a Problem for ``display``."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError([Problem(display, "", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise KnowledgeError([Problem(display, "", f"cannot read file ({exc.strerror})")]) from None


def parse_yaml(text: str, display: str) -> Any:
    """Parse YAML text read from ``display``, every failure a Problem."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise KnowledgeError([Problem(display, "", f"invalid YAML: {exc.problem}", line)]) from None
    except yaml.YAMLError as exc:
        raise KnowledgeError([Problem(display, "", f"invalid YAML: {exc}")]) from None


def line_of(container: Any, key: Any) -> int | None:
    """The line where ``key`` (a dict key or list index) was written, if known."""
    lines = getattr(container, "lines", None)
    if isinstance(lines, dict):
        return lines.get(key, getattr(container, "line", None))
    if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
        return lines[key]
    return getattr(container, "line", None)
