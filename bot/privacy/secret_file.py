"""A secret kept in a file of its own: read it, or make it once.

The servers' API and action tokens (bot/ops/secrets.py) and the key of the
cancel check (bot/privacy/cancel_digits.py) fall back to such a file when
no setting gives them, so every process of one installation shares them.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def read_or_create(path: Path) -> str:
    """The secret in ``path``, made (random, readable by the owner only)
    when the file does not exist yet."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        # O_EXCL: when two processes start at once, one writes and both read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value
