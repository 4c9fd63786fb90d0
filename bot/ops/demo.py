"""Demo mode: logins for trying the staff console on a fresh machine."""

from __future__ import annotations

from pathlib import Path

from bot.console.accounts import Accounts

DEMO_USERS = (("demo", "staff"), ("demo-admin", "admin"))


def demo_logins(data_db: Path) -> list[tuple[str, str, str]]:
    """Fresh random passwords for a caseworker and an admin, as
    (username, role, password). There is no built-in default password, so
    each start prints new ones."""
    accounts = Accounts(data_db)
    return [(username, role, accounts.ensure_demo_user(username, role=role)) for username, role in DEMO_USERS]
