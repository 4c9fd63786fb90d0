"""The case-matter turn (bot/chat/answering.py ``case_matter``) through
``Assistant.handle``: an own case gets the callback offer about its errand
whatever the errand and whatever the NLU said, the errand's link follows
the offer, danger to life still gets 112 first, and a plain question to a
callback situation gets the errand's answer."""

from __future__ import annotations

import pytest

from bot.chat.conversation import Turn
from bot.knowledge.model import CASE_CATEGORY
from tests.support.assistants import guarded_assistant
from tests.support.turns import turn


@pytest.fixture(scope="module")
def assistant(knowledge):
    return guarded_assistant(knowledge)


def handler(intent, knowledge):
    return "answer_errand" if intent in knowledge.topics else "sensitive_intent"


@pytest.mark.parametrize("topic", ["affald", "pas", "valg", "nemkonto", "laegevalg", "vielse"])
def test_every_errand_offers_the_callback_about_itself(assistant, knowledge, topic):
    """Also errands whose knowledge has no callback situation."""
    name = knowledge.topics[topic].name
    result = assistant.handle("answer_errand", turn(f"Jeg har fået afslag fra jer om {name}. Kan jeg klage?", topic))
    reply = result.reply
    assert reply.channel == "callback" and reply.topic == topic
    assert [b["payload"] for b in reply.buttons] == ["/callback_request", "/deny"]
    assert result.slots["topic"] == topic and result.slots["sensitive_category"] == CASE_CATEGORY
    assert result.slots["situation"] is None
    # Why the chat cannot, then the offer, then the errand's own link.
    text = reply.text
    assert "sagsbehandler" in text and "ikke behandle her" in text
    assert text.index("ringer dig op") < text.index("https://")


def test_the_nlu_taking_it_for_a_personal_matter_still_names_the_errand(assistant):
    ranking = [{"name": "personal_matter", "confidence": 0.8}, {"name": "boligstoette", "confidence": 0.15}]
    result = assistant.handle(
        "sensitive_intent", turn("min boligstøtte er sat ned, det er forkert", "personal_matter", 0.8, ranking)
    )
    assert result.reply.channel == "callback" and result.reply.topic == "boligstoette"


def test_the_errand_the_message_names_when_the_nlu_ranks_none(assistant):
    ranking = [{"name": "personal_matter", "confidence": 0.95}]
    result = assistant.handle(
        "sensitive_intent", turn("Jeg har ventet 7 uger på mit nye pas", "personal_matter", 0.95, ranking)
    )
    assert result.reply.topic == "pas"


def test_english_case_is_answered_in_english(assistant):
    reply = assistant.handle(
        "answer_errand", turn("My housing benefit was reduced. I want to appeal.", "boligstoette")
    ).reply
    assert reply.channel == "callback" and reply.language == "en"
    assert "caseworker" in reply.text and "Would you like a caseworker to call you?" in reply.text


def test_danger_to_life_gets_112_first_even_in_a_case(assistant):
    reply = assistant.handle("answer_errand", turn("jeg har fået afslag og vil ikke leve mere", "boligstoette")).reply
    assert reply.channel == "urgent" and reply.text.startswith("Er du eller en anden i akut fare")


def test_a_sensitive_term_keeps_its_own_reply(assistant):
    result = assistant.handle("answer_errand", turn("min mor er død, og hun fik boligstøtte", "boligstoette"))
    assert result.reply.channel == "callback" and result.slots["sensitive_category"] == "bereavement"


@pytest.mark.parametrize(
    "text,intent",
    [
        ("Hvordan klager man over en afgørelse om boligstøtte?", "boligstoette"),
        ("Kan man få boligstøtte, hvis man har en søn med handicap?", "boligstoette"),
        ("Hvor meget koster et pas for en pensionist?", "pas"),
    ],
)
def test_a_plain_question_gets_the_errand(assistant, text, intent):
    reply = assistant.handle("answer_errand", turn(text, intent)).reply
    assert reply.channel not in ("callback", "urgent") and reply.topic == intent


def test_a_callback_situation_asked_in_general_gets_the_errands_answer(assistant, knowledge):
    topic = knowledge.topics["nemkonto"]
    udland = topic.situation("udland")
    assert udland.channel == "callback"
    entity = [{"entity": "situation", "value": "udland"}]
    general = Turn(
        intent="nemkonto", confidence=0.9, text="Kan man have en udenlandsk konto som NemKonto?", entities=entity
    )
    reply = assistant.handle("answer_errand", general).reply
    assert reply.channel == "selfservice" and reply.situation is None
    assert any('"situation": "udland"' in b["payload"] for b in reply.buttons)
    # The citizen's own matter, or the situation's button, keeps the callback.
    own = Turn(intent="nemkonto", confidence=0.9, text="min nemkonto skal ligge i en norsk bank", entities=entity)
    assert assistant.handle("answer_errand", own).reply.channel == "callback"
    pressed = Turn(intent="nemkonto", confidence=1.0, text='/nemkonto{"situation": "udland"}', entities=entity)
    assert assistant.handle("answer_errand", pressed).reply.channel == "callback"


