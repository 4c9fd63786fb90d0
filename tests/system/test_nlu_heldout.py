"""Held-out NLU evaluation: never-trained examples through the running server."""

from __future__ import annotations

import json

import pytest

from bot.content.evaluation import HELDOUT, errand_intents, evaluate, format_report, load_heldout
from bot.ops.http import rasa_parser
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def report(stack):
    """One pass of the held-out set through the real server, shared by the checks."""
    return evaluate(
        rasa_parser(stack.url, stack.api_token), load_heldout(PROJECT_ROOT / HELDOUT), errand_intents(PROJECT_ROOT)
    )


def normalise(text):
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def test_heldout_examples_are_never_in_training():
    from rasa.shared.nlu.training_data.loading import load_data

    training = {normalise(m.get("text")) for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples}
    leaked = [text for text, _ in load_heldout(PROJECT_ROOT / HELDOUT) if normalise(text) in training]
    assert not leaked, leaked


def test_heldout_macro_f1(report):
    out = PROJECT_ROOT / "results" / "nlu_heldout.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print("\n" + format_report(report))
    assert report["macro_f1_errands"] >= 0.90, format_report(report)


# Per-intent F1 of the four original errands before flytning, sundhedskort,
# mitid and digital_post were added (kommunebot eval, 2026-11-22). New
# errands may cost each of them at most 0.02.
BEFORE_NEW_ERRANDS = {"pas": 1.000, "koerekort": 1.000, "affald": 0.939, "sygemelding": 0.958}


def test_original_errands_lose_at_most_002_f1(report):
    lost = {
        intent: (before, report["per_intent"][intent]["f1"])
        for intent, before in BEFORE_NEW_ERRANDS.items()
        if report["per_intent"][intent]["f1"] < before - 0.02
    }
    assert not lost, format_report(report)
