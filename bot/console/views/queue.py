"""The callback queue: the list, one callback with its journal and
transcript, the changes a caseworker makes, and the CSV export."""

from __future__ import annotations

import datetime as dt

from sanic import Blueprint, response

from bot.callbacks.casework import TRANSITIONS, VIEWS, InvalidChange, QueueFilter, VersionConflict
from bot.callbacks.store import ACTIVE, Callback, CallbackNotFound
from bot.console import security
from bot.console.export import callbacks_csv
from bot.console.texts import ERRORS, STATUS_LABELS
from bot.console.web import TZ, error_page, render, requires, see_other, state

blueprint = Blueprint("queue")


def _queue_filter(request) -> QueueFilter:
    view = request.args.get("visning") or "active"
    status = request.args.get("status") or None
    return QueueFilter(
        view=view if view in VIEWS else "active",
        municipality=request.args.get("kommune") or None,
        topic=request.args.get("emne") or None,
        category=request.args.get("kategori") or None,
        status=status if status in STATUS_LABELS else None,
        assigned_to=request.args.get("tildelt") or None,
    )


@requires("callbacks")
async def queue(request):
    casework = state(request).casework
    criteria = _queue_filter(request)
    now = dt.datetime.now(dt.timezone.utc)
    return render(
        request,
        "queue.html",
        callbacks=casework.list(criteria, now=now, tz=TZ),
        criteria=criteria,
        facets=casework.facets(),
        now=now,
        active=ACTIVE,
        query=request.query_string,
        today=now.astimezone(TZ).date(),
    )


@requires("callbacks")
async def export(request):
    casework = state(request).casework
    criteria = _queue_filter(request)
    callbacks = casework.list(criteria, tz=TZ)
    casework.record(
        "exported",
        request.ctx.user.username,
        count=len(callbacks),
        references=[cb.reference for cb in callbacks],
        filter={k: v for k, v in criteria.__dict__.items() if v},
    )
    stamp = dt.datetime.now(TZ).strftime("%Y%m%d-%H%M")
    return response.text(
        callbacks_csv(callbacks, TZ),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="opringninger-{stamp}.csv"'},
    )


def _callback_page(request, callback: Callback, status: int = 200, error: str | None = None, note: str = ""):
    console = state(request)
    staff = [u for u in console.accounts.list_users() if not u.disabled and security.allowed(u.role, "callbacks")]
    return render(
        request,
        "callback.html",
        status=status,
        cb=callback,
        error=error,
        note=note,
        transitions=TRANSITIONS.get(callback.status, ()),
        events=console.casework.events(callback.reference),
        transcript=console.transcripts.lines(callback.conversation_id),
        staff=staff,
        active=ACTIVE,
        overdue=callback.status in ACTIVE and callback.slot < dt.datetime.now(dt.timezone.utc),
    )


def _refused(request, reference: str, exc: InvalidChange, note: str = ""):
    return _callback_page(request, state(request).casework.get(reference), 422, ERRORS[exc.reason], note)


@requires("callbacks")
async def show_callback(request, reference: str):
    casework = state(request).casework
    try:
        callback = casework.get(reference)
    except CallbackNotFound:
        return error_page(request, "not_found", 404)
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
async def take(request, reference: str):
    casework, actor = state(request).casework, request.ctx.user.username
    return _change(request, reference, lambda v, _n: casework.take(reference, v, actor), "taken")


@requires("callbacks")
async def assign(request, reference: str):
    console, actor = state(request), request.ctx.user.username
    assignee = request.form.get("assignee") or None
    if assignee is not None:
        target = console.accounts.get(assignee)
        if target is None or target.disabled or not security.allowed(target.role, "callbacks"):
            return _callback_page(request, console.casework.get(reference), 422, ERRORS["assignee"])
    return _change(request, reference, lambda v, _n: console.casework.assign(reference, v, assignee, actor), "assigned")


@requires("callbacks")
async def set_status(request, reference: str):
    casework, actor = state(request).casework, request.ctx.user.username
    new_status = request.form.get("status") or ""
    return _change(
        request, reference, lambda v, n: casework.change_status(reference, v, new_status, actor, n), "status"
    )


@requires("callbacks")
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
