"""A sliding-window limit per key (a conversation id, a client address): at
most COUNT hits in any SECONDS, in this process's memory. The keys are
bounded (MAX_KEYS, least recently used dropped first), so a flood of new
keys cannot grow it without end. The chat channels (glue/rate_limit.py) and
the widget server's feedback answers (bot/site/server.py) use it.
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
