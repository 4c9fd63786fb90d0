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


def _normalise(text):
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def _heldout_texts():
    topics = set(evaluation.scored_intents(PROJECT_ROOT))
    texts = []
    for folder in (OPEN, PROJECT_ROOT / evaluation.SEALED):
        texts += [m["text"] for m in evaluation.load_messages(folder / "messages.yml")]
        texts += [m["text"] for part in evaluation.load_sensitive(folder / "sensitive.yml").values() for m in part]
    paths = [
        *sorted((PROJECT_ROOT / evaluation.CONVERSATIONS_OPEN).glob("*.yml")),
        PROJECT_ROOT / evaluation.SEALED / "conversations.yml",
    ]
    texts += [t["user"] for c in evaluation.load_conversations(paths, topics) for t in c["turns"]]
    return texts


def test_no_heldout_text_is_trained_on():
    from rasa.shared.nlu.training_data.loading import load_data

    training = {_normalise(m.get("text")) for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples}
    leaked = sorted({t for t in _heldout_texts() if _normalise(t) in training})
    assert not leaked, leaked


def _save(name, report):
    out = PROJECT_ROOT / "results" / f"heldout-{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))


def test_messages_macro_f1(stack):
    items = evaluation.load_messages(OPEN / "messages.yml")
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
    report = evaluation.evaluate_sensitive(
        escalation(converser(stack)), evaluation.load_sensitive(OPEN / "sensitive.yml")
    )
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
