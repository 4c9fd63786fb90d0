"""No log record keeps a CPR number, whoever logs it."""

from __future__ import annotations

import logging

import pytest

from bot.privacy import logs
from bot.privacy.redaction import PLACEHOLDER


@pytest.fixture
def installed():
    before = logging.getLogRecordFactory()
    logs.install()
    logs.install()  # idempotent
    yield
    logging.setLogRecordFactory(before)


def test_message_arguments_tracebacks_and_stacks_are_redacted(installed, caplog):
    log = logging.getLogger("rasa.core.processor")  # anyone's logger, any handler
    log.warning("Received user message 'mit cpr er %s' with %r", "010203-1234", {"text": "0102031234"})
    try:
        raise ValueError("cpr 01 02 03 12 34 not understood")
    except ValueError:
        log.exception("failed on %s", "x", stack_info=True)
    text = caplog.text
    assert "0102031234" not in text and "010203-1234" not in text and "01 02 03 12 34" not in text
    assert text.count(PLACEHOLDER) >= 3 and "ValueError" in text and "Stack (most recent call last)" in text
    assert [r.args for r in caplog.records] == [(), ()]


def test_records_with_bad_arguments_keep_both_redacted(installed, caplog):
    logging.getLogger("x").error("%d items", "0102031234")
    assert "0102031234" not in caplog.text and PLACEHOLDER in caplog.text


def test_the_filter_alone_on_a_handler():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "cpr %s", ("０１０２０３－１２３４",), None)
    assert logs.CprFilter().filter(record) is True
    assert record.getMessage() == f"cpr {PLACEHOLDER}"


def test_both_servers_install_it_on_import():
    import subprocess
    import sys

    for package in ("glue", "actions"):
        code = (
            f"import logging, {package}; print(getattr(logging.getLogRecordFactory(), '_kommunebot_cpr_filter', False))"
        )
        assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"
