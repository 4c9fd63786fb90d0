"""Signed conversation ids for the website chat.

The server issues every socket.io session id as '<conversation>.<signature>'
(an HMAC), so it can be neither guessed nor forged, and only a client that
was given one can resume that conversation. The REST channel accepts the
same signed ids as sender, so the widget's REST fallback continues the
socket's conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from functools import lru_cache

from bot.privacy.message_guard import valid_sender
from bot.settings import Settings


class SessionIds:
    """Signed session ids: '<conversation>.<signature>'; only the holder of
    one the server issued can resume that conversation."""

    def __init__(self, key: bytes):
        self.key = key

    def _signature(self, conversation: str) -> str:
        digest = hmac.new(self.key, conversation.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def issue(self) -> tuple[str, str]:
        """A new conversation id and the session id the client keeps."""
        while True:
            # About one uuid in a thousand has ten digits in a row that read as
            # a CPR number, and the channel guard refuses such an id.
            conversation = uuid.uuid4().hex
            session_id = f"{conversation}.{self._signature(conversation)}"
            if valid_sender(conversation) and valid_sender(session_id):
                return conversation, session_id

    def resume(self, session_id: object) -> str | None:
        """The conversation of a session id this server issued, else None."""
        if not isinstance(session_id, str) or len(session_id) > 80 or session_id.count(".") != 1:
            return None
        conversation, signature = session_id.split(".")
        if hmac.compare_digest(signature.encode(), self._signature(conversation).encode()):
            return conversation
        return None


@lru_cache(maxsize=8)
def derived_key(api_token: str | None, purpose: bytes) -> bytes:
    """A key for one purpose, derived from the API token, so every Rasa
    replica of one deployment agrees (the session ids one issues, the
    pseudonym of a client address); random per process without a token."""
    if not api_token:
        return secrets.token_bytes(32)
    return hmac.new(api_token.encode(), purpose, hashlib.sha256).digest()


def session_ids(settings: Settings) -> SessionIds:
    """The one signer both channels of this process share."""
    return SessionIds(derived_key(settings.api_token, b"kommunebot socket.io sessions"))
