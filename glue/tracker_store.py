"""SQL tracker store configured by one database URL.

Rasa's SQLTrackerStore wants dialect, host, port and db as separate keys;
operators think in URLs (sqlite:///var/tracker.db, postgresql://...), so the
URL from KOMMUNEBOT_TRACKER_URL (or endpoints.yml `url`) is split here.

`retrieve`, which Rasa calls for every message, returns a window of the
current session: the events from the listen that opened the last
WINDOW_TURNS user turns, after each slot's latest value from before them.
The policies, the action call and the save then cost the same at turn 30
as at turn 1. Every event is still stored, and `retrieve_full_tracker`
(the HTTP API's tracker, exports) reads them all; the console, the journal
and retention read the `events` table itself.

`save` writes the rows Rasa's SQLTrackerStore.save writes, with one
multi-row insert, and nothing (no count, no commit) for the empty tracker
Rasa saves when a conversation begins; pinned to Rasa 3.6.21's source
(glue/rasa_pin.py).

PostgreSQL is the store for several Rasa replicas: they share it, while
the lock store (glue.lock_store) keeps them from writing one conversation
at the same time. The database must exist (the operator or `kommunebot
cluster` creates it, owned by the application role); Rasa only creates
its `events` table, never the database, so the role needs no CREATEDB.
"""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine.url import make_url

from bot import settings
from glue.rasa_pin import check

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

# The stored user turns a retrieved tracker keeps; the message being handled
# is one more. What the policies read of the history (config.yml, data/):
# RulePolicy matches its rules from the end, and the longest is one user
# turn after a condition on the active loop (data/rules/callback.yml); the
# window never starts inside an active loop (below), so the condition is
# always there. MemoizationPolicy reads the whole history (its max_history
# is unset) against the stories from their start; the longest story has
# four user turns (data/stories/errands.yml), so the window plus the
# message hold it: the last turns that follow a story are recognised as in
# a fresh conversation. tests/unit/test_tracker_window.py derives this
# from config.yml and data/, and tests/system/test_tracker_window.py checks
# that the policies decide alike on the window and on the whole session.
WINDOW_TURNS = 3

# Rasa's methods this store replaces or reproduces, with the digest of the
# 3.6.21 source each replacement was written against (glue/rasa_pin.py):
# save (the rows it writes), _event_query (the current session's boundary)
# and _additional_events (what counts as stored).
_PINNED = (
    (SQLTrackerStore.save, "57165e46eab3de08"),
    (SQLTrackerStore._event_query, "cd44f7901b860bfd"),
    (SQLTrackerStore._additional_events, "d22f99eb863acb07"),
)

# Events whose effect on the tracker the window reproduces: their state is
# the slots (SlotSet), belongs to the turn they are in, or is nothing. A
# session holding any other kind (restart, rewind, undo, reset_slots,
# pause, legacy forms, ...) is read whole, as Rasa reads it.
WINDOW_SAFE_EVENTS = frozenset(
    {
        "action",
        "user",
        "user_featurization",
        "entities",
        "bot",
        "slot",
        "active_loop",
        "loop_interrupted",
        "action_execution_rejected",
        "followup",
        "session_started",
        "reminder",
        "cancel_reminder",
        "agent",
    }
)


