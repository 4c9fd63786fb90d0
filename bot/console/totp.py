"""Time-based one-time codes (RFC 6238) for admins, with pyotp: six digits
from 30-second steps, one step either side accepted for clock drift, and
each step used at most once (the caller stores the last one used), so a
code seen over someone's shoulder cannot be replayed.
"""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp

ISSUER = "Kommunebot"
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app takes as text or QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it in by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, now: dt.datetime, after: int | None = None) -> int | None:
    """The time step whose code is ``code`` (near ``now`` and later than
    ``after``, the last step used), or None."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    otp = pyotp.TOTP(secret)
    current = otp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(otp.generate_otp(step), code):
            return step
    return None
