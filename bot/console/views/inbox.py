"""The fallback inbox (editors): messages the assistant missed, assigned
to an intent's training file or dismissed.

Scoped to the user's municipality like the callback queue: another
municipality's messages are never listed, and deciding one answers 404, as
if it did not exist, and is not journaled."""

from __future__ import annotations

from sanic import Blueprint

from bot.console.texts import ERRORS
from bot.console.web import error_page, render, requires, see_other, state
from bot.content.nlu_append import AppendError, append_example
from bot.content.training_data import domain_intents
from bot.records.inbox import InboxError

blueprint = Blueprint("inbox")


def _inbox_page(request, status: int = 200, error: str | None = None):
    console = state(request)
    # The domain lists every intent (check enforces it); reading it is far
    # cheaper than parsing all training data on every page view.
    intents = sorted(domain_intents(console.config.content_root))
    errands = [i for i in intents if i in console.labels.topics]
    others = [i for i in intents if i not in console.labels.topics]
    return render(
        request,
        "inbox.html",
        status=status,
        messages=console.inbox.list(municipalities=request.ctx.user.scope),
        error=error,
        errands=errands,
        others=others,
        suggestion_label=console.labels.suggestion,
    )


def _refused(request, exc: InboxError):
    if exc.reason == "not_found":
        return error_page(request, "not_found", 404)
    return _inbox_page(request, 409, ERRORS[f"inbox_{exc.reason}"])


@requires("inbox")
async def show_inbox(request):
    return _inbox_page(request)


@requires("inbox")
async def assign_message(request, ident: int):
    console, user = state(request), request.ctx.user
    intent = request.form.get("intent") or ""
    try:
        message = console.inbox.get(ident, municipalities=user.scope)
        if message.status != "new":
            raise InboxError("already_decided")
        file, line = append_example(console.config.content_root, intent, message.text)
        console.inbox.decide(
            message.id, "assigned", user.username, intent=intent, municipalities=user.scope, file=file, line=line
        )
    except InboxError as exc:
        return _refused(request, exc)
    except AppendError as exc:
        return _inbox_page(request, 422, ERRORS[f"inbox_{exc.reason}"])
    return see_other("/indbakke?besked=inbox_assigned")


@requires("inbox")
async def dismiss_message(request, ident: int):
    try:
        user = request.ctx.user
        state(request).inbox.decide(ident, "dismissed", user.username, municipalities=user.scope)
    except InboxError as exc:
        return _refused(request, exc)
    return see_other("/indbakke?besked=inbox_dismissed")
