"""SQL tracker store configured by one database URL.

Rasa's SQLTrackerStore wants dialect, host, port and db as separate keys;
operators think in URLs (sqlite:///var/tracker.db, postgresql://...), so the
URL from KOMMUNEBOT_TRACKER_URL (or endpoints.yml `url`) is split here.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine.url import make_url

from bot.settings import Settings

log = logging.getLogger(__name__)


class UrlSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host: Optional[str] = None, event_broker=None, **kwargs: Any) -> None:
        url_text = kwargs.pop("url", None) or host or Settings.from_env().tracker_url
        url = make_url(url_text)
        dialect = url.drivername
        db = url.database or "rasa.db"
        if dialect.startswith("sqlite"):
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        log.info("tracker store: %s", url.render_as_string(hide_password=True) if hasattr(url, "render_as_string") else dialect)
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
