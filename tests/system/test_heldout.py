"""The held-out sets through the real Rasa and action servers, with floors.

tests/heldout/ and tests/conversations_heldout/ were written apart from
the training data, in other voices, and are never trained on; the sealed
part (tests/sealed/) is only run by `kommunebot eval --sealed`. Targets are
reported by `kommunebot eval`; these tests fail below the floors.
"""

from __future__ import annotations

import json

import pytest

from bot.content import evaluation
from bot.ops.evaluate import barrier_reader, converser, escalation
from bot.ops.http import rasa_parser
from tests.conftest import PROJECT_ROOT

OPEN = PROJECT_ROOT / evaluation.OPEN
F1_FLOOR = 0.90
FIRST_REPLY_FLOOR = 0.90
FALSE_ESCALATION_CEILING = 0.02


def test_heldout_texts_identical_to_training_are_left_out():
    """Short messages ("pas", "hej") were written on both sides
    independently; the evaluation leaves them out and says how many."""
    trained = evaluation.training_texts(PROJECT_ROOT)
    items = evaluation.load_messages(OPEN / "messages.yml")
    kept, skipped = evaluation.unseen(items, trained)
    assert len(kept) + skipped == len(items) and skipped < len(items) * 0.1
    assert not {evaluation.normalise(m["text"]) for m in kept} & trained


def _save(name, report):
    out = PROJECT_ROOT / "results" / f"heldout-{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))


def test_messages_macro_f1(stack):
    items, _ = evaluation.unseen(
        evaluation.load_messages(OPEN / "messages.yml"), evaluation.training_texts(PROJECT_ROOT)
    )
    report = evaluation.evaluate_messages(
        rasa_parser(stack.url, stack.api_token),
        items,
        evaluation.scored_intents(PROJECT_ROOT),
        barrier_reader(PROJECT_ROOT),
    )
    report.pop("gold"), report.pop("predicted")
    _save("messages", report)
    print("\n" + evaluation.format_report(report))
    assert report["macro_f1"] >= F1_FLOOR, evaluation.format_report(report)


def test_personal_versus_plain(stack):
    trained = evaluation.training_texts(PROJECT_ROOT)
    sets = {k: evaluation.unseen(v, trained)[0] for k, v in evaluation.load_sensitive(OPEN / "sensitive.yml").items()}
    report = evaluation.evaluate_sensitive(escalation(converser(stack)), sets)
    _save("sensitive", report)
    text = evaluation.format_sensitive(report)
    print("\n" + text)
    assert report["false_escalation"] <= FALSE_ESCALATION_CEILING, text
    assert report["personal_recall"] == 1.0, text
    assert report["urgent_recall"] == 1.0, text


@pytest.fixture(scope="module")
def conversations(stack):
    topics = set(evaluation.scored_intents(PROJECT_ROOT))
    paths = sorted((PROJECT_ROOT / evaluation.CONVERSATIONS_OPEN).glob("*.yml"))
    report = evaluation.evaluate_conversations(converser(stack), evaluation.load_conversations(paths, topics))
    _save("conversations", report)
    return report


def test_conversations_first_reply_right_channel(conversations):
    total = conversations["total"]
    text = evaluation.format_conversations(conversations)
    print("\n" + text)
    assert total["conversations"] >= 150
    assert total["first"] / total["conversations"] >= FIRST_REPLY_FLOOR, text


NEAR_FLOOR = 0.5  # measured 0.55 on the open set (2026-12-02); a floor against regressions


@pytest.fixture(scope="module")
def search_report():
    from bot.ops.evaluate import evaluate_search

    report = evaluate_search(PROJECT_ROOT, OPEN / "search.yml")
    _save("search", report)
    print("\n" + evaluation.format_search(report))
    return report


def test_search_suggests_for_close_questions(search_report):
    assert search_report["near_hit"] >= NEAR_FLOOR, evaluation.format_search(search_report)


def test_search_stays_away_from_nonsense(search_report):
    assert search_report["nonsense_suggested"] == [], evaluation.format_search(search_report)


def test_heldout_nonsense_gets_no_suggestion_through_the_servers(stack):
    """What the citizen sees: held-out nonsense typed into the real chat
    never gets "Mente du …?" buttons, whatever the NLU made of it."""
    sets = evaluation.load_search(OPEN / "search.yml")
    offered = []
    for n, item in enumerate(sets["nonsense"]):
        _, reply = stack.send(f"nonsense-{n}", item["text"])
        buttons = [b.get("title") for m in reply for b in m.get("buttons") or []]
        if "Ingen af dem" in buttons or any("Mente du" in (m.get("text") or "") for m in reply):
            offered.append(item["text"])
    assert offered == []
