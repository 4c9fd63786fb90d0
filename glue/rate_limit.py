"""Per-conversation and per-address limits on chat messages: a sliding
window per key (bot/limits.py), the address's checked first.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.limits import MAX_KEYS, SlidingWindow

__all__ = ["MAX_KEYS", "ChatLimits", "SlidingWindow"]


class ChatLimits:
    """Both limits a chat message must pass."""

    def __init__(self, sender: tuple[int, int], address: tuple[int, int], clock: Callable[[], float] = time.monotonic):
        self.sender = SlidingWindow(*sender, clock=clock)
        self.address = SlidingWindow(*address, clock=clock)

    def allow(self, sender: str, address: str) -> bool:
        # The address first: a flood from one place must not use up the
        # windows of the conversations it names.
        return self.address.allow(address) and self.sender.allow(sender)
