"""The callback queue: the list, one callback with its journal and
transcript, the changes a caseworker makes, and the CSV export.

Everything here is scoped to the user's municipality: another
municipality's callbacks are never listed or exported, and their pages and
actions answer 404, as if they did not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import wraps

from sanic import Blueprint, response

from bot.callbacks.casework import (
    MAX_SEARCH_CHARS,
    RESCHEDULABLE,
    SORTS,
    TRANSITIONS,
    VIEWS,
    InvalidChange,
    QueueFilter,
    VersionConflict,
)
from bot.callbacks.store import ACTIVE, Callback, CallbackNotFound
from bot.console import security
from bot.console.accounts import ALL
from bot.console.export import callbacks_csv
from bot.console.summary import next_steps, summarise
from bot.console.texts import ERRORS, STATUS_LABELS
from bot.console.web import TZ, error_page, render, requires, see_other, state

blueprint = Blueprint("queue")


def _queue_filter(request) -> QueueFilter:
    view = request.args.get("visning") or "active"
    status = request.args.get("status") or None
    sort = request.args.get("sorter") or "slot"
    return QueueFilter(
        view=view if view in VIEWS else "active",
        municipality=request.args.get("kommune") or None,
        topic=request.args.get("emne") or None,
        category=request.args.get("kategori") or None,
        status=status if status in STATUS_LABELS else None,
        assigned_to=request.args.get("tildelt") or None,
        search=(request.args.get("soeg") or "").strip()[:MAX_SEARCH_CHARS] or None,
        date_from=_day(request.args.get("fra")),
        date_to=_day(request.args.get("til")),
        sort=sort if sort in SORTS and sort != "slot" else None,
    )


def _day(value: str | None) -> dt.date | None:
    """A date field's YYYY-MM-DD; anything else is no limit (the form shows it empty)."""
    try:
        return dt.date.fromisoformat((value or "")[:10]) if value else None
    except ValueError:
        return None


def _visible(request, criteria: QueueFilter, now: dt.datetime | None = None) -> list[Callback]:
    """The callbacks ``criteria`` selects, of the user's municipality only."""
    user = request.ctx.user
    if user.municipality != ALL:
        if user.municipality is None or criteria.municipality not in (None, user.municipality):
            return []
        criteria = replace(criteria, municipality=user.municipality)
    return state(request).casework.list(criteria, now=now, tz=TZ)


def _facets(request) -> dict[str, list[str]]:
    """The values for the filter menus, from the callbacks the user may see."""
    if request.ctx.user.municipality == ALL:
        return state(request).casework.facets()
    seen = _visible(request, QueueFilter(view="all"))
    columns = ("municipality", "topic", "category", "assigned_to")
    return {column: sorted({getattr(cb, column) for cb in seen} - {None}) for column in columns}


def _in_scope(handler):
    """Only for a callback of the user's municipality; any other reference
    gets the same Danish 404 as one that does not exist."""

    @wraps(handler)
    async def wrapped(request, reference: str):
        try:
            callback = state(request).casework.get(reference)
        except CallbackNotFound:
            return error_page(request, "not_found", 404)
        if not request.ctx.user.sees(callback.municipality):
            return error_page(request, "not_found", 404)
        return await handler(request, reference)

    return wrapped


@requires("callbacks")
async def queue(request):
    criteria = _queue_filter(request)
    now = dt.datetime.now(dt.timezone.utc)
    shown = _visible(request, criteria, now)
    return render(
        request,
        "queue.html",
        callbacks=shown,
        # Overdue in the user's whole scope, whatever the filter shows.
        overdue_count=len(_visible(request, QueueFilter(view="overdue"), now)),
        same_address=state(request).casework.same_address(shown),
        criteria=criteria,
        facets=_facets(request),
        now=now,
        active=ACTIVE,
        query=request.query_string,
        today=now.astimezone(TZ).date(),
    )


@requires("callbacks")
async def export(request):
    casework = state(request).casework
    criteria = _queue_filter(request)
    callbacks = _visible(request, criteria)
    casework.record(
        "exported",
        request.ctx.user.username,
        count=len(callbacks),
        references=[cb.reference for cb in callbacks],
        # The journal is JSON: dates as text.
        filter={k: v.isoformat() if isinstance(v, dt.date) else v for k, v in criteria.__dict__.items() if v},
        scope=request.ctx.user.municipality,
    )
    stamp = dt.datetime.now(TZ).strftime("%Y%m%d-%H%M")
    return response.text(
        callbacks_csv(callbacks, TZ),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="opringninger-{stamp}.csv"'},
    )


