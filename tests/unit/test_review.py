"""Issue 27, item 3: answers carry their review date; one rule for `check` and the dashboard."""

from __future__ import annotations

import datetime as dt

from bot.chat.answers import Responder
from bot.console import charts
from bot.console.web import Labels
from bot.content.check import check
from bot.knowledge.build import build_database
from bot.knowledge.review import DEFAULT_REVIEW_DAYS, days_overdue, due_for_review
from bot.knowledge.texts import month_year
from bot.settings import Settings
from tests.conftest import copy_content


def test_the_default_limit_is_half_a_year_and_a_setting():
    assert DEFAULT_REVIEW_DAYS == 180
    assert Settings.load({}).review_days == 180
    assert Settings.load({"KOMMUNEBOT_REVIEW_DAYS": "90"}).review_days == 90


def test_days_overdue_counts_past_the_limit():
    today = dt.date(2026, 12, 5)
    assert days_overdue("2026-06-08", today) == 0  # exactly 180 days: not yet due
    assert days_overdue(dt.date(2026, 6, 7), today) == 1
    assert days_overdue("2026-06-07", today, max_days=365) < 0


def test_check_flags_an_answer_older_than_the_setting_not_only_a_year(tmp_path):
    root = copy_content(tmp_path)
    path = root / "knowledge" / "national" / "affald.yml"
    eight_months = (dt.date.today() - dt.timedelta(days=240)).isoformat()
    path.write_text(path.read_text().replace("reviewed: 2026-11-22", f"reviewed: {eight_months}", 1))
    found = [str(p) for p in check(root, with_rasa=False)]
    assert any(f"last reviewed {eight_months}, more than 180 days ago (60 days overdue)" in p for p in found)
    # A year's limit (the old rule) lets the same answer pass.
    assert not any("reviewed" in p for p in map(str, check(root, with_rasa=False, review_days=365)))


def test_the_dashboard_lists_what_check_flags(tmp_path, knowledge):
    labels = Labels(build_database(knowledge, tmp_path / "knowledge.db"))
    later = dt.date(2027, 12, 1)
    due = labels.due_for_review(later, DEFAULT_REVIEW_DAYS)
    assert due == due_for_review(knowledge, later)
    total = sum(len(t.answers) + (t.general is not None) for t in knowledge.topics.values())
    assert len(due) == total  # a year on, every answer is due
    assert due[0].days_overdue >= due[-1].days_overdue > 0
    first = due[0]
    assert first.days_overdue == days_overdue(first.reviewed, later)
    assert labels.due_for_review(dt.date(2026, 12, 5), DEFAULT_REVIEW_DAYS) == []


def test_a_table_with_four_columns():
    html = str(charts.data_table([("Pas", "Generelt svar", "01.12.2026", "3")], ("A", "B", "C", "D"), "T"))
    assert html.count("<th scope") == 4 and "<td>Generelt svar</td><td>01.12.2026</td><td>3</td>" in html


def test_the_citizen_sees_the_month_the_answer_was_updated(knowledge):
    topic = knowledge.topics["pas"]
    municipality = knowledge.municipalities["nyborg"]
    responder = Responder(knowledge)
    answer = topic.answer_for("bortkommet", None)
    danish = responder.errand(topic, "bortkommet", None, municipality).text
    assert f"Opdateret {month_year(answer.reviewed)}" in danish.split("\n")
    assert month_year("2026-12-01") == "december 2026"
    general = responder.general(topic, municipality).text
    assert f"Opdateret {month_year(topic.general.reviewed)}" in general.split("\n")
    if answer.en_text:
        english = responder.errand(topic, "bortkommet", None, municipality, "en").text
        assert f"Updated {month_year(answer.reviewed, 'en')}" in english.split("\n")
    assert month_year("2026-12-01", "en") == "December 2026"


def test_editors_word_the_line_in_knowledge(knowledge):
    assert knowledge.messages["answer_updated"].startswith("Opdateret")
    assert knowledge.messages_en["answer_updated"].startswith("Updated")
