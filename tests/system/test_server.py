"""Conversations through the real Rasa server, action server and SQLite files."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import phone_number, run_async
from tests.support.senders import sender_id


def chat(stack, *messages, metadata=None):
    sender = sender_id("test", 10)
    replies = []
    for message in messages:
        status, body = stack.send(sender, message, metadata=metadata)
        assert status == 200, body
        replies.append(body)
    return sender, replies


def texts(reply):
    return "\n".join(m.get("text", "") for m in reply)


@pytest.mark.parametrize(
    "message,expected",
    [
        ("jeg har et spørgsmål om pas", "Nyt pas eller fornyelse"),  # asks the situation
        ("hvordan fornyer jeg mit pas", "Er passet til en voksen eller et barn"),  # then the person
        ("mit kørekort er blevet stjålet", "duplikatkørekort"),
        ("hvornår bliver min skraldespand tømt", "affaldonline.dk/kalender/nyborg"),
        ("jeg er arbejdsgiver og skal anmelde sygdom for en medarbejder", "NemRefusion"),
        ("jeg er ledig og syg, hvad gør jeg", "jobnet"),
    ],
)
def test_errands_in_natural_danish(stack, message, expected):
    _, (reply,) = chat(stack, message)
    everything = texts(reply) + json.dumps([m.get("buttons") for m in reply], ensure_ascii=False)
    assert expected in everything


def test_button_path_to_a_child_passport_price(stack):
    _, replies = chat(stack, "hvad koster et pas", '/pas{"situation": "pris", "person": "barn"}')
    assert replies[0][0]["buttons"][0]["payload"] == '/pas{"situation": "pris", "person": "voksen"}'
    assert "150 kr. under 12 år" in texts(replies[1])
    assert "bestilt tid" in texts(replies[1])


def test_digital_inclusion_follow_up(stack):
    _, replies = chat(stack, "jeg skal have nyt kørekort fordi det er udløbet", "jeg har ikke noget mitid")
    assert "fstyr.dk" in texts(replies[0])
    second = texts(replies[1])
    assert "Borgerservice" in second and "fstyr.dk" not in second


def test_other_municipality_via_metadata(stack):
    _, (reply,) = chat(stack, "hvad er vejret i morgen", metadata={"kommune": "glostrup"})
    assert "glostrup.dk" in texts(reply) and "43 23 61 00" in texts(reply)


def test_the_municipality_is_chosen_on_every_turn(stack):
    """One deployment serves several municipalities: each turn is answered for
    the municipality its metadata names (the widget's data-kommune)."""
    sender = sender_id("test", 10)
    _, first = stack.send(sender, "hvad er vejret i morgen", metadata={"kommune": "glostrup"})
    _, second = stack.send(sender, "hvad er vejret i morgen", metadata={"kommune": "nyborg"})
    assert "glostrup.dk" in texts(first) and "nyborg.dk" not in texts(first)
    assert "nyborg.dk" in texts(second) and "glostrup.dk" not in texts(second)


def test_bad_input_gets_a_danish_answer(stack):
    _, replies = chat(stack, "", "   ", "x" * 10_000, "😀😀😀", "<script>alert('x')</script>")
    assert "tom" in texts(replies[0]) and "tom" in texts(replies[1])
    assert "for lang" in texts(replies[2]) and "10000 tegn" in texts(replies[2])
    for reply in replies[3:]:
        assert reply and texts(reply).strip()
        assert "<script>" not in texts(reply)


def test_malformed_request_is_rejected_clearly(stack):
    from bot.ops.http import http_json

    status, body = http_json(f"{stack.url}/webhooks/rest/webhook", {"message": "hej"})
    assert status == 400 and "sender" in body["error"] and body["text"].startswith("Beskeden")


def test_unknown_municipality_metadata(stack):
    _, (reply,) = chat(stack, "jeg har mistet mit pas", metadata={"kommune": "atlantis"})
    assert "ikke sat rigtigt op" in texts(reply)


def test_conversation_is_stored_in_the_sqlite_tracker_and_outcomes_recorded(stack):
    sender, _ = chat(stack, "storskrald afhentning")
    with sqlite3.connect(stack.var / "tracker.db") as conn:
        rows = conn.execute("select type_name from events where sender_id = ?", (sender,)).fetchall()
    assert ("user",) in rows and ("bot",) in rows
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        outcomes = conn.execute("select municipality, topic, situation, outcome from outcomes").fetchall()
    assert ("nyborg", "affald", "storskrald", "selfservice") in outcomes
    # The outcome table never holds text or the sender.
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        columns = [r[1] for r in conn.execute("pragma table_info(outcomes)")]
    assert columns == ["id", "at", "municipality", "topic", "situation", "outcome"]


def test_cpr_number_never_reaches_tracker_store_databases_or_logs(stack):
    forms = ["010203-1234", "010203 1234", "0102031234"]
    sender, _ = chat(stack, f"mit cpr er {forms[0]} og min søns er {forms[1]}", f"jeg mistede mit pas, cpr {forms[2]}")
    files = [stack.var / "tracker.db", stack.var / "kommunebot.db", *(stack.var / "logs").glob("*.log")]
    files += [p for p in stack.var.glob("*.db-wal")]
    for path in files:
        data = path.read_bytes()
        for form in forms:
            assert form.encode() not in data, f"{form} found in {path.name}"
    with sqlite3.connect(stack.var / "tracker.db") as conn:
        stored = [
            json.loads(d)
            for (d,) in conn.execute("select data from events where sender_id = ? and type_name = 'user'", (sender,))
        ]
    assert stored and all("[CPR-nummer fjernet]" in e["text"] for e in stored)
    assert stored[0]["metadata"]["redacted"] == {"cpr": 2}


def test_socketio_channel_redacts_and_answers(stack):
    import asyncio

    import socketio

    async def talk():
        client = socketio.AsyncClient()
        replies, answered, confirmed = [], asyncio.Event(), []

        @client.on("bot_uttered")
        async def on_bot(data):
            replies.append(data)
            answered.set()

        @client.on("session_confirm")
        async def on_confirm(session_id):
            confirmed.append(session_id)

        await client.connect(stack.url, socketio_path="/socket.io")
        await client.emit("session_request", {"session_id": None})
        await asyncio.sleep(0.3)
        await client.emit("user_uttered", {"message": "mit kørekort er stjålet, cpr 010203-1234"})
        await asyncio.wait_for(answered.wait(), timeout=30)
        answered.clear()
        await client.emit("user_uttered", {"message": "   "})
        await asyncio.wait_for(answered.wait(), timeout=30)
        await asyncio.sleep(0.5)
        await client.disconnect()
        return replies, confirmed

    replies, confirmed = run_async(talk())
    assert replies[0]["text"] and "tom" in replies[-1]["text"]
    # The server issued the session id: '<conversation>.<signature>'.
    conversation = confirmed[0].split(".")[0]
    with sqlite3.connect(stack.var / "tracker.db") as conn:
        data = [d for (d,) in conn.execute("select data from events where sender_id = ?", (conversation,))]
    assert data and not any("010203" in d for d in data)
    assert any("[CPR-nummer fjernet]" in d for d in data)


def test_sensitive_matter_books_a_callback_end_to_end(stack):
    sender = sender_id("test", 10)
    phone = phone_number()
    say = lambda text: stack.send(sender, text)[1]  # noqa: E731
    first = texts(say("min sygedagpengesag er blevet stoppet og jeg forstår ikke hvorfor"))
    # An own case: the case reply, which names why and repeats nothing the citizen wrote.
    assert "din egen sag" in first and "ikke en sikker kanal" in first and "sygedagpengesag" not in first
    intro = texts(say("/callback_request"))
    assert "sletter dem senest 30 dage efter" in intro and "Hvad er dit navn?" in intro
    assert "navn" in texts(say("1234"))
    assert "telefonnummer" in texts(say("Karen Hansen"))
    assert "dansk telefonnummer" in texts(say("999"))
    topic = say(phone)
    assert "Drejer det sig om" in texts(topic) and topic[0]["buttons"][0]["payload"] == "/affirm"
    offer = say("/affirm")
    first_times = [b["payload"] for b in offer[0]["buttons"]]
    assert first_times[-1] == "andre tider"
    later = say("andre tider")
    later_times = [b["payload"] for b in later[0]["buttons"]]
    assert later_times[0] > first_times[-2]
    booked_reply = say(later_times[0])
    booked = texts(booked_reply)
    assert "Dit bookingnummer er CB-" in booked and phone in booked
    reference = booked.split("bookingnummer er ")[1].split(".")[0]
    # The booking is marked as one; the questions before it were not (issue 27).
    assert booked_reply[-1]["custom"] == {"event": "callback_booked", "reference": reference}
    assert not any((r.get("custom") or {}).get("event") for r in topic + offer + later)
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        row = conn.execute(
            "select status, name, phone, category from callbacks where reference = ?", (reference,)
        ).fetchone()
        outcome = conn.execute("select outcome from outcomes order by id desc limit 1").fetchone()
    assert row == ("booked", "Karen Hansen", phone, row[3]) and outcome == ("callback",)
    cancelled = say(f"jeg vil gerne aflyse {reference}")
    assert "er aflyst" in texts(cancelled)
    assert cancelled[-1]["custom"] == {"event": "callback_cancelled", "reference": reference}
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        actions = [
            a for (a,) in conn.execute("select action from events where reference = ? order by id", (reference,))
        ]
    assert actions == ["booked", "cancelled"]


def test_a_booking_after_a_sensitive_message_asks_about_that_matter(stack):
    """Issue 27: not about the errand asked before it; "Nej, noget andet"
    books with the other topic and the sensitive category."""
    sender = sender_id("test", 10)
    phone = phone_number()
    say = lambda text: stack.send(sender, text)[1]  # noqa: E731
    say("jeg har mistet mit sundhedskort")
    assert "sikker kanal" in texts(say("min mor er død i går"))
    say("/callback_request")
    say("Karen Hansen")
    topic = texts(say(phone))
    assert "Drejer det sig om dødsfald?" in topic and "sundhedskort" not in topic
    offer = say("/deny")
    booked = texts(say(offer[0]["buttons"][0]["payload"]))
    reference = booked.split("bookingnummer er ")[1].split(".")[0]
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        row = conn.execute("select topic, category from callbacks where reference = ?", (reference,)).fetchone()
    assert row == ("andet", "bereavement")
    say(f"aflys {reference}")  # the shared stack caps bookings per address


def test_callback_form_can_be_stopped(stack):
    sender = sender_id("test", 10)
    stack.send(sender, "kan jeg tale med et menneske")
    _, reply = stack.send(sender, "nej")
    assert "ikke bestilt noget opkald" in texts(reply)


def test_urgent_danger_gives_112_first(stack):
    _, (reply,) = chat(stack, "jeg vil ikke leve mere")
    assert texts(reply).startswith("Er du eller en anden i akut fare, så ring 112 nu.")


def test_a_message_the_assistant_missed_reaches_the_editors_inbox(stack):
    sender = sender_id("test", 10)
    stack.send(sender, "kan I anbefale en god opskrift på blomkålssuppe")
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        rows = conn.execute("select text, outcome, status from inbox where text like '%blomkålssuppe%'").fetchall()
    assert rows == [("kan I anbefale en god opskrift på blomkålssuppe", "out_of_scope", "new")] or rows == [
        ("kan I anbefale en god opskrift på blomkålssuppe", "fallback", "new")
    ]


def test_action_server_down_gives_a_danish_message_then_recovers(stack):
    stack.stop_actions()
    try:
        _, (reply,) = chat(stack, "hvornår bliver skraldet hentet")
        assert "teknisk fejl" in texts(reply)
        log = (stack.var / "logs" / "rasa.log").read_text(errors="replace")
        assert "is the action server running" in log
    finally:
        stack.start_actions()
        stack.wait_actions()
    _, (reply,) = chat(stack, "hvornår bliver skraldet hentet")
    assert "teknisk fejl" not in texts(reply)
