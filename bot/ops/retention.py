"""Delete personal data past its retention period (`kommunebot retention`).

Each municipality's period is ``callbacks.retention_days`` in knowledge,
the same number citizens are told when they book a callback ("kept until
the call is over, deleted at most N days after"). Per municipality:

- callbacks in every status whose slot is more than the period ago, and
  closed (completed, cancelled) ones closed more than the period ago, so a
  callback cancelled long before its slot is not kept for the slot's sake;
- messages in the editors' fallback inbox received more than the period ago.

Rows of a municipality no longer in the knowledge base use the shortest
period. Tracker conversations are not indexed by municipality, so a
conversation is deleted when its newest event is older than the shortest
period of any municipality. The anonymous journal and outcome rows stay.

Everything is deleted in transactions of at most ``BATCH_ROWS`` rows with a
pause between them, so the action server and Rasa, writing the same files
during a run, never wait long for the lock. Every batch is journaled (count,
cutoff, municipality), and so is the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import sqlalchemy as sa

from bot.callbacks.store import CallbackStore
from bot.knowledge.model import Knowledge
from bot.records.database import BATCH_ROWS, delete_in_batches, storage_time, utc_now
from bot.records.inbox import Inbox
from bot.settings import Settings

# Only events of conversations that are still old when the batch runs: a
# citizen may come back to a conversation between listing and deleting.
_DELETE_EVENTS = sa.text(
    "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.sender_id IN :senders"
    " AND NOT EXISTS (SELECT 1 FROM events n WHERE n.sender_id = e.sender_id AND n.timestamp >= :cutoff)"
    " ORDER BY e.id LIMIT :batch)"
).bindparams(sa.bindparam("senders", expanding=True))
_REMAINING = sa.text("SELECT count(DISTINCT sender_id) FROM events WHERE sender_id IN :senders").bindparams(
    sa.bindparam("senders", expanding=True)
)


def _chunks(old: list[tuple[str, int]], batch: int) -> Iterator[tuple[list[str], int]]:
    """Conversations grouped so that a group has at most ``batch`` events (a
    longer conversation is a group of its own, deleted in several); each
    group with its number of events."""
    group, size = [], 0
    for sender, events in old:
        if group and size + events > batch:
            yield group, size
            group, size = [], 0
        group.append(sender)
        size += events
    if group:
        yield group, size


def delete_old_conversations(
    tracker_url: str,
    cutoff: dt.datetime,
    batch: int = BATCH_ROWS,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Delete every event of conversations whose newest event is before
    ``cutoff``, at most ``batch`` events per transaction; ``on_batch`` gets
    (conversations, events) after each group. Returns the conversations."""
    url = sa.engine.make_url(tracker_url)
    # Wait for Rasa's writes rather than fail the run; Rasa's own waits stay short.
    engine = sa.create_engine(url, connect_args={"timeout": 30} if url.drivername.startswith("sqlite") else {})
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("events"):
                return 0
            old = conn.execute(
                sa.text(
                    "SELECT sender_id, count(*) FROM events GROUP BY sender_id"
                    " HAVING max(timestamp) < :cutoff ORDER BY sender_id"
                ),
                {"cutoff": cutoff.timestamp()},
            ).fetchall()
        deleted = 0
        for senders, size in _chunks([tuple(row) for row in old], batch):

            def step(_first: bool, senders=senders) -> int:
                with engine.begin() as conn:
                    params = {"senders": senders, "cutoff": cutoff.timestamp(), "batch": batch}
                    return conn.execute(_DELETE_EVENTS, params).rowcount

            events = delete_in_batches(step, batch, expected=size)
            with engine.connect() as conn:
                gone = len(senders) - conn.execute(_REMAINING, {"senders": senders}).scalar()
            deleted += gone
            if on_batch is not None:
                on_batch(gone, events)
        return deleted
    finally:
        engine.dispose()


def run(settings: Settings, knowledge: Knowledge, now: dt.datetime | None = None) -> dict:
    now = now or utc_now()
    periods = {key: m.retention_days for key, m in knowledge.municipalities.items()}
    if not periods:
        raise ValueError("the knowledge base has no municipalities, so no retention period")
    shortest = min(periods.values())

    def cutoff(municipality: str) -> dt.datetime:
        return now - dt.timedelta(days=periods.get(municipality, shortest))

    store = CallbackStore(settings.database_url)
    inbox = Inbox(settings.database_url)
    oldest = now - dt.timedelta(days=shortest)

    def journal_conversations(conversations: int, events: int) -> None:
        # The tracker store is another database: each batch is journaled
        # right after it is committed there.
        store.record(
            "retention_conversations",
            "retention",
            deleted=conversations,
            events=events,
            cutoff=storage_time(oldest),
            municipality=None,
        )

    conversations = delete_old_conversations(settings.tracker_url, oldest, on_batch=journal_conversations)
    callbacks = sum(store.delete_expired(cutoff(m), municipality=m) for m in store.municipalities())
    messages = sum(inbox.delete_before(cutoff(m), municipality=m) for m in inbox.municipalities())
    result = {
        "days": shortest,
        "periods": periods,
        "conversations": conversations,
        "callbacks": callbacks,
        "inbox": messages,
    }
    store.record("retention_run", "retention", conversations_cutoff=storage_time(oldest), **result)
    return result
