"""Channel dashboard: figures from real outcome rows, and the SVG charts."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from bot.console import charts
from bot.console.dashboard import OUTCOME_LABELS, ChannelCosts, dashboard, parse_period
from bot.outcomes import OutcomeLog

UTC = dt.timezone.utc
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "kommunebot.db"
    log = OutcomeLog(path)
    rows = [
        ("nyborg", "selfservice", "pas", dt.datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
        ("nyborg", "selfservice", "pas", dt.datetime(2026, 3, 1, 11, 0, tzinfo=UTC)),
        ("nyborg", "booking", "koerekort", dt.datetime(2026, 3, 1, 23, 30, tzinfo=UTC)),  # 2 March in Denmark
        ("nyborg", "assisted", "pas", dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)),
        ("nyborg", "callback", "sygemelding", dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)),
        ("nyborg", "fallback", None, dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)),
        ("glostrup", "selfservice", "affald", dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        ("nyborg", "selfservice", "pas", dt.datetime(2026, 2, 28, 22, 59, tzinfo=UTC)),  # 28 Feb locally
    ]
    for municipality, outcome, topic, at in rows:
        log.record(municipality, outcome, topic=topic, at=at)
    log.close()
    return path


def test_figures_for_one_municipality(db):
    board = dashboard(db, "nyborg", dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    assert board.total == 6
    assert board.per_topic == [("pas", 3), ("andet", 1), ("koerekort", 1), ("sygemelding", 1)]
    assert board.per_day == [(dt.date(2026, 3, 1), 2), (dt.date(2026, 3, 2), 1), (dt.date(2026, 3, 3), 3)]
    assert board.per_outcome["selfservice"] == 2 and board.per_outcome["emergency"] == 0
    assert board.shares["callback"] == pytest.approx(1 / 6)
    assert board.first_contact_resolution == pytest.approx(4 / 6)  # 2 selfservice + booking + assisted
    assert board.cost_avoided_kr == 3 * 37


def test_all_municipalities_and_other_costs(db):
    board = dashboard(db, None, dt.date(2026, 3, 1), dt.date(2026, 3, 3), costs=ChannelCosts(web=5, phone=55))
    assert board.total == 7
    assert board.cost_avoided_kr == 4 * 50
    assert any("50 kr." in line for line in board.assumptions)


def test_period_bounds_are_danish_days(db):
    assert dashboard(db, "nyborg", dt.date(2026, 2, 28), dt.date(2026, 2, 28)).total == 1
    assert dashboard(db, "nyborg", dt.date(2026, 3, 2), dt.date(2026, 3, 2)).total == 1


def test_no_data_gives_an_empty_dashboard(tmp_path):
    board = dashboard(tmp_path / "missing.db", None, dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert board.total == 0 and board.first_contact_resolution == 0 and len(board.per_day) == 2
    assert not (tmp_path / "missing.db").exists()  # read-only: nothing created


def test_parse_period():
    today = dt.date(2026, 11, 22)
    assert parse_period(None, None, today) == (dt.date(2026, 10, 24), today)
    assert parse_period("2026-01-01", "2026-01-31", today) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    for start, end, message in [("01-01-2026", None, "ÅÅÅÅ-MM-DD"), ("2026-02-01", "2026-01-01", "før"),
                                ("2024-01-01", "2026-01-01", "højst")]:
        with pytest.raises(ValueError, match=message):
            parse_period(start, end, today)


def parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("width") == "100%"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id and root.find(f"{SVG}desc").get("id") == desc_id
    assert not [el for el in root.iter() if "style" in el.attrib or el.tag == f"{SVG}style"]
    return root


def test_bar_chart_escapes_labels():
    root = parse(charts.bar_chart([("<script>alert(1)</script>", 3), ("Pas", 1)], "Titel", "Beskrivelse",
                                  id_prefix="x"))
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    assert "<script>alert(1)</script>" in [el.text for el in root.iter(f"{SVG}text")]
    assert len(root.findall(f"{SVG}rect")) == 2


def test_day_chart_thins_labels():
    days = [(dt.date(2026, 1, 1) + dt.timedelta(days=n), n % 4) for n in range(90)]
    root = parse(charts.day_chart(days, "Dage", "Pr. dag", id_prefix="d"))
    labels = [el.text for el in root.iter(f"{SVG}text") if el.text and "/" in el.text]
    assert labels[0] == "1/1" and len(labels) <= 12
    assert len(root.findall(f"{SVG}rect")) == 90


def test_share_chart_uses_danish_percentages():
    root = parse(charts.share_chart({"selfservice": 0.425, "fallback": 0.575}, OUTCOME_LABELS, "Udfald", "Andele",
                                    id_prefix="u"))
    texts = [el.text for el in root.iter(f"{SVG}text")]
    assert "42,5 %" in texts and "Selvbetjening" in texts


def test_empty_charts_say_so():
    for svg in (charts.bar_chart([], "T", "D"), charts.day_chart([(dt.date(2026, 1, 1), 0)], "T", "D"),
                charts.share_chart({"selfservice": 0.0}, OUTCOME_LABELS, "T", "D")):
        assert "Ingen henvendelser i perioden" in [el.text for el in parse(svg).iter(f"{SVG}text")]


def test_data_table_is_accessible_and_escaped():
    table = ET.fromstring(str(charts.data_table([("<b>Pas</b>", 3)], ("Emne", "Antal"), "Pr. emne")))
    assert table.find("table/caption").text == "Pr. emne"
    assert [th.get("scope") for th in table.iter("th")] == ["col", "col"]
    assert table.find("table/tbody/tr/td").text == "<b>Pas</b>"
