"""SQL tracker store configured by one database URL.

Rasa's SQLTrackerStore wants dialect, host, port and db as separate keys;
operators think in URLs (sqlite:///var/tracker.db, postgresql://...), so the
URL from KOMMUNEBOT_TRACKER_URL (or endpoints.yml `url`) is split here.

PostgreSQL is the store for several Rasa replicas: they share it, while
the lock store (glue.lock_store) keeps them from writing one conversation
at the same time. The database must exist (the operator or `kommunebot
cluster` creates it, owned by the application role); Rasa only creates
its `events` table, never the database, so the role needs no CREATEDB.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine.url import make_url

from bot import settings

log = logging.getLogger(__name__)

# Rasa's SQLTrackerStore runs its queries synchronously on the server's one
# event loop, so a replica uses one connection at a time; Rasa's own pool
# defaults (50, overflow 100) would let ten replicas claim 1500 connections
# of a PostgreSQL that allows a few hundred. A few per replica leave room
# for the API's tracker reads and a connection being replaced.
PG_POOL_SIZE = 2
PG_MAX_OVERFLOW = 3

# How many of a retrieved tracker's events are already stored, kept on the
# tracker object itself: Rasa retrieves, appends and saves the same object
# within one conversation lock.
_STORED = "_kommunebot_stored_events"


class UrlSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host: str | None = None, event_broker=None, **kwargs: Any) -> None:
        url_text = kwargs.pop("url", None) or host or settings.current().tracker_url
        url = make_url(url_text)
        if url.drivername in ("postgres", "postgres+psycopg2"):
            # The scheme some hosting platforms hand out; SQLAlchemy 1.4 knows only postgresql.
            url = url.set(drivername="postgresql")
        dialect = url.drivername
        if dialect.startswith("postgresql") and not url.database:
            raise ValueError(f"tracker store URL names no database: {url.render_as_string(hide_password=True)}")
        db = url.database or "rasa.db"
        if dialect.startswith("sqlite"):
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        log.info("tracker store: %s", url.render_as_string(hide_password=True))
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=url.host,
            port=url.port,
            db=db,
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query) or None,
            **kwargs,
        )
        if dialect.startswith("sqlite"):
            self._tune_sqlite()
        elif dialect.startswith("postgresql"):
            self._tune_postgresql()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool):
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def save(self, tracker) -> None:
        await super().save(tracker)
        setattr(tracker, _STORED, len(tracker.events))

    def _additional_events(self, session, tracker):
        """The events not stored yet. Rasa counts the stored events of the
        session with a query (and a MAX(timestamp) subquery) on every save;
        a tracker this store retrieved or saved knows the count already, so
        only a tracker it has never seen pays for the query."""
        stored = getattr(tracker, _STORED, None)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    def _tune_postgresql(self) -> None:
        """A small pool that checks a connection before use.

        Rasa's pool sizes are replaced only where Rasa's defaults apply, so
        its SQL_POOL_SIZE and SQL_MAX_OVERFLOW still work. The pre-ping
        means a restarted PostgreSQL costs a reconnect, not a failed turn.
        """
        import sqlalchemy as sa
        from rasa.core import tracker_store as rasa_store

        url = self.engine.url
        kwargs = rasa_store.create_engine_kwargs(url)
        if kwargs.get("pool_size") == rasa_store.POSTGRESQL_DEFAULT_POOL_SIZE:
            kwargs["pool_size"] = PG_POOL_SIZE
        if kwargs.get("max_overflow") == rasa_store.POSTGRESQL_DEFAULT_MAX_OVERFLOW:
            kwargs["max_overflow"] = PG_MAX_OVERFLOW
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _tune_sqlite(self) -> None:
        """Pool connections and use WAL for the embedded default.

        SQLAlchemy 1.4 opens a new SQLite connection for every session of a
        file database (NullPool); each message does several. A small pool and
        WAL with synchronous=NORMAL (never corrupts; at worst the last turns
        before a power cut are lost) roughly halve the tracker-store cost.
        The Rasa server runs its event loop in one thread, so sharing pooled
        connections across calls is safe.
        """
        import sqlalchemy as sa
        from sqlalchemy.pool import QueuePool

        url = self.engine.url
        self.engine.dispose()
        engine = sa.create_engine(
            url, poolclass=QueuePool, pool_size=4, max_overflow=4, connect_args={"check_same_thread": False}
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        self.engine = engine
        self.sessionmaker = sa.orm.session.sessionmaker(bind=engine)
