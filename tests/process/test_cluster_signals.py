"""`make cluster` stops everything it started on Ctrl-C, also on a second
Ctrl-C during the shutdown, and while it is still starting. (SIGTERM to the
process group of a cluster that is up is checked at the end of
test_cluster.py, which stops its cluster that way.)"""

from __future__ import annotations

import shutil
import signal
import time

import pytest

from tests.process.test_cluster import MakeCluster, free_base, new_root
from tests.process.test_run_signals import assert_all_stopped, ctrl_c_twice, descendants

pytestmark = pytest.mark.model

STARTING = "Starting PostgreSQL"


@pytest.fixture
def make_cluster():
    started = []

    def start() -> MakeCluster:
        root = new_root()
        run = MakeCluster(root, free_base())
        started.append((run, root))
        return run

    yield start
    for run, root in started:
        run.finish()
        shutil.rmtree(root, ignore_errors=True)


def wait_for_rasa(run: MakeCluster, timeout: float = 120) -> set[int]:
    """The cluster's processes once both Rasa replicas have been started (still loading)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = run.root / "logs"
        if (logs / "rasa-2.log").exists() and (logs / "site.log").exists():
            return descendants(run.proc.pid)
        assert run.proc.poll() is None, run.output[-3000:]
        time.sleep(0.2)
    pytest.fail(f"the replicas were not started after {timeout:.0f} s:\n{run.output[-3000:]}")


def test_ctrl_c_while_the_cluster_starts_stops_postgres_redis_and_every_server(make_cluster):
    run = make_cluster()
    run.wait_for(STARTING, timeout=300)
    servers = wait_for_rasa(run)
    assert len(servers) >= 8, servers  # PostgreSQL, Redis, HAProxy, 2 action servers, 2 replicas, console, site
    run.signal_group(signal.SIGINT)
    assert_all_stopped(run, servers)
    assert "Stopping" in run.output


def test_ctrl_c_twice_during_the_cluster_shutdown_still_stops_everything(make_cluster):
    run = make_cluster()
    run.wait_for(STARTING, timeout=300)
    ctrl_c_twice(run, wait_for_rasa(run))
