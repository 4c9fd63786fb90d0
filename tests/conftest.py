"""Shared fixtures: the real knowledge base, and the real servers on test ports.

Tests come in tiers by folder, and each is marked with its folder's name
here, so ``-m "not browser"`` and the like select them (docs/testing.md):
tests/unit needs no servers and no trained model (`make check`);
tests/system shares one real stack per session (per xdist worker);
tests/process starts, kills or clusters servers of its own;
tests/browser drives Debian's chromium against the shared stack.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chat import runtime
from bot.content import heldout
from bot.knowledge.build import build_database
from bot.knowledge.loader import load_knowledge
from bot.ops.http import free_port
from bot.settings import DEFAULT_MODEL, PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
MODEL = PROJECT_ROOT / DEFAULT_MODEL
TESTS = Path(__file__).resolve().parent


TIERS = ("unit", "system", "process", "browser")


def _tier(path: str) -> str | None:
    tier = Path(path).resolve().relative_to(TESTS).parts[0]
    return tier if tier in TIERS else None


# Tiers whose every test needs the trained model; in tests/process a module
# or test says so itself with ``pytest.mark.model``.
NEED_THE_MODEL = ("system", "browser")


def pytest_collection_modifyitems(config, items):
    for item in items:
        tier = _tier(str(item.fspath))
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
        if tier in NEED_THE_MODEL:
            item.add_marker(pytest.mark.model)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """What each tier cost: the summed setup, call and teardown time of its
    tests. Under xdist the sums overlap in wall time, so they add up to more
    than the run took; they show where the time goes, which --durations
    lists test by test."""
    costs: dict[str, list[float]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            parts = getattr(report, "nodeid", "").split("::")[0].split("/")
            if not getattr(report, "when", None) or len(parts) < 3 or parts[1] not in TIERS:
                continue
            cost = costs.setdefault(parts[1], [0, 0.0])
            cost[0] += report.when == "call"
            cost[1] += report.duration
    if costs:
        terminalreporter.write_sep("-", "cost per tier (summed test time)")
        for tier in TIERS:
            if tier in costs:
                count, seconds = costs[tier]
                terminalreporter.write_line(f"{tier:8} {count:5d} tests {seconds:8.1f} s")


def run_async(coroutine):
    """Run a coroutine to completion in its own thread and event loop, so it
    works even while Playwright's sync API holds this thread's loop."""
    import asyncio
    import threading

    result = {}

    def target():
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised in the calling thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


_PHONES = iter(range(1_000_000, 9_999_999, 7919))


def phone_number() -> str:
    """A valid Danish mobile number of its own for each booking a test makes:
    the shared stack caps active bookings per phone number."""
    import phonenumbers

    while True:
        digits = f"4{next(_PHONES):07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(digits, "DK")):
            return "+45 " + " ".join(digits[i : i + 2] for i in range(0, 8, 2))


def copy_content(dest: Path) -> Path:
    """A copy of the editable content (knowledge, training data, domain,
    config, test stories, the open held-out messages) to change on purpose
    in a test."""
    import shutil

    for name in ("knowledge", "data"):
        shutil.copytree(PROJECT_ROOT / name, dest / name)
    for name in (Path("tests") / "stories", heldout.OPEN / heldout.MESSAGES):
        shutil.copytree(PROJECT_ROOT / name, dest / name)
    for name in ("domain.yml", "config.yml"):
        shutil.copy(PROJECT_ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def case_reader(knowledge):
    from bot.chat.case_matter import CaseReader

    return CaseReader(knowledge.case_signals, PROJECT_ROOT / "build" / "spacy-da")


@pytest.fixture
def runtime_env(tmp_path, monkeypatch, knowledge):
    """Point bot.chat.runtime at a fresh knowledge database and outcome file."""
    db = build_database(knowledge, tmp_path / "knowledge.db")
    monkeypatch.setenv("KOMMUNEBOT_KNOWLEDGE_DB", str(db))
    monkeypatch.setenv("KOMMUNEBOT_DATA_DB", str(tmp_path / "kommunebot.db"))
    monkeypatch.setenv("KOMMUNEBOT_MUNICIPALITY", "nyborg")
    runtime.reset()
    yield tmp_path
    runtime.reset()


def stack_env(var: Path, **settings: str) -> dict[str, str]:
    """The settings of a test stack whose files all live in ``var``."""
    return {
        "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{var / 'tracker.db'}",
        "KOMMUNEBOT_DATA_DB": str(var / "kommunebot.db"),
        "KOMMUNEBOT_KNOWLEDGE_DB": str(PROJECT_ROOT / "build" / "knowledge.db"),
        "KOMMUNEBOT_MUNICIPALITY": "nyborg",
        "KOMMUNEBOT_VAR_DIR": str(var),
        **settings,
    }


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The real action server, Rasa server, staff console and demo page
    with the trained model, on free ports, with their own SQLite files."""
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} is missing: run the suite with `make test`, which trains it")
    from bot.ops.processes import Stack

    var = tmp_path_factory.mktemp("var")
    env = stack_env(
        var,
        # Every test talks from 127.0.0.1; the per-address limit is for a
        # town's citizens, not a test suite (the probes test it on their own).
        KOMMUNEBOT_RATE_ADDRESS="100000/60",
        # All bookings come from 127.0.0.1 too (the booking probes test the caps on their own).
        KOMMUNEBOT_MAX_BOOKINGS_ADDRESS="100000",
        KOMMUNEBOT_RATE_BOOKINGS_ADDRESS="100000/60",
    )
    stack = Stack(
        free_port(), free_port(), env=env, log_dir=var / "logs", console_port=free_port(), site_port=free_port()
    )
    stack.var = var
    try:
        stack.start()
    except Exception:
        stack.stop()
        logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in (var / "logs").glob("*.log"))
        pytest.fail(f"could not start the servers:\n{logs}")
    yield stack
    stack.stop()


CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "build" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless chromium driven by Playwright; never a browser
    downloaded by the test tool."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run the suite with `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # No calls home from the browser: this machine's network is closed.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def kdir(tmp_path):
    """A writable copy of the real knowledge folder."""
    import shutil

    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target
