"""The ``kommunebot`` command for operators and editors.

``kommunebot users ...`` manages staff-console accounts. Errors are one
English line naming the field, with exit code 2, never a traceback.
"""
from __future__ import annotations

import getpass
import sqlite3
import sys
from pathlib import Path
from typing import NoReturn, Optional

import click

from bot.console.accounts import ROLES, AccountError, Accounts, User
from bot.console.sessions import Sessions
from bot.content.cli import register as register_content_commands
from bot.settings import Settings


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


_DB_HELP = "SQLite file with the users (default: KOMMUNEBOT_DATA_DB or var/kommunebot.db)"


@click.group(name="kommunebot")
@click.option("--db", type=click.Path(path_type=Path), default=None, help=_DB_HELP)
@click.pass_context
def main(ctx: click.Context, db: Optional[Path]) -> None:
    """Kommunebot: a Danish citizen assistant for municipalities."""
    ctx.obj = db


@main.group()
@click.option("--db", type=click.Path(path_type=Path), default=None, help=_DB_HELP)
@click.pass_context
def users(ctx: click.Context, db: Optional[Path]) -> None:
    """Manage staff-console users."""
    # Accepted before or after "users"; the nearer one wins.
    ctx.obj = db or ctx.obj or Settings.from_env().data_db


def _accounts(ctx: click.Context) -> Accounts:
    try:
        return Accounts(ctx.obj)
    except (OSError, sqlite3.Error) as exc:
        _fail(f"db: cannot open {ctx.obj}: {exc}")


def _existing(accounts: Accounts, username: str) -> User:
    user = accounts.get(username)
    if user is None:
        _fail(f"username: no user {username!r}")
    return user


@users.command("create")
@click.argument("username")
@click.option("--role", type=str, required=True, help=f"one of: {', '.join(ROLES)}")
@click.option("--name", "display_name", default=None, help="the name shown in the console")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
@click.pass_context
def create(ctx, username: str, role: str, display_name: Optional[str], password_stdin: bool) -> None:
    """Create a user."""
    if role not in ROLES:
        _fail(f"role: must be one of {', '.join(ROLES)}, got {role!r}")
    try:
        user = _accounts(ctx).create_user(username, _password(password_stdin), role, display_name, actor=_actor())
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"created {user.username} ({user.role})")


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
@click.pass_context
def reset_password(ctx, username: str, password_stdin: bool) -> None:
    """Set a new password; unlocks the user and ends their sessions."""
    accounts = _accounts(ctx)
    user = _existing(accounts, username)  # before asking for a password in vain
    try:
        accounts.set_password(user.username, _password(password_stdin), actor=_actor())
    except AccountError as exc:
        _fail(str(exc))
    Sessions(ctx.obj).delete_for_user(user.id)
    click.echo(f"password reset for {user.username}")


@users.command("disable")
@click.argument("username")
@click.pass_context
def disable(ctx, username: str) -> None:
    """Disable a user and end their sessions."""
    accounts = _accounts(ctx)
    user = _existing(accounts, username)
    accounts.disable(user.username, actor=_actor())
    Sessions(ctx.obj).delete_for_user(user.id)
    click.echo(f"disabled {user.username}")


@users.command("enable")
@click.argument("username")
@click.pass_context
def enable(ctx, username: str) -> None:
    """Enable a disabled user."""
    try:
        _accounts(ctx).enable(username, actor=_actor())
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"enabled {username}")


@users.command("list")
@click.pass_context
def list_users(ctx) -> None:
    """List users (never passwords or hashes)."""
    rows = [("USERNAME", "ROLE", "NAME", "STATUS")] + [
        (u.username, u.role, u.display_name, "disabled" if u.disabled else "active")
        for u in _accounts(ctx).list_users()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())


# The editors' commands: topic new, municipality new, check, build, train, eval.
register_content_commands(main)

if __name__ == "__main__":
    main()
