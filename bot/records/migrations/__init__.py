"""Alembic migrations of the data database, run through Alembic's API.

A SQLite file is upgraded by the first store that opens it (inside one
``BEGIN IMMEDIATE`` transaction, so of several processes starting at once
only one migrates). A PostgreSQL database is upgraded by ``kommunebot
migrate`` as the database owner; the migrations grant the application
role what it may do, and a store refuses a database that is behind.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.records.database import Database, SchemaOutdated

HERE = Path(__file__).resolve().parent


def _config(connection: Connection | None = None, app_role: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    config.attributes["app_role"] = app_role
    return config


@lru_cache(maxsize=1)
def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(conn: Connection) -> str | None:
    """The revision the database is at; None before the first migration."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, app_role: str | None = None) -> tuple[str | None, str]:
    """Upgrade to the newest revision; returns (revision before, after).

    ``app_role`` (PostgreSQL) is the role the servers connect as: it gets
    read and write access to the tables, and only SELECT and INSERT on the
    journal."""
    with db.begin() as conn:
        db.lock(conn, "kommunebot-migrate")  # two `kommunebot migrate` at once: the second finds it done
        before = current(conn)
        if before != head():
            command.upgrade(_config(conn, app_role), "head")
    return before, head()


def ensure_current(db: Database) -> None:
    """Bring a SQLite file up to date; refuse a PostgreSQL database that is behind."""
    with db.connect() as conn:
        at = current(conn)
    if at == head():
        return
    if not db.sqlite:
        raise SchemaOutdated(
            f"database {db}: schema at revision {at or 'none'}, this code needs {head()};"
            " run `kommunebot migrate` as the database owner"
        )
    upgrade(db)
