"""SQL tracker store configured by one database URL.

Rasa's SQLTrackerStore wants dialect, host, port and db as separate keys;
operators think in URLs (sqlite:///var/tracker.db, postgresql://...), so the
URL from KOMMUNEBOT_TRACKER_URL (or endpoints.yml `url`) is split here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine.url import make_url

from bot import settings

log = logging.getLogger(__name__)


class UrlSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host: str | None = None, event_broker=None, **kwargs: Any) -> None:
        url_text = kwargs.pop("url", None) or host or settings.current().tracker_url
        url = make_url(url_text)
        dialect = url.drivername
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
