"""The custom actions with real rasa_sdk Trackers and CollectingDispatchers."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerErrand, ActionClarify, ActionOutOfScope, ActionSensitive
from bot.chat import runtime
from bot.chat.conversation import SETUP_ERROR
from tests.conftest import run_async

SLOTS = {"kommune": None, "topic": None, "situation": None, "person": None, "barriers": None}


def tracker(intent, entities=(), slots=None, ranking=None, metadata=None, text="(test)"):
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [{"entity": e, "value": v} for e, v in entities],
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
        "metadata": metadata or {},
    }
    return Tracker("citizen-1", {**SLOTS, **(slots or {})}, message, [], False, None, {}, "action_listen")


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = run_async(action.run(dispatcher, t, {}))
    # The tracker's slots after the action: an action sets only those that change.
    slots = {**t.slots, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}
    return dispatcher.messages, slots


def outcomes(tmp_path):
    with sqlite3.connect(tmp_path / "kommunebot.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("select * from outcomes order by id")]


def test_unknown_situation_is_answered_first_then_offered_as_buttons(runtime_env):
    messages, slots = run(ActionAnswerErrand(), tracker("koerekort"))
    (message,) = messages
    first, *_, last = message["text"].split("\n")
    assert first.startswith("Læs om fornyelse") and "https://" in first  # the main link first
    assert last == "Gælder det noget andet?"
    assert [b["payload"] for b in message["buttons"]][:2] == [
        '/koerekort{"situation": "fornyelse"}',
        '/koerekort{"situation": "bortkommet"}',
    ]
    assert message["kommunebot"] == {"channel": "booking", "topic": "koerekort", "situation": None}
    assert slots["topic"] == "koerekort" and slots["situation"] is None and slots["asked"] == "situation"
    # The citizen got the link: one contact, counted once, also when a
    # situation button follows on the same errand.
    assert [r["outcome"] for r in outcomes(runtime_env)] == ["booking"]
    run(ActionAnswerErrand(), tracker("koerekort", [("situation", "stjålet")], slots=slots))
    assert len(outcomes(runtime_env)) == 1


def test_answer_from_entity_and_outcome_row(runtime_env):
    messages, slots = run(ActionAnswerErrand(), tracker("koerekort", [("situation", "stjålet")]))
    assert "duplikatkørekort" in messages[0]["text"]
    assert slots["situation"] == "bortkommet" and slots["kommune"] == "nyborg"
    (row,) = outcomes(runtime_env)
    assert {k: row[k] for k in ("municipality", "topic", "situation", "outcome")} == {
        "municipality": "nyborg",
        "topic": "koerekort",
        "situation": "bortkommet",
        "outcome": "booking",
    }
    # Anonymous: no text, no sender, nothing else.
    assert set(row) == {"id", "at", "municipality", "topic", "situation", "outcome"}


def test_person_is_asked_then_answer_uses_remembered_situation(runtime_env):
    messages, slots = run(ActionAnswerErrand(), tracker("pas", [("situation", "pris")]))
    # The link and the booked attendance first, whoever it is for; then the question.
    link, attendance, question = messages[0]["text"].split("\n")
    assert "borger.dk" in link and question.startswith("Er passet til en voksen eller et barn")
    assert attendance.startswith("Du skal møde personligt op i Borgerservice med en bestilt tid")
    messages, slots = run(
        ActionAnswerErrand(), tracker("pas", [("person", "min datter")], slots={"topic": "pas", "situation": "pris"})
    )
    assert "150 kr. under 12 år" in messages[0]["text"]


@pytest.mark.parametrize(
    "topic,situation,said",
    [
        ("sundhedskort", "mistet", "Bestil et nyt sundhedskort"),
        ("pas", "bortkommet", "erklæringen om bortkommet pas"),
        ("koerekort", "bortkommet", "duplikatkørekort"),
    ],
)
def test_one_word_for_lost_answers_every_topic(runtime_env, topic, situation, said):
    """Rasa gives "tabt", "væk" and "stjålet" the value "mistet", whatever the topic."""
    messages, slots = run(ActionAnswerErrand(), tracker(topic, [("situation", "mistet")]))
    assert said in messages[0]["text"] and slots["situation"] == situation


def test_situation_does_not_leak_into_another_topic(runtime_env):
    messages, slots = run(ActionAnswerErrand(), tracker("pas", slots={"topic": "koerekort", "situation": "bortkommet"}))
    assert messages[0]["text"].endswith("Gælder det noget andet?") and slots["situation"] is None


def test_digital_inclusion_gets_the_assisted_channel(runtime_env):
    messages, slots = run(
        ActionAnswerErrand(),
        tracker("needs_assistance", [("barrier", "ingen_mitid")], slots={"topic": "pas", "situation": "fornyelse"}),
    )
    text = messages[0]["text"]
    assert "også uden MitID" in text and "Bestil en tid i Borgerservice" in text
    assert "Ansoeg-om-eller-forny-dansk-pas" not in text
    assert slots["barriers"] == ["ingen_mitid"]
    # The barrier is remembered: the next errand is answered the assisted way too.
    messages, _ = run(ActionAnswerErrand(), tracker("sygemelding", slots={"barriers": ["ingen_mitid"]}))
    assert "fravælge digital selvbetjening" in messages[0]["text"]
    assert [r["outcome"] for r in outcomes(runtime_env)] == ["assisted", "assisted"]


def test_errand_message_with_a_barrier(runtime_env):
    messages, _ = run(ActionAnswerErrand(), tracker("pas", [("barrier", "paaroerende")]))
    assert "digital fuldmagt" in messages[0]["text"]


def test_clarify_offers_closest_errands(runtime_env):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.55},
        {"name": "koerekort", "confidence": 0.4},
        {"name": "greet", "confidence": 0.3},
        {"name": "pas", "confidence": 0.2},
    ]
    messages, _ = run(ActionClarify(), tracker("nlu_fallback", ranking=ranking))
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/koerekort", "/pas", "/out_of_scope"]
    assert outcomes(runtime_env)[0]["outcome"] == "fallback"
    # A topic menu, marked so in the tracker for the conversation evaluation.
    assert messages[0]["kommunebot"] == {"channel": "fallback", "topic": None, "situation": None, "menu": True}


def test_clarify_answers_an_errand_that_stands_out_and_marks_no_menu(runtime_env):
    ranking = [{"name": "nlu_fallback", "confidence": 0.55}, {"name": "koerekort", "confidence": 0.45}]
    ranking.append({"name": "pas", "confidence": 0.1})
    messages, slots = run(ActionClarify(), tracker("nlu_fallback", ranking=ranking))
    assert messages[0]["kommunebot"] == {"channel": "booking", "topic": "koerekort", "situation": None}
    assert messages[0]["text"].endswith("Mente du noget andet?") and messages[0]["buttons"][-1]["payload"] == "/pas"
    assert slots["topic"] == "koerekort"


def test_clarify_uses_a_typed_answer_to_the_open_question(runtime_env):
    messages, _ = run(ActionClarify(), tracker("nlu_fallback", [("situation", "mistet")], slots={"topic": "pas"}))
    assert "erklæringen om bortkommet pas" in messages[0]["text"]


def test_out_of_scope_for_metadata_municipality(runtime_env):
    messages, slots = run(ActionOutOfScope(), tracker("out_of_scope", metadata={"kommune": "glostrup"}))
    assert "https://www.glostrup.dk" in messages[0]["text"] and "+45 43 23 61 00" in messages[0]["text"]
    assert slots["kommune"] == "glostrup"


def test_unknown_municipality_setting(runtime_env, monkeypatch, caplog):
    monkeypatch.setenv("KOMMUNEBOT_MUNICIPALITY", "atlantis")
    runtime.reset()
    with caplog.at_level(logging.ERROR):
        messages, _ = run(ActionAnswerErrand(), tracker("pas", [("situation", "fornyelse")]))
    assert messages[0]["text"] == SETUP_ERROR
    assert "atlantis" in caplog.text


def test_missing_knowledge_database(runtime_env, monkeypatch, caplog):
    monkeypatch.setenv("KOMMUNEBOT_KNOWLEDGE_DB", str(runtime_env / "missing.db"))
    runtime.reset()
    with caplog.at_level(logging.ERROR):
        messages, _ = run(ActionOutOfScope(), tracker("out_of_scope"))
    assert messages[0]["text"] == SETUP_ERROR
    assert "missing.db" in caplog.text


def test_missing_knowledge_entry(runtime_env, caplog):
    assistant = runtime.get_assistant()
    topic = assistant.knowledge.topics["affald"]
    # Simulate an entry removed from a hand-edited database.
    object.__setattr__(topic, "answers", tuple(a for a in topic.answers if a.situation != "storskrald"))
    with caplog.at_level(logging.ERROR):
        messages, _ = run(ActionAnswerErrand(), tracker("affald", [("situation", "storskrald")]))
    assert "Jeg har desværre ikke et svar" in messages[0]["text"] and "nyborg.dk" in messages[0]["text"]
    assert "storskrald" in caplog.text


def test_assisted_answer_keeps_the_facts_but_not_the_link(runtime_env):
    messages, slots = run(
        ActionAnswerErrand(),
        tracker("pas", [("situation", "pris"), ("person", "barn")], slots={"barriers": ["ingen_computer"]}),
    )
    text = messages[0]["text"]
    assert "150 kr. under 12 år" in text and "Bestil en tid i Borgerservice" in text
    assert "borger.dk/transport-trafik-rejser" not in text
    assert slots["situation"] == "pris"
    assert outcomes(runtime_env)[-1]["situation"] == "pris"


def test_an_escalation_is_marked_in_the_tracker_and_an_answer_is_not(runtime_env):
    # The evaluation tells a callback offered for the matter itself from an
    # errand whose own channel is the callback by this mark.
    told = "min mand slår mig og jeg tør ikke tage hjem"
    messages, slots = run(ActionSensitive(), tracker("personal_matter", text=told))
    assert slots["sensitive_category"] and messages[0]["kommunebot"]["escalated"] == slots["sensitive_category"]
    messages, _ = run(ActionAnswerErrand(), tracker("pas"))
    assert "escalated" not in messages[0]["kommunebot"]


@pytest.mark.parametrize("active_loop", [None, "callback_form"])
def test_a_turn_action_ends_the_turn_unless_the_callback_form_is_open(runtime_env, active_loop):
    """The policies' second prediction would only choose action_listen; while
    the form is open they decide, since it may take the turn back."""
    t = tracker("pas")
    if active_loop:
        t.active_loop = {"name": active_loop}
    events = run_async(ActionAnswerErrand().run(CollectingDispatcher(), t, {}))
    followups = [e for e in events if e.get("event") == "followup"]
    assert followups == ([] if active_loop else [{"event": "followup", "timestamp": None, "name": "action_listen"}])


def test_an_action_sets_only_the_slots_that_change(runtime_env):
    """An unchanged slot is no event: the tracker keeps its value."""
    _, first = run(ActionAnswerErrand(), tracker("koerekort", [("situation", "fornyelse")]))
    dispatcher = CollectingDispatcher()
    again = tracker("koerekort", [("situation", "fornyelse")], slots=first)
    events = run_async(ActionAnswerErrand().run(dispatcher, again, {}))
    changed = {e["name"] for e in events if e.get("event") == "slot"}
    assert "topic" not in changed and "language" not in changed
    assert all(first.get(e["name"]) != e["value"] for e in events if e.get("event") == "slot")
