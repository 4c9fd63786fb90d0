"""The action server's Assistant, built once per process from the settings."""

from __future__ import annotations

import logging
import threading

from bot import settings as settings_module
from bot.callbacks.store import AddressLimit, CallbackStore
from bot.chat.booking import CallbackFlow
from bot.chat.case_matter import CaseReader
from bot.chat.conversation import Assistant
from bot.chat.reading import KeywordRules, Lemmatiser
from bot.chat.sensitive import SensitiveDetector
from bot.knowledge.search import KnowledgeSearch
from bot.knowledge.store import open_knowledge
from bot.privacy.cancel_digits import cancel_key
from bot.records.inbox import Inbox
from bot.records.outcomes import OutcomeLog

log = logging.getLogger(__name__)
_lock = threading.Lock()
_assistant: Assistant | None = None
_booking: CallbackFlow | None = None


def get_assistant() -> Assistant:
    """Load the knowledge database, the records and the sensitive-matter
    detector (the Danish spaCy pipeline); raises if any is unusable."""
    global _assistant
    with _lock:
        if _assistant is None:
            settings = settings_module.current()
            knowledge = open_knowledge(settings.knowledge_db)
            if settings.municipality not in knowledge.municipalities:
                # Not fatal: every reply then explains the setup error in Danish.
                log.error(
                    "KOMMUNEBOT_MUNICIPALITY=%r is not in %s (known: %s)",
                    settings.municipality,
                    settings.knowledge_db,
                    ", ".join(sorted(knowledge.municipalities)),
                )
            detector = SensitiveDetector(
                knowledge.sensitive, settings.spacy_path, (*knowledge.topics, "needs_assistance")
            )
            rules = KeywordRules.for_knowledge(knowledge, Lemmatiser(settings.spacy_path))
            _assistant = Assistant(
                knowledge,
                OutcomeLog(settings.database_url),
                settings.municipality,
                Inbox(settings.database_url),
                detector,
                rules,
                KnowledgeSearch(settings.knowledge_db),
                CaseReader(knowledge.case_signals, settings.spacy_path),
            )
        return _assistant


def get_booking() -> CallbackFlow:
    global _booking
    assistant = get_assistant()
    with _lock:
        if _booking is None:
            settings = settings_module.current()
            _booking = CallbackFlow(
                assistant.knowledge,
                assistant.responder,
                CallbackStore(settings.database_url, cancel_key=cancel_key(settings.cancel_secret, settings.var_dir)),
                assistant.record_outcome,
                settings.max_bookings,
                AddressLimit(settings.max_bookings_address, *settings.rate_bookings_address),
                cancel_url=f"{settings.public_site_url}/aflys",
            )
        return _booking


def reset() -> None:
    """Forget the loaded assistant and settings (tests switch settings between cases)."""
    global _assistant, _booking
    with _lock:
        _booking = None
        if _assistant is not None and _assistant.outcomes is not None:
            _assistant.outcomes.close()
        _assistant = None
        settings_module.reset()
