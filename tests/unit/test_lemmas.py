"""The lookup lemma table (bot/chat/lemmas.py)."""

from __future__ import annotations

import pytest

from bot.chat.lemmas import load_table
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def table():
    return load_table(str(PROJECT_ROOT / "build" / "spacy-da"))


@pytest.mark.parametrize(
    "word,lemma",
    [
        ("toer", "tø"),  # "tør", as the table lemmatises it
        ("slaar", "slå"),
        ("gaar", "gå"),
        ("tør", "tø"),  # Danish spelling: the table's own answer
        ("vaere", "vaere"),  # "være" is its own lemma: nothing to find
        ("poet", "poet"),  # "oe" that is no "ø": "pøt" is no word either
    ],
)
def test_a_word_without_the_danish_letters_finds_its_lemma(table, word, lemma):
    assert table.lemma_any_spelling(word) == lemma


def test_the_plain_lookup_keeps_the_word_as_written(table):
    """Only lemma_any_spelling unfolds; the NLU tokenizer's features stay as trained."""
    assert table.lemma("toer") == "toer"


def test_the_passport_is_not_the_verb_passe(table):
    """LEMMA_OVERRIDES in bot/ops/spacy_pipeline.py."""
    assert (table.lemma("pas"), table.lemma("passet")) == ("pas", "pas")
    assert (table.lemma("passer"), table.lemma("passe")) == ("passe", "passe")