def test_a_callback_situation_told_of_him_or_her_is_their_own_matter(assistant):
    """ "han er kun 61 og har været syg længe" after "min far …" names
    nobody by "min" but is about someone in particular; asked in general
    ("kan man …, hvis han …") it stays the errand's answer."""
    entity = [{"entity": "situation", "value": "tidlig"}]
    told = "undskyld, han er kun 61 og har været syg længe, så det er vel førtidspension"
    reply = assistant.handle(
        "answer_errand", Turn(intent="folkepension", confidence=0.9, text=told, entities=entity)
    ).reply
    assert reply.channel == "callback" and reply.situation == "tidlig", reply
    # Only asked of, he is anybody the question is about: a craftsman who
    # will park in the street has no fine of his own.
    asked = "Der kommer en tømrer i to dage, hvordan slipper han for en parkeringsafgift?"
    fee = [{"entity": "situation", "value": "afgift"}]
    reply = assistant.handle(
        "answer_errand", Turn(intent="beboerparkering", confidence=0.9, text=asked, entities=fee)
    ).reply
    assert reply.channel == "selfservice", reply
    general = "Kan man få førtidspension, hvis man er under 40?"
    reply = assistant.handle(
        "answer_errand", Turn(intent="folkepension", confidence=0.9, text=general, entities=entity)
    ).reply
    assert reply.channel == "selfservice" and reply.situation is None, reply


def test_a_sensitive_message_after_an_errand_leaves_no_topic_for_the_booking(assistant, knowledge):
    """Issue 27: after "sundhedskort" then a sensitive message, the booking
    asked "Drejer det sig om sundhedskort?". The matter at hand is the
    sensitive one; the reason (its category) goes with the booking."""
    from bot.chat.answers import Responder
    from bot.chat.booking import CallbackFlow

    earlier = dict(topic="sundhedskort", situation="mistet", municipality="glostrup")
    result = assistant.handle("sensitive_intent", turn("min mor er død i går", "personal_matter", **earlier))
    assert result.reply.channel == "callback" and result.slots["topic"] is None
    category = result.slots["sensitive_category"]
    question = CallbackFlow(knowledge, Responder(knowledge), None).ask_topic(
        result.slots["topic"], category, knowledge.municipalities["glostrup"]
    )
    assert "sundhedskort" not in question.text and knowledge.sensitive[category].label.lower() in question.text
    # A CPR number written in a question about the open errand keeps it.
    kept = assistant.handle(
        "answer_errand", turn("mit sundhedskort er væk, mit cpr er [CPR-nummer fjernet]", "sundhedskort", **earlier)
    )
    assert kept.slots.get("topic", "sundhedskort") == "sundhedskort"


# -- a family matter that is the errand's own situation ---------------------


@pytest.mark.parametrize(
    "text,slots",
    [
        ("jeg er lige blevet skilt og vil gerne have mit pigenavn tilbage", {"topic": "navneaendring"}),
        ("Jeg er blevet skilt og vil tage mit gamle efternavn igen", {}),
    ],
)
def test_a_divorce_told_as_the_reason_for_a_name_change_is_answered(assistant, text, slots):
    reply = assistant.handle("answer_errand", turn(text, "navneaendring", **slots)).reply
    assert reply.channel == "selfservice" and reply.topic == "navneaendring", reply


@pytest.mark.parametrize(
    "text",
    [
        # Violence is never the errand's context, whatever the errand reads.
        "Min eksmand slår mig, og jeg vil have mit pigenavn tilbage efter skilsmissen",
    ],
)
def test_a_family_matter_the_errand_does_not_explain_still_reaches_a_caseworker(assistant, text):
    reply = assistant.handle("answer_errand", turn(text, "navneaendring")).reply
    assert reply.channel == "callback", reply


def test_a_divorce_without_the_errands_situation_in_the_words_reaches_a_caseworker(assistant):
    text = "Vi er ved at blive skilt, og jeg ved ikke, hvad jeg skal gøre med børnenes pas"
    reply = assistant.handle("answer_errand", turn(text, "pas")).reply
    assert reply.channel == "callback", reply


# -- an unsure urgent guess -------------------------------------------------


def test_an_unsure_urgent_guess_at_a_question_about_nobody_is_no_emergency(assistant):
    text = "What's the score in the football match tonight?"
    ranking = [{"name": "urgent_danger", "confidence": 0.39}, {"name": "out_of_scope", "confidence": 0.23}]
    reply = assistant.handle("sensitive_intent", turn(text, "urgent_danger", 0.39, ranking)).reply
    assert reply.channel == "out_of_scope", reply


@pytest.mark.parametrize(
    "text,confidence",
    [
        ("Det brænder i opgangen", 0.39),  # a statement about nobody
        ("Hvad gør jeg, min mand trækker ikke vejret?", 0.39),  # a question about someone
        ("Is there anything to do tonight?", 0.8),  # the NLU sure of itself
    ],
)
def test_an_urgent_guess_otherwise_still_escalates(assistant, text, confidence):
    reply = assistant.handle("sensitive_intent", turn(text, "urgent_danger", confidence)).reply
    assert reply.channel == "urgent", reply
