"""Channel dashboard: figures from real outcome rows, and the SVG charts."""

from __future__ import annotations

import datetime as dt
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from bot.console import charts
from bot.console.dashboard import (
    OUTCOME_LABELS,
    ChannelCosts,
    dashboard,
    parse_period,
    topic_label,
)
from bot.console.web import Labels
from bot.knowledge.build import build_database
from bot.records.outcomes import OUTCOMES, OutcomeLog

UTC = dt.timezone.utc
SVG = "{http://www.w3.org/2000/svg}"
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 4))


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
        ("nyborg", "emergency", "pas", dt.datetime(2026, 3, 4, 23, 0, tzinfo=UTC)),  # 5 March locally
    ]
    for municipality, outcome, topic, at in rows:
        log.record(municipality, outcome, topic=topic, at=at)
    log.close()
    return path


def test_figures_for_one_municipality(db):
    board = dashboard(db, "nyborg", *MARCH)
    assert (board.start, board.end, board.municipality, board.total) == (*MARCH, "nyborg", 6)
    assert board.per_topic == [("pas", 3), ("andet", 1), ("koerekort", 1), ("sygemelding", 1)]
    # 4 March has no rows and is still listed.
    assert board.per_day == [
        (dt.date(2026, 3, 1), 2),
        (dt.date(2026, 3, 2), 1),
        (dt.date(2026, 3, 3), 3),
        (dt.date(2026, 3, 4), 0),
    ]
    assert board.per_outcome == {
        "selfservice": 2,
        "booking": 1,
        "assisted": 1,
        "callback_offered": 0,
        "fallback": 1,
        "out_of_scope": 0,
        "callback": 1,
        "emergency": 0,
    }
    assert set(board.shares) == set(OUTCOMES) and sum(board.shares.values()) == pytest.approx(1)
    assert board.shares["selfservice"] == pytest.approx(2 / 6) and board.shares["emergency"] == 0
    assert board.first_contact_resolution == pytest.approx(4 / 6)  # 2 selfservice + booking + assisted
    assert board.cost_avoided_kr == (2 + 1) * 37  # assisted saves nothing


def test_municipality_filter(db):
    assert dashboard(db, "glostrup", *MARCH).per_topic == [("affald", 1)]
    assert dashboard(db, "aarhus", *MARCH).total == 0
    everyone = dashboard(db, None, *MARCH)
    assert everyone.total == 7 and everyone.municipality is None
    assert everyone.cost_avoided_kr == 4 * 37


def test_other_costs_change_the_saving_and_its_explanation(db):
    board = dashboard(db, None, *MARCH, costs=ChannelCosts(web=5, phone=55, source="Egen opgørelse."))
    assert board.cost_avoided_kr == 4 * 50
    assert any("(50 kr.)" in line for line in board.assumptions)
    assert board.assumptions[-1] == "Egen opgørelse."


def test_assumptions_are_stated_in_danish(db):
    lines = dashboard(db, None, *MARCH).assumptions
    assert ChannelCosts().source in lines
    assert ChannelCosts().source.startswith("Glostrup Kommunes kanalstrategi: ca. 3 kr.")
    assert any("ikke én borger" in line for line in lines)
    assert any("(37 kr.)" in line and "telefonopkald" in line for line in lines)


def test_period_bounds_are_danish_days(db):
    assert dashboard(db, "nyborg", dt.date(2026, 2, 28), dt.date(2026, 2, 28)).total == 1
    only_2_march = dashboard(db, "nyborg", dt.date(2026, 3, 2), dt.date(2026, 3, 2))
    assert only_2_march.total == 1 and only_2_march.per_outcome["booking"] == 1
    assert dashboard(db, "nyborg", dt.date(2026, 3, 5), dt.date(2026, 3, 5)).per_outcome["emergency"] == 1


