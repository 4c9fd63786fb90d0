"""The inbox's wrong escalations and wrong topics (issue 28 item 6): a
callback offer the citizen declined, or an errand the assistant chose that
the citizen corrected, keeps the message that led to it for the editors."""

from __future__ import annotations

import pytest

from bot.chat.conversation import Assistant, Turn
from bot.chat.reading import KeywordRules, Lemmatiser
from bot.records.inbox import Inbox
from bot.settings import Settings

SLOTS = ("topic", "situation", "person", "asked", "language", "answered", "suggested", "kommune")


@pytest.fixture(scope="module")
def rules(knowledge):
    return KeywordRules(knowledge.topics, Lemmatiser(Settings.load({}).spacy_path), knowledge.barrier_keywords)


@pytest.fixture
def assistant(knowledge, rules, tmp_path):
    inbox = Inbox(tmp_path / "data.db")
    yield Assistant(knowledge, None, "nyborg", inbox=inbox, rules=rules)
    inbox.close()


def turn(text, intent, confidence=0.9, previous=None):
    slots = {k: previous.slots.get(k) for k in SLOTS} if previous else {}
    slots["municipality"] = slots.pop("kommune", None)
    return Turn(
        intent=intent,
        confidence=confidence,
        text=text,
        intent_ranking=[{"name": intent, "confidence": confidence}],
        **slots,
    )


def kept(assistant):
    return [(m.text, m.outcome, m.predicted, m.chosen) for m in assistant.inbox.list()]


ESCALATED = "min mor er syg og skal have nyt sundhedskort"


@pytest.mark.parametrize("answer", ["/deny", "nej tak"])
def test_a_declined_callback_offer_keeps_the_message_that_escalated(assistant, answer):
    offer = assistant.handle("sensitive_intent", turn(ESCALATED, "personal_matter", 0.7))
    assert offer.reply.channel == "callback"
    assistant.handle("small_talk", turn(answer, "deny", 1.0, offer))
    assert kept(assistant) == [(ESCALATED, "declined", "personal_matter", None)]


def test_an_accepted_offer_or_an_urgent_matter_keeps_nothing(assistant):
    offer = assistant.handle("sensitive_intent", turn(ESCALATED, "personal_matter", 0.7))
    assistant.handle("answer_errand", turn("/callback_request", "callback_request", 1.0, offer))
    urgent = assistant.handle("sensitive_intent", turn("han trækker ikke vejret", "urgent_danger", 0.9))
    assistant.handle("small_talk", turn("nej tak", "deny", 1.0, urgent))
    assert kept(assistant) == []


def test_a_corrected_errand_keeps_the_message_with_the_errand_the_citizen_meant(assistant):
    first = assistant.handle("answer_errand", turn("hvordan fornyer jeg det", "pas", 0.6))
    assert first.reply.topic == "pas"
    second = assistant.handle("answer_errand", turn("nej, jeg mente mit kørekort", "koerekort", 0.95, first))
    assert second.reply.topic == "koerekort"
    assert kept(assistant) == [("hvordan fornyer jeg det", "corrected", "pas", "koerekort")]


def test_a_correction_within_the_errand_or_a_new_question_is_no_wrong_topic(assistant):
    first = assistant.handle("answer_errand", turn("jeg skal have nyt pas", "pas"))
    person = assistant.handle("answer_errand", turn("nej, det er til min datter", "pas", 0.9, first))
    assert person.reply.topic == "pas"
    # Another errand without a correction is a new question, not a correction.
    assistant.handle("answer_errand", turn("hvornår henter I skrald", "affald", 0.95, person))
    # A button's payload decides nothing to correct.
    button = assistant.handle("answer_errand", turn("/pas", "pas", 1.0))
    assistant.handle("answer_errand", turn("nej, jeg mente kørekort", "koerekort", 0.95, button))
    assert kept(assistant) == []


def test_what_was_decided_lasts_one_turn(assistant):
    first = assistant.handle("answer_errand", turn("hvordan fornyer jeg det", "pas", 0.6))
    assert first.slots["suggested"]["decided"]["key"] == "pas"
    thanks = assistant.handle("small_talk", turn("tak", "thanks", 1.0, first))
    assert thanks.slots["suggested"] is None
    assistant.handle("answer_errand", turn("nej, jeg mente kørekort", "koerekort", 0.95, thanks))
    assert kept(assistant) == []
