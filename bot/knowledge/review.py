"""When an answer is due for review: the one rule `kommunebot check` and the
console's dashboard share.

Fees and rules change every year (most on 1 January), so an answer whose
facts were last checked more than ``DEFAULT_REVIEW_DAYS`` ago may already be
wrong; operators change the limit with ``KOMMUNEBOT_REVIEW_DAYS``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.knowledge.model import Knowledge

# Half a year: a yearly fee change is then caught within six months at worst,
# and an editor reviews each answer about twice a year (issue 27; the former
# twelve months let a January fee change stand wrong for a whole year).
DEFAULT_REVIEW_DAYS = 180


def days_overdue(reviewed: dt.date | str, today: dt.date, max_days: int = DEFAULT_REVIEW_DAYS) -> int:
    """Days past the review limit (0 or less: not due). ``reviewed`` as a
    date or its ISO form, as the compiled knowledge base keeps it."""
    if isinstance(reviewed, str):
        reviewed = dt.date.fromisoformat(reviewed)
    return (today - reviewed).days - max_days


@dataclass(frozen=True)
class DueReview:
    topic: str
    situation: str  # "" for the errand's general answer
    person: str | None
    reviewed: dt.date
    days_overdue: int


def due_for_review(knowledge: Knowledge, today: dt.date, max_days: int = DEFAULT_REVIEW_DAYS) -> list[DueReview]:
    """Every answer past the limit, the longest overdue first."""
    due = []
    for topic in knowledge.topics.values():
        answers = ([topic.general] if topic.general is not None else []) + list(topic.answers)
        for answer in answers:
            reviewed = dt.date.fromisoformat(answer.reviewed)
            late = days_overdue(reviewed, today, max_days)
            if late > 0:
                situation = "" if answer is topic.general else answer.situation
                due.append(DueReview(topic.key, situation, answer.person, reviewed, late))
    return sorted(due, key=lambda d: (-d.days_overdue, d.topic, d.situation))