def test_period_bounds_follow_summer_time(tmp_path):
    # Summer time starts 29 March 2026: local midnight on 30 March is 22:00 UTC the day before.
    log = OutcomeLog(tmp_path / "kommunebot.db")
    log.record("nyborg", "selfservice", at=dt.datetime(2026, 3, 29, 22, 30, tzinfo=UTC))
    log.record("nyborg", "selfservice", at=dt.datetime(2026, 3, 29, 21, 30, tzinfo=UTC))
    log.close()
    board = dashboard(tmp_path / "kommunebot.db", None, dt.date(2026, 3, 29), dt.date(2026, 3, 30))
    assert board.per_day == [(dt.date(2026, 3, 29), 1), (dt.date(2026, 3, 30), 1)]


def test_missing_file_gives_an_empty_dashboard(tmp_path):
    board = dashboard(tmp_path / "missing.db", None, dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert board.total == 0 and board.first_contact_resolution == 0 and board.cost_avoided_kr == 0
    assert board.per_day == [(dt.date(2026, 3, 1), 0), (dt.date(2026, 3, 2), 0)]
    assert board.per_outcome == dict.fromkeys(OUTCOMES, 0) and board.shares == dict.fromkeys(OUTCOMES, 0.0)
    assert board.assumptions  # the page still explains the figures
    assert not (tmp_path / "missing.db").exists()  # read-only: nothing created


def test_missing_table_is_quietly_empty(tmp_path, caplog):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE callbacks (id INTEGER)").connection.close()
    assert dashboard(other, None, dt.date(2026, 3, 1), dt.date(2026, 3, 1)).total == 0
    assert not caplog.records  # no outcomes yet is normal, not a warning
    assert sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall() == [("callbacks",)]


def test_broken_file_gives_an_empty_dashboard_and_a_warning(tmp_path, caplog):
    broken = tmp_path / "broken.db"
    broken.write_text("not a database, just text " * 100)
    assert dashboard(broken, None, dt.date(2026, 3, 1), dt.date(2026, 3, 1)).total == 0
    assert "broken.db" in caplog.text


def test_topic_labels_come_from_the_knowledge_base(tmp_path, knowledge):
    names = Labels(build_database(knowledge, tmp_path / "knowledge.db")).topics
    assert set(names) == set(knowledge.topics)
    assert [topic_label(t, names) for t in ("pas", "koerekort", None, "andet", "parkering")] == [
        "Pas",
        "Kørekort",
        "Andet",
        "Andet",
        "parkering",
    ]
    assert topic_label("parkering", {"parkering": "Parkering"}) == "Parkering"
    assert names["sygemelding"] == "Sygemelding" and names["mitid"] == "MitID"
    assert OUTCOME_LABELS["emergency"] == "Akut (112)"


def test_every_errand_is_listed_also_without_rows(db, knowledge):
    board = dashboard(db, "glostrup", *MARCH, topics=knowledge.topics)
    assert board.per_topic[0] == ("affald", 1)
    assert dict(board.per_topic) == {key: int(key == "affald") for key in knowledge.topics}
    assert dashboard(db, "nyborg", *MARCH, topics=["pas"]).per_topic == dashboard(db, "nyborg", *MARCH).per_topic


def test_parse_period_defaults_to_the_last_30_days():
    today = dt.date(2026, 11, 22)
    assert parse_period(None, None, today) == (dt.date(2026, 10, 24), today)
    assert parse_period("", "", today) == (dt.date(2026, 10, 24), today)  # an empty form field
    assert parse_period(None, "2026-01-31", today) == (dt.date(2026, 1, 2), dt.date(2026, 1, 31))
    assert parse_period("2026-01-01", "2026-01-31", today) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert parse_period("2025-01-01", "2026-01-01", today) == (dt.date(2025, 1, 1), dt.date(2026, 1, 1))  # 366 days


@pytest.mark.parametrize(
    "start, end, message",
    [
        ("01-01-2026", None, "Startdatoen skal være i formatet ÅÅÅÅ-MM-DD."),
        ("2026-01-01", "31/1", "Slutdatoen skal være i formatet ÅÅÅÅ-MM-DD."),
        ("2026-02-30", None, "Startdatoen skal være i formatet ÅÅÅÅ-MM-DD."),
        ("2026-02-01", "2026-01-01", "Startdatoen skal ligge før slutdatoen."),
        ("2024-12-31", "2026-01-01", "Vælg en periode på højst 366 dage."),
    ],
)
def test_parse_period_errors_are_danish(start, end, message):
    with pytest.raises(ValueError) as error:
        parse_period(start, end, dt.date(2026, 11, 22))
    assert str(error.value) == message


# --- charts ---------------------------------------------------------


def drawings(svg) -> list[ET.Element]:
    """Every SVG of a chart (bar charts have a wide and a narrow drawing),
    after checking what each must have."""
    found = list(ET.fromstring(f"<div>{svg}</div>"))
    for root in found:
        assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("width") == "100%"
        assert len(root.get("viewBox").split()) == 4
        title_id, desc_id = root.get("aria-labelledby").split()
        assert root.find(f"{SVG}title").get("id") == title_id and root.find(f"{SVG}desc").get("id") == desc_id
        assert not [el for el in root.iter() if "style" in el.attrib or el.tag == f"{SVG}style"]
    assert len({root.get("aria-labelledby") for root in found}) == len(found)  # ids unique in the page
    return found


def parse(svg) -> ET.Element:
    """The chart's (first, wide) drawing."""
    return drawings(svg)[0]


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]


