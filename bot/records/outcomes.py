"""Anonymous outcome records: how each resolved turn ended, per municipality.

The municipality measures channel shift and first-contact resolution from
these rows (kanalstrategi: evaluate channel use). They never hold message
text, a conversation id or anything else that could identify a citizen.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from sqlalchemy.engine import URL

from bot.records.database import Store
from bot.records.schema import outcomes

log = logging.getLogger(__name__)

OUTCOMES = (
    "selfservice",
    "booking",
    "assisted",
    "callback_offered",
    "fallback",
    "out_of_scope",
    "callback",
    "emergency",
)


class OutcomeLog(Store):
    def __init__(self, path: Path | str | URL, timeout: float = 10.0):
        super().__init__(path, timeout)

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
        with self._write() as conn:
            conn.execute(
                outcomes.insert().values(
                    at=at.isoformat(timespec="seconds"),
                    municipality=municipality,
                    topic=topic,
                    situation=situation,
                    outcome=outcome,
                )
            )
