"""The storage every project NLU component with one pickled model shares:
created untrained, loaded from one file of Rasa's model storage, saved there
after training. A model missing from the storage (a model trained before the
component existed) loads as None and the component adds nothing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

log = logging.getLogger(__name__)


class PickledComponent(GraphComponent):
    # The file in the component's storage, and what a missing model means.
    FILE: ClassVar[str]
    MISSING: ClassVar[str]

    def __init__(self, config: dict, model_storage: ModelStorage, resource: Resource, model: Any):
        self.config = config
        self.model_storage = model_storage
        self.resource = resource
        self.model = model

    @staticmethod
    def read_model(path: Path) -> Any:
        raise NotImplementedError

    @classmethod
    def create(cls, config, model_storage, resource, execution_context: ExecutionContext):
        return cls(config, model_storage, resource, None)

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs):
        model = None
        try:
            with model_storage.read_from(resource) as directory:
                model = cls.read_model(Path(directory) / cls.FILE)
        except (ValueError, FileNotFoundError):
            log.warning("no trained model in %s; %s", resource.name, cls.MISSING)
        return cls(config, model_storage, resource, model)

    def save_model(self) -> None:
        with self.model_storage.write_to(self.resource) as directory:
            self.model.save(Path(directory) / self.FILE)
