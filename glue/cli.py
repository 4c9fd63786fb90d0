"""The `kommunebot` command as installed: bot's commands plus the two that
start Rasa-side processes (`serve rasa`, `serve actions`), which live here
because bot/ never imports the Rasa glue."""

from __future__ import annotations

import os

import click

from bot import settings as settings_module
from bot.cli import main, serve
from bot.ops.secrets import action_token, api_token
from bot.settings import PROJECT_ROOT

__all__ = ["main"]


@serve.command("rasa", context_settings={"ignore_unknown_options": True})
@click.argument("rasa_args", nargs=-1, type=click.UNPROCESSED)
def serve_rasa(rasa_args: tuple[str, ...]) -> None:
    """The Rasa server with its API locked by the token (extra arguments go to `rasa run`).

    Without arguments it serves KOMMUNEBOT_MODEL with the project's
    endpoints and credentials, and lets browsers call it only from
    KOMMUNEBOT_ALLOWED_ORIGINS, so a service manager needs no arguments."""
    from glue.rasa_server import serve_rasa as run

    settings = settings_module.current()
    defaults = {
        "--model": [str(settings.model)],
        "--endpoints": [str(PROJECT_ROOT / "endpoints.yml")],
        "--credentials": [str(PROJECT_ROOT / "credentials.yml")],
        "--cors": list(settings.allowed_origins),
    }
    given = {arg.split("=", 1)[0] for arg in rasa_args}
    extra = [part for option, values in defaults.items() if option not in given for part in (option, *values)]
    # Sanic reads SANIC_* itself: an oversized chat request is refused unread.
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(settings.max_body_bytes))
    # The same bound for a socket.io WebSocket frame (1 MiB by default).
    os.environ.setdefault("SANIC_WEBSOCKET_MAX_SIZE", str(settings.max_body_bytes))
    run(
        ["--interface", settings.rasa_host, "--port", str(settings.rasa_port), *extra, *rasa_args],
        api_token(settings),
    )


@serve.command("actions")
@click.option("--host", default=None, help="address to bind (default: KOMMUNEBOT_ACTION_HOST)")
@click.option("--port", type=int, default=None, help="port (default: ACTION_PORT)")
def serve_actions(host: str | None, port: int | None) -> None:
    """The action server, answering only Rasa (the action token)."""
    from glue.action_server import serve_actions as run

    settings = settings_module.current()
    run(host or settings.action_host, port or settings.action_port, action_token(settings))


if __name__ == "__main__":
    main()
