"""Read a conversation's transcript from Rasa's SQL tracker store.

The console reads the ``events`` table directly with SQLAlchemy instead of
loading Rasa: the staff console then starts in a second and needs a few
megabytes, and the same URL works for SQLite and PostgreSQL. The text is
what the channel let through, so CPR numbers are already redacted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import sqlalchemy as sa

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    speaker: str  # "citizen" or "assistant"
    text: str
    at: dt.datetime
    buttons: tuple[str, ...] = ()
    clicked: bool = False  # the citizen pressed a button; text is the button's title


class Transcripts:
    def __init__(self, tracker_url: str):
        self.engine = sa.create_engine(tracker_url)

    def lines(self, conversation_id: str | None) -> list[Line]:
        if not conversation_id:
            return []
        query = sa.text(
            "SELECT type_name, timestamp, data FROM events"
            " WHERE sender_id = :sender AND type_name IN ('user', 'bot') ORDER BY id"
        )
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("events"):
                return []
            rows = conn.execute(query, {"sender": conversation_id}).fetchall()
        return _with_button_titles([line for line in map(_line, rows) if line is not None])

    def close(self) -> None:
        self.engine.dispose()


def _with_button_titles(lines: list) -> list[Line]:
    """A pressed button arrives as its payload ("/affirm", an ISO time);
    show the title the citizen saw instead."""
    shown, offered = [], {}
    for line, payloads in lines:
        if line.speaker == "assistant":
            offered = payloads
        elif line.text in offered:
            line = Line("citizen", offered[line.text], line.at, clicked=True)
            offered = {}
        shown.append(line)
    return shown


def _line(row) -> tuple | None:
    type_name, timestamp, data = row
    try:
        event = json.loads(data)
    except (TypeError, ValueError):
        log.warning("tracker event with unreadable data skipped in transcript")
        return None
    at = dt.datetime.fromtimestamp(float(timestamp), dt.timezone.utc)
    if type_name == "user":
        return Line("citizen", event.get("text") or "", at), {}
    buttons = (event.get("data") or {}).get("buttons") or ()
    titles = tuple(b.get("title", "") for b in buttons)
    payloads = {b.get("payload"): b.get("title", "") for b in buttons if b.get("payload")}
    return Line("assistant", event.get("text") or "", at, titles), payloads
