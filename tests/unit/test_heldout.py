"""The held-out layout (bot/content/heldout.py): one folder per set, one
file per intent for the messages, every file through the one loader, and
the items written beside the training data kept out of the headline.

The sealed set is only loaded here, to check its files; nothing scores it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content import evaluation, heldout
from bot.knowledge.loader import load_knowledge
from bot.ops.evaluate import evaluate_set
from bot.settings import PROJECT_ROOT

SETS = {"open": PROJECT_ROOT / heldout.OPEN, "sealed": PROJECT_ROOT / heldout.SEALED}


@pytest.fixture(scope="module")
def topics():
    knowledge = load_knowledge(PROJECT_ROOT / "knowledge")
    return {key: {s.key for s in topic.situations} for key, topic in knowledge.topics.items()}


@pytest.fixture(scope="module")
def intents(topics):
    """The intents a held-out message may be labelled with."""
    return {*topics, "needs_assistance", "out_of_scope"}


@pytest.mark.parametrize("name", SETS)
def test_every_errand_has_its_messages_file(name, intents):
    files = {path.stem for path in (SETS[name] / heldout.MESSAGES).glob("*.yml")}
    assert files - {heldout.REAL} == intents


@pytest.mark.parametrize("name", SETS)
def test_real_questions_name_a_known_intent_and_where_they_were_found(name, intents):
    """real.yml is the one mixed file: every item's own intent must be one
    the assistant knows, and its page must be recorded."""
    real = [m for m in heldout.load_messages(SETS[name], None, intents) if m.get("voice") == "real"]
    assert real
    assert all(m["url"].startswith(("http://", "https://")) and m["lang"] in heldout.LANGS for m in real)


def test_real_questions_of_one_site_stay_on_one_side():
    """The split was made per site, so a site's phrasing cannot leak from
    the open set into the sealed one."""
    sites = {
        name: {m["site"] for m in heldout.load_messages(folder, None) if m.get("voice") == "real"}
        for name, folder in SETS.items()
    }
    assert not sites["open"] & sites["sealed"]


@pytest.mark.parametrize("name", SETS)
def test_every_file_of_a_set_loads(name, topics):
    folder = SETS[name]
    assert heldout.load_messages(folder, None)
    assert all(heldout.load_sensitive(folder, None).values())
    assert all(heldout.load_search(folder, topics).values())
    assert heldout.load_conversations(folder, set(topics))
    assert all(heldout.load_cases(folder, set(topics)).values())


def test_only_the_open_set_has_items_written_beside_the_training_data():
    beside = heldout.BESIDE_TRAINING
    assert heldout.load_messages(SETS["open"], beside)
    assert all(heldout.load_sensitive(SETS["open"], beside).values())
    assert not heldout.load_messages(SETS["sealed"], beside)
    assert not any(heldout.load_sensitive(SETS["sealed"], beside).values())


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "item,message",
    [
        (
            '{text: "hvor er mit pas", intent: koerekort}',
            r"messages\[0\]\.intent must be 'pas' \(one file per intent\)",
        ),
        ('{text: "hvor er mit pas", intent: pas, written: yesterday}', r"messages\[0\]\.written must be one of"),
        ("{intent: pas}", r"messages\[0\] needs 'text'"),
    ],
    ids=("another intent", "unknown written", "no text"),
)
def test_a_message_that_cannot_be_used_is_named(tmp_path, item, message):
    path = write(tmp_path / heldout.MESSAGES / "pas.yml", f"messages:\n  - {item}\n")
    with pytest.raises(heldout.HeldOutError, match=re.escape(f"{path}: ") + message):
        heldout.load_messages(tmp_path)


@pytest.mark.parametrize(
    "item,message",
    [
        (
            '{text: "hvor er mit pas", intent: pas, source: faq, site: kk.dk, lang: da}',
            r"messages\[0\]\.url is missing",
        ),
        (
            '{text: "hvor er mit pas", intent: pas, source: faq, lang: da, url: "https://kk.dk/pas"}',
            r"messages\[0\]\.site is missing",
        ),
        (
            '{text: "hvor er mit pas", intent: pas, source: faq, site: kk.dk, lang: da, url: "kk.dk/pas"}',
            r"messages\[0\]\.url must be an http\(s\) address",
        ),
        (
            '{text: "hvor er mit pas", intent: pas, source: faq, site: kk.dk, lang: sv, url: "https://kk.dk/pas"}',
            r"messages\[0\]\.lang must be one of da, en",
        ),
        (
            '{text: "hvor er mit pas", intent: pass, source: faq, site: kk.dk, lang: da, url: "https://kk.dk/pas"}',
            r"messages\[0\]\.intent: unknown intent 'pass'",
        ),
    ],
    ids=("no url", "no site", "url not an address", "unknown language", "unknown intent"),
)
def test_a_real_question_that_cannot_be_used_is_named(tmp_path, item, message):
    path = write(tmp_path / heldout.MESSAGES / f"{heldout.REAL}.yml", f"messages:\n  - {item}\n")
    with pytest.raises(heldout.HeldOutError, match=re.escape(f"{path}: ") + message):
        heldout.load_messages(tmp_path, intents={"pas"})


def test_a_conversation_id_is_used_once(tmp_path):
    turn = '{user: "hej", channel: small_talk}'
    write(tmp_path / heldout.CONVERSATIONS / "a.yml", f"conversations:\n  - {{id: one, turns: [{turn}]}}\n")
    write(tmp_path / heldout.CONVERSATIONS / "b.yml", f"conversations:\n  - {{id: one, turns: [{turn}]}}\n")
    with pytest.raises(heldout.HeldOutError, match=r"b\.yml: conversations\[0\]: id 'one' is used twice"):
        heldout.load_conversations(tmp_path)


def test_a_case_needs_a_known_errand_and_kind(tmp_path):
    write(
        tmp_path / "cases.yml", 'case: [{text: "x", intent: pas}]\nsensitive: [{text: "y", kind: other}]\nplain: []\n'
    )
    with pytest.raises(heldout.HeldOutError, match=r"sensitive\[0\]\.kind must be one of"):
        heldout.load_cases(tmp_path, {"pas"})


def test_the_headline_scores_only_the_items_written_apart():
    """With a parse that always knows the right intent: the headline counts
    exactly the messages written apart (less those identical to a training
    example), and the older ones are scored on their own."""
    apart = heldout.load_messages(SETS["open"])
    beside = heldout.load_messages(SETS["open"], heldout.BESIDE_TRAINING)
    gold = {m["text"]: m["intent"] for m in apart + beside}

    def parse(text):
        intent = {"name": gold.get(text, "out_of_scope"), "confidence": 1.0}
        return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": []}

    report = evaluate_set(PROJECT_ROOT, False, {"messages"}, parse)["data"]
    messages, older = report["messages"], report["messages_beside_training"]
    assert messages["examples"] + messages["identical_to_training"] == len(apart)
    assert older["examples"] == len(beside)
    assert not {m["text"] for m in messages["misclassified"]} & {m["text"] for m in beside}


def test_the_conversation_evaluation_counts_the_first_replys_channel_and_the_menus():
    """ "first" needs the channel and the topic; "first_channel" the channel
    alone; "menus" counts a conversation once, whichever turn got one."""
    replies = {
        ("a", "hej"): {"channel": "small_talk"},
        ("a", "pas"): {"channel": "booking", "topic": "koerekort"},
        ("b", "øh"): {"channel": "fallback", "menu": True},
        ("b", "pas"): {"channel": "booking", "topic": "pas", "menu": True},
        ("c", "pas"): {"channel": "selfservice", "topic": "pas"},
    }
    conversations = [
        {"id": "a", "kind": "k", "turns": [{"user": "hej", "channel": "small_talk"}, booking_pas("pas")]},
        {"id": "b", "kind": "k", "turns": [{"user": "øh", "channel": "fallback"}, booking_pas("pas")]},
        {"id": "c", "kind": "k", "turns": [booking_pas("pas")]},
    ]
    report = evaluation.evaluate_conversations(lambda cid, text: replies[(cid, text)], conversations)
    total = report["total"]
    assert (total["first"], total["first_channel"], total["menus"]) == (1, 2, 1)
    assert "first reply gives the required channel: 66.7% (2/3)" in evaluation.format_conversations(report)


def booking_pas(user):
    return {"user": user, "channel": "booking", "topic": "pas"}


def test_only_a_callback_for_the_matter_itself_counts_as_escalating_a_plain_question():
    from bot.content.evaluation import escalated, evaluate_cases

    replies = {
        "own callback situation": {"channel": "callback", "topic": "valg", "situation": "hjemme"},
        "escalated": {"channel": "callback", "topic": "valg", "escalated": "personal"},
        "urgent": {"channel": "urgent", "escalated": "suicide"},
        "answer": {"channel": "selfservice", "topic": "valg"},
    }
    assert [escalated(r) for r in replies.values()] == [None, "callback", "urgent", None]
    report = evaluate_cases(
        lambda _conversation, text: replies[text],
        {
            "case": [{"text": "own callback situation", "intent": "valg"}],
            "sensitive": [{"text": "escalated", "kind": "health_errand"}],
            "plain": [{"text": t, "intent": "valg"} for t in ("own callback situation", "escalated", "answer")],
        },
    )
    # The citizen with a case reached a callback either way.
    assert report["case_callback"] == 1.0
    assert report["plain_escalations"] == [("escalated", "valg", "callback")]
    assert report["plain_own_callback"] == ["own callback situation"]


def test_messages_scored_by_the_reply_the_citizen_got():
    """Issue 26: what the first reply did, read as an intent. An assisted
    reply is needs_assistance with or without its errand; the scope reply
    and a "didn't understand" without a menu are out of scope; a topic menu
    is neither an errand nor out of scope; each message its own conversation."""
    from bot.content.evaluation import evaluate_replies, format_replies, reply_intent

    replies = {
        "pas": {"channel": "booking", "topic": "pas"},
        "kreditkort": {"channel": "out_of_scope", "menu": True},
        "hmm": {"channel": "fallback"},
        "noget": {"channel": "fallback", "menu": True},
        "ingen computer, pas": {"channel": "assisted", "topic": "pas"},
        "min søn vil have pas": {"channel": "callback", "escalated": "personal"},
    }
    assert [reply_intent(r) for r in replies.values()] == [
        "pas",
        "out_of_scope",
        "out_of_scope",
        "menu",
        "needs_assistance",
        "callback",
    ]
    conversations = []

    def converse(conversation, text):
        conversations.append(conversation)
        return replies[text]

    items = [
        {"text": "pas", "intent": "pas", "voice": "real"},
        {"text": "kreditkort", "intent": "out_of_scope", "voice": "real"},
        {"text": "noget", "intent": "out_of_scope"},
        {"text": "ingen computer, pas", "intent": "needs_assistance"},
        {"text": "min søn vil have pas", "intent": "pas"},
    ]
    report = evaluate_replies(converse, items, ("pas", "needs_assistance", "out_of_scope"))
    assert len(set(conversations)) == len(items)
    assert report["per_intent"]["out_of_scope"]["recall"] == 0.5
    assert report["per_voice"]["real"]["accuracy"] == 1.0
    assert "  miss: 'min søn vil have pas': pas -> callback" in format_replies(report)


def test_errand_messages_escalated_by_the_first_reply_are_counted():
    """A callback about the right errand reads as that errand, so an errand
    question refused as a case would pass unseen: the report counts errand
    messages whose reply escalated, unless their label names a situation
    whose own answer is the callback."""
    from bot.content.evaluation import evaluate_replies, format_replies

    replies = {
        "hvordan fornyer jeg mit pas": {"channel": "booking", "topic": "pas"},
        "jeg startede i nyt job og er blevet syg": {"channel": "callback", "topic": "sygemelding", "escalated": "case"},
        "jeg vil klage over afslaget på pas": {"channel": "callback", "topic": "pas", "escalated": "case"},
        "kan min far stemme hjemme": {"channel": "callback", "topic": "valg"},
        "vejret i morgen": {"channel": "out_of_scope"},
    }
    items = [
        {"text": "hvordan fornyer jeg mit pas", "intent": "pas"},
        {"text": "jeg startede i nyt job og er blevet syg", "intent": "sygemelding"},
        {"text": "jeg vil klage over afslaget på pas", "intent": "pas", "situation": "klage"},
        {"text": "kan min far stemme hjemme", "intent": "valg", "situation": "hjemme"},
        {"text": "vejret i morgen", "intent": "out_of_scope"},
    ]
    callbacks = {"pas": {"klage"}, "sygemelding": set(), "valg": {"hjemme"}}
    report = evaluate_replies(
        lambda conversation, text: replies[text], items, ("pas", "sygemelding", "valg", "out_of_scope"), callbacks
    )
    assert report["errand_escalations"] == [("jeg startede i nyt job og er blevet syg", "sygemelding", "case")]
    assert report["errand_messages"] == 4 and report["errand_escalated"] == 0.25
    assert "errand messages escalated (a callback as a case or sensitive matter, or 112): 1 of 4 (25.0%)" in (
        format_replies(report)
    )
