"""Password rules for the staff console (OWASP ASVS 2.1), the same wherever
a password is set: the CLI, an admin's reset, a user's own change.

At least 12 and at most 256 characters of any kind, no composition rules;
not containing the user name; and not a common or breached password.

The last check works offline with zxcvbn (Dropbox's estimator, maintained
on PyPI): it ships the 30,000 most common passwords from public breaches,
besides lists of words and names, and estimates how many guesses a password
takes with them, keyboard patterns, dates, repeats and l33t spellings. A
password on the breach list, or one zxcvbn expects to be guessed in fewer
than 10^8 tries (score below 3), is refused; the user's name and words
about this service count as known to the attacker.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH, MAX_LENGTH = 12, 256
MIN_SCORE = 3
# Words an attacker would try first against this service (ASVS 2.1.7: context-specific words).
CONTEXT_WORDS = ("kommunebot", "kommune", "medarbejderkonsol", "sagsbehandler", "borger", "adgangskode", "kodeord")
ESTIMATE_CHARS = 72  # zxcvbn refuses longer input; the first 72 characters decide

# (code, English message): the CLI prints the message, the console shows
# the Danish text for the code (bot/console/texts.py).
TOO_SHORT = ("too_short", f"must be at least {MIN_LENGTH} characters")
TOO_LONG = ("too_long", f"must be at most {MAX_LENGTH} characters")
HAS_USERNAME = ("has_username", "must not contain the user name")
COMMON = ("common", "is a common or breached password, or too easy to guess; use a longer phrase of several words")


@lru_cache(maxsize=1)
def _breached() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def problem(password: object, username: str = "", display_name: str = "") -> tuple[str, str] | None:
    """What is wrong with ``password`` for this user, or None."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if username and username in password.lower():
        return HAS_USERNAME
    if password.lower() in _breached():
        return COMMON
    known = [username, *display_name.split(), *CONTEXT_WORDS]
    if zxcvbn(password[:ESTIMATE_CHARS], user_inputs=[k for k in known if k])["score"] < MIN_SCORE:
        return COMMON
    return None


def generate(username: str = "") -> str:
    """A random password that passes the rules: shown once, to pass on."""
    while True:
        password = secrets.token_urlsafe(15)  # 20 characters, 120 bits
        if problem(password, username) is None:
            return password
