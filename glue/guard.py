"""Build the channel guard both input channels use (bot.privacy.channel_guard),
with its replies worded from the compiled knowledge base."""

from __future__ import annotations

import threading

from bot.knowledge.store import open_knowledge
from bot.knowledge.texts import Texts
from bot.privacy.channel_guard import ChannelGuard
from bot.settings import Settings


class KnowledgeMessages:
    """Message texts for the guard, loading the knowledge base on first use
    so the Rasa server starts even while the knowledge database is rebuilt."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._texts: Texts | None = None
        self._lock = threading.Lock()

    def __call__(self, key: str, municipality: str | None, /, **values) -> str:
        with self._lock:
            if self._texts is None:
                self._texts = Texts(open_knowledge(self.settings.knowledge_db))
        return self._texts.message_for(key, (municipality or self.settings.municipality).strip().lower(), **values)


def build_guard(settings: Settings) -> ChannelGuard:
    return ChannelGuard(KnowledgeMessages(settings), settings.max_message_chars)
