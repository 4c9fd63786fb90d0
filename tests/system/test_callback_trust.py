"""Issue 27, items 5 and 7, through the real Rasa and action servers: the
callback's topic chosen from a list, the reason stored, and an urgent matter
offered today's earliest free time or told what to do today."""

from __future__ import annotations

import datetime as dt
import sqlite3

from bot.knowledge.store import open_knowledge
from bot.settings import PROJECT_ROOT
from tests.conftest import phone_number
from tests.support.senders import sender_id


def texts(reply):
    return "\n".join(m.get("text", "") for m in reply)


def test_a_callback_asked_for_first_chooses_its_topic_from_a_list(stack):
    sender = sender_id("test", 10)
    say = lambda text: stack.send(sender, text)[1]  # noqa: E731
    say("/callback_request")
    say("Karen Hansen")
    topic = say(phone_number())
    assert "Hvad drejer opringningen sig om?" in texts(topic)
    payloads = [b["payload"] for b in topic[0]["buttons"]]
    assert "/pas" in payloads and payloads[-1] == "/deny"
    offer = say("/pas")
    slots = [b["payload"] for b in offer[0]["buttons"]]
    booked = texts(say(slots[0]))
    reference = booked.split("bookingnummer er ")[1].split(".")[0]
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        row = conn.execute("select topic, reason from callbacks where reference = ?", (reference,)).fetchone()
    assert row == ("pas", "asked")
    say(f"aflys {reference}")


def test_an_eviction_gets_todays_earliest_time_or_a_same_day_line(stack):
    sender = sender_id("test", 10)
    say = lambda text: stack.send(sender, text)[1]  # noqa: E731
    first = texts(say("jeg har fået brev fra fogeden og bliver sat ud af min lejlighed på fredag"))
    assert "sikker kanal" in first
    say("/callback_request")
    say("Karen Hansen")
    topic = texts(say(phone_number()))
    assert "Bolig, mad eller medicin i fare".lower() in topic.lower()
    offer = say("/affirm")
    text = texts(offer)
    nyborg = open_knowledge(PROJECT_ROOT / "build" / "knowledge.db").municipalities["nyborg"]
    hours = nyborg.callback_hours
    now = dt.datetime.now(dt.timezone.utc)
    today = now.astimezone(hours.tz).date()
    free_today = [s for s in hours.free_slots(now, lambda s: 0, 50) if s.date() == today]
    offered = [dt.datetime.fromisoformat(b["payload"]) for b in offer[0]["buttons"] if b["payload"] != "andre tider"]
    if free_today and offered and offered[0].date() == today:
        assert offered[0] == free_today[0] or offered[0] in free_today  # earlier ones may be booked by other tests
    else:
        # Nothing today (a weekend, a holiday, after hours): what to do today, never a made-up number.
        assert text.startswith("Det haster, og der er ingen ledig tid i dag.")
        assert nyborg.phone_number is None and "Ring til kommunen i dag på" not in text
        assert "hovednummeret, som står på https://www.nyborg.dk" in text
    booked = texts(say(offer[0]["buttons"][0]["payload"]))
    reference = booked.split("bookingnummer er ")[1].split(".")[0]
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        row = conn.execute("select category, reason from callbacks where reference = ?", (reference,)).fetchone()
    assert row == ("basic_needs", "sensitive")
    say(f"aflys {reference}")
