"""Rasa NLU component: the situation of each errand, read from the whole sentence.

Thin glue around bot.chat.situation_model: it turns Rasa's training data
into labelled sentences (an example's label is the situation its entity
annotation names, mapped onto the topic's situations with the knowledge
base's keywords) and adds ``situations`` to every parse result:
``{topic: [{"name": situation, "confidence": p}, ...]}``, where the name
"" means "no situation named". The actions pick the topic's entry.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.chat.situation_model import GENERAL, Example, SituationModel
from bot.chat.situations import normalise_situation
from bot.content.training_data import block_situation
from bot.knowledge.loader import load_knowledge
from glue.pickled_component import PickledComponent

log = logging.getLogger(__name__)
SITUATIONS = "situations"


def _block_situation(message: Message) -> str | None:
    """The situation the example's intent block names in its metadata."""
    metadata = message.get(METADATA) or {}
    return block_situation(metadata.get(METADATA_INTENT) if isinstance(metadata, dict) else None)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SituationClassifier(PickledComponent):
    FILE = "situations.pkl"
    MISSING = "situations come from entities and keywords"
    read_model = staticmethod(SituationModel.load)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"knowledge": "knowledge", "random_seed": 4242}

    def train(self, training_data: TrainingData) -> Resource:
        knowledge = load_knowledge(Path(self.config["knowledge"]))
        synonyms = training_data.entity_synonyms
        examples = []
        for message in training_data.intent_examples:
            topic = knowledge.topics.get(message.get(INTENT))
            if topic is None:
                continue
            situation = GENERAL
            for entity in message.get(ENTITIES) or []:
                if entity.get("entity") != "situation":
                    continue
                value = str(entity.get("value"))
                found = normalise_situation(topic, synonyms.get(value, value))
                if found:
                    situation = found
                    break
            else:
                # No span: the block's metadata may name the situation of
                # every example in it (bot/content/training_data.py
                # SITUATION_MARK; `kommunebot check` resolves the key).
                named = _block_situation(message)
                situation = (normalise_situation(topic, named) if named else None) or GENERAL
            examples.append(Example(topic.key, message.get(TEXT), situation))
        self.model = SituationModel.fit(examples, seed=self.config["random_seed"])
        self.save_model()
        return self.resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if self.model is not None and text:
                message.set(SITUATIONS, self.model.predict(text), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
