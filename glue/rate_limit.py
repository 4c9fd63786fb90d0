"""Per-conversation and per-address limits on chat messages.

A sliding window per key (the conversation id, the client address): at
most COUNT messages in any SECONDS. Kept in this process's memory, which
is enough for one Rasa server; the keys are bounded, so a flood of new
senders cannot grow it without end.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_KEYS = 50_000


class SlidingWindow:
    def __init__(self, count: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.count = count
        self.seconds = seconds
        self.clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one message for ``key``; False when it is over the limit
        (a refused message is not counted, so waiting always helps)."""
        now = self.clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and now - hits[0] >= self.seconds:
                hits.popleft()
            allowed = len(hits) < self.count
            if allowed:
                hits.append(now)
            self._hits[key] = hits  # most recently used last
            while len(self._hits) > MAX_KEYS:
                self._hits.popitem(last=False)
            return allowed


class ChatLimits:
    """Both limits a chat message must pass."""

    def __init__(self, sender: tuple[int, int], address: tuple[int, int], clock: Callable[[], float] = time.monotonic):
        self.sender = SlidingWindow(*sender, clock=clock)
        self.address = SlidingWindow(*address, clock=clock)

    def allow(self, sender: str, address: str) -> bool:
        # The address first: a flood from one place must not use up the
        # windows of the conversations it names.
        return self.address.allow(address) and self.sender.allow(sender)
