"""Read callback hours: national defaults with per-municipality overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.callbacks.hours import WEEKDAYS, CallbackHours, parse_window
from bot.knowledge.fields import Fields

KEYS = (
    "slot_minutes",
    "capacity",
    "min_notice_minutes",
    "days_ahead",
    "retention_days",
    "hours",
    "closed_dates",
    "chat_share",
)


def read_callbacks(data: Any, f: Fields, path: str, required: bool) -> dict:
    """The settings present in one `callbacks:` mapping, checked."""
    group = f.get(data, "callbacks", path, "dict", required=required, default={})
    f.unknown_keys(group, KEYS, path)
    result: dict = {}
    for key in ("slot_minutes", "capacity", "min_notice_minutes", "days_ahead", "retention_days"):
        value = f.get(group, key, f"{path}.{key}", "int", required=required)
        if value is not None:
            if value == 0 and key in ("slot_minutes", "capacity", "retention_days"):
                f.problem(group, key, f"{path}.{key}", "must be at least 1")
            else:
                result[key] = value
    share = f.get(group, "chat_share", f"{path}.chat_share", "int", required=False)
    if share is not None:
        if 1 <= share <= 100:
            result["chat_share"] = share
        else:
            f.problem(
                group,
                "chat_share",
                f"{path}.chat_share",
                f"must be a percentage from 1 to 100 (the share of a day's places the chat may book), got {share}",
            )
    hours = f.get(group, "hours", f"{path}.hours", "dict", required=required)
    if hours is not None:
        f.unknown_keys(hours, WEEKDAYS, f"{path}.hours")
        windows = {}
        for day, items in hours.items():
            if day not in WEEKDAYS:
                continue
            if not isinstance(items, list):
                f.problem(hours, day, f"{path}.hours.{day}", 'must be a list like ["09:00-12:00"]')
                continue
            parsed = []
            for text in items:
                try:
                    parsed.append(parse_window(str(text)))
                except ValueError as exc:
                    f.problem(hours, day, f"{path}.hours.{day}", f"bad time window {text!r} ({exc})")
            windows[day] = tuple(parsed)
        result["windows"] = windows
    closed = f.get(group, "closed_dates", f"{path}.closed_dates", "list", required=False)
    if closed is not None:
        dates = []
        for item in closed:
            if isinstance(item, dt.date):
                dates.append(item)
            else:
                try:
                    dates.append(dt.date.fromisoformat(str(item)))
                except ValueError:
                    f.problem(group, "closed_dates", f"{path}.closed_dates", f"not a date: {item!r}")
        result["closed_dates"] = frozenset(dates)
    return result


def combine(defaults: dict, override: dict) -> tuple[CallbackHours | None, int]:
    merged = {**defaults, **override}
    if "windows" not in merged:
        return None, merged.get("retention_days", 30)
    retention = merged.pop("retention_days", 30)
    return CallbackHours(**merged), retention
