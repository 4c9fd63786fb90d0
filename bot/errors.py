"""The one error for "not allowed": every layer refuses with a stable
``reason`` key, and only the user-facing layers (console pages, chat
replies) turn that key into Danish."""

from __future__ import annotations


class Refused(ValueError):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
