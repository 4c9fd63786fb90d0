"""Rasa NLU component: DIET's intent ranking averaged with a linear model
over the folded text's character n-grams.

DIET learns from whole-word and n-gram features and is very sure of
itself; on messages written unlike the examples (missing æøå, typos, long
letters) a plain linear model over folded character n-grams
(bot.chat.situation_model.TextClassifier) often knows better. The average
of the two probabilities is the intent; DIET's own ranking is kept in
``diet_ranking`` so the held-out evaluation can score both from one model.
Placed after DIET and before the FallbackClassifier, which then judges the
combined confidence.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.chat.situation_model import TextClassifier

log = logging.getLogger(__name__)
_FILE = "intents.pkl"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentEnsemble(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # weight: DIET's share of the average; 1.0 is DIET alone.
        return {"weight": 0.5, "random_seed": 4242, "ranking_length": 10}

    def __init__(self, config: dict, model_storage: ModelStorage, resource: Resource, model: TextClassifier | None):
        self.config = config
        self.model_storage = model_storage
        self.resource = resource
        self.model = model

    @classmethod
    def create(cls, config, model_storage, resource, execution_context: ExecutionContext) -> IntentEnsemble:
        return cls(config, model_storage, resource, None)

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs) -> IntentEnsemble:
        model = None
        try:
            with model_storage.read_from(resource) as directory:
                model = TextClassifier.load(Path(directory) / _FILE)
        except (ValueError, FileNotFoundError):
            log.warning("no trained intent ensemble in %s; DIET's intent stands", resource.name)
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        self.model = TextClassifier.fit(
            [m.get(TEXT) for m in examples], [m.get(INTENT) for m in examples], self.config["random_seed"]
        )
        with self.model_storage.write_to(self.resource) as directory:
            self.model.save(Path(directory) / _FILE)
        return self.resource

    def process(self, messages: list[Message]) -> list[Message]:
        weight = float(self.config["weight"])
        for message in messages:
            text, ranking = message.get(TEXT), message.get(INTENT_RANKING_KEY)
            if self.model is None or not text or not ranking:
                continue
            diet = {r["name"]: float(r["confidence"]) for r in ranking}
            linear = dict(self.model.ranking(text))
            combined = {
                name: weight * diet.get(name, 0.0) + (1 - weight) * linear.get(name, 0.0)
                for name in set(diet) | set(linear)
            }
            ranked = sorted(combined.items(), key=lambda pair: -pair[1])[: self.config["ranking_length"]]
            new_ranking = [{"name": n, "confidence": round(c, 6)} for n, c in ranked]
            message.set("diet_ranking", ranking, add_to_output=True)
            message.set(INTENT_RANKING_KEY, new_ranking, add_to_output=True)
            message.set(INTENT, new_ranking[0], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
