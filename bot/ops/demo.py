"""Demo mode (`make run`): logins for trying the staff console on a fresh machine.

Each start gives the demo users new random passwords (there is no built-in
default password) and writes them to ``demo-logins`` next to the data
database, readable only by this user (mode 0600); the terminal shows only
where the file is, so the passwords end up in no scrollback or log. A demo
user that an admin has disabled stays disabled and gets no new password.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.console.accounts import Accounts

# A caseworker and an editor of the demo municipality (the editor tries the
# inbox without the admin's two-factor warning), and an admin of all.
DEMO_USERS = (("demo", "staff"), ("demo-editor", "editor"), ("demo-admin", "admin"))
LOGINS_FILE = "demo-logins"


@dataclass(frozen=True)
class DemoLogins:
    path: Path  # the file with the passwords
    logins: list[tuple[str, str, str | None]]  # (username, role, password or None: disabled by an admin)

    @property
    def disabled(self) -> list[str]:
        return [username for username, _, password in self.logins if password is None]


def demo_logins(database: Path | str, folder: Path, municipality: str) -> DemoLogins:
    """Fresh passwords for a caseworker and an editor of ``municipality``
    and an admin of all municipalities, written to the logins file in ``folder``."""
    accounts = Accounts(database)
    logins = [
        (username, role, accounts.ensure_demo_user(username, role, None if role == "admin" else municipality))
        for username, role in DEMO_USERS
    ]
    lines = ["# Demo logins for the staff console; new passwords at every start of `make run`."]
    for username, role, password in logins:
        scope = "all municipalities" if role == "admin" else municipality
        if password is None:
            lines.append(f"{username} ({role}, {scope}): disabled by an admin, so not enabled again")
        else:
            lines.append(f"{username} ({role}, {scope}): {username} / {password}")
    path = Path(folder) / LOGINS_FILE
    _write_private(path, "\n".join(lines) + "\n")
    return DemoLogins(path, logins)


def leftover_demo_users(database: Path | str, folder: Path) -> list[str]:
    """Outside demo mode: remove the logins file of an earlier demo start and
    name the demo users that are still enabled (an admin should disable them)."""
    (Path(folder) / LOGINS_FILE).unlink(missing_ok=True)
    if isinstance(database, Path) and not database.is_file():
        return []
    accounts = Accounts(database)
    return [name for name, _ in DEMO_USERS if (user := accounts.get(name)) is not None and not user.disabled]


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, never readable by others: mkstemp
    creates the file with mode 0600, and the rename swaps it in whole."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
