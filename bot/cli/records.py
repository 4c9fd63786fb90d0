"""The data database: `migrate`, `retention` and `journal verify`."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click
import sqlalchemy as sa

from bot.cli.common import current_settings, fail
from bot.ops.services import APP_ROLE
from bot.records.database import Database, DatabaseUnavailable, describe


@click.command("retention")
def retention() -> None:
    """Delete conversations, callbacks and inbox messages past each
    municipality's retention period (callbacks.retention_days in knowledge).

    The period is the one citizens are told when they book. Callbacks go in
    any status once their slot is older than the period (closed ones also
    once closed that long), fallback-inbox messages per municipality, and
    tracker conversations after the shortest period of any municipality
    (the tracker store does not index conversations by municipality). Rows
    go in batches of 200, so Rasa's writes never wait long. Run it daily
    from cron (`make retention`)."""

    from bot.knowledge.store import KnowledgeDatabaseError, open_knowledge
    from bot.ops.retention import run

    settings = current_settings()
    try:
        result = run(settings, open_knowledge(settings.knowledge_db))
    except (ValueError, KnowledgeDatabaseError, sqlite3.Error, sa.exc.SQLAlchemyError) as exc:
        click.echo(f"error: retention failed: {exc}", err=True)
        sys.exit(1)
    periods = ", ".join(f"{k} {d}" for k, d in sorted(result["periods"].items()))
    click.echo(
        f"Retention (days: {periods}): deleted {result['conversations']} conversation(s), "
        f"{result['callbacks']} callback(s) and {result['inbox']} inbox message(s)."
    )


@click.group("journal")
def journal_group() -> None:
    """The append-only journal of bookings, staff actions, notes, inbox
    decisions and user changes (the events table)."""


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    entry, _, digest = value.partition(":")
    if not entry.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        fail(f"anchor: expected ID:HASH as `kommunebot journal verify` prints it, got {value!r}")
    return int(entry), digest


@journal_group.command("verify")
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=None,
    help="SQLite file with the journal (default: KOMMUNEBOT_DATABASE_URL, else KOMMUNEBOT_DATA_DB)",
)
@click.option(
    "--anchor",
    default=None,
    metavar="ID:HASH",
    help="a head printed by an earlier run, kept elsewhere: fails if that entry was changed or removed",
)
@click.pass_context
def journal_verify(ctx, db: Path | None, anchor: str | None) -> None:
    """Recompute the journal's hash chain: exit 0 when intact, 1 at the
    first entry that was changed, removed or inserted behind its back.

    Reads one snapshot and writes nothing. Intact, it prints `N entries,
    chain intact` and the head (ID:HASH); broken, the first broken entry's
    id and what differs (the hash, a missing id, no hash). With --anchor, a
    head kept from an earlier run, it also catches entries removed at the
    end. Run it daily after retention and keep the head outside the server."""
    from bot.records.journal import verify_database

    target = db or ctx.obj or current_settings().database_url
    try:
        result = verify_database(target, _anchor(anchor))
    except (FileNotFoundError, LookupError, ValueError) as exc:
        fail(f"db: {exc}")
    except (sqlite3.Error, sa.exc.SQLAlchemyError, DatabaseUnavailable) as exc:
        click.echo(f"error: cannot read the journal in {describe(target)}: {exc}", err=True)
        sys.exit(1)
    if not result.intact:
        click.echo(f"journal broken at entry {result.broken}: {result.problem}", err=True)
        click.echo(f"({result.entries} entries before it are intact)", err=True)
        sys.exit(1)
    click.echo(f"{result.entries} entries, chain intact")
    if result.legacy == result.entries and result.entries:
        click.echo("all are unchained legacy rows from before the hash chain; the next entry seals them")
    elif result.legacy:
        click.echo(f"{result.legacy} unchained legacy rows from before the hash chain, sealed by the entry after them")
    if result.head is not None:
        click.echo(f"head {result.head[0]}:{result.head[1]} (keep it elsewhere; check it later with --anchor)")


@click.command("migrate")
@click.option(
    "--url",
    default=None,
    metavar="URL",
    help="the data database, as its owner (default: KOMMUNEBOT_DATABASE_URL, else the SQLite file KOMMUNEBOT_DATA_DB)",
)
@click.option(
    "--app-role",
    default=APP_ROLE,
    show_default=True,
    help="PostgreSQL: the role the servers connect as; granted read and write on the tables, only SELECT and INSERT "
    "on the journal ('' grants nothing)",
)
def migrate(url: str | None, app_role: str) -> None:
    """Create or upgrade the data database's tables to this release (Alembic migrations).

    The migrations are in bot/records/migrations/. A SQLite file is also
    upgraded by the first server that opens it; a PostgreSQL database only
    by this command, run as the owner role before starting the servers
    after every upgrade (the servers refuse a database that is behind and
    say so)."""
    from bot.records import migrations

    target = url or current_settings().database_url
    try:
        db = Database(target, timeout=30.0)
        if db.sqlite:
            db.path.parent.mkdir(parents=True, exist_ok=True)
        before, after = migrations.upgrade(db, app_role or None)
    except ValueError as exc:
        fail(f"url: {exc}")
    except (OSError, sqlite3.Error, sa.exc.SQLAlchemyError, DatabaseUnavailable) as exc:
        click.echo(f"error: cannot migrate {describe(target)}: {exc}", err=True)
        sys.exit(1)
    finally:
        if "db" in locals():
            db.dispose()
    if before == after:
        click.echo(f"{describe(target)}: already at revision {after}")
    else:
        click.echo(f"{describe(target)}: migrated from revision {before or 'none'} to {after}")


COMMANDS = (retention, journal_group, migrate)
