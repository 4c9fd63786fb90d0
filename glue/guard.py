"""Build the channel guard both input channels use (bot.privacy.channel_guard),
with its replies worded from the compiled knowledge base and the keys it
accepts (municipalities, errand topics and their situations) taken from it."""

from __future__ import annotations

import threading
from functools import lru_cache

from bot.knowledge.store import open_knowledge
from bot.knowledge.texts import Texts
from bot.privacy.channel_guard import ChannelGuard
from bot.privacy.payloads import Vocabulary
from bot.settings import Settings


class KnowledgeMessages:
    """Message texts and the vocabulary for the guard, loading the knowledge
    base on first use so the Rasa server starts even while the knowledge
    database is rebuilt."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._texts: Texts | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> Texts:
        with self._lock:
            if self._texts is None:
                self._texts = Texts(open_knowledge(self.settings.knowledge_db))
            return self._texts

    def __call__(self, key: str, municipality: str | None, /, **values) -> str:
        texts = self._loaded()
        return texts.message_for(key, (municipality or self.settings.municipality).strip().lower(), **values)

    def vocabulary(self) -> Vocabulary:
        knowledge = self._loaded().knowledge
        return Vocabulary(
            frozenset(knowledge.municipalities),
            {topic.key: frozenset(s.key for s in topic.situations) for topic in knowledge.topics.values()},
        )


@lru_cache(maxsize=4)
def build_guard(settings: Settings) -> ChannelGuard:
    """One guard per process and settings: the REST and socket.io channels
    share it, so a CPR number split over two messages is caught even when
    the widget switches channel between them."""
    messages = KnowledgeMessages(settings)
    return ChannelGuard(messages, settings.max_message_chars, vocabulary=messages.vocabulary)
