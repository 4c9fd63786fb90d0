"""CSV export of a callback list, for filing in the municipality's case system.

Semicolons and a UTF-8 byte-order mark, because Danish Excel opens such a
file with the columns and the letters æ, ø, å right. Cells that a
spreadsheet would run as a formula are prefixed with an apostrophe: a
citizen's name like ``=HYPERLINK(...)`` must stay text (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from bot.callbacks.store import Callback

COLUMNS = (
    ("reference", "Reference"),
    ("municipality", "Kommune"),
    ("topic", "Emne"),
    ("category", "Kategori"),
    ("status", "Status"),
    ("slot", "Tidspunkt"),
    ("name", "Navn"),
    ("phone", "Telefon"),
    ("assigned_to", "Tildelt"),
    ("attempts", "Forsøg uden svar"),
    ("created", "Oprettet"),
    ("updated", "Opdateret"),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def callbacks_csv(callbacks: Iterable[Callback], tz: ZoneInfo) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([title for _, title in COLUMNS])
    for cb in callbacks:
        values = {
            **cb.__dict__,
            "slot": cb.slot.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        }
        writer.writerow([safe_cell(values[key]) for key, _ in COLUMNS])
    return out.getvalue()
