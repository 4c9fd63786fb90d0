"""Rasa NLU component: how sure the model is that the message tells of the
citizen's own case or decision.

Thin glue around bot.chat.situation_model.TextClassifier: the examples that
tell of an own case are the NLU examples whose intent block carries
``metadata: {case: true}`` (data/nlu/cases.yml, one block per errand, so
the same sentences also teach the intent classifier the case's errand);
every other example of an errand, of out_of_scope, needs_assistance or small
talk is a counter-example. Personal and urgent matters are left out: they
are neither, and the sensitive detector reads them.

It adds ``case: {"confidence": p}`` to every parse result; the action
server combines it with the signal phrases of knowledge/case_signals.yml
(bot/chat/case_matter.py), which is where the decision lives.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.chat.case_matter import CASE_LABEL, NOT_CASE_LABEL, case_examples
from bot.chat.situation_model import TextClassifier
from glue.pickled_component import PickledComponent

log = logging.getLogger(__name__)
CASE = "case"


def is_case_example(message: Message) -> bool:
    """The example's intent block says ``metadata: {case: true}``."""
    metadata = message.get(METADATA) or {}
    intent_metadata = metadata.get(METADATA_INTENT) if isinstance(metadata, dict) else None
    return isinstance(intent_metadata, dict) and intent_metadata.get(CASE) is True


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CaseClassifier(PickledComponent):
    FILE = "case.pkl"
    MISSING = "own cases are read from the signal phrases alone"
    read_model = staticmethod(TextClassifier.load)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # c: the logistic regression's inverse regularisation; config.yml
        # sets the measured value.
        return {"random_seed": 4242, "c": 8.0}

    def train(self, training_data: TrainingData) -> Resource:
        examples = [(m.get(TEXT), m.get(INTENT), is_case_example(m)) for m in training_data.intent_examples]
        texts, labels = case_examples(examples)
        if CASE_LABEL not in labels or NOT_CASE_LABEL not in labels:
            # Without both kinds there is nothing to learn; say so rather
            # than train a model that always answers one way.
            log.warning("no intent block with metadata case: true in the NLU data; no case model is trained")
            self.model = None
            return self.resource
        self.model = TextClassifier.fit(texts, labels, self.config["random_seed"], float(self.config["c"]))
        self.save_model()
        return self.resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if self.model is None or not text or text.startswith("/"):
                continue
            confidence = dict(self.model.ranking(text)).get(CASE_LABEL, 0.0)
            message.set(CASE, {"confidence": round(confidence, 6)}, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
