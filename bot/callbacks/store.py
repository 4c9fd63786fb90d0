"""Booked callbacks, in the data database (SQLite or PostgreSQL).

Notatpligt and journalisering: every booking, cancellation and staff action
is appended to the journal (``bot.records.journal``) in the same
transaction. Events never repeat the citizen's name or phone number, so
they may outlive the callback row that retention deletes.

Capacity, the chat's share of the day, and the limits per phone number,
per conversation and per client address are checked and the booking
inserted in one write transaction that first serialises every booking of
the same slot, day, phone number, conversation or client: on SQLite the
``BEGIN IMMEDIATE`` write lock (one writer at a time), on PostgreSQL
transaction-scoped advisory locks on those keys. When many citizens take
the last place of a slot at once, exactly one succeeds and the others get
``SlotFull``.

The client is the channel's pseudonym of the client address (a keyed hash,
never the address), so a script cannot get past the caps by inventing
phone numbers and conversation ids. A booking without one (an older
channel, a message without metadata) is capped per phone and conversation
only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection

from bot.callbacks import verification
from bot.callbacks.hours import ChatDay
from bot.privacy import cancel_digits
from bot.records import journal
from bot.records.database import Store, from_row, storage_time, utc_now
from bot.records.schema import callbacks

ACTIVE = ("booked", "in_progress", "no_answer")


class SlotFull(Exception):
    """The chosen slot has no free place left."""


class ChatPlacesFull(SlotFull):
    """The chat's share of the slot's day is booked; staff places may remain."""


class TooManyBookings(Exception):
    """The phone number, the conversation or the client address already has
    the allowed number of bookings; ``args[0]`` says which ("phone",
    "conversation" or "address"), for "address" ``args[1]`` whether the
    active ("active") or the recent ("recent") ones."""


@dataclass(frozen=True)
class AddressLimit:
    """Bookings allowed per client address: ``active`` at once, and at most
    ``recent`` made (whatever became of them) in any ``seconds``."""

    active: int
    recent: int
    seconds: int


class CallbackNotFound(LookupError):
    pass


class CancelRefused(LookupError):
    """Reference and digits do not match an active callback: one answer for
    an unknown reference, wrong digits and a closed callback alike, so
    nobody learns which references exist."""


class CancelLocked(CancelRefused):
    """Too many wrong digits for this reference: the citizen must call."""


# Why the chat offered a callback, kept with it so the caseworker knows
# before calling (issue 27): the citizen's own case or decision, a personal
# or sensitive matter, help with the digital, or the citizen asked.
REASONS = ("case", "sensitive", "assistance", "asked")


@dataclass(frozen=True)
class Callback:
    reference: str
    municipality: str
    topic: str | None
    category: str | None
    name: str
    phone: str
    slot: dt.datetime
    status: str
    created: str
    version: int
    updated: str = ""
    conversation_id: str | None = None
    assigned_to: str | None = None
    attempts: int = 0
    reason: str | None = None

    @classmethod
    def from_row(cls, row) -> Callback:
        return from_row(cls, row, slot=dt.datetime.fromisoformat)


IS_ACTIVE = callbacks.c.status.in_(ACTIVE)
# "CB-2026-000123" is 14 characters; longer input is never a reference.
MAX_REFERENCE_CHARS = 20


def _count_active(conn: Connection, municipality: str, slot_iso: str) -> int:
    return conn.execute(
        sa.select(sa.func.count())
        .select_from(callbacks)
        .where(callbacks.c.municipality == municipality, callbacks.c.slot == slot_iso, IS_ACTIVE)
    ).scalar()


def _count_between(conn: Connection, municipality: str, day: ChatDay) -> int:
    """Active bookings of every slot of ``day``, whoever made them."""
    return _count(
        conn,
        callbacks.c.municipality == municipality,
        callbacks.c.slot >= storage_time(day.start),
        callbacks.c.slot < storage_time(day.end),
    )


def _count(conn: Connection, *where) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(callbacks).where(*where, IS_ACTIVE)).scalar()


class CallbackStore(Store):
    def __init__(self, path: Path | str | URL, timeout: float = 15.0, cancel_key: bytes | None = None):
        """``cancel_key``: the key of the stored check of the phone's last
        digits (``verification.cancel_key``); None: bookings get no check
        and can be cancelled only from their own conversation or by staff."""
        super().__init__(path, timeout)
        self.cancel_key = cancel_key

    def book(
        self,
        municipality: str,
        slot: dt.datetime,
        capacity: int,
        name: str,
        phone: str,
        topic: str | None = None,
        category: str | None = None,
        conversation_id: str | None = None,
        max_active: int | None = None,
        client: str | None = None,
        per_address: AddressLimit | None = None,
        chat_day: ChatDay | None = None,
        reason: str | None = None,
    ) -> Callback:
        """Book a place in ``slot``. A retry from the same conversation for
        the same slot (after a crash before the confirmation) returns the
        booking it already has; ``max_active`` caps the active bookings per
        phone number and per conversation and ``per_address`` those of the
        ``client`` (the address pseudonym; None: unknown, not capped), so a
        script cannot book up the whole capacity. ``chat_day`` is the slot's
        day with the places the chat may book there (a chat booking; staff
        bookings pass None and may use every place). All checks and the
        insert are one transaction."""
        slot_iso = storage_time(slot)
        now = utc_now()
        phone_key = phone.replace(" ", "")
        with self._write() as conn:
            keys = [f"callback-slot:{municipality}:{slot_iso}"]
            if max_active is not None:
                keys.append(f"callback-phone:{phone_key}")
            if conversation_id is not None:
                keys.append(f"callback-conversation:{conversation_id}")
            if client is not None:
                keys.append(f"callback-client:{client}")
            if chat_day is not None:
                keys.append(f"callback-day:{municipality}:{chat_day.date.isoformat()}")
            self.db.lock(conn, *keys)
            if conversation_id is not None:
                existing = conn.execute(
                    sa.select(callbacks).where(
                        callbacks.c.conversation_id == conversation_id,
                        callbacks.c.slot == slot_iso,
                        callbacks.c.municipality == municipality,
                        IS_ACTIVE,
                    )
                ).first()
                if existing is not None:
                    return Callback.from_row(existing)
            if max_active is not None:
                if _count(conn, sa.func.replace(callbacks.c.phone, " ", "") == phone_key) >= max_active:
                    raise TooManyBookings("phone")
                if conversation_id is not None and _count(conn, callbacks.c.conversation_id == conversation_id) >= (
                    max_active
                ):
                    raise TooManyBookings("conversation")
            if client is not None and per_address is not None:
                if _count(conn, callbacks.c.client == client) >= per_address.active:
                    raise TooManyBookings("address", "active")
                since = storage_time(now - dt.timedelta(seconds=per_address.seconds))
                recent = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(callbacks)
                    .where(callbacks.c.client == client, callbacks.c.created >= since)
                ).scalar()
                if recent >= per_address.recent:
                    raise TooManyBookings("address", "recent")
            if _count_active(conn, municipality, slot_iso) >= capacity:
                raise SlotFull(slot_iso)
            if chat_day is not None and _count_between(conn, municipality, chat_day) >= chat_day.places:
                raise ChatPlacesFull(slot_iso)
            (row_id,) = conn.execute(
                callbacks.insert().values(
                    municipality=municipality,
                    topic=topic,
                    category=category,
                    name=name,
                    phone=phone,
                    slot=slot_iso,
                    status="booked",
                    conversation_id=conversation_id,
                    client=client,
                    reason=reason if reason in REASONS else None,
                    created=storage_time(now),
                    updated=storage_time(now),
                )
            ).inserted_primary_key
            reference = f"CB-{dt.date.today().year}-{row_id:06d}"
            conn.execute(
                callbacks.update()
                .where(callbacks.c.id == row_id)
                .values(reference=reference, cancel_check=self._check(reference, phone))
            )
            journal.append(
                conn,
                reference,
                "booked",
                "citizen",
                municipality=municipality,
                topic=topic,
                category=category,
                slot=slot_iso,
            )
        return self.get(reference)

    def get(self, reference: str) -> Callback:
        with self._read() as conn:
            row = conn.execute(sa.select(callbacks).where(callbacks.c.reference == reference.strip().upper())).first()
        if row is None:
            raise CallbackNotFound(reference)
        return Callback.from_row(row)

    def cancel(self, reference: str, actor: str = "citizen", conversation_id: str | None = None) -> Callback:
        """Cancel an active callback. A citizen may only cancel from the
        conversation that booked it, so a guessed reference is not enough."""
        reference = reference.strip().upper()
        with self._write() as conn:
            row = conn.execute(
                sa.select(callbacks.c.status, callbacks.c.conversation_id)
                .where(callbacks.c.reference == reference)
                .with_for_update()
            ).first()
            if row is None or (
                actor == "citizen"
                and conversation_id is not None
                and row.conversation_id not in (None, conversation_id)
            ):
                raise CallbackNotFound(reference)
            if row.status in ACTIVE:
                conn.execute(
                    callbacks.update()
                    .where(callbacks.c.reference == reference)
                    .values(status="cancelled", updated=storage_time(utc_now()), version=callbacks.c.version + 1)
                )
                journal.append(conn, reference, "cancelled", actor)
        return self.get(reference)

    def _check(self, reference: str, phone: str) -> str | None:
        digits = cancel_digits.last_digits(phone) if self.cancel_key is not None else None
        if digits is None:
            return None
        return verification.check(self.cancel_key, reference, cancel_digits.digits_token(self.cancel_key, digits))

    def cancel_with_digits(self, reference: str, digits: str, via: str) -> Callback:
        """``cancel_with_token`` for the digits as typed (the /aflys page)."""
        typed = cancel_digits.typed_digits(digits)
        if self.cancel_key is None or typed is None:
            raise CancelRefused(reference[:MAX_REFERENCE_CHARS])
        return self.cancel_with_token(reference, cancel_digits.digits_token(self.cancel_key, typed), via)

    def cancel_with_token(self, reference: str, token: str, via: str) -> Callback:
        """Cancel from anywhere (another conversation, the /aflys page) with
        the reference and the last four digits of the booking's phone, as
        their keyed token (the channel guard turns the digits into it before
        Rasa sees them).

        Raises ``CancelRefused`` for an unknown reference, wrong digits or a
        callback that is no longer active (one answer for all three), and
        ``CancelLocked`` once ``MAX_FAILURES`` wrong attempts were made for
        the reference (right digits too are then refused). Every wrong
        attempt on a real reference is counted and journaled, in the same
        transaction as the check, so parallel guesses cannot outrun the
        lock. ``via`` ("chat" or "page") is journaled with the cancellation."""
        reference = reference.strip().upper()
        if (
            self.cancel_key is None
            or len(reference) > MAX_REFERENCE_CHARS
            or not isinstance(token, str)
            or not cancel_digits.TOKEN.fullmatch(token)
        ):
            raise CancelRefused(reference[:MAX_REFERENCE_CHARS])
        refusal: CancelRefused | None = None
        with self._write() as conn:
            row = conn.execute(
                sa.select(callbacks.c.status, callbacks.c.cancel_check, callbacks.c.cancel_failures)
                .where(callbacks.c.reference == reference)
                .with_for_update()
            ).first()
            if row is None:
                raise CancelRefused(reference)
            if row.cancel_failures >= verification.MAX_FAILURES:
                raise CancelLocked(reference)
            if not verification.matches(self.cancel_key, reference, token, row.cancel_check):
                failures = row.cancel_failures + 1
                conn.execute(
                    callbacks.update().where(callbacks.c.reference == reference).values(cancel_failures=failures)
                )
                locked = failures >= verification.MAX_FAILURES
                action = "cancel_locked" if locked else "cancel_refused"
                journal.append(conn, reference, action, "citizen", via=via, attempts=failures)
                # Raised after the commit: the count must outlive the refusal.
                refusal = CancelLocked(reference) if locked else CancelRefused(reference)
            elif row.status not in ACTIVE:
                raise CancelRefused(reference)
            else:
                conn.execute(
                    callbacks.update()
                    .where(callbacks.c.reference == reference)
                    .values(status="cancelled", updated=storage_time(utc_now()), version=callbacks.c.version + 1)
                )
                journal.append(conn, reference, "cancelled", "citizen", via=via)
        if refusal is not None:
            raise refusal
        return self.get(reference)

    def booked_count(self, municipality: str, slot: dt.datetime) -> int:
        with self._read() as conn:
            return _count_active(conn, municipality, storage_time(slot))

    def booked_on(self, municipality: str, day: ChatDay) -> int:
        """Active bookings of every slot of the local ``day``."""
        with self._read() as conn:
            return _count_between(conn, municipality, day)

    def booked_counts(self, municipality: str, since: dt.datetime) -> dict[str, int]:
        """Active bookings per slot (UTC ISO) from ``since`` on, in one query."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(callbacks.c.slot, sa.func.count())
                .where(callbacks.c.municipality == municipality, callbacks.c.slot >= storage_time(since), IS_ACTIVE)
                .group_by(callbacks.c.slot)
            ).fetchall()
        return {slot: count for slot, count in rows}

    def events(self, reference: str | None = None) -> list[dict]:
        with self._read() as conn:
            return journal.read(conn, reference)

    def record(self, action: str, actor: str, reference: str | None = None, **details) -> None:
        """Append a journal entry that belongs to no single booking step."""
        with self._write() as conn:
            journal.append(conn, reference, action, actor, **details)

    def municipalities(self) -> list[str]:
        """Every municipality with callback rows, for per-municipality retention."""
        with self._read() as conn:
            return list(
                conn.execute(
                    sa.select(callbacks.c.municipality).distinct().order_by(callbacks.c.municipality)
                ).scalars()
            )

    def delete_expired(self, cutoff: dt.datetime, municipality: str | None = None, actor: str = "retention") -> int:
        """Delete callbacks (personal data) past retention, all or one
        municipality's, in small journaled batches: every callback whose slot
        is before ``cutoff``, whatever its status, and closed ones also when
        they were closed before it. Citizens are told the data is kept until
        the call is over and at most the period after; taking whichever of
        slot and closing comes first never keeps it longer."""
        limit = storage_time(cutoff)
        where = sa.or_(callbacks.c.slot < limit, sa.and_(sa.not_(IS_ACTIVE), callbacks.c.updated < limit))
        return journal.delete_journaled(
            self._write, callbacks, where, cutoff, municipality, "retention_callbacks", actor
        )
