"""bot/records/database.py: the pooled SQLite connections still treat a
database deleted under a running server as an error."""

from __future__ import annotations

import pytest

from bot.records.database import SQLITE_POOL_SIZE, DatabaseUnavailable
from bot.records.outcomes import OutcomeLog


def _count(log: OutcomeLog) -> int:
    with log.db.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM outcomes").scalar()


def test_connections_are_kept_between_writes(tmp_path):
    log = OutcomeLog(tmp_path / "k.db")
    for _ in range(5):
        log.record("nyborg", "selfservice", "pas")
    assert _count(log) == 5
    assert log.db.engine.pool.checkedin() <= SQLITE_POOL_SIZE
    assert log.db.engine.pool.checkedin() >= 1  # kept, not closed after each write


def test_a_database_deleted_under_a_kept_connection_is_an_error_not_a_silent_write(tmp_path):
    log = OutcomeLog(tmp_path / "k.db")
    log.record("nyborg", "selfservice", "pas")
    for name in ("k.db", "k.db-wal", "k.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    with pytest.raises(DatabaseUnavailable, match="k.db"):
        log.record("nyborg", "selfservice", "pas")
    assert not (tmp_path / "k.db").exists()
