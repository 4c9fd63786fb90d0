"""The ``kommunebot`` command, for operators, editors and the Makefile.

One module per command group, each a thin layer over the library:
``content`` (topic, municipality, check, build, spacy), ``model`` (train,
eval), ``records`` (migrate, retention, journal), ``accounts`` (users) and
``servers`` (run, cluster, chat, serve). ``command()`` puts them together.

The installed command is ``glue.cli:main``: ``command()`` with the two
servers that need Rasa's glue (`serve rasa`, `serve actions`), because
bot/ never imports glue/. ``main`` here is the same command without them,
for the tests and tools that stay inside bot/.

Every command has a one-line help (``kommunebot COMMAND --help``). Errors
are one English line naming the file, field or variable; a content
problem exits with 1, wrong use or a bad setting with 2, never a traceback.
Settings are read once and passed down.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from bot.cli import accounts, content, model, records, servers
from bot.cli.common import DB_HELP


def command(serve: Sequence[click.Command] = ()) -> click.Group:
    """The whole command; ``serve`` adds servers to `kommunebot serve`."""

    @click.group(
        name="kommunebot",
        commands=[
            *content.COMMANDS,
            *model.COMMANDS,
            *records.COMMANDS,
            accounts.users,
            *servers.COMMANDS,
            servers.serve_group(serve),
        ],
    )
    @click.option("--db", type=click.Path(path_type=Path), default=None, help=DB_HELP)
    @click.pass_context
    def kommunebot(ctx: click.Context, db: Path | None) -> None:
        """Kommunebot: a Danish citizen assistant for municipalities."""
        ctx.obj = db

    return kommunebot


main = command()
