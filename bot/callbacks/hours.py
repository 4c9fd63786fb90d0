"""When caseworkers call citizens back: weekly windows, slot length, capacity.

Slots are never offered on Danish public holidays (the holidays library),
on the municipality's closed dates, in the past or with less notice than
the municipality needs to prepare the call.

The chat books a place only while fewer than ``chat_share`` per cent of the
day's places are booked, by anyone (``ChatDay``); the rest stay free for
staff, so citizens who phone can still get a callback when the chat's share
is booked up, by citizens or by a script.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

# The chat may fill at most this share (per cent) of a day's callback places
# unless the municipality decides otherwise. Three quarters keeps the chat's
# throughput close to what it was (the default day, e.g. Monday, has 40
# places of which the chat may take 30) while a quarter of every day (10 on
# that Monday) is always left for citizens who phone or come in and for the
# caseworkers' own follow-up calls, even if a script books up everything the
# chat may.
DEFAULT_CHAT_SHARE = 75

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DANISH_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
DANISH_MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


@dataclass(frozen=True)
class ChatDay:
    """A local day: its bounds (aware) and how many of its places the chat may book."""

    date: dt.date
    start: dt.datetime
    end: dt.datetime
    places: int


@dataclass(frozen=True)
class CallbackHours:
    # weekday -> ((start, end), ...) as local times
    windows: dict
    slot_minutes: int = 15
    capacity: int = 1
    min_notice_minutes: int = 120
    days_ahead: int = 14
    closed_dates: frozenset = field(default_factory=frozenset)
    timezone: str = "Europe/Copenhagen"
    # Per cent of a day's places the chat may book; see DEFAULT_CHAT_SHARE.
    chat_share: int = DEFAULT_CHAT_SHARE

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_json(self) -> dict:
        return {
            "windows": {
                d: [[a.isoformat("minutes"), b.isoformat("minutes")] for a, b in w] for d, w in self.windows.items()
            },
            "slot_minutes": self.slot_minutes,
            "capacity": self.capacity,
            "min_notice_minutes": self.min_notice_minutes,
            "days_ahead": self.days_ahead,
            "closed_dates": sorted(d.isoformat() for d in self.closed_dates),
            "timezone": self.timezone,
            "chat_share": self.chat_share,
        }

    @classmethod
    def from_json(cls, data: dict) -> CallbackHours:
        return cls(
            windows={
                d: tuple((dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in w)
                for d, w in data["windows"].items()
            },
            slot_minutes=data["slot_minutes"],
            capacity=data["capacity"],
            min_notice_minutes=data["min_notice_minutes"],
            days_ahead=data["days_ahead"],
            closed_dates=frozenset(dt.date.fromisoformat(d) for d in data["closed_dates"]),
            timezone=data["timezone"],
            chat_share=data.get("chat_share", DEFAULT_CHAT_SHARE),
        )

    def is_closed(self, day: dt.date) -> bool:
        return day in self.closed_dates or day in holidays.country_holidays("DK", years=day.year)

    def slot_starts(self, now: dt.datetime) -> Iterator[dt.datetime]:
        """Every slot start from the earliest allowed moment, in order."""
        local_now = now.astimezone(self.tz)
        earliest = local_now + dt.timedelta(minutes=self.min_notice_minutes)
        for offset in range(self.days_ahead + 1):
            day = local_now.date() + dt.timedelta(days=offset)
            if self.is_closed(day):
                continue
            for start, end in self.windows.get(WEEKDAYS[day.weekday()], ()):
                slot = dt.datetime.combine(day, start, tzinfo=self.tz)
                close = dt.datetime.combine(day, end, tzinfo=self.tz)
                while slot + dt.timedelta(minutes=self.slot_minutes) <= close:
                    if slot >= earliest:
                        yield slot
                    slot += dt.timedelta(minutes=self.slot_minutes)

    def day_places(self, day: dt.date) -> int:
        """Every place of the local day ``day``, past slots included."""
        if self.is_closed(day):
            return 0
        slots = 0
        for start, end in self.windows.get(WEEKDAYS[day.weekday()], ()):
            minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            slots += minutes // self.slot_minutes
        return slots * self.capacity

    def chat_day(self, slot: dt.datetime) -> ChatDay:
        """The local day of ``slot`` and how many of its places the chat may book."""
        day = slot.astimezone(self.tz).date()
        return ChatDay(
            day,
            dt.datetime.combine(day, dt.time(), tzinfo=self.tz),
            dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=self.tz),
            self.day_places(day) * self.chat_share // 100,
        )

    def free_slots(
        self,
        now: dt.datetime,
        booked: Callable[[dt.datetime], int],
        count: int = 3,
        after: dt.datetime | None = None,
        booked_on: Callable[[ChatDay], int] | None = None,
    ) -> list[dt.datetime]:
        """The next ``count`` slots with room, optionally only those after ``after``.

        With ``booked_on`` (active bookings of a local day) these are the
        chat's: a day whose chat share is booked offers nothing."""
        result = []
        full_days: set[dt.date] = set()
        for slot in self.slot_starts(now):
            if after is not None and slot <= after:
                continue
            if booked_on is not None:
                day = self.chat_day(slot)
                if day.date in full_days:
                    continue
                if booked_on(day) >= day.places:
                    full_days.add(day.date)
                    continue
            if booked(slot) < self.capacity:
                result.append(slot)
                if len(result) == count:
                    break
        return result

    def is_bookable(self, slot: dt.datetime, now: dt.datetime) -> bool:
        return any(s == slot for s in self.slot_starts(now)) if slot.tzinfo else False


def parse_window(text: str) -> tuple[dt.time, dt.time]:
    start, _, end = text.partition("-")
    first, last = dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())
    if last <= first:
        raise ValueError(f"window {text!r} ends before it starts")
    return first, last


def danish_slot_label(slot: dt.datetime) -> str:
    """'tirsdag 24. november kl. 09.15' — how the slot is shown to citizens."""
    return (
        f"{DANISH_WEEKDAYS[slot.weekday()]} {slot.day}. {DANISH_MONTHS[slot.month - 1]} "
        f"kl. {slot.hour:02d}.{slot.minute:02d}"
    )
