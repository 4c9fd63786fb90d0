"""The `kommunebot` command as installed (pyproject.toml: ``glue.cli:main``).

It is bot.cli's command built with the two servers that start Rasa-side
processes, `serve rasa` and `serve actions`: they import Rasa's glue, which
bot/ never imports, so they are defined here and handed to
``bot.cli.command()``. Nothing is added to bot.cli's own group.
"""

from __future__ import annotations

import os

import click

from bot import settings as settings_module
from bot.cli import command
from bot.ops.launch import rasa_arguments, rasa_environment
from bot.ops.secrets import action_token, api_token

__all__ = ["main"]


@click.command("rasa", context_settings={"ignore_unknown_options": True})
@click.argument("rasa_args", nargs=-1, type=click.UNPROCESSED)
def serve_rasa(rasa_args: tuple[str, ...]) -> None:
    """The Rasa server with its API locked by the token (extra arguments go to `rasa run`).

    Without arguments it serves KOMMUNEBOT_MODEL with the project's
    endpoints and credentials, and lets browsers call it only from
    KOMMUNEBOT_ALLOWED_ORIGINS, so a service manager needs no arguments."""
    from glue.rasa_server import serve_rasa as run

    settings = settings_module.current()
    # Defaults only: what the environment already says wins.
    for name, value in rasa_environment(settings).items():
        os.environ.setdefault(name, value)
    run(rasa_arguments(settings, rasa_args), api_token(settings))


@click.command("actions")
@click.option("--host", default=None, help="address to bind (default: KOMMUNEBOT_ACTION_HOST)")
@click.option("--port", type=int, default=None, help="port (default: ACTION_PORT)")
def serve_actions(host: str | None, port: int | None) -> None:
    """The action server, answering only Rasa (the action token)."""
    from glue.action_server import serve_actions as run

    settings = settings_module.current()
    run(host or settings.action_host, port or settings.action_port, action_token(settings))


main = command(serve=[serve_rasa, serve_actions])

if __name__ == "__main__":
    main()