def _callback_page(request, callback: Callback, status: int = 200, error: str | None = None, note: str = ""):
    console = state(request)
    staff = [u for u in console.accounts.list_users() if _may_work(u, callback)]
    events = console.casework.events(callback.reference)
    transcript = console.transcripts.lines(callback.conversation_id)
    return render(
        request,
        "callback.html",
        status=status,
        cb=callback,
        error=error,
        note=note,
        transitions=TRANSITIONS.get(callback.status, ()),
        # The journal without its page views, which are counted apart; the
        # notes again on their own, newest first (issue 28).
        events=[e for e in events if e["action"] != "viewed"],
        views=[e for e in events if e["action"] == "viewed"],
        notes=[e for e in reversed(events) if e["action"] == "note"],
        summary=summarise(transcript, callback.name, callback.phone),
        next_steps=next_steps(console.labels.guidance, callback.category, callback.topic),
        transcript=transcript,
        same_address=console.casework.same_address([callback]).get(callback.reference),
        staff=staff,
        active=ACTIVE,
        overdue=callback.status in ACTIVE and callback.slot < dt.datetime.now(dt.timezone.utc),
        free_slots=_free_slots(console, callback),
    )


def _free_slots(console, callback: Callback) -> list[dt.datetime]:
    """The times the reschedule form offers: only after "Intet svar"."""
    hours = console.labels.hours.get(callback.municipality)
    if callback.status not in RESCHEDULABLE or hours is None:
        return []
    return console.casework.free_slots(callback.municipality, hours)


def _may_work(user, callback: Callback) -> bool:
    return (
        bool(user)
        and not user.disabled
        and security.allowed(user.role, "callbacks")
        and user.sees(callback.municipality)
    )


def _refused(request, reference: str, exc: InvalidChange, note: str = ""):
    return _callback_page(request, state(request).casework.get(reference), 422, ERRORS[exc.reason], note)


@requires("callbacks")
@_in_scope
async def show_callback(request, reference: str):
    casework = state(request).casework
    callback = casework.get(reference)
    casework.record_view(callback.reference, request.ctx.user.username)
    return _callback_page(request, callback)


def _change(request, reference: str, action, flash: str):
    """Apply ``action(version, note)`` to the version the form was made from."""
    note = request.form.get("note") or ""
    try:
        version = int(request.form.get("version") or "")
    except ValueError:
        return error_page(request, "bad_request", 400)
    try:
        action(version, note)
    except CallbackNotFound:
        return error_page(request, "not_found", 404)
    except VersionConflict as conflict:
        return _callback_page(request, conflict.current, 409, ERRORS["conflict"], note)
    except InvalidChange as exc:
        return _refused(request, reference, exc, note)
    return see_other(f"/opringninger/{reference}?besked={flash}")


@requires("callbacks")
@_in_scope
async def take(request, reference: str):
    casework, actor = state(request).casework, request.ctx.user.username
    return _change(request, reference, lambda v, _n: casework.take(reference, v, actor), "taken")


@requires("callbacks")
@_in_scope
async def assign(request, reference: str):
    console, actor = state(request), request.ctx.user.username
    assignee = request.form.get("assignee") or None
    if assignee is not None:
        callback = console.casework.get(reference)
        if not _may_work(console.accounts.get(assignee), callback):
            return _callback_page(request, callback, 422, ERRORS["assignee"])
    return _change(request, reference, lambda v, _n: console.casework.assign(reference, v, assignee, actor), "assigned")


@requires("callbacks")
@_in_scope
async def set_status(request, reference: str):
    casework, actor = state(request).casework, request.ctx.user.username
    new_status = request.form.get("status") or ""
    return _change(
        request, reference, lambda v, n: casework.change_status(reference, v, new_status, actor, n), "status"
    )


@requires("callbacks")
@_in_scope
async def add_note(request, reference: str):
    casework, actor = state(request).casework, request.ctx.user.username
    note = request.form.get("note") or ""
    try:
        casework.add_note(reference, actor, note)
    except CallbackNotFound:
        return error_page(request, "not_found", 404)
    except InvalidChange as exc:
        return _refused(request, reference, exc, note)
    return see_other(f"/opringninger/{reference}?besked=note")


@requires("callbacks")
@_in_scope
async def reschedule(request, reference: str):
    """A new time after "Intet svar": one of the free times the form showed,
    checked again by the booking's rules when it is saved."""
    console, actor = state(request), request.ctx.user.username
    try:
        slot = dt.datetime.fromisoformat(request.form.get("slot") or "")
    except ValueError:
        slot = None
    if slot is None or slot.tzinfo is None:
        return _refused(request, reference, InvalidChange("slot_unavailable"))
    hours = console.labels.hours.get(console.casework.get(reference).municipality)
    return _change(
        request, reference, lambda v, _n: console.casework.reschedule(reference, v, slot, actor, hours), "rescheduled"
    )
