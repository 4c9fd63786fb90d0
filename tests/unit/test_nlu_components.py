"""The project's own Rasa NLU components, trained and run on small data
with Rasa's real model storage (glue/situation_classifier.py,
glue/intent_ensemble.py)."""

from __future__ import annotations

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from glue.intent_ensemble import IntentEnsemble
from glue.situation_classifier import SITUATIONS, SituationClassifier
from tests.conftest import KNOWLEDGE_DIR

NLU = """version: "3.1"
nlu:
- intent: pas
  examples: |
    - jeg har [mistet]{"entity": "situation", "value": "mistet"} mit pas
    - passet er [stjålet]{"entity": "situation", "value": "mistet"}
    - mit pas er [væk]{"entity": "situation", "value": "mistet"}
    - passet blev [stjaalet]{"entity": "situation", "value": "mistet"} i spanien
    - hvad [koster]{"entity": "situation", "value": "pris"} et pas
    - [pris]{"entity": "situation", "value": "pris"} på pas
    - hvad skal jeg [betale]{"entity": "situation", "value": "pris"} for et pas
    - pas
    - jeg skal have et pas
    - hvordan søger jeg om pas
- intent: affald
  examples: |
    - hvornår bliver skraldet hentet
    - skraldespanden blev ikke tømt
    - hvor er genbrugspladsen
    - hvordan sorterer jeg affald
"""


@pytest.fixture
def training_data(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text(NLU, encoding="utf-8")
    return load_data(str(path))


def storage(tmp_path):
    (tmp_path / "storage").mkdir(exist_ok=True)
    return LocalModelStorage(tmp_path / "storage")


def test_situation_classifier_trains_persists_and_reads_paraphrases(tmp_path, training_data):
    model_storage = storage(tmp_path)
    resource = Resource("situations")
    config = {**SituationClassifier.get_default_config(), "knowledge": str(KNOWLEDGE_DIR)}
    SituationClassifier.create(config, model_storage, resource, None).train(training_data)
    loaded = SituationClassifier.load(config, model_storage, resource, None)
    (message,) = loaded.process([Message(data={"text": "hvad koster det"})])
    ranking = message.get(SITUATIONS)["pas"]
    # The knowledge base's keywords map the annotated values onto pas's situations.
    assert ranking[0]["name"] == "pris"
    assert {r["name"] for r in ranking} <= {"", "pris", "bortkommet"}
    assert "affald" not in message.get(SITUATIONS)  # no situations annotated there


def test_situation_classifier_without_a_trained_model_adds_nothing(tmp_path):
    config = SituationClassifier.get_default_config()
    loaded = SituationClassifier.load(config, storage(tmp_path), Resource("never-trained"), None)
    (message,) = loaded.process([Message(data={"text": "hvad koster det"})])
    assert message.get(SITUATIONS) is None


def test_intent_ensemble_averages_and_a_named_errand_wins_over_assistance(tmp_path, training_data):
    model_storage = storage(tmp_path)
    resource = Resource("ensemble")
    config = {**IntentEnsemble.get_default_config(), "knowledge": str(KNOWLEDGE_DIR)}
    IntentEnsemble.create(config, model_storage, resource, None).train(training_data)
    loaded = IntentEnsemble.load(config, model_storage, resource, None)
    ranking = [{"name": "needs_assistance", "confidence": 0.7}, {"name": "pas", "confidence": 0.3}]
    message = Message(data={"text": "Goddag, jeg er 81 år, mit gamle pas er udløbet", "intent_ranking": ranking})
    (message,) = loaded.process([message])
    assert message.get("intent")["name"] == "pas"
    assert message.get("diet_ranking") == ranking
    # Out of scope is never overruled by an errand's word.
    oos = [{"name": "out_of_scope", "confidence": 0.9}, {"name": "pas", "confidence": 0.1}]
    (message,) = loaded.process([Message(data={"text": "pasning af min hund", "intent_ranking": oos})])
    assert message.get("intent")["name"] == "out_of_scope"
