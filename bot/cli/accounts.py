"""`kommunebot users`: staff-console accounts, journaled as the command's user."""

from __future__ import annotations

import getpass
import sqlite3
import sys
from pathlib import Path

import click
import sqlalchemy as sa

from bot.cli.common import DB_HELP, current_settings, fail
from bot.console.accounts import ALL, ROLES, AccountError, Accounts, User
from bot.records.database import DatabaseUnavailable, SchemaOutdated, describe


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


@click.group()
@click.option("--db", type=click.Path(path_type=Path), default=None, help=DB_HELP)
@click.pass_context
def users(ctx: click.Context, db: Path | None) -> None:
    """Manage staff-console users."""
    # Accepted before or after "users"; the nearer one wins.
    ctx.obj = db or ctx.obj or current_settings().database_url


def _knowledge_municipalities() -> frozenset[str]:
    from bot.knowledge.store import KnowledgeDatabaseError, open_knowledge

    settings = current_settings()
    try:
        return frozenset(open_knowledge(settings.knowledge_db).municipalities)
    except KnowledgeDatabaseError as exc:
        fail(f"municipality: cannot check it against {settings.knowledge_db} ({exc}); run `kommunebot build`")


def _accounts(ctx: click.Context, municipality: str | None = None) -> Accounts:
    """The users' database; a municipality that is named must be one in the knowledge base."""
    named = municipality is not None and municipality.strip().lower() not in ("", "all", ALL)
    known = _knowledge_municipalities() if named else None
    try:
        return Accounts(ctx.obj, municipalities=known)
    except (OSError, ValueError, sqlite3.Error, sa.exc.SQLAlchemyError, DatabaseUnavailable, SchemaOutdated) as exc:
        fail(f"db: cannot open {describe(ctx.obj)}: {exc}")


def _existing(accounts: Accounts, username: str) -> User:
    user = accounts.get(username)
    if user is None:
        fail(f"username: no user {username!r}")
    return user


def _change(ctx: click.Context, username: str, change) -> User:
    """``change(accounts, name, actor=...)`` for an existing user, journaled as this command's user."""
    accounts = _accounts(ctx)
    user = _existing(accounts, username)
    change(accounts, user.username, actor=_actor())
    return user


def _scope(user: User) -> str:
    return "all" if user.municipality == ALL else user.municipality or "(none)"


_MUNICIPALITY_HELP = "the municipality's key (knowledge/municipalities/); required for staff and editors"


@users.command("create")
@click.argument("username")
@click.option("--role", type=str, required=True, help=f"one of: {', '.join(ROLES)}")
@click.option("--municipality", default=None, help=f"{_MUNICIPALITY_HELP}; admins default to all")
@click.option("--name", "display_name", default=None, help="the name shown in the console")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
@click.pass_context
def create(ctx, username: str, role: str, municipality: str | None, display_name: str | None, password_stdin: bool):
    """Create a user; the password must not be a common or breached one."""
    if role not in ROLES:
        fail(f"role: must be one of {', '.join(ROLES)}, got {role!r}")
    accounts = _accounts(ctx, municipality)
    try:
        key = accounts.municipality_key(role, municipality)  # before asking for a password in vain
        user = accounts.create_user(
            username, _password(password_stdin), role, display_name, actor=_actor(), municipality=key
        )
    except AccountError as exc:
        fail(str(exc))
    click.echo(f"created {user.username} ({user.role}, municipality {_scope(user)})")


@users.command("set-municipality")
@click.argument("username")
@click.argument("municipality")
@click.pass_context
def set_municipality(ctx, username: str, municipality: str) -> None:
    """Set whose callbacks a user sees: a municipality's key, or `all` (admins only)."""
    accounts = _accounts(ctx, municipality)
    try:
        user = accounts.set_municipality(username, municipality, actor=_actor())
    except AccountError as exc:
        fail(str(exc))
    click.echo(f"{user.username} now sees the callbacks of {_scope(user)}")


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
@click.pass_context
def reset_password(ctx, username: str, password_stdin: bool) -> None:
    """Set a new password (not a common or breached one); unlocks the user and ends their sessions."""
    accounts = _accounts(ctx)
    user = _existing(accounts, username)  # before asking for a password in vain
    try:
        accounts.set_password(user.username, _password(password_stdin), actor=_actor())
    except AccountError as exc:
        fail(str(exc))
    click.echo(f"password reset for {user.username}")


@users.command("reset-mfa")
@click.argument("username")
@click.pass_context
def reset_mfa(ctx, username: str) -> None:
    """Remove a user's second factor (a lost device) and end their sessions; they can enrol again."""
    user = _change(ctx, username, Accounts.reset_totp)
    click.echo(f"second factor removed for {user.username}; they log in with the password and can enrol again")


@users.command("disable")
@click.argument("username")
@click.pass_context
def disable(ctx, username: str) -> None:
    """Disable a user and end their sessions."""
    click.echo(f"disabled {_change(ctx, username, Accounts.disable).username}")


@users.command("enable")
@click.argument("username")
@click.pass_context
def enable(ctx, username: str) -> None:
    """Enable a disabled user."""
    try:
        _accounts(ctx).enable(username, actor=_actor())
    except AccountError as exc:
        fail(str(exc))
    click.echo(f"enabled {username}")


@users.command("list")
@click.pass_context
def list_users(ctx) -> None:
    """List users with their municipality (never passwords, hashes or secrets)."""
    rows = [("USERNAME", "ROLE", "MUNICIPALITY", "NAME", "STATUS", "MFA")] + [
        (
            u.username,
            u.role,
            _scope(u),
            u.display_name,
            "disabled" if u.disabled else "active",
            "yes" if u.mfa else "no",
        )
        for u in _accounts(ctx).list_users()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
