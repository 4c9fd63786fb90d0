"""bot/console/summary.py: the callback page opens with what the citizen
wrote and what the assistant answered, not with the booking's name and phone."""

from __future__ import annotations

import datetime as dt

from bot.console.summary import summarise
from bot.records.transcripts import Line

AT = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)


def line(speaker, text, clicked=False):
    return Line(speaker, text, AT, (), clicked)


CONVERSATION = [
    line("assistant", "Hej! Jeg er kommunens chatbot."),
    line("citizen", "hej"),
    line("assistant", "Hvad kan jeg hjælpe med?"),
    line("citizen", "min boligstøtte er sat ned og jeg forstår ikke hvorfor"),
    line("assistant", "Det lyder som din egen sag. Den kan chatten ikke behandle."),
    line("citizen", "Ja, ring mig op", clicked=True),
    line("assistant", "Hvad er dit navn?"),
    line("citizen", "Karen Hansen"),
    line("assistant", "Hvilket telefonnummer?"),
    line("citizen", "20 30 40 50"),
    line("citizen", "Mandag kl. 10:00", clicked=True),
]


def test_the_request_is_what_the_citizen_wrote_before_the_booking():
    summary = summarise(CONVERSATION, "Karen Hansen", "+45 20 30 40 50")
    assert [x.text for x in summary.request] == ["hej", "min boligstøtte er sat ned og jeg forstår ikke hvorfor"]
    assert summary.answer.text.startswith("Det lyder som din egen sag")


def test_without_the_name_line_the_name_and_phone_answers_are_still_left_out():
    summary = summarise(CONVERSATION, "Karen H.", "+45 20 30 40 50")
    assert "20 30 40 50" not in [x.text for x in summary.request]
    assert summary.request[-1].text == "Karen Hansen"  # the name as typed differs: kept, as the best we know


def test_a_conversation_without_typed_words_has_no_summary():
    assert summarise([line("citizen", "Ring mig op", clicked=True)], "A", "1234").request == ()
    assert summarise([], "A", "1234").answer is None
