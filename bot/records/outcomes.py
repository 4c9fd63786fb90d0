"""Anonymous outcome records: how each resolved turn ended, per municipality.

The municipality measures channel shift and first-contact resolution from
these rows (kanalstrategi: evaluate channel use). They never hold message
text, a conversation id or anything else that could identify a citizen.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from pathlib import Path

import sqlite_utils

log = logging.getLogger(__name__)

OUTCOMES = ("selfservice", "booking", "assisted", "fallback", "out_of_scope", "callback", "emergency")


class OutcomeLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite_utils.Database(sqlite3.connect(self.path, check_same_thread=False, timeout=10))
        self._db.enable_wal()
        # WAL + NORMAL never corrupts the file; at worst the last rows before a
        # power cut are lost, which anonymous statistics can afford.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db["outcomes"].create(
            {"id": int, "at": str, "municipality": str, "topic": str, "situation": str, "outcome": str},
            pk="id",
            not_null={"at", "municipality", "outcome"},
            if_not_exists=True,
        )
        self._db["outcomes"].create_index(["at"], if_not_exists=True)

    def record(
        self,
        municipality: str,
        outcome: str,
        topic: str | None = None,
        situation: str | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        at = (at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        row = {
            "at": at.isoformat(timespec="seconds"),
            "municipality": municipality,
            "topic": topic,
            "situation": situation,
            "outcome": outcome,
        }
        with self._lock:
            self._db["outcomes"].insert(row)

    def close(self) -> None:
        self._db.conn.close()
