"""The citizens' "Fik du svar?" answers: whether an answer helped, asked
rather than inferred from a link (issue 27).

A row is the yes or no, one reason from ``REASONS`` for a no, the errand and
situation the answer was about, the municipality and the time: never text,
a conversation id or an address.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.engine import URL

from bot.records.database import Store, storage_time, utc_now
from bot.records.schema import feedback

# Why an answer did not help; the widget offers these and nothing else.
REASONS = ("not_my_question", "not_understood", "link_failed", "other")


class FeedbackLog(Store):
    def __init__(self, path: Path | str | URL, timeout: float = 10.0):
        # The outcome log's wait for a busy SQLite file (bot/records/outcomes.py).
        super().__init__(path, timeout)

    def record(
        self,
        municipality: str,
        topic: str,
        situation: str | None,
        answered: bool,
        reason: str | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        if not isinstance(answered, bool):
            raise ValueError("answered must be true or false")
        if reason is not None and (answered or reason not in REASONS):
            raise ValueError(f"reason must be one of {', '.join(REASONS)}, and only with a no")
        with self._write() as conn:
            conn.execute(
                feedback.insert().values(
                    at=storage_time(at or utc_now()),
                    municipality=municipality,
                    topic=topic,
                    situation=situation,
                    answered=answered,
                    reason=reason,
                )
            )
