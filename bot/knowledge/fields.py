"""Typed field access for YAML content, collecting Problems instead of raising."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from bot.knowledge.problems import Problem
from bot.knowledge.yaml_lines import line_of

_URL = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/[^\s<>\"']*)?$")
_MISSING = object()


class Fields:
    """Reads fields from one file and remembers every problem found in it."""

    def __init__(self, display: str):
        self.display = display
        self.problems: list[Problem] = []

    def problem(self, container: Any, key: Any, path: str, message: str) -> None:
        self.problems.append(Problem(self.display, path, message, line_of(container, key)))

    def get(
        self,
        data: Any,
        key: str,
        path: str,
        kind: str,
        required: bool = True,
        default: Any = None,
    ) -> Any:
        if not isinstance(data, dict):
            self.problem(data, key, path, "expected a mapping of fields")
            return default
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.problem(data, key, path, "missing (required)")
            return default
        checked = self._check(value, kind)
        if isinstance(checked, str) and checked.startswith("!"):
            self.problem(data, key, path, checked[1:])
            return default
        return checked

    def unknown_keys(self, data: Any, allowed: Iterable[str], path: str) -> None:
        """Typos in field names would otherwise be silently ignored."""
        if not isinstance(data, dict):
            return
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.problem(data, key, where, f"unknown field (allowed: {', '.join(sorted(allowed))})")

    @staticmethod
    def _check(value: Any, kind: str) -> Any:
        if kind == "str":
            if not isinstance(value, str) or not value.strip():
                return "!must be non-empty text"
            return " ".join(value.split())
        if kind == "key":
            if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", value):
                return "!must be a lower-case key (a-z, 0-9, _ or -)"
            return value
        if kind == "bool":
            return value if isinstance(value, bool) else "!must be true or false"
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                return "!must be a whole number, 0 or more"
            return value
        if kind == "year":
            if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
                return "!must be a year such as 2024"
            return value
        if kind == "url":
            if not isinstance(value, str) or not _URL.match(value.strip()):
                return f"!must be an https:// link, got {value!r}"
            return value.strip()
        if kind == "date":
            if isinstance(value, dt.datetime):
                value = value.date()
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    return f"!must be a date YYYY-MM-DD, got {value!r}"
            if not isinstance(value, dt.date):
                return "!must be a date YYYY-MM-DD"
            if value > dt.date.today():
                return f"!review date {value.isoformat()} is in the future"
            return value.isoformat()
        if kind == "list":
            return value if isinstance(value, list) else "!must be a list"
        if kind == "dict":
            return value if isinstance(value, dict) else "!must be a mapping of fields"
        raise ValueError(f"unknown field kind {kind}")
