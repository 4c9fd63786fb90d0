"""Working the callback queue: listing, taking, assigning, status changes
and notes, each journaled with the caseworker and the time.

Every change to a callback names the version the caseworker saw. When two
caseworkers act on the same callback at once, the second change finds a
newer version and is refused with ``VersionConflict`` instead of silently
overwriting the first (optimistic locking; the callback's row is locked
from the read of its version to the update).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from bot.callbacks.hours import CallbackHours
from bot.callbacks.store import ACTIVE, IS_ACTIVE, Callback, CallbackNotFound, CallbackStore, _count_active
from bot.errors import Refused
from bot.privacy.redaction import redact
from bot.records import journal
from bot.records.database import storage_time, utc_now
from bot.records.schema import callbacks

# Which status may follow which. Completed and cancelled are final: a
# closed case that needs more work is a new contact.
TRANSITIONS = {
    "booked": ("in_progress", "cancelled"),
    "in_progress": ("completed", "no_answer", "booked", "cancelled"),
    "no_answer": ("in_progress", "completed", "cancelled"),
    "completed": (),
    "cancelled": (),
}
NOTE_REQUIRED = ("completed", "no_answer")
MAX_NOTE_CHARS = 4000
VIEWS = ("active", "today", "upcoming", "overdue", "all")
# The statuses from which a caseworker picks a new time: after "Intet svar"
# the callback would otherwise only turn overdue (issue 28).
RESCHEDULABLE = ("no_answer",)
# Free times offered in the reschedule form: two or three days of a default
# municipality's slots, enough to find one the citizen asked for.
RESCHEDULE_CHOICES = 24
# References per query when looking up bookings from the same address: well
# under SQLite's oldest limit of 999 bound parameters.
REFERENCES_PER_QUERY = 500


class VersionConflict(Exception):
    """Someone else changed the callback after it was shown."""

    def __init__(self, current: Callback):
        super().__init__(current.reference)
        self.current = current


class InvalidChange(Refused):
    """A change the workflow does not allow."""


@dataclass(frozen=True)
class QueueFilter:
    view: str = "active"
    municipality: str | None = None
    topic: str | None = None
    category: str | None = None
    status: str | None = None
    assigned_to: str | None = None
    # A reference, part of the citizen's name or some digits of the phone
    # number, as a citizen phoning in gives them (issue 28).
    search: str | None = None
    # Slots from this local day to that one, both included (Europe/Copenhagen
    # when the caller passes ``tz``).
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    # One of SORTS: the slot (soonest first; also None), newest booking
    # first, or name.
    sort: str | None = None


SORTS = ("slot", "created", "name")


# The longest search the queue reads; a reference is 14 characters, a name
# rarely more than 40.
MAX_SEARCH_CHARS = 60


def _like(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, its own % and _ literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_clause(text: str):
    """Callbacks whose reference, name or phone number holds ``text``:
    case-insensitive for reference and name, digits only for the phone."""
    text = " ".join(text.split())[:MAX_SEARCH_CHARS]
    found = [
        sa.func.upper(callbacks.c.reference).like(_like(text.upper()), escape="\\"),
        sa.func.lower(callbacks.c.name).like(_like(text.lower()), escape="\\"),
    ]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4:  # fewer digits would find half the queue
        phone = sa.func.replace(sa.func.replace(sa.func.replace(callbacks.c.phone, " ", ""), "-", ""), "+", "")
        found.append(phone.like(f"%{digits}%"))
    return sa.or_(*found)


def clean_note(note: str | None) -> str:
    """Notes are kept in the journal for good, so CPR numbers are removed
    here too, and the length is bounded."""
    text = redact((note or "").strip()).text
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidChange("note_too_long")
    return text


class Casework(CallbackStore):
    def list(self, criteria: QueueFilter, now: dt.datetime | None = None, tz=None) -> list[Callback]:
        if criteria.view not in VIEWS:
            raise InvalidChange("unknown_view")
        now = now or utc_now()
        order = {
            "slot": (callbacks.c.slot, callbacks.c.id),
            "created": (callbacks.c.created.desc(), callbacks.c.id.desc()),
            "name": (sa.func.lower(callbacks.c.name), callbacks.c.slot),
        }[criteria.sort if criteria.sort in SORTS else "slot"]  # unknown or None: by slot
        query = sa.select(callbacks).order_by(*order)
        if criteria.view != "all":
            query = query.where(IS_ACTIVE)
        if criteria.view == "today":
            local = now.astimezone(tz) if tz else now
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            query = query.where(
                callbacks.c.slot >= storage_time(start), callbacks.c.slot < storage_time(start + dt.timedelta(days=1))
            )
        elif criteria.view == "upcoming":
            query = query.where(callbacks.c.slot >= storage_time(now))
        elif criteria.view == "overdue":
            query = query.where(callbacks.c.slot < storage_time(now))
        for column in ("municipality", "topic", "category", "status", "assigned_to"):
            value = getattr(criteria, column)
            if value:
                query = query.where(callbacks.c[column] == value)
        for day, bound in ((criteria.date_from, 0), (criteria.date_to, 1)):
            if day is not None:
                local = dt.datetime.combine(day + dt.timedelta(days=bound), dt.time(), tzinfo=tz or dt.timezone.utc)
                column = callbacks.c.slot
                query = query.where(column < storage_time(local) if bound else column >= storage_time(local))
        if criteria.search and criteria.search.strip():
            query = query.where(search_clause(criteria.search))
        with self._read() as conn:
            return [Callback.from_row(row) for row in conn.execute(query)]

    def same_address(self, shown: list[Callback]) -> dict[str, list[str]]:
        """For each callback in ``shown`` whose client address is known: its
        own reference and those of the other active bookings from the same
        address in the same municipality, in slot order.

        Several may be one household or a library's PC, or a script; the
        caseworker judges. The address pseudonym itself never leaves here."""
        other = callbacks.alias("other")
        result: dict[str, list[str]] = {}
        references = [cb.reference for cb in shown]
        with self._read() as conn:
            for start in range(0, len(references), REFERENCES_PER_QUERY):
                rows = conn.execute(
                    sa.select(callbacks.c.reference, other.c.reference)
                    .join(
                        other,
                        sa.and_(
                            other.c.client == callbacks.c.client,
                            other.c.municipality == callbacks.c.municipality,
                        ),
                    )
                    .where(
                        callbacks.c.reference.in_(references[start : start + REFERENCES_PER_QUERY]),
                        callbacks.c.client.isnot(None),
                        sa.or_(other.c.status.in_(ACTIVE), other.c.id == callbacks.c.id),
                    )
                    .order_by(other.c.slot, other.c.id)
                )
                for reference, same in rows:
                    result.setdefault(reference, []).append(same)
        return result

    def facets(self) -> dict[str, list[str]]:
        """The values present, for the filter menus."""
        with self._read() as conn:
            return {
                column: list(
                    conn.execute(
                        sa.select(callbacks.c[column])
                        .distinct()
                        .where(callbacks.c[column].isnot(None))
                        .order_by(callbacks.c[column])
                    ).scalars()
                )
                for column in ("municipality", "topic", "category", "assigned_to")
            }

    @staticmethod
    def _current(conn, reference: str) -> Callback:
        """The callback as stored, read inside the caller's write transaction
        and locked until it ends (on SQLite the write lock does that)."""
        row = conn.execute(sa.select(callbacks).where(callbacks.c.reference == reference).with_for_update()).first()
        if row is None:
            raise CallbackNotFound(reference)
        return Callback.from_row(row)

    @staticmethod
    def _same_version(current: Callback, version: int) -> None:
        """Refuse a change to a callback someone changed since it was shown."""
        if current.version != version:
            raise VersionConflict(current)

    @staticmethod
    def _update(conn, reference: str, **values) -> None:
        # _current locked the row, so the version checked there is still the stored one.
        conn.execute(
            callbacks.update()
            .where(callbacks.c.reference == reference)
            .values(**values, updated=storage_time(utc_now()), version=callbacks.c.version + 1)
        )

    def change_status(self, reference: str, version: int, status: str, actor: str, note: str = "") -> Callback:
        note = clean_note(note)
        with self._write() as conn:
            current = self._current(conn, reference)
            self._same_version(current, version)
            if status not in TRANSITIONS.get(current.status, ()):
                raise InvalidChange("transition_not_allowed")
            if status in NOTE_REQUIRED and not note:
                raise InvalidChange("note_required")
            values = {"status": status}
            if status == "no_answer":
                values["attempts"] = callbacks.c.attempts + 1
            if status == "in_progress" and not current.assigned_to:
                values["assigned_to"] = actor
            self._update(conn, reference, **values)
            journal.append(conn, reference, "status_changed", actor, **{"from": current.status, "to": status})
            if note:
                journal.append(conn, reference, "note", actor, text=note)
        return self.get(reference)

    def take(self, reference: str, version: int, actor: str) -> Callback:
        """Assign to oneself and start work, as one change."""
        with self._write() as conn:
            current = self._current(conn, reference)
            if current.status not in ACTIVE:
                raise InvalidChange("closed")
            self._same_version(current, version)
            status = "in_progress" if current.status in ("booked", "no_answer") else current.status
            self._update(conn, reference, assigned_to=actor, status=status)
            journal.append(conn, reference, "assigned", actor, to=actor, previous=current.assigned_to)
            if status != current.status:
                journal.append(conn, reference, "status_changed", actor, **{"from": current.status, "to": status})
        return self.get(reference)

    def assign(self, reference: str, version: int, assignee: str | None, actor: str) -> Callback:
        with self._write() as conn:
            current = self._current(conn, reference)
            if current.status not in ACTIVE:
                raise InvalidChange("closed")
            self._same_version(current, version)
            self._update(conn, reference, assigned_to=assignee or None)
            journal.append(conn, reference, "assigned", actor, to=assignee or None, previous=current.assigned_to)
        return self.get(reference)

    def add_note(self, reference: str, actor: str, note: str) -> None:
        """A note without a status change; notes never conflict, they append."""
        note = clean_note(note)
        if not note:
            raise InvalidChange("note_required")
        with self._write() as conn:
            self._current(conn, reference)
            journal.append(conn, reference, "note", actor, text=note)

    def free_slots(
        self, municipality: str, hours: CallbackHours, now: dt.datetime | None = None, count: int = RESCHEDULE_CHOICES
    ) -> list[dt.datetime]:
        """The next ``count`` times with a free place, by the booking's own
        rules (callback hours, notice, holidays, capacity). A caseworker may
        use every place of a day, not only the chat's share."""
        now = now or utc_now()
        counts = self.booked_counts(municipality, hours.chat_day(now).start)
        return hours.free_slots(now, lambda slot: counts.get(storage_time(slot), 0), count)

    def reschedule(
        self,
        reference: str,
        version: int,
        slot: dt.datetime,
        actor: str,
        hours: CallbackHours | None,
        now: dt.datetime | None = None,
    ) -> Callback:
        """A new time for a callback the citizen did not answer: the same
        reference, status "Bestilt" again at the new slot, journaled with
        the old and the new time. The slot must be one the booking could
        offer and still have a place, checked in the same transaction."""
        now = now or utc_now()
        if hours is None or slot.tzinfo is None or not hours.is_bookable(slot, now):
            raise InvalidChange("slot_unavailable")
        slot_iso = storage_time(slot)
        with self._write() as conn:
            current = self._current(conn, reference)
            self.db.lock(conn, f"callback-slot:{current.municipality}:{slot_iso}")
            self._same_version(current, version)
            if current.status not in RESCHEDULABLE:
                raise InvalidChange("reschedule_not_allowed")
            if _count_active(conn, current.municipality, slot_iso) >= hours.capacity:
                raise InvalidChange("slot_unavailable")
            self._update(conn, reference, slot=slot_iso, status="booked")
            journal.append(
                conn, reference, "rescheduled", actor, **{"from": storage_time(current.slot), "to": slot_iso}
            )
            journal.append(conn, reference, "status_changed", actor, **{"from": current.status, "to": "booked"})
        return self.get(reference)

    def record_view(self, reference: str, actor: str) -> None:
        self.record("viewed", actor, reference=reference)
