"""PostgreSQL and Redis as the project's own processes, never as system
services: data in a folder of ours, a port of ours, bound to 127.0.0.1,
and passwords kept in files with mode 0600.

Used by `kommunebot cluster` (data in var/cluster/) and by the tests (data in
a temporary folder). Both servers run in the foreground as our children, so
stopping the runner's process group stops them too.

PostgreSQL refuses to run as root. When we are root, its folder belongs to
the ``postgres`` user (Debian's package creates it) and the binaries run
through ``runuser``. Its folder therefore lives where that user can reach it:
callers pass a path under a world-traversable directory (var/cluster under
the project, or /tmp), never under a 0700 pytest folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

POSTGRES_USER = "postgres"
# Roles: the owner runs migrations and owns the tables; the application
# role reads and writes but cannot rewrite the journal.
OWNER_ROLE = "kommunebot_owner"
APP_ROLE = "kommunebot"
DATABASE = "kommunebot"
TRACKER_DATABASE = "kommunebot_tracker"


class ServiceError(RuntimeError):
    """A server could not be installed, set up or started; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, name: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ServiceError(f"{name} exited with code {proc.returncode} while starting; {log}:\n{tail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ServiceError(f"{name} is not listening on 127.0.0.1:{port} after {timeout:.0f} s; see {log}")


def _secret(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value


def postgres_bin() -> Path:
    """The newest Debian PostgreSQL binaries folder."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise ServiceError(
            "PostgreSQL is not installed: /usr/lib/postgresql/<version>/bin/postgres is missing "
            "(apt-get install postgresql, or `make cluster`, which installs it)"
        )
    return Path(found[-1]).parent


class _Child:
    """A foreground server process in its own session, with a log file."""

    stop_signal = signal.SIGTERM

    def __init__(self, root: Path, port: int):
        self.root = Path(root)
        self.port = port
        self.proc: subprocess.Popen | None = None
        self._log: IO | None = None

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def _spawn(self, args: list[str]) -> subprocess.Popen:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open while the child runs
        self.proc = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        return self.proc

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 30) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, self.stop_signal)
                self.proc.wait(timeout=timeout)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL, as a crash would: for the tests that prove nothing is lost."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


class Postgres(_Child):
    """One PostgreSQL cluster in ``root`` (created on first start) with the
    two Kommunebot databases and roles."""

    # SIGINT is PostgreSQL's "fast" shutdown: open sessions are ended instead
    # of waited for, and everything committed is on disk.
    stop_signal = signal.SIGINT

    def __init__(self, root: Path, port: int | None = None):
        super().__init__(root, port or free_port())
        self.data = self.root / "data"
        self.bin = postgres_bin()
        self._as_postgres = os.geteuid() == 0

    def _run_as(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", POSTGRES_USER, "--", *args] if self._as_postgres else args

    @property
    def superuser(self) -> str:
        return POSTGRES_USER if self._as_postgres else pwd.getpwuid(os.geteuid()).pw_name

    def password(self, role: str) -> str:
        return _secret(self.root / "secrets" / role)

    def url(self, role: str = APP_ROLE, database: str = DATABASE) -> str:
        return f"postgresql://{role}:{self.password(role)}@127.0.0.1:{self.port}/{database}"

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        if self._as_postgres:
            for folder in self.root.resolve().parents:
                if not folder.stat().st_mode & 0o001:
                    raise ServiceError(
                        f"{folder} is not searchable by the {POSTGRES_USER} user (mode "
                        f"{folder.stat().st_mode & 0o777:o}); put the PostgreSQL folder elsewhere"
                    )
        self.data.mkdir(mode=0o700, exist_ok=True)
        if self._as_postgres:
            user = pwd.getpwnam(POSTGRES_USER)
            os.chown(self.data, user.pw_uid, user.pw_gid)
        result = subprocess.run(
            self._run_as(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data),
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise ServiceError(f"initdb failed for {self.data}: {result.stderr.strip() or result.stdout.strip()}")

    def start(self, timeout: float = 60) -> None:
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        self.root.mkdir(parents=True, exist_ok=True)
        # The socket lives in the data folder (mode 0700): with local trust,
        # only the server's own user and root can reach it.
        self._spawn(
            self._run_as(
                [
                    str(self.bin / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.data),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "max_connections=200",
                    "-c",
                    "fsync=on",
                ]
            )
        )
        wait_port(self.port, self.proc, "PostgreSQL", self.log_path, timeout)
        self._wait_accepting(timeout)
        self._provision()

    def _admin(self, database: str = "postgres"):
        import psycopg2

        conn = psycopg2.connect(host=str(self.data), port=self.port, user=self.superuser, dbname=database)
        conn.autocommit = True
        return conn

    def _wait_accepting(self, timeout: float) -> None:
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            try:
                self._admin().close()
                return
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline or not self.running():
                    raise ServiceError(f"PostgreSQL on port {self.port} does not accept connections: {exc}") from exc
                time.sleep(0.2)

    def _provision(self) -> None:
        """The roles and databases, idempotently; passwords from our secret files."""
        conn = self._admin()
        try:
            cur = conn.cursor()
            for role in (OWNER_ROLE, APP_ROLE):
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
                verb = "ALTER" if cur.fetchone() else "CREATE"
                # Role names are our constants; the password is a bound literal.
                cur.execute(f"{verb} ROLE {role} LOGIN PASSWORD %s", (self.password(role),))
            for database, owner in ((DATABASE, OWNER_ROLE), (TRACKER_DATABASE, APP_ROLE)):
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
                if not cur.fetchone():
                    cur.execute(f"CREATE DATABASE {database} OWNER {owner}")
            cur.execute(f"REVOKE ALL ON DATABASE {DATABASE} FROM PUBLIC")
            cur.execute(f"GRANT CONNECT ON DATABASE {DATABASE} TO {APP_ROLE}")
        finally:
            conn.close()

    def stop_server(self) -> None:
        """Stop PostgreSQL but keep its data: the tests that restart it."""
        self.stop()


class Redis(_Child):
    """A Redis server for the lock store: password, loopback, no persistence
    (locks are worth nothing after a restart)."""

    def __init__(self, root: Path, port: int | None = None):
        super().__init__(root, port or free_port())
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    @property
    def password(self) -> str:
        return _secret(self.root / "secrets" / "redis")

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 30) -> None:
        if not Path(self.binary).exists():
            raise ServiceError("Redis is not installed: redis-server is missing (apt-get install redis-server)")
        self.root.mkdir(parents=True, exist_ok=True)
        # The password goes in through a config file of ours (mode 0600),
        # never on the command line where `ps` would show it.
        config = self.root / "redis.conf"
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(
                f"port {self.port}\nbind 127.0.0.1\nprotected-mode yes\ndir {self.root}\n"
                f'save ""\nappendonly no\nrequirepass {self.password}\n'
            )
        self._spawn([self.binary, str(config)])
        wait_port(self.port, self.proc, "Redis", self.log_path, timeout)
