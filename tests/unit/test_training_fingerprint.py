"""`kommunebot train` retrains only when the model depends on what changed."""

from __future__ import annotations

import re

import pytest

from bot.ops.training import training_fingerprint
from tests.conftest import copy_content


@pytest.fixture
def content(tmp_path):
    return copy_content(tmp_path)


def test_answer_texts_do_not_retrain(content):
    before = training_fingerprint(content)
    pas = content / "knowledge" / "national" / "pas.yml"
    text = pas.read_text(encoding="utf-8")
    edited = re.sub(r"(  text: >-\n\s+)", r"\1Nyt: ", text, count=1)
    assert edited != text
    pas.write_text(edited, encoding="utf-8")
    assert training_fingerprint(content) == before


def test_a_situation_keyword_retrains(content):
    before = training_fingerprint(content)
    pas = content / "knowledge" / "national" / "pas.yml"
    pas.write_text(pas.read_text(encoding="utf-8").replace("keywords: [mistet,", "keywords: [forsvundet, mistet,", 1))
    assert training_fingerprint(content) != before


def test_an_errand_word_retrains(content):
    """The intent classifier keeps each errand's words in the model."""
    before = training_fingerprint(content)
    pas = content / "knowledge" / "national" / "pas.yml"
    pas.write_text(pas.read_text(encoding="utf-8").replace("words: [pas,", "words: [pas, rejsepas,", 1))
    assert training_fingerprint(content) != before


def test_training_data_retrains(content):
    before = training_fingerprint(content)
    nlu = next((content / "data").rglob("*.yml"))
    nlu.write_text(nlu.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert training_fingerprint(content) != before


def test_broken_knowledge_still_gives_a_fingerprint(content):
    (content / "knowledge" / "national" / "pas.yml").write_text("topic: [unclosed", encoding="utf-8")
    assert re.fullmatch(r"[0-9a-f]{64}", training_fingerprint(content))


def test_a_rebuilt_lemma_table_retrains(content):
    """The pipeline's tokenizer reads the SQLite lemma table: a new table is a new model."""
    import sqlite3

    from bot.chat.lemmas import FILE, write_table

    (content / "build" / "spacy-da").mkdir(parents=True)
    table = content / "build" / "spacy-da" / FILE
    write_table({"passet": "pas"}, table)
    before = training_fingerprint(content)
    write_table({"passet": "pas", "pladsen": "plads"}, table)
    assert sqlite3.connect(table).execute("SELECT count(*) FROM lemma").fetchone() == (2,)
    assert training_fingerprint(content) != before
