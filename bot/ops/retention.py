"""Delete personal data past its retention period (`kommunebot retention`).

Each municipality's period is ``callbacks.retention_days`` in knowledge,
the same number citizens are told when they book a callback. Closed
callbacks and messages in the editors' fallback inbox are deleted per
municipality; rows of a municipality no longer in the knowledge base use
the shortest period. Tracker conversations are not indexed by
municipality, so they are kept no longer than the shortest period of any
municipality. The anonymous journal and outcome rows stay; each run is
itself recorded in the journal.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.callbacks.store import CallbackStore
from bot.knowledge.model import Knowledge
from bot.records.database import utc_now
from bot.records.inbox import Inbox
from bot.settings import Settings


def delete_old_conversations(tracker_url: str, cutoff: dt.datetime) -> int:
    """Delete every event of conversations whose newest event is before ``cutoff``."""
    engine = sa.create_engine(tracker_url)
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table("events"):
                return 0
            old = sa.text("SELECT sender_id FROM events GROUP BY sender_id HAVING max(timestamp) < :cutoff")
            senders = [row[0] for row in conn.execute(old, {"cutoff": cutoff.timestamp()})]
            for sender in senders:
                conn.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
            return len(senders)
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

    store = CallbackStore(settings.data_db)
    inbox = Inbox(settings.data_db)
    conversations = delete_old_conversations(settings.tracker_url, now - dt.timedelta(days=shortest))
    callbacks = sum(store.delete_closed_before(cutoff(m), municipality=m) for m in store.municipalities())
    messages = sum(inbox.delete_before(cutoff(m), municipality=m) for m in inbox.municipalities())
    store.record(
        "retention_run",
        "retention",
        days=shortest,
        periods=periods,
        conversations=conversations,
        callbacks=callbacks,
        inbox=messages,
    )
    return {
        "days": shortest,
        "periods": periods,
        "conversations": conversations,
        "callbacks": callbacks,
        "inbox": messages,
    }
