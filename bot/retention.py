"""Delete old conversations and closed callbacks (`make retention`).

Personal data is kept no longer than needed: tracker conversations whose
last event is older than the retention period, completed or cancelled
callbacks, and messages in the editors' fallback inbox are deleted. The
anonymous journal and outcome rows stay; each
run is itself recorded in the journal.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys

import sqlalchemy as sa

from bot.callback_store import CallbackStore
from bot.inbox import Inbox
from bot.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_DAYS = 30


def delete_old_conversations(tracker_url: str, cutoff: dt.datetime) -> int:
    """Delete every event of conversations whose newest event is before ``cutoff``."""
    engine = sa.create_engine(tracker_url)
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table("events"):
                return 0
            old = sa.text(
                "SELECT sender_id FROM events GROUP BY sender_id HAVING max(timestamp) < :cutoff"
            )
            senders = [row[0] for row in conn.execute(old, {"cutoff": cutoff.timestamp()})]
            for sender in senders:
                conn.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
            return len(senders)
    finally:
        engine.dispose()


def run(days: int, settings: Settings, now: dt.datetime | None = None) -> dict:
    if days < 1:
        raise ValueError("retention must be at least 1 day")
    cutoff = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=days)
    store = CallbackStore(settings.data_db)
    conversations = delete_old_conversations(settings.tracker_url, cutoff)
    callbacks = store.delete_closed_before(cutoff)
    inbox = Inbox(settings.data_db).delete_before(cutoff)
    store.record("retention_run", "retention", days=days, conversations=conversations, callbacks=callbacks,
                 inbox=inbox)
    return {"cutoff": cutoff.isoformat(timespec="seconds"), "conversations": conversations, "callbacks": callbacks,
            "inbox": inbox}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--days",
        type=int,
        default=int(os.environ.get("KOMMUNEBOT_RETENTION_DAYS") or DEFAULT_DAYS),
        help=f"keep this many days (default {DEFAULT_DAYS}, or KOMMUNEBOT_RETENTION_DAYS)",
    )
    args = parser.parse_args(argv)
    try:
        result = run(args.days, Settings.from_env())
    except (ValueError, sa.exc.SQLAlchemyError) as exc:
        print(f"error: retention failed: {exc}", file=sys.stderr)
        return 1
    print(
        f"Retention ({args.days} days, before {result['cutoff']}): deleted {result['conversations']} "
        f"conversation(s) and {result['callbacks']} closed callback(s)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
