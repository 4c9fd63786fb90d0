"""Rasa NLU component: how sure the model is that the message tells of the
citizen's own case, and that it tells of a sensitive matter.

Thin glue around bot.chat.situation_model.SituationModel, used here with two
"topics" over one shared vectoriser (the n-gram analysis is most of a
prediction's cost and of the model's memory, so the two readings share it):

- ``case``: the examples that tell of an own case are the NLU examples whose
  intent block carries ``metadata: {case: true}`` (data/nlu/cases.yml, one
  block per errand, so the same sentences also teach the intent classifier
  the case's errand); every other example of an errand, of out_of_scope,
  needs_assistance or small talk is a counter-example
  (bot/chat/case_matter.py ``case_examples``).
- ``sensitive``: the examples of personal and urgent matters, and the
  errand blocks marked ``metadata: {sensitive: true}``
  (data/nlu/sensitive_errands.yml: a sensitive matter told inside an errand
  question, which the intent model rightly reads as the errand); every other
  example is a counter-example (bot/chat/sensitive.py ``sensitive_examples``).

It adds ``case: {"confidence": p}`` and ``sensitive: {"confidence": p}`` to
every parse result; the action server decides (bot/chat/message.py).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.chat.case_matter import CASE_LABEL, case_examples
from bot.chat.sensitive import SENSITIVE_LABEL, sensitive_examples
from bot.chat.situation_model import Example, SituationModel
from glue.pickled_component import PickledComponent

log = logging.getLogger(__name__)
CASE = "case"
SENSITIVE = "sensitive"
# Each reading: the parse key, its positive label, and how its examples are chosen.
READINGS = {CASE: (CASE_LABEL, case_examples), SENSITIVE: (SENSITIVE_LABEL, sensitive_examples)}


def marked(message: Message, mark: str) -> bool:
    """The example's intent block says ``metadata: {<mark>: true}``."""
    metadata = message.get(METADATA) or {}
    intent_metadata = metadata.get(METADATA_INTENT) if isinstance(metadata, dict) else None
    return isinstance(intent_metadata, dict) and intent_metadata.get(mark) is True


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class MatterClassifier(PickledComponent):
    FILE = "matter.pkl"
    MISSING = "own cases and sensitive matters are read from the phrase lists alone"
    read_model = staticmethod(SituationModel.load)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # c: the logistic regressions' inverse regularisation; config.yml
        # sets the measured value.
        return {"random_seed": 4242, "c": 8.0}

    def train(self, training_data: TrainingData) -> Resource:
        examples: list[Example] = []
        for reading, (positive, choose) in READINGS.items():
            texts, labels = choose(
                [(m.get(TEXT), m.get(INTENT), marked(m, reading)) for m in training_data.intent_examples]
            )
            if positive not in labels or len(set(labels)) < 2:
                # Without both kinds there is nothing to learn; say so rather
                # than train a model that always answers one way.
                log.warning("no intent block with metadata %s: true in the NLU data; no %s model", reading, reading)
                continue
            examples += [Example(reading, text, label) for text, label in zip(texts, labels, strict=True)]
        model = SituationModel.fit(examples, self.config["random_seed"], float(self.config["c"]))
        self.model = model if model.topics else None
        if self.model is not None:
            self.save_model()
        return self.resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if self.model is None or not text or text.startswith("/"):
                continue
            for reading, ranked in self.model.predict(text, top=2).items():
                positive = READINGS[reading][0]
                confidence = next((r["confidence"] for r in ranked if r["name"] == positive), 0.0)
                message.set(reading, {"confidence": round(confidence, 6)}, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
