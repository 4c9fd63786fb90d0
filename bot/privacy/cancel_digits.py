"""The last four digits of a callback's phone number, which a citizen gives
to cancel the callback from anywhere (issue 27), never kept in clear.

The digits are turned into a keyed token (an HMAC under the deployment's
cancel key) wherever they arrive: the channel guard replaces a chat
message that answers "the last four digits?" with the token before Rasa
sees it, so the tracker never holds the digits, and the /aflys page does
the same before it looks anything up. The stored check of a booking is in
turn an HMAC of its reference and this token (bot.callbacks.verification).

The key comes from KOMMUNEBOT_CANCEL_SECRET or, when that is unset, from
a random secret kept in $KOMMUNEBOT_VAR_DIR/cancel-secret (mode 0600), so
the Rasa server, the action server and the site server of one deployment
agree. This module takes both as arguments (the privacy layer reads no
settings).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path

from bot.privacy.secret_file import read_or_create

DIGITS = 4
# A callback's booking reference, as bot.callbacks.store makes it ("CB-2026-000123"):
# the one pattern the channel guard, the channel's marks and the booking flow read.
REFERENCE = re.compile(r"CB-\d{4}-\d{6}")
SECRET_FILE = "cancel-secret"
# A token: the HMAC cut to 32 hex characters (128 bits).
TOKEN = re.compile(r"[0-9a-f]{32}")
_FOUR_DIGITS = re.compile(r"[0-9]{4}")


def typed_digits(text: object) -> str | None:
    """Four ASCII digits as a citizen types them ("40 50", "4050"), else None."""
    if not isinstance(text, str) or len(text) > 20:
        return None
    digits = "".join(text.split())
    return digits if _FOUR_DIGITS.fullmatch(digits) else None


def last_digits(phone: str) -> str | None:
    """The last four digits of a phone number as stored ("+45 20 30 40 50")."""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    return digits[-DIGITS:] if len(digits) >= DIGITS else None


def digits_token(key: bytes, digits: str) -> str:
    """The keyed token of four digits: what Rasa and the stored check see instead of them."""
    return hmac.new(key, b"digits:" + digits.encode(), hashlib.sha256).hexdigest()[:32]


def cancel_key(secret: str | None, var_dir: Path | None) -> bytes:
    """The deployment's cancel key, from the setting or the secret file
    (created on first use, mode 0600)."""
    if not secret:
        if var_dir is None:
            raise ValueError("no cancel secret and no folder to keep one in")
        secret = read_or_create(Path(var_dir) / SECRET_FILE)
    return hmac.new(secret.encode(), b"kommunebot cancel check", hashlib.sha256).digest()


# How long after "the last four digits?" a message of four digits is taken
# as the answer: long enough to find the phone, short enough that a later
# "4050" (a postcode's neighbour, an amount) is read as what it is.
EXPECT_SECONDS = 600
# Conversations remembered at once; the oldest are forgotten first.
MAX_EXPECTED = 10_000


def sealed_message(reference: str, token: str) -> str:
    """What Rasa gets instead of the digits: the cancel intent with the
    reference and the token, as a payload only the guard writes (a client's
    payload must be a button the assistant offered)."""
    return "/cancel_callback" + json.dumps({"reference": reference, "digits": token}, separators=(",", ":"))


class ExpectedDigits:
    """Conversations the assistant just asked for the last four digits, with
    the reference they are for; each answer is taken once."""

    def __init__(self, seconds: float = EXPECT_SECONDS, max_senders: int = MAX_EXPECTED):
        self.seconds = seconds
        self.max_senders = max_senders
        self._expected: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, sender: str, reference: str) -> None:
        with self._lock:
            self._expected[sender] = (reference, time.monotonic())
            self._expected.move_to_end(sender)
            while len(self._expected) > self.max_senders:
                self._expected.popitem(last=False)

    def take(self, sender: str) -> str | None:
        """The reference the sender was asked about, if asked lately; forgets it."""
        with self._lock:
            entry = self._expected.pop(sender, None)
        if entry is None or time.monotonic() - entry[1] > self.seconds:
            return None
        return entry[0]