class _Prepared:
    """A statement compiled once for the store's dialect and run on the
    driver directly. SQLAlchemy otherwise builds the statement's cache key
    on every execution, walking the whole expression (the window's facts
    have four subqueries): 7 % of the Rasa server's samples (py-spy, 10
    users, issue 24, 2026-12-05). The values are plain str, int and float,
    which SQLite's and psycopg2's drivers take as they are."""

    def __init__(self, statement, dialect):
        self.compiled = statement.compile(dialect=dialect)
        self.sql = self.compiled.string
        # The bound names in order for a positional paramstyle (SQLite's
        # qmark), None for a named one (psycopg2's pyformat).
        self.positions = self.compiled.positiontup

    def run(self, session, **values):
        params = self.compiled.construct_params(values)
        if self.positions is not None:
            params = tuple(params[name] for name in self.positions)
        return session.connection().exec_driver_sql(self.sql, params)


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
        for function, digest in _PINNED:
            check(function, digest, __name__)
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

    async def retrieve(self, sender_id: str):
        """The current session's window for prediction (see the module); the
        whole session when it is shorter than the window or holds an event
        the window cannot reproduce; None when it has no events (Rasa's
        ``_retrieve`` without a second session, read in the same one)."""
        with self.session_scope() as session:
            rows = self._window_rows(session, sender_id)
        if not rows or self.domain is None:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)
        setattr(tracker, _STORED, len(tracker.events))
        return tracker

    def _window_rows(self, session, sender_id: str) -> list[str]:
        """The stored data of the window's events in order, or of the whole
        current session when the window cannot be taken. The selection runs
        in SQL on indexed columns, so only the window's events are read and
        parsed: one statement decides (``_window_facts``), one or two more
        read."""
        facts = self._prepared("facts").run(session, sender=sender_id).one()
        if not facts.events:
            return []
        # Rasa's own boundary of the current session (SQLTrackerStore._event_query).
        bound = {"sender": sender_id}
        since = facts.session_start is not None
        if since:
            bound["session_start"] = facts.session_start
        start = None
        if self.domain is not None and not facts.unsafe and facts.opened is not None:
            start = self._before_active_loop(session, bound, since, facts.opened)
        if start is None:
            rows = self._prepared("whole", since).run(session, **bound).all()
        else:
            # Each slot's latest value from before the window, then the window itself.
            rows = self._prepared("window", since).run(session, start=start, **bound).all()
        return [data for (data,) in rows]

    def _prepared(self, name: str, since: bool = False) -> _Prepared:
        """The store's statements, built and compiled once per store and
        kind: ``since`` when the current session starts at a stored
        session_started (its timestamp is bound as ``session_start``)."""
        cache = self.__dict__.setdefault("_statements", {})
        key = (name, since)
        if key not in cache:
            cache[key] = _Prepared(self._statement(name, since), self.engine.dialect)
        return cache[key]

    def _statement(self, name: str, since: bool):
        table = self.SQLEvent.__table__
        if name == "facts":
            return self._window_facts()
        current = [table.c.sender_id == sa.bindparam("sender")]
        if since:
            current.append(table.c.timestamp >= sa.bindparam("session_start"))
        if name == "whole":
            return sa.select(table.c.data).where(*current).order_by(table.c.id)
        if name == "window":
            start = sa.bindparam("start")
            # SlotSet stores the slot's name in `action_name`.
            latest_slots = (
                sa.select(sa.func.max(table.c.id))
                .where(*current, table.c.type_name == SlotSet.type_name, table.c.id < start)
                .group_by(table.c.action_name)
            )
            return (
                sa.select(table.c.data)
                .where(*current, sa.or_(table.c.id >= start, table.c.id.in_(latest_slots)))
                .order_by(table.c.id)
            )
        if name == "loops":
            return (
                sa.select(table.c.id, table.c.data)
                .where(*current, table.c.type_name == ActiveLoop.type_name, table.c.id < sa.bindparam("opened"))
                .order_by(table.c.id.desc())
            )
        if name == "listen_before":
            return sa.select(sa.func.max(table.c.id)).where(
                *current,
                table.c.type_name == ActionExecuted.type_name,
                table.c.action_name == ACTION_LISTEN_NAME,
                table.c.id < sa.bindparam("activated"),
            )
        raise KeyError(name)

    def _window_facts(self):
        """One statement for what decides the window, for the bound
        ``sender``: the current session's start (Rasa's boundary: the latest
        session_started, else the whole conversation), how many events the
        session has, whether it holds an event the window cannot reproduce,
        and the listen that opened the oldest turn of the window (the latest
        listen closes the last turn, and each turn opens with one)."""
        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender")
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        current = sa.and_(
            table.c.sender_id == sender, sa.or_(session_start.is_(None), table.c.timestamp >= session_start)
        )
        opened = (
            sa.select(table.c.id)
            .where(
                current,
                table.c.type_name == ActionExecuted.type_name,
                table.c.action_name == ACTION_LISTEN_NAME,
            )
            .order_by(table.c.id.desc())
            .offset(WINDOW_TURNS)
            .limit(1)
            .scalar_subquery()
        )
        return sa.select(
            session_start.label("session_start"),
            sa.select(sa.func.count()).where(current).scalar_subquery().label("events"),
            # One bound value per name, not SQLAlchemy's expanding list,
            # which is written out only at execution (_Prepared runs the
            # statement compiled once).
            sa.exists()
            .where(current, table.c.type_name.notin_([sa.literal(n) for n in sorted(WINDOW_SAFE_EVENTS)]))
            .label("unsafe"),
            opened.label("opened"),
        )

    def _before_active_loop(self, session, bound: dict, since: bool, opened: int) -> int | None:
        """Where the window starts: at ``opened``, or, when a loop (the
        callback form) is active there, at the listen before the user turn
        that activated it, so the loop's turns are replayed whole (Rasa
        folds a loop's turns into one for the policies). None: the whole
        session."""
        loops = self._prepared("loops", since).run(session, opened=opened, **bound).all()
        activated = None
        for row_id, data in loops:
            if json.loads(data).get("name") is None:
                break
            activated = row_id
        if activated is None:
            return opened
        return self._prepared("listen_before", since).run(session, activated=activated, **bound).scalar()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool):
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def save(self, tracker) -> None:
        """Rasa's save (the same rows), written with one multi-row insert
        instead of the ORM adding, flushing and reading back each event,
        and without a transaction when there is nothing new."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = []
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
                session.commit()
        setattr(tracker, _STORED, len(tracker.events))

    def _additional_events(self, session, tracker):
        """The events not stored yet. Rasa counts the stored events of the
        session with a query (and a MAX(timestamp) subquery) on every save;
        a tracker this store retrieved or saved knows the count already, so
        only a tracker it has never seen pays for the query."""
        stored = getattr(tracker, _STORED, None)
        if stored is None and not tracker.events:
            # A new conversation's tracker, saved empty by Rasa's
            # create_tracker: nothing to add, whatever the count.
            return iter(())
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    def _tune_postgresql(self) -> None:
        """A small pool that checks a connection before use.

        Rasa's pool sizes are replaced only where Rasa's defaults apply, so
        its SQL_POOL_SIZE and SQL_MAX_OVERFLOW still work. The pre-ping
        means a restarted PostgreSQL costs a reconnect, not a failed turn.
        """
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
