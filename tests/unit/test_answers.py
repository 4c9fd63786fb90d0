"""Every topic x situation x person x municipality gets a grounded answer."""

from __future__ import annotations

import re

import pytest

from bot.chat.answers import Responder
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import BARRIERS, PERSONS
from bot.knowledge.texts import month_year
from tests.conftest import KNOWLEDGE_DIR

_K = load_knowledge(KNOWLEDGE_DIR)
CASES = [
    (t.key, s.key, person, m)
    for t in _K.topics.values()
    for s in t.situations
    # A callback situation shows no link: tests/unit/test_channels.py
    if s.channel != "callback"
    for person in (PERSONS if s.ask_person else (None,))
    for m in _K.municipalities
]
URL = re.compile(r"https://\S+")


@pytest.mark.parametrize("topic,situation,person,municipality", CASES)
def test_every_lookup_answers_with_the_link_first(knowledge, topic, situation, person, municipality):
    t = knowledge.topics[topic]
    m = knowledge.municipalities[municipality]
    reply = Responder(knowledge).errand(t, situation, person, m)
    assert reply is not None
    lines = reply.text.split("\n")
    answer = t.answer_for(situation, person)
    expected_link = answer.link or m.waste_link(answer.municipal_link) or m.website_url
    # The self-service link comes first.
    assert URL.findall(lines[0])[0] == expected_link
    # Short: about 2-4 sentences plus the link line, and the quiet date line
    # under the facts (issue 27).
    assert 3 <= len(lines) <= 5
    assert lines[2] == f"Opdateret {month_year(answer.reviewed)}"
    assert lines[-1].startswith("Kan du ikke bruge de digitale løsninger")
    if t.situation(situation).channel == "booking":
        assert reply.outcome == "booking"
        assert "møde personligt op i Borgerservice med en bestilt tid" in reply.text
        assert (m.booking_url or m.website_url) in reply.text
    else:
        assert reply.outcome == "selfservice"
    if m.phone_number:
        assert m.phone_number in reply.text
    else:
        assert "telefonnummeret står på " + m.website_url in reply.text
    assert "{{" not in reply.text and "}}" not in reply.text


def test_situation_specific_content(knowledge):
    r = Responder(knowledge)
    nyborg = knowledge.municipalities["nyborg"]
    glostrup = knowledge.municipalities["glostrup"]
    say = lambda topic, sit, person=None, m=nyborg: r.errand(knowledge.topics[topic], sit, person, m).text
    assert "Barnet skal selv møde op" in say("pas", "fornyelse", "barn")
    assert "politiet" in say("pas", "bortkommet")
    assert "893 kr. i 2024" in say("pas", "pris", "voksen")
    assert "150 kr. under 12 år" in say("pas", "pris", "barn")
    assert "3 uger" in say("pas", "behandlingstid")
    assert "duplikatkørekort" in say("koerekort", "bortkommet")
    assert "dansk-koerekort-i-udlandet" in say("koerekort", "internationalt")
    assert "ombytning-af-udenlandsk-koerekort" in say("koerekort", "udenlandsk")
    assert "NemRefusion" in say("sygemelding", "arbejdsgiver") and "virk.dk" in say("sygemelding", "arbejdsgiver")
    assert "jobnet.dk" in say("sygemelding", "ledig")
    assert "NemRefusion" in say("sygemelding", "selvstaendig")
    assert "Mit Sygefravær" in say("sygemelding", "oplysningsskema")
    assert "glostrupforsyning.dk/affald/genbrugsstation" in say("affald", "genbrugsplads", m=glostrup)
    assert "affaldonline.dk/kalender/nyborg" in say("affald", "toemningsdag")


@pytest.mark.parametrize("barrier", BARRIERS)
@pytest.mark.parametrize("topic", ["pas", "koerekort", "affald", "sygemelding", None])
def test_assisted_channel_instead_of_the_link(knowledge, barrier, topic):
    m = knowledge.municipalities["guldborgsund"]
    t = knowledge.topics.get(topic) if topic else None
    reply = Responder(knowledge).assisted(t, [barrier], m)
    assert reply.outcome == "assisted"
    assert "Bestil en tid i Borgerservice" in reply.text
    assert m.phone_number in reply.text and m.phone_hours in reply.text
    assert knowledge.barriers[barrier].split()[0] in reply.text
    # Never the self-service application link again, never borrowing MitID.
    assert "Ansoeg-om-eller-forny-dansk-pas" not in reply.text
    lowered = reply.text.lower()
    assert "lån" not in lowered and "låne" not in lowered
    if barrier == "paaroerende":
        assert "digital fuldmagt" in reply.text and "aldrig en andens MitID" in reply.text


def test_clarify_and_out_of_scope(knowledge):
    r = Responder(knowledge)
    m = knowledge.municipalities["glostrup"]
    reply = r.clarify(["pas", "koerekort"], m)
    assert [b["payload"] for b in reply.buttons] == ["/pas", "/koerekort", "/out_of_scope"]
    assert reply.outcome == "fallback"
    oos = r.out_of_scope(m)
    assert "pas" in oos.text and "affald" in oos.text and m.website_url in oos.text and m.phone_number in oos.text
    assert oos.outcome == "out_of_scope"


def test_questions_offer_buttons_with_entity_payloads(knowledge):
    r = Responder(knowledge)
    ask = r.ask_situation(knowledge.topics["pas"])
    assert ask.outcome is None
    assert ask.buttons[0] == {"title": "Nyt pas eller fornyelse", "payload": '/pas{"situation": "fornyelse"}'}
    person = r.ask_person(knowledge.topics["pas"], "pris", knowledge.municipalities["nyborg"])
    assert [b["payload"] for b in person.buttons] == [
        '/pas{"situation": "pris", "person": "voksen"}',
        '/pas{"situation": "pris", "person": "barn"}',
    ]


def test_a_topic_with_one_situation_is_answered_without_asking(knowledge):
    import dataclasses

    from bot.chat.conversation import Assistant, Turn

    pas = knowledge.topics["koerekort"]
    only = dataclasses.replace(
        pas,
        key="enkel",
        situations=pas.situations[:1],
        answers=tuple(a for a in pas.answers if a.situation == pas.situations[0].key),
    )
    single = dataclasses.replace(knowledge, topics={**knowledge.topics, "enkel": only})
    result = Assistant(single, None, "nyborg").answer_errand(Turn(text="noget", intent="enkel", confidence=0.99))
    assert result.slots["situation"] == pas.situations[0].key
    assert not result.reply.buttons
