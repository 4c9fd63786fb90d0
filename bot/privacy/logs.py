"""CPR numbers never reach a log file.

Our own log lines name senders, counts and keys, never message text; but
Rasa, Sanic and tracebacks may quote whatever they were handed. ``CprFilter``
redacts a record's message (with its arguments merged in), its traceback
and its stack text. ``install`` runs it on every record the process
creates: a filter on a logger does not see records propagated from its
children, and Rasa and Sanic set up their handlers after our code is
imported, so the record factory is the one place every record passes.
"""

from __future__ import annotations

import logging

from bot.privacy.redaction import redact

_MARK = "_kommunebot_cpr_filter"


class CprFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep both, redacted
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(message).text, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text).text
        if record.stack_info:
            record.stack_info = redact(record.stack_info).text
        return True


def install() -> None:
    """Redact every log record this process creates from now on (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _MARK, False):
        return
    cpr_filter = CprFilter()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        cpr_filter.filter(record)
        return record

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)
