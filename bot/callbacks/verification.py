"""The stored check that lets a citizen cancel a callback from anywhere
with its reference and the last four digits of its phone number (issue 27).

The check is an HMAC of the reference and the digits' keyed token
(``bot.privacy.cancel_digits``) under the deployment's cancel key: it says
nothing about the number without the key, and the same digits give another
check for every booking. Checks are compared with ``hmac.compare_digest``.

Four digits are 10,000 guesses; after ``MAX_FAILURES`` wrong ones a
reference can no longer be cancelled this way, and the citizen is told to
call the municipality (the count is kept in the database, so restarts and
other replicas see it).
"""

from __future__ import annotations

import hashlib
import hmac

# Wrong attempts per reference before cancelling with digits is locked.
# 5 of 10,000 possible endings: a guesser's chance is 1 in 2,000 per
# reference, while a citizen who mistypes twice or thrice still gets through.
MAX_FAILURES = 5


def check(key: bytes, reference: str, token: str) -> str:
    """The stored check for ``reference`` and its phone's digits token."""
    message = f"{reference.strip().upper()}:{token}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def matches(key: bytes, reference: str, token: str, stored: str | None) -> bool:
    """Whether ``token`` is the one ``stored`` was made from, in constant time."""
    if stored is None:
        return False
    return hmac.compare_digest(check(key, reference, token).encode(), stored.encode())
