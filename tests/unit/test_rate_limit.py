"""The chat channels' rate limits and the client address they count by."""

from __future__ import annotations

from bot.addresses import client_address
from glue.rate_limit import ChatLimits, SlidingWindow


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_window_allows_count_then_refuses_until_it_slides():
    clock = Clock()
    window = SlidingWindow(3, 10, clock=clock)
    assert [window.allow("a") for _ in range(5)] == [True, True, True, False, False]
    assert window.allow("b")  # another key has its own window
    clock.now = 10.0
    assert window.allow("a")


def test_refused_messages_do_not_count():
    clock = Clock()
    window = SlidingWindow(1, 10, clock=clock)
    assert window.allow("a")
    for second in range(1, 10):
        clock.now = float(second)
        assert not window.allow("a")
    clock.now = 10.0
    assert window.allow("a")


def test_one_address_flooding_many_conversations_is_stopped():
    limits = ChatLimits(sender=(10, 10), address=(5, 60), clock=Clock())
    results = [limits.allow(f"conversation-{i}", "203.0.113.9") for i in range(8)]
    assert results == [True] * 5 + [False] * 3
    assert limits.allow("conversation-x", "198.51.100.1")


def test_forwarded_for_counts_only_from_a_trusted_proxy():
    assert client_address("203.0.113.5", ["198.51.100.7"], ()) == "203.0.113.5"
    assert client_address("127.0.0.1", ["1.2.3.4, 198.51.100.7"], ("127.0.0.1",)) == "198.51.100.7"
    assert client_address("127.0.0.1", ["nonsense"], ("127.0.0.1",)) == "127.0.0.1"
