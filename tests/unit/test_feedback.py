""" "Fik du svar?" (issue 27): the citizens' own yes or no per errand,
stored without anything personal and shown on the dashboard beside the
link-based figure, which no longer calls a link "løst"."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from actions.actions import _answered
from bot.chat.answers import Reply
from bot.console.dashboard import dashboard
from bot.records.feedback import REASONS, FeedbackLog
from bot.records.outcomes import OutcomeLog
from glue.turn import client_mark

UTC = dt.timezone.utc
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def test_only_a_yes_or_a_no_with_a_listed_reason_is_stored(tmp_path):
    log = FeedbackLog(tmp_path / "k.db")
    log.record("nyborg", "pas", None, True)
    log.record("nyborg", "pas", "bortkommet", False, "link_failed")
    log.record("nyborg", "pas", None, False)
    for answered, reason in ((True, "link_failed"), (False, "min sag er 010190-1234"), ("ja", None)):
        with pytest.raises(ValueError):
            log.record("nyborg", "pas", None, answered, reason)
    with sqlite3.connect(tmp_path / "k.db") as conn:
        columns = [c[1] for c in conn.execute("pragma table_info(feedback)")]
        rows = conn.execute("select topic, situation, answered, reason from feedback").fetchall()
    conn.close()
    assert columns == ["id", "at", "municipality", "topic", "situation", "answered", "reason"]
    assert rows == [("pas", None, 1, None), ("pas", "bortkommet", 0, "link_failed"), ("pas", None, 0, None)]
    assert "other" in REASONS


def test_the_dashboard_shows_the_citizens_answers_per_errand(tmp_path):
    path = tmp_path / "kommunebot.db"
    OutcomeLog(path).record("nyborg", "selfservice", "pas", at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    log = FeedbackLog(path)
    at = dt.datetime(2026, 3, 2, 10, 1, tzinfo=UTC)
    for municipality, topic, yes in (("nyborg", "pas", True), ("nyborg", "pas", False), ("nyborg", "affald", True)):
        log.record(municipality, topic, None, yes, at=at)
    log.record("glostrup", "pas", None, False, at=at)
    log.record("nyborg", "pas", None, False, at=dt.datetime(2026, 4, 2, tzinfo=UTC))  # outside the period
    board = dashboard(path, "nyborg", *MARCH)
    assert board.answered_per_topic == [("pas", 1, 2), ("affald", 1, 1)] and board.answered == (2, 3)
    assert board.first_contact_resolution == 1.0  # the link-based figure, beside it
    assert dashboard(path, None, *MARCH).answered == (2, 4)
    assert not any("Løst i første kontakt" in line for line in board.assumptions)
    assert dashboard(tmp_path / "none.db", None, *MARCH).answered == (0, 0)


def test_an_answer_is_marked_for_the_question_and_nothing_else_is():
    assert _answered(Reply("…", outcome="selfservice", topic="pas", situation="fornyelse")) == "pas/fornyelse"
    assert _answered(Reply("…", outcome="assisted", topic="pas")) == "pas"
    for reply in (
        Reply("…", outcome="callback_offered", topic="pas"),
        Reply("…", outcome="fallback"),
        Reply("…", topic="pas"),  # a question, no outcome yet
    ):
        assert _answered(reply) is None
    assert client_mark({"answer": "pas/fornyelse"}) == {"answer": "pas/fornyelse"}
    assert client_mark({"answer": "<script>"}) is None
