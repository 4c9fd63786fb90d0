"""Messages the assistant did not understand, kept for editors to review.

A message that ended in fallback or out_of_scope is stored (already
CPR-redacted by the channel) with what the model guessed. In the staff
console an editor assigns it to an intent, which appends it to that
intent's training file, or dismisses it. Each decision is journaled; the
journal holds the decision, never the message text.

Like the callback queue, the inbox is scoped per municipality: ``list``,
``get`` and ``decide`` take the municipalities the caller may see
(``None``: all of them, for admins and the command line). A message
outside the scope is "not found", exactly like one that does not exist,
so its id tells nothing, and deciding it journals nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass, replace

import sqlalchemy as sa

from bot.errors import Refused
from bot.records import journal
from bot.records.database import Store, from_row, storage_time, utc_now
from bot.records.schema import inbox

MAX_TEXT = 500  # longer messages are rarely useful training examples
NONE_CHOSEN = "none"
# What a kept message is (the ``outcome`` column): the assistant did not
# understand it or found it out of scope; or it escalated the message to a
# callback offer the citizen declined, or chose an errand the citizen then
# corrected (issue 28: the wrong escalations and wrong topics an editor
# should see too).
KINDS = ("fallback", "out_of_scope", "declined", "corrected")
# Municipalities a caller may see: None for all of them.
Scope = Collection[str] | None


class InboxError(Refused):
    """Reasons: not_found, already_decided."""


@dataclass(frozen=True)
class InboxMessage:
    id: int
    at: str
    municipality: str
    text: str
    outcome: str
    predicted: str | None
    confidence: float | None
    status: str
    intent: str | None
    # The "Mente du …?" answers offered ("topic/situation") and the one chosen ("none": none of them).
    suggestions: tuple[str, ...] = ()
    chosen: str | None = None


def _now() -> str:
    return storage_time(utc_now())


class Inbox(Store):
    def add(
        self,
        municipality: str,
        text: str,
        outcome: str,
        predicted: str | None = None,
        confidence: float | None = None,
        suggestions: list[str] | tuple[str, ...] = (),
        chosen: str | None = None,
    ) -> int | None:
        """Keep a message; ``chosen`` is what the citizen corrected it to (an
        errand), for a "corrected" message, known when it is kept."""
        if outcome not in KINDS:
            raise ValueError(f"unknown inbox kind {outcome!r}; expected one of {', '.join(KINDS)}")
        text = " ".join((text or "").split())
        if not text or text.startswith("/") or len(text) > MAX_TEXT:
            return None  # empty, a button payload, or an essay
        with self._write() as conn:
            (message_id,) = conn.execute(
                inbox.insert().values(
                    at=_now(),
                    municipality=municipality,
                    text=text,
                    outcome=outcome,
                    predicted=predicted,
                    confidence=confidence,
                    suggestions=json.dumps(list(suggestions)) if suggestions else None,
                    chosen=chosen,
                )
            ).inserted_primary_key
        return message_id

    def choose(self, message_id: int, chosen: str) -> bool:
        """Record which suggestion the citizen picked ("none" for none), once.

        Only a value that was offered is kept, so a forged call cannot write
        free text into the inbox; returns whether anything was recorded."""
        with self._write() as conn:
            row = conn.execute(
                sa.select(inbox.c.suggestions, inbox.c.chosen).where(inbox.c.id == message_id).with_for_update()
            ).first()
            if row is None or row.chosen is not None or not row.suggestions:
                return False
            if chosen != NONE_CHOSEN and chosen not in json.loads(row.suggestions):
                return False
            conn.execute(inbox.update().where(inbox.c.id == message_id).values(chosen=chosen))
        return True

    def list(
        self,
        status: str = "new",
        limit: int = 200,
        municipalities: Scope = None,
        kind: str | None = None,
        errand: str | None = None,
        offset: int = 0,
    ) -> list[InboxMessage]:
        """The newest messages of ``status``, of the ``municipalities`` given
        (None: all), of one ``kind`` and one ``errand`` when given."""
        query = sa.select(inbox).where(*_where(status, municipalities, kind, errand))
        with self._read() as conn:
            rows = conn.execute(
                query.order_by(inbox.c.at.desc(), inbox.c.id.desc()).limit(limit).offset(max(offset, 0))
            ).fetchall()
        return [_message(row) for row in rows]

    def counts(self, status: str = "new", municipalities: Scope = None, errand: str | None = None) -> dict[str, int]:
        """How many messages of each kind (every kind of KINDS, 0 when none)."""
        query = (
            sa.select(inbox.c.outcome, sa.func.count())
            .where(*_where(status, municipalities, None, errand))
            .group_by(inbox.c.outcome)
        )
        with self._read() as conn:
            found = dict(conn.execute(query).fetchall())
        return {kind: found.get(kind, 0) for kind in KINDS}

    def errands(self, status: str = "new", municipalities: Scope = None) -> list[str]:
        """The intents the assistant guessed and the errands citizens chose, for the errand filter."""
        where = _where(status, municipalities, None, None)
        with self._read() as conn:
            guessed = conn.execute(sa.select(inbox.c.predicted).distinct().where(*where)).scalars()
            chosen = conn.execute(sa.select(inbox.c.chosen).distinct().where(*where)).scalars()
            found = {*guessed, *(c.split("/")[0] for c in chosen if c)}
        return sorted(found - {None, NONE_CHOSEN})

    def get(self, message_id: int, municipalities: Scope = None) -> InboxMessage:
        with self._read() as conn:
            row = conn.execute(sa.select(inbox).where(inbox.c.id == message_id)).first()
        if row is None or not _in_scope(row.municipality, municipalities):
            raise InboxError("not_found")
        return _message(row)

    def decide(
        self,
        message_id: int,
        status: str,
        actor: str,
        intent: str | None = None,
        municipalities: Scope = None,
        **details,
    ) -> None:
        """Mark a new message of the ``municipalities`` assigned or dismissed, once; journaled."""
        with self._write() as conn:
            row = conn.execute(
                sa.select(inbox.c.status, inbox.c.municipality).where(inbox.c.id == message_id).with_for_update()
            ).first()
            if row is None or not _in_scope(row.municipality, municipalities):
                raise InboxError("not_found")
            if row.status != "new":
                raise InboxError("already_decided")
            conn.execute(
                inbox.update()
                .where(inbox.c.id == message_id)
                .values(status=status, intent=intent, decided_by=actor, decided_at=_now())
            )
            journal.append(conn, None, f"inbox_{status}", actor, inbox_id=message_id, intent=intent, **details)

    def municipalities(self) -> list[str]:
        with self._read() as conn:
            return list(
                conn.execute(sa.select(inbox.c.municipality).distinct().order_by(inbox.c.municipality)).scalars()
            )

    def delete_before(self, cutoff: dt.datetime, municipality: str | None = None, actor: str = "retention") -> int:
        """Delete messages received before ``cutoff``, all or one
        municipality's, in small journaled batches (counts, never texts)."""
        return journal.delete_journaled(
            self._write, inbox, inbox.c.at < storage_time(cutoff), cutoff, municipality, "retention_inbox", actor
        )


def _where(status: str, municipalities: Scope, kind: str | None, errand: str | None) -> list:
    """The conditions of a listing: status, scope, kind, and an errand the
    assistant guessed or the citizen chose ("pas" or "pas/mistet")."""
    where = [inbox.c.status == status]
    if municipalities is not None:
        where.append(inbox.c.municipality.in_(list(municipalities)))
    if kind is not None:
        where.append(inbox.c.outcome == kind)
    if errand is not None:
        where.append(
            sa.or_(
                inbox.c.predicted == errand,
                inbox.c.chosen == errand,
                inbox.c.chosen.like(_literal(errand) + "/%", escape="\\"),
            )
        )
    return where


def _literal(text: str) -> str:
    """``text`` in a LIKE pattern, its own wildcards literal (errand keys have "_")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _in_scope(municipality: str, municipalities: Scope) -> bool:
    return municipalities is None or municipality in municipalities


def _message(row) -> InboxMessage:
    message = from_row(InboxMessage, row, suggestions=lambda value: tuple(json.loads(value)))
    return message if message.suggestions is not None else replace(message, suggestions=())
