"""Runtime settings, read from environment variables with embedded defaults.

Relative paths are resolved against the project root so the action server,
the Rasa server and the tests agree whichever folder they start in.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(name: str, default: str) -> Path:
    path = Path(os.environ.get(name) or default)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    municipality: str
    knowledge_db: Path
    data_db: Path
    tracker_url: str
    max_message_chars: int
    spacy_path: Path

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            municipality=(os.environ.get("KOMMUNEBOT_MUNICIPALITY") or "nyborg").strip().lower(),
            knowledge_db=_path("KOMMUNEBOT_KNOWLEDGE_DB", "build/knowledge.db"),
            data_db=_path("KOMMUNEBOT_DATA_DB", "var/kommunebot.db"),
            tracker_url=os.environ.get("KOMMUNEBOT_TRACKER_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}",
            max_message_chars=_int("KOMMUNEBOT_MAX_MESSAGE_CHARS", 2000),
            spacy_path=_path("KOMMUNEBOT_SPACY_PATH", "build/spacy-da"),
        )


def allowed_origins(env: Optional[Mapping[str, str]] = None) -> tuple[str, ...]:
    """Web origins whose pages may talk to the assistant (the chat widget):
    KOMMUNEBOT_ALLOWED_ORIGINS, comma-separated; by default only the demo
    page. Never '*': a municipality lists its own sites."""
    env = os.environ if env is None else env
    raw = env.get("KOMMUNEBOT_ALLOWED_ORIGINS")
    if raw:
        origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
        if "*" in origins:
            raise ValueError("KOMMUNEBOT_ALLOWED_ORIGINS must list origins; '*' is not allowed")
        return origins
    port = env.get("KOMMUNEBOT_SITE_PORT") or "8000"
    return (f"http://localhost:{port}", f"http://127.0.0.1:{port}")
