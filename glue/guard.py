"""Build what the guarded turn (glue/turn.py) of both input channels uses:
the channel guard (bot.privacy.channel_guard), with its replies worded from
the compiled knowledge base and the keys it accepts (municipalities, errand
topics and their situations) taken from it; the one rate limiter; and the
pseudonym of a client address that goes with each message."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import threading
from functools import lru_cache

from bot.knowledge.store import open_knowledge
from bot.knowledge.texts import Texts
from bot.privacy.cancel_digits import cancel_key
from bot.privacy.channel_guard import ChannelGuard
from bot.privacy.payloads import Vocabulary
from bot.settings import Settings
from glue.rate_limit import ChatLimits
from glue.sessions import derived_key

# IPv6 clients get a whole /64 (often a /56) from their provider and may
# pick any address in it, so one household or one script is one /64.
IPV6_CLIENT_PREFIX = 64
# 64 bits: no collisions among a region's clients in practice, and too
# short to be worth brute-forcing back to an address without the key.
PSEUDONYM_HEX = 16


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
    return ChannelGuard(
        messages,
        settings.max_message_chars,
        vocabulary=messages.vocabulary,
        cancel_key=cancel_key(settings.cancel_secret, settings.var_dir),
    )


@lru_cache(maxsize=4)
def build_limits(settings: Settings) -> ChatLimits:
    """One limiter per process: REST and socket.io count against the same
    windows, so a client gets its limit once whatever the transport."""
    return ChatLimits(settings.rate_sender, settings.rate_address)


def client_pseudonym(settings: Settings, address: str) -> str:
    """A keyed hash of the client address (its /64 for IPv6): the booking
    caps bookings per client with it, and staff see how many bookings share
    one, while the address itself is never stored with the conversation."""
    try:
        parsed = ipaddress.ip_address(address)
        if parsed.version == 6:
            address = str(ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False))
    except ValueError:
        pass
    key = derived_key(settings.api_token, b"kommunebot client pseudonyms")
    digest = hmac.new(key, address.encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX]
