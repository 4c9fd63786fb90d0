"""`kommunebot cluster` (`make cluster`): the deployment a region runs, on
one machine, as the project's own processes with their data in
var/cluster/: PostgreSQL, Redis, two action servers and two Rasa replicas
behind HAProxy (deploy/haproxy-cluster.cfg), the staff console and the
demo page.

The same class starts the cluster for the distributed tests, on a port
range and folder of their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bot.ops.launch import KOMMUNEBOT, serve_command
from bot.ops.processes import Cancelled, Stack, stop_all
from bot.ops.services import APP_ROLE, OWNER_ROLE, TRACKER_DATABASE, Postgres, Redis, wait_port
from bot.settings import PROJECT_ROOT

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
PROXY_CONFIG = PROJECT_ROOT / "deploy" / "haproxy-cluster.cfg"
REPLICAS = 2  # deploy/haproxy-cluster.cfg has a server line for each


@dataclass(frozen=True)
class Ports:
    """Every port of the cluster, from one base, so two clusters (a test's
    and a developer's) never collide when their bases differ."""

    base: int

    @property
    def proxy(self) -> int:
        return self.base

    def rasa(self, i: int) -> int:
        return self.base + 10 + i

    @property
    def actions_frontend(self) -> int:
        return self.base + 20

    def actions(self, i: int) -> int:
        return self.base + 21 + i

    @property
    def console(self) -> int:
        return self.base + 30

    @property
    def site(self) -> int:
        return self.base + 31

    @property
    def postgres(self) -> int:
        return self.base + 40

    @property
    def redis(self) -> int:
        return self.base + 41


class Cluster:
    def __init__(self, root: Path, port_base: int = 8400, env: dict | None = None):
        self.root = Path(root)
        self.ports = Ports(port_base)
        self.postgres = Postgres(self.root / "postgres", self.ports.postgres)
        self.redis = Redis(self.root / "redis", self.ports.redis)
        self.extra_env = env or {}
        self.cancel = threading.Event()
        self.stack: Stack | None = None
        self.rasa: list[subprocess.Popen | None] = [None] * REPLICAS
        self.actions: list[subprocess.Popen | None] = [None] * REPLICAS
        self.proxy: subprocess.Popen | None = None
        self.console: subprocess.Popen | None = None
        self.site: subprocess.Popen | None = None
        self._specs: dict[str, tuple[list[str], dict[str, str]]] = {}

    @property
    def url(self) -> str:
        """The public entrance: what citizens' browsers reach."""
        return f"http://localhost:{self.ports.proxy}"

    def replica_url(self, i: int) -> str:
        return f"http://localhost:{self.ports.rasa(i)}"

    @property
    def console_url(self) -> str:
        return f"http://localhost:{self.ports.console}"

    @property
    def site_url(self) -> str:
        return f"http://localhost:{self.ports.site}"

    def _env(self) -> dict[str, str]:
        ports = self.ports
        origins = [f"http://localhost:{ports.site}", f"http://127.0.0.1:{ports.site}", self.url]
        return {
            "KOMMUNEBOT_VAR_DIR": str(self.root / "var"),
            "KOMMUNEBOT_DATA_DB": str(self.root / "var" / "kommunebot.db"),
            "KOMMUNEBOT_DATABASE_URL": self.postgres.url(),
            "KOMMUNEBOT_TRACKER_URL": self.postgres.url(APP_ROLE, TRACKER_DATABASE),
            "KOMMUNEBOT_LOCK_URL": self.redis.url,
            "KOMMUNEBOT_TRUSTED_PROXIES": "127.0.0.1",
            "KOMMUNEBOT_PUBLIC_RASA_URL": self.url,
            # The cancel page is behind the same proxy (deploy/haproxy-cluster.cfg).
            "KOMMUNEBOT_PUBLIC_SITE_URL": self.url,
            "KOMMUNEBOT_ALLOWED_ORIGINS": ",".join(origins),
            "KOMMUNEBOT_CONSOLE_PORT": str(ports.console),
            "KOMMUNEBOT_SITE_PORT": str(ports.site),
            **self.extra_env,
        }

    def _check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # PostgreSQL runs as its own user, which must pass through our
            # folders to reach its own: search only (o+x), no listing, and
            # only for folders of this project.
            for folder in [self.root.resolve(), *self.root.resolve().parents]:
                if folder == PROJECT_ROOT or not folder.is_relative_to(PROJECT_ROOT):
                    break
                folder.chmod(folder.stat().st_mode | 0o001)
        if not Path(HAPROXY).exists():
            raise FileNotFoundError(f"{HAPROXY}: HAProxy is missing (apt-get install haproxy; `make cluster` does)")

    def _step(self) -> None:
        if self.cancel.is_set():
            raise Cancelled("stopped while the cluster was starting")

    def start(self) -> None:
        self._check()
        self.postgres.start()
        self._step()
        self.redis.start()
        self._step()
        # Rasa reaches the action servers through the proxy's internal
        # frontend: ACTION_PORT (read by endpoints.yml) is that frontend.
        stack = Stack(
            self.ports.rasa(0),
            self.ports.actions_frontend,
            env=self._env(),
            log_dir=self.root / "logs",
            console_port=self.ports.console,
            site_port=self.ports.site,
        )
        stack.cancel = self.cancel
        self.stack = stack
        self._migrate()
        self._step()
        for i in range(REPLICAS):
            self.actions[i] = self._spawn(
                f"actions-{i + 1}", serve_command("actions", "--port", str(self.ports.actions(i)))
            )
        self.proxy = self._start_proxy()
        for i in range(REPLICAS):
            self.rasa[i] = self._spawn(f"rasa-{i + 1}", serve_command("rasa"), RASA_PORT=str(self.ports.rasa(i)))
        self.console = self._spawn("console", serve_command("console", "--port", str(self.ports.console)))
        self.site = self._spawn("site", serve_command("site", "--port", str(self.ports.site), "--rasa-url", self.url))
        for i in range(REPLICAS):
            stack._wait(
                f"http://localhost:{self.ports.actions(i)}/health", self.actions[i], f"action server {i + 1}", 90
            )
        stack._wait(f"{self.console_url}/health", self.console, "staff console", 60)
        stack._wait(f"{self.site_url}/health", self.site, "demo page server", 60)
        for i in range(REPLICAS):
            stack._wait(
                f"{self.replica_url(i)}/status?token={stack.api_token}",
                self.rasa[i],
                f"Rasa replica {i + 1}",
                240,
                key="model_id",
            )
        wait_port(self.ports.proxy, self.proxy, "HAProxy", self.root / "logs" / "haproxy.log", 30)
        # Until HAProxy's health checks see every server, it would answer 503.
        stack._wait(
            f"http://127.0.0.1:{self.ports.actions_frontend}/cluster-ready", self.proxy, "HAProxy", 60, key="ready"
        )

    def _spawn(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        self._specs[name] = (args, env)
        return self.stack._spawn(name, args, **env)

    def restart_failed(self) -> list[str]:
        """Start again every Rasa replica and action server that has died, as
        a service manager would; the proxy sends their clients to the others
        meanwhile. Returns what was restarted."""
        restarted = []
        for kind, procs in (("rasa", self.rasa), ("actions", self.actions)):
            for i, proc in enumerate(procs):
                if proc is not None and proc.poll() is not None:
                    name = f"{kind}-{i + 1}"
                    args, env = self._specs[name]
                    procs[i] = self.stack._spawn(name, args, **env)
                    restarted.append(f"{name} (exit code {proc.returncode})")
        return restarted

    def _migrate(self) -> None:
        """The schema, as the owner role; the application role gets only what it needs."""
        result = subprocess.run(
            [KOMMUNEBOT, "migrate", "--url", self.postgres.url(OWNER_ROLE), "--app-role", APP_ROLE],
            cwd=PROJECT_ROOT,
            env={**self.stack.env},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"kommunebot migrate failed: {result.stderr.strip() or result.stdout.strip()}")

    def _start_proxy(self) -> subprocess.Popen:
        ports = self.ports
        env = {
            "KOMMUNEBOT_PROXY_BIND": f"127.0.0.1:{ports.proxy}",
            "KOMMUNEBOT_SITE_ADDR": f"127.0.0.1:{ports.site}",
            "KOMMUNEBOT_ACTIONS_BIND": f"127.0.0.1:{ports.actions_frontend}",
        }
        for i in range(REPLICAS):
            env[f"KOMMUNEBOT_RASA_ADDR_{i + 1}"] = f"127.0.0.1:{ports.rasa(i)}"
            env[f"KOMMUNEBOT_ACTION_ADDR_{i + 1}"] = f"127.0.0.1:{ports.actions(i)}"
        return self._spawn("haproxy", [HAPROXY, "-f", str(PROXY_CONFIG), "-db"], **env)

    def servers(self) -> list[tuple[str, subprocess.Popen | None]]:
        named = [(f"Rasa replica {i + 1}", proc) for i, proc in enumerate(self.rasa)]
        named += [("staff console", self.console), ("demo page server", self.site)]
        named += [(f"action server {i + 1}", proc) for i, proc in enumerate(self.actions)]
        return named

    def processes(self) -> list[tuple[str, subprocess.Popen]]:
        named = [*self.servers(), ("HAProxy", self.proxy)]
        named += [("PostgreSQL", self.postgres.proc), ("Redis", self.redis.proc)]
        return [(name, proc) for name, proc in named if proc is not None]

    def stop(self) -> None:
        """Everything, in the order that loses nothing: the servers that write
        first, then the proxy, then Redis and PostgreSQL."""
        try:
            stop_all(self.servers())
            stop_all([("HAProxy", self.proxy)])
        finally:
            self.redis.stop()
            self.postgres.stop()
            if self.stack is not None:
                self.stack.stop()


def run_cluster(root: Path, port_base: int) -> int:
    """Start the cluster, print where it is, and stop it all on a signal."""
    from bot.ops.run import StopSignals, supervise

    # Logs, tokens and secrets are for this user only.
    os.umask(0o077)
    cluster = Cluster(root, port_base)
    signals = StopSignals(cluster.cancel)
    signals.install()
    started = time.monotonic()
    try:
        print(
            f"Starting PostgreSQL, Redis, {REPLICAS} action servers, HAProxy, {REPLICAS} Rasa replicas, "
            f"the staff console and the demo page (data in {root}) ...",
            flush=True,
        )
        cluster.start()
        print(
            f"\nThe Kommunebot cluster is ready after {time.monotonic() - started:.0f} s.\n"
            f"  Public entrance (HAProxy): {cluster.url}/webhooks/rest/webhook and {cluster.url}/socket.io/\n"
            f"  Demo page:                 {cluster.site_url}\n"
            f"  Staff console:             {cluster.console_url}\n"
            f"  Rasa replicas:             {', '.join(cluster.replica_url(i) for i in range(REPLICAS))}\n"
            f"  PostgreSQL:                127.0.0.1:{cluster.ports.postgres} (passwords in {root}/postgres/secrets)\n"
            f"  Redis:                     127.0.0.1:{cluster.ports.redis}\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        return supervise(cluster.processes, cluster.cancel, cluster.restart_failed)
    except (Cancelled, KeyboardInterrupt):
        print("\nStopping ...", flush=True)
        return 0
    except (RuntimeError, TimeoutError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        cluster.stop()
