"""The `kommunebot` command as installed: bot's commands plus the two that
start Rasa-side processes (`serve rasa`, `serve actions`), which live here
because bot/ never imports the Rasa glue."""

from __future__ import annotations

import click

from bot import settings as settings_module
from bot.cli import main, serve
from bot.ops.secrets import action_token, api_token

__all__ = ["main"]


@serve.command("rasa", context_settings={"ignore_unknown_options": True})
@click.argument("rasa_args", nargs=-1, type=click.UNPROCESSED)
def serve_rasa(rasa_args: tuple[str, ...]) -> None:
    """The Rasa server with its API locked by the token (extra arguments go to `rasa run`)."""
    from glue.rasa_server import serve_rasa as run

    settings = settings_module.current()
    run(["--interface", settings.rasa_host, "--port", str(settings.rasa_port), *rasa_args], api_token(settings))


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
