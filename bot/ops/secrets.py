"""The shared secrets between our own processes: the Rasa HTTP API token and
the token Rasa sends the action server.

Each comes from its setting or, when that is unset, from a file in
KOMMUNEBOT_VAR_DIR created on first use with mode 0600, so `make run` works
on a fresh machine and every tool of ours (eval, tests, bench) finds the
same token without it ever appearing in a process list or a log.
"""

from __future__ import annotations

from pathlib import Path

from bot.privacy.secret_file import read_or_create
from bot.settings import Settings

API_TOKEN_FILE = "api-token"
ACTION_TOKEN_FILE = "action-token"


def api_token(settings: Settings) -> str:
    return settings.api_token or read_or_create(settings.var_dir / API_TOKEN_FILE)


def api_token_path(settings: Settings) -> Path | None:
    """Where the API token is kept, or None when it comes from the environment."""
    return None if settings.api_token else settings.var_dir / API_TOKEN_FILE


def action_token(settings: Settings) -> str:
    return settings.action_token or read_or_create(settings.var_dir / ACTION_TOKEN_FILE)
