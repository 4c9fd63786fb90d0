"""What every command group shares: errors as one line with the right exit
code, the settings read once, the --root and --db options."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from bot import settings as settings_module
from bot.settings import PROJECT_ROOT, SettingError, Settings

DB_HELP = "SQLite file with the users (default: KOMMUNEBOT_DATABASE_URL, else KOMMUNEBOT_DATA_DB)"

ROOT_OPTION = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=PROJECT_ROOT,
    show_default=False,
    help="the project folder (default: this repository)",
)


def fail(message: str) -> NoReturn:
    """Wrong use or a bad setting: exit code 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def current_settings() -> Settings:
    try:
        return settings_module.current()
    except SettingError as exc:
        fail(str(exc))


def exit_with_problems(problems) -> NoReturn:
    """Content problems, one line each, then a Danish summary for the editor: exit code 1."""
    for problem in problems:
        click.echo(str(problem), err=True)
    summary = "1 problem: ret det" if len(problems) == 1 else f"{len(problems)} problemer: ret dem"
    click.echo(f"{summary}, og kør `kommunebot check` igen.", err=True)
    sys.exit(1)
