"""The process-wide Assistant, built once from settings on first use."""
from __future__ import annotations

import logging
import threading
from typing import Optional

from bot.conversation import Assistant
from bot.knowledge.store import open_knowledge
from bot.inbox import Inbox
from bot.outcomes import OutcomeLog
from bot.settings import Settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_assistant: Optional[Assistant] = None
_detector = None
_flow = None


def get_assistant() -> Assistant:
    """Load the knowledge database and outcome log; raises if either is unusable."""
    global _assistant
    with _lock:
        if _assistant is None:
            settings = Settings.from_env()
            knowledge = open_knowledge(settings.knowledge_db)
            if settings.municipality not in knowledge.municipalities:
                # Not fatal: every reply then explains the setup error in Danish.
                log.error(
                    "KOMMUNEBOT_MUNICIPALITY=%r is not in %s (known: %s)",
                    settings.municipality,
                    settings.knowledge_db,
                    ", ".join(sorted(knowledge.municipalities)),
                )
            _assistant = Assistant(knowledge, OutcomeLog(settings.data_db), settings.municipality,
                                   Inbox(settings.data_db))
        return _assistant


def get_detector():
    """The sensitive-matter detector (loads the Danish spaCy pipeline once)."""
    global _detector
    assistant = get_assistant()
    with _lock:
        if _detector is None:
            from bot.sensitive import SensitiveDetector

            _detector = SensitiveDetector(assistant.knowledge.sensitive, Settings.from_env().spacy_path)
        return _detector


def get_callback_flow():
    global _flow
    assistant = get_assistant()
    with _lock:
        if _flow is None:
            from bot.callback_flow import CallbackFlow
            from bot.callback_store import CallbackStore

            _flow = CallbackFlow(assistant.knowledge, assistant.responder, CallbackStore(Settings.from_env().data_db))
        return _flow


def reset() -> None:
    """Forget the loaded assistant (tests switch settings between cases)."""
    global _assistant, _detector, _flow
    with _lock:
        _detector = None
        _flow = None
        if _assistant is not None and _assistant.outcomes is not None:
            _assistant.outcomes.close()
        _assistant = None
