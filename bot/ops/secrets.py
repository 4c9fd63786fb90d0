"""The shared secrets between our own processes: the Rasa HTTP API token and
the token Rasa sends the action server.

Each comes from its setting or, when that is unset, from a file in
KOMMUNEBOT_VAR_DIR created on first use with mode 0600, so `make run` works
on a fresh machine and every tool of ours (eval, tests, bench) finds the
same token without it ever appearing in a process list or a log.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot.settings import Settings

API_TOKEN_FILE = "api-token"
ACTION_TOKEN_FILE = "action-token"


def _token_file(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    try:
        # O_EXCL: when two processes start at once, one writes and both read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def api_token(settings: Settings) -> str:
    return settings.api_token or _token_file(settings.var_dir / API_TOKEN_FILE)


def api_token_path(settings: Settings) -> Path | None:
    """Where the API token is kept, or None when it comes from the environment."""
    return None if settings.api_token else settings.var_dir / API_TOKEN_FILE


def action_token(settings: Settings) -> str:
    return settings.action_token or _token_file(settings.var_dir / ACTION_TOKEN_FILE)
