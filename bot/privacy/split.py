"""Which senders' last message ended in a birth date.

A citizen may send a CPR number in two messages ("010203", then "1234").
The date is removed when it arrives; this remembers, for a short while and
for a bounded number of senders, that the sender's next message may open
with the serial. Only the sender id and a time are kept, never digits.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_SENDERS = 10_000
SECONDS = 300.0


class SplitNumbers:
    def __init__(
        self, max_senders: int = MAX_SENDERS, seconds: float = SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self.max_senders = max_senders
        self.seconds = seconds
        self.clock = clock
        self._since: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, sender: str) -> None:
        with self._lock:
            self._since[sender] = self.clock()
            self._since.move_to_end(sender)
            while len(self._since) > self.max_senders:
                self._since.popitem(last=False)

    def take(self, sender: str) -> bool:
        """Whether the sender's previous message ended in a date not long ago; forgets it."""
        with self._lock:
            since = self._since.pop(sender, None)
        return since is not None and self.clock() - since <= self.seconds

    def __len__(self) -> int:
        return len(self._since)
