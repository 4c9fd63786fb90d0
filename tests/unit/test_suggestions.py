"""Search when no intent fits: "Mente du …?" buttons from the knowledge
base, and the fallback inbox records which suggestion, if any, was chosen."""

from __future__ import annotations

import json

import pytest

from bot.chat.conversation import Assistant, Turn
from bot.knowledge.build import build_database
from bot.knowledge.search import KnowledgeSearch
from bot.records.inbox import Inbox


@pytest.fixture
def assistant(knowledge, tmp_path):
    search = KnowledgeSearch(build_database(knowledge, tmp_path / "knowledge.db"))
    inbox = Inbox(tmp_path / "data.db")
    yield Assistant(knowledge, None, "nyborg", inbox=inbox, search=search)
    search.close()
    inbox.close()


def oos(text, **slots):
    """Out of scope with an errand near in the NLU's ranking: the offer is
    made only then (tests/unit/test_answering_first.py has the far case)."""
    ranking = [{"name": "out_of_scope", "confidence": 0.6}, {"name": "sundhedskort", "confidence": 0.2}]
    return Turn(intent="out_of_scope", confidence=0.6, text=text, intent_ranking=ranking, **slots)


def payload(button):
    intent, _, entities = button["payload"][1:].partition("{")
    values = json.loads("{" + entities) if entities else {}
    return Turn(
        intent=intent,
        confidence=1.0,
        text=button["payload"],
        entities=[{"entity": k, "value": v} for k, v in values.items()],
    )


def offer(assistant, text="mit gule kort er knækket"):
    result = assistant.handle("out_of_scope", oos(text))
    return result.reply, result.slots["suggested"]


def test_a_close_question_gets_suggestions_and_a_way_out(assistant):
    reply, suggested = offer(assistant)
    assert reply.text.startswith("Jeg er ikke sikker på, at jeg har forstået dig. Mente du")
    titles = [b["title"] for b in reply.buttons]
    assert titles[0] == "Sundhedskort: Jeg har mistet mit kort, eller det er i stykker"
    assert titles[-1] == "Ingen af dem" and reply.buttons[-1]["payload"] == "/out_of_scope"
    assert 2 <= len(reply.buttons) <= 4
    message = assistant.inbox.get(suggested["inbox"])
    assert message.suggestions == tuple(suggested["options"]) and message.chosen is None
    assert message.outcome == "out_of_scope" and message.text == "mit gule kort er knækket"


def test_the_chosen_suggestion_is_recorded_and_answered(assistant):
    reply, suggested = offer(assistant)
    result = assistant.handle("answer_errand", replace_slots(payload(reply.buttons[0]), suggested))
    assert result.reply.topic == "sundhedskort" and result.reply.situation == "mistet"
    assert assistant.inbox.get(suggested["inbox"]).chosen == "sundhedskort/mistet"
    assert result.slots["suggested"] is None  # the offer lasts one turn


def test_none_of_them_and_a_new_message_are_recorded_as_none(assistant):
    reply, suggested = offer(assistant)
    result = assistant.handle("out_of_scope", replace_slots(payload(reply.buttons[-1]), suggested))
    assert "Det kan jeg desværre ikke hjælpe med" in result.reply.text and not result.reply.buttons
    assert assistant.inbox.get(suggested["inbox"]).chosen == "none"
    _, again = offer(assistant)
    assistant.handle("answer_errand", Turn(intent="pas", confidence=0.9, text="jeg skal have pas", suggested=again))
    assert assistant.inbox.get(again["inbox"]).chosen == "none"


def test_a_forged_choice_is_not_written_and_a_choice_counts_once(assistant):
    reply, suggested = offer(assistant)
    forged = Turn(intent="pas", confidence=1.0, text='/pas{"situation": "pris"}', suggested=suggested)
    forged.entities = [{"entity": "situation", "value": "pris"}]
    assistant.handle("answer_errand", forged)
    assert assistant.inbox.get(suggested["inbox"]).chosen == "none"
    assistant.handle("answer_errand", replace_slots(payload(reply.buttons[0]), suggested))
    assert assistant.inbox.get(suggested["inbox"]).chosen == "none"
    assert not assistant.inbox.choose(suggested["inbox"], "<script>")


def test_nonsense_gets_the_plain_reply_and_no_offer(assistant):
    result = assistant.handle("out_of_scope", oos("asdfgh qwerty"))
    assert "Det kan jeg desværre ikke hjælpe med" in result.reply.text
    assert result.slots["suggested"] is None and not result.reply.buttons
    (message,) = assistant.inbox.list()
    assert message.suggestions == () and message.chosen is None


def test_a_broken_search_still_answers(assistant, monkeypatch):
    monkeypatch.setattr(assistant.search, "suggest", lambda text: 1 / 0)
    result = assistant.handle("out_of_scope", oos("mit gule kort er knækket"))
    assert "Det kan jeg desværre ikke hjælpe med" in result.reply.text


def replace_slots(turn, suggested):
    turn.suggested = suggested
    return turn


def test_an_unsure_nlu_offers_the_search_before_the_errand_list(assistant):
    turn = Turn(intent="nlu_fallback", confidence=0.4, text="mit gule kort er knækket")
    result = assistant.handle("clarify", turn)
    assert result.reply.channel == "fallback" and result.reply.outcome == "fallback"
    assert result.reply.buttons[0]["payload"] == '/sundhedskort{"situation": "mistet"}'
    assert assistant.inbox.get(result.slots["suggested"]["inbox"]).outcome == "fallback"
    plain = assistant.handle("clarify", Turn(intent="nlu_fallback", confidence=0.4, text="qwerty uiop"))
    assert plain.slots["suggested"] is None and plain.reply.text.startswith("Jeg er ikke helt sikker")
