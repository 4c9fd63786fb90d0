"""Held-out NLU evaluation: never-trained examples through the running server."""
from __future__ import annotations

import json

import pytest

from bot.nlu_eval import HELDOUT, evaluate, format_report, load_heldout
from conftest import PROJECT_ROOT

pytestmark = pytest.mark.server


def normalise(text):
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def test_heldout_examples_are_never_in_training():
    from rasa.shared.nlu.training_data.loading import load_data

    training = {normalise(m.get("text")) for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples}
    leaked = [text for text, _ in load_heldout() if normalise(text) in training]
    assert not leaked, leaked


def test_heldout_macro_f1(stack):
    report = evaluate(stack.url, load_heldout(HELDOUT))
    out = PROJECT_ROOT / "results" / "nlu_heldout.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print("\n" + format_report(report))
    assert report["macro_f1_errands"] >= 0.90, format_report(report)
