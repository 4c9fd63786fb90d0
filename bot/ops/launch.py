"""How our servers are started, defined once.

Every server runs as ``kommunebot serve NAME`` (a service manager, `kommunebot
run`, the cluster and the tests alike). Rasa's command line and environment
are built here from the settings: `kommunebot serve rasa` uses them as its
defaults, and the process runner adds only what it overrides (the model).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings

BIN = Path(sys.executable).parent
KOMMUNEBOT = str(BIN / "kommunebot")


def serve_command(server: str, *args: str) -> list[str]:
    """The command line that runs one server in the foreground."""
    return [KOMMUNEBOT, "serve", server, *args]


def rasa_arguments(settings: Settings, given: Sequence[str] = ()) -> list[str]:
    """`rasa run`'s arguments: the address and port from the settings, then
    the model, endpoints, credentials and the web origins browsers may call
    from, each unless ``given`` names it, then ``given``."""
    defaults = {
        "--model": [str(settings.model)],
        "--endpoints": [str(PROJECT_ROOT / "endpoints.yml")],
        "--credentials": [str(PROJECT_ROOT / "credentials.yml")],
        "--cors": list(settings.allowed_origins),
    }
    named = {arg.split("=", 1)[0] for arg in given}
    extra = [part for option, values in defaults.items() if option not in named for part in (option, *values)]
    return ["--interface", settings.rasa_host, "--port", str(settings.rasa_port), *extra, *given]


def rasa_environment(settings: Settings) -> dict[str, str]:
    """What the Rasa process reads from its environment rather than from our
    settings, with the values the settings give."""
    return {
        # endpoints.yml substitutes ${ACTION_PORT} (Rasa refuses to start when it is unset).
        "ACTION_PORT": str(settings.action_port),
        # Sanic reads SANIC_* itself: an oversized chat request is refused unread.
        "SANIC_REQUEST_MAX_SIZE": str(settings.max_body_bytes),
        # The same bound for a socket.io WebSocket frame (1 MiB by default).
        "SANIC_WEBSOCKET_MAX_SIZE": str(settings.max_body_bytes),
    }