def test_bar_chart_escapes_labels():
    root = parse(
        charts.bar_chart(
            [("<script>alert(1)</script>", 3), ("Pas", 1234)], "Titel <b>", "Beskrivelse & mere", id_prefix="x"
        )
    )
    assert not [el for el in root.iter() if el.tag.endswith(("script", "b"))]
    assert "<script>alert(1)</script>" in texts(root)
    assert root.find(f"{SVG}title").text == "Titel <b>" and root.find(f"{SVG}desc").text == "Beskrivelse & mere"
    assert {"Pas", "3", "1.234"} <= set(texts(root))
    assert len(root.findall(f"{SVG}rect[@class='bar']")) == 2


def test_chart_ids_come_from_the_prefix():
    root = parse(charts.bar_chart([("Pas", 1)], "T", "D", id_prefix="emne"))
    assert root.get("aria-labelledby") == "emne-titel emne-beskrivelse"


def test_bars_are_proportional_and_coloured():
    root = parse(charts.bar_chart([("Pas", 4), ("Affald", 2)], "T", "D"))
    bars = root.findall(f"{SVG}rect[@class='bar']")
    assert float(bars[0].get("width")) == 2 * float(bars[1].get("width"))
    assert {bar.get("fill") for bar in bars} == {"#1d4f91"}


def test_long_labels_wrap_inside_the_chart():
    label = OUTCOME_LABELS["assisted"]
    root = parse(charts.share_chart({"assisted": 0.5, "selfservice": 0.5}, OUTCOME_LABELS, "T", "D"))
    bar_x = float(root.find(f"{SVG}rect[@class='bar']").get("x"))
    lines = [span.text for span in root.iter(f"{SVG}tspan")]
    assert " ".join(line for line in lines if line != "Selvbetjening") == label
    # Right-aligned at the bars, so each line must fit between x=0 and the bars.
    assert all(len(line) * charts.CHAR_WIDTH <= bar_x for line in lines)


def test_bar_charts_share_one_scale_and_have_a_phone_drawing():
    """The topic chart's text was twice the outcome chart's: a chart with
    short labels was narrower and stretched to the page. Now every wide
    drawing is the same width, and phones get labels above the bars."""
    topics = charts.bar_chart([("Pas", 3), ("Sundhedskort", 2)], "T", "D", id_prefix="emne")
    shares = charts.share_chart({"assisted": 0.5, "selfservice": 0.5}, OUTCOME_LABELS, "T", "D", id_prefix="udfald")
    (wide_topics, narrow_topics), (wide_shares, _) = drawings(topics), drawings(shares)
    assert wide_topics.get("viewBox").split()[2] == wide_shares.get("viewBox").split()[2] == str(charts.WIDE)
    assert narrow_topics.get("viewBox").split()[2] == str(charts.NARROW)
    assert narrow_topics.get("aria-labelledby") == "emne-smal-titel emne-smal-beskrivelse"
    assert wide_topics.get("class") == "chart chart-wide" and narrow_topics.get("class") == "chart chart-narrow"
    assert texts(wide_topics) == texts(narrow_topics)
    labels = [el for el in narrow_topics.iter(f"{SVG}text") if el.get("class") == "label"]
    assert all(el.get("text-anchor") == "start" and el.get("x") == "2" for el in labels)


