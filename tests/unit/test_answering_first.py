"""Answer first when one errand stands out, and say what is not covered
(issue 26 items 2 and 3), through ``Assistant.handle``.

An unsure NLU (clarify) whose best errand stands out gets that errand's
answer and then "Mente du noget andet?" with the other likely errands; a
topic menu only when nothing stands out, marked as a menu. Out of scope
offers "Mente du …?" only when an errand is near."""

from __future__ import annotations

import json

import pytest

from bot.chat import answering
from bot.chat.conversation import Assistant, Turn
from bot.chat.reading import KeywordRules, Lemmatiser
from bot.knowledge.build import build_database
from bot.knowledge.search import KnowledgeSearch
from bot.records.inbox import Inbox
from bot.settings import Settings


@pytest.fixture
def assistant(knowledge, tmp_path):
    search = KnowledgeSearch(build_database(knowledge, tmp_path / "knowledge.db"))
    inbox = Inbox(tmp_path / "data.db")
    rules = KeywordRules(knowledge.topics, Lemmatiser(Settings.load({}).spacy_path), knowledge.barrier_keywords)
    yield Assistant(knowledge, None, "nyborg", inbox=inbox, search=search, rules=rules)
    search.close()
    inbox.close()


def unsure(text, *ranking, intent="nlu_fallback", **slots):
    """A turn the NLU fell back on, with its errand ranking as given."""
    return Turn(
        intent=intent,
        confidence=ranking[0][1] if ranking else 0.2,
        text=text,
        intent_ranking=[{"name": name, "confidence": sure} for name, sure in ranking],
        **slots,
    )


def payloads(reply):
    return [b["payload"] for b in reply.buttons]


def test_an_errand_far_ahead_is_answered_with_the_others_after_it(assistant):
    turn = unsure("min søn på 12 skal ud at rejse til sommer", ("pas", 0.34), ("sundhedskort", 0.1), ("mitid", 0.06))
    result = assistant.handle("clarify", turn)
    reply = result.reply
    assert reply.topic == "pas" and reply.channel == "booking" and not reply.menu
    # The answer first (link and the booked attendance), then the offer.
    assert "https://" in reply.text and "Hvilket af disse emner" not in reply.text
    assert reply.text.index("https://") < reply.text.index("Mente du noget andet?")
    assert payloads(reply)[-2:] == ["/sundhedskort", "/mitid"]
    assert result.slots["topic"] == "pas" and result.slots["person"] == "barn"
    offered = result.slots["suggested"]
    assert offered["options"] == ["sundhedskort", "mitid"]
    assert assistant.inbox.get(offered["inbox"]).outcome == "fallback"


def test_choosing_another_errand_after_the_answer_switches_and_is_recorded(assistant):
    first = assistant.handle("clarify", unsure("skal ud at rejse til sommer", ("pas", 0.34), ("sundhedskort", 0.1)))
    offered = first.slots["suggested"]
    choice = Turn(
        intent="sundhedskort",
        confidence=1.0,
        text="/sundhedskort",
        topic="pas",
        asked=first.slots["asked"],
        suggested=offered,
    )
    result = assistant.handle("answer_errand", choice)
    assert result.reply.topic == "sundhedskort"
    assert assistant.inbox.get(offered["inbox"]).chosen == "sundhedskort"


def test_two_close_errands_get_the_topic_menu_marked_as_a_menu(assistant):
    result = assistant.handle("clarify", unsure("qwerty uiop", ("pas", 0.25), ("koerekort", 0.2)))
    reply = result.reply
    assert reply.menu and reply.channel == "fallback" and reply.topic is None
    assert reply.text.startswith("Jeg er ikke helt sikker") and payloads(reply)[:2] == ["/pas", "/koerekort"]


