"""Conversation ids for tests.

The channel refuses a sender id that reads as a CPR number (it would be
stored as the conversation's key). A random hex id is all digits about once
in 25 draws of ten characters, and some of those are valid CPR dates: CI
failed once on ``test-0311129582``. The ids here are letters only, so no
draw can look like a CPR number, whatever the prefix.
"""

from __future__ import annotations

import secrets
import string

_LETTERS = string.ascii_lowercase


def sender_id(prefix: str = "test", length: int = 10) -> str:
    """A fresh conversation id: ``prefix-`` and ``length`` random letters."""
    return f"{prefix}-" + "".join(secrets.choice(_LETTERS) for _ in range(length))