def test_twenty_long_labels_fit_both_drawings():
    rows = [(f"Et ærinde med et ret langt navn nummer {n}", n + 1) for n in range(22)]
    for root in drawings(charts.bar_chart(rows, "T", "D")):
        width = float(root.get("viewBox").split()[2])
        lines = [span.text for span in root.iter(f"{SVG}tspan")]
        assert len(root.findall(f"{SVG}rect[@class='bar']")) == 22
        assert all(len(line) * charts.CHAR_WIDTH <= width for line in lines)


def test_day_chart_thins_labels():
    days = [(dt.date(2026, 1, 1) + dt.timedelta(days=n), n % 4) for n in range(90)]
    root = parse(charts.day_chart(days, "Dage", "Pr. dag", id_prefix="d"))
    labels = [text for text in texts(root) if "/" in text]
    assert labels[0] == "1/1" and 6 <= len(labels) <= 12
    assert len(root.findall(f"{SVG}rect[@class='bar']")) == 90


def test_day_chart_uses_danish_short_dates():
    root = parse(charts.day_chart([(dt.date(2026, 11, 22), 3), (dt.date(2026, 11, 23), 0)], "T", "D"))
    assert {"22/11", "23/11"} <= set(texts(root))


def test_share_chart_uses_danish_percentages():
    root = parse(
        charts.share_chart({"selfservice": 0.425, "fallback": 0.575}, OUTCOME_LABELS, "Udfald", "Andele", id_prefix="u")
    )
    assert {"42,5 %", "57,5 %", "Selvbetjening", "Ikke forstået"} <= set(texts(root))
    assert charts.percent(1) == "100,0 %" and charts.percent(0) == "0,0 %"


def test_share_chart_shows_unknown_keys_raw_and_escaped():
    root = parse(charts.share_chart({"<i>ny</i>": 1.0}, OUTCOME_LABELS, "T", "D"))
    assert "<i>ny</i>" in texts(root) and root.find(f".//{SVG}i") is None


def test_empty_charts_say_so():
    for svg in (
        charts.bar_chart([], "T", "D"),
        charts.bar_chart([("Pas", 0)], "T", "D"),
        charts.day_chart([(dt.date(2026, 1, 1), 0)], "T", "D"),
        charts.day_chart([], "T", "D"),
        charts.share_chart({"selfservice": 0.0}, OUTCOME_LABELS, "T", "D"),
    ):
        root = parse(svg)
        assert texts(root) == ["Ingen henvendelser i perioden"] and not root.findall(f"{SVG}rect")


def test_data_table_is_accessible_and_escaped():
    table = ET.fromstring(str(charts.data_table([("<b>Pas</b>", 3), ("Affald", 1)], ("Emne", "Antal"), "Pr. emne")))
    assert table.find("table/caption").text == "Pr. emne"
    assert [(th.get("scope"), th.text) for th in table.iter("th")] == [("col", "Emne"), ("col", "Antal")]
    assert [[td.text for td in tr] for tr in table.find("table/tbody")] == [["<b>Pas</b>", "3"], ["Affald", "1"]]


def test_a_callback_with_the_other_topic_is_labelled_for_the_caseworker(tmp_path, knowledge):
    # "Nej, noget andet" in the booking (issue 27): the matter is in the conversation.
    labels = Labels(build_database(knowledge, tmp_path / "knowledge.db"))
    assert labels.callback_topics["andet"] == "Andet (se samtalen)"
    assert labels.callback_topics["pas"] == labels.topics["pas"] == "Pas"