@pytest.mark.parametrize("confidence", [0.19, 0.12])
def test_below_the_standout_floor_or_ratio_there_is_no_answer(assistant, confidence):
    """0.19 alone is below STANDOUT_CONFIDENCE; 0.3 against 0.12 is less than 3 times."""
    ranking = [("pas", confidence)] if confidence < answering.STANDOUT_CONFIDENCE else [("pas", 0.3)]
    ranking.append(("koerekort", confidence if confidence > 0.1 and len(ranking) == 1 else 0.12))
    reply = assistant.handle("clarify", unsure("qwerty uiop", *ranking)).reply
    assert reply.menu and reply.topic is None


def test_the_search_agreeing_with_a_faint_nlu_answers_first(assistant):
    """The NLU only 0.12 sure of the health card, the search's first
    suggestion the health card too: answered, not "Mente du …?"."""
    turn = unsure("kortet fra sygesikringen er i stykker", ("sundhedskort", 0.12), ("koerekort", 0.1))
    reply = assistant.handle("clarify", turn).reply
    assert reply.topic == "sundhedskort" and not reply.menu and "https://" in reply.text
    assert "/koerekort" in payloads(reply) and "Mente du noget andet?" in reply.text
    # The same message with the NLU pointing elsewhere: the offer, as before.
    text = "kortet fra sygesikringen er i stykker"
    other = assistant.handle("clarify", unsure(text, ("valg", 0.12), ("pas", 0.1))).reply
    assert other.menu and other.topic is None and "Ingen af dem" in [b["title"] for b in other.buttons]


def test_an_unsure_guess_of_none_of_the_errands_gets_the_scope_reply(assistant):
    """out_of_scope first in a fallback's ranking: no topic menu. With an
    errand near, the scope reply still offers it ("Mente du …?")."""
    far = unsure("hvornår er der julefrokost i foreningen", ("out_of_scope", 0.3), ("pas", 0.1))
    reply = assistant.handle("clarify", far).reply
    assert reply.channel == "out_of_scope" and not reply.menu and reply.topic is None
    near = unsure("hvornår er der julefrokost i foreningen", ("out_of_scope", 0.3), ("pas", 0.18), ("koerekort", 0.1))
    reply = assistant.handle("clarify", near).reply
    assert reply.channel == "out_of_scope" and reply.topic is None
    # An errand ahead of out_of_scope keeps the menu.
    ahead = unsure("qwerty uiop", ("pas", 0.25), ("out_of_scope", 0.22), ("koerekort", 0.2))
    assert assistant.handle("clarify", ahead).reply.menu


def test_english_gets_the_offer_in_english(assistant):
    turn = unsure("my son is going abroad this summer", ("pas", 0.4), ("sundhedskort", 0.1))
    reply = assistant.handle("clarify", turn).reply
    assert reply.topic == "pas" and reply.language == "en"
    assert reply.text.rstrip().endswith("Did you mean something else?")


def test_no_other_errand_no_offer(assistant):
    result = assistant.handle("clarify", unsure("qwerty uiop", ("pas", 0.5)))
    assert result.reply.topic == "pas" and "Mente du noget andet?" not in result.reply.text
    # No "Mente du …?" options; the errand the assistant chose is still kept
    # for one turn, so a correction reaches the editors' inbox.
    suggested = result.slots["suggested"] or {}
    assert not suggested.get("options") and suggested.get("decided", {}).get("intent") == "pas"


def test_out_of_scope_offers_suggestions_only_when_an_errand_is_near(assistant):
    text = "mit gule kort er knækket"
    far = assistant.handle(
        "out_of_scope", unsure(text, ("out_of_scope", 0.8), ("sundhedskort", 0.1), intent="out_of_scope")
    ).reply
    assert far.channel == "out_of_scope" and not far.buttons and not far.menu
    assert "Det kan jeg desværre ikke hjælpe med" in far.text and "nyborg.dk" in far.text
    near = assistant.handle(
        "out_of_scope", unsure(text, ("out_of_scope", 0.6), ("sundhedskort", 0.2), intent="out_of_scope")
    ).reply
    assert near.menu and near.buttons[0]["payload"] == json_payload("sundhedskort", situation="mistet")


def json_payload(intent, **entities):
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}"
