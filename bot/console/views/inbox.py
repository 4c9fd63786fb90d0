"""The fallback inbox (editors): messages the assistant missed, assigned
to an intent's training file or dismissed.

Scoped to the user's municipality like the callback queue: another
municipality's messages are never listed, and deciding one answers 404, as
if it did not exist, and is not journaled."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sanic import Blueprint

from bot.console.texts import ERRORS, INBOX_KINDS
from bot.console.web import error_page, render, requires, see_other, state
from bot.content.nlu_append import AppendError, append_example
from bot.content.training_data import domain_intents
from bot.records.inbox import KINDS, InboxError

blueprint = Blueprint("inbox")

# Messages per page: the 40 on one page of before were too many to work
# through (issue 28); 25 fit two or three screens.
PAGE_SIZE = 25
# Longer than any page number the inbox can have; a longer one is no number.
MAX_PAGE_DIGITS = 6


@dataclass(frozen=True)
class InboxView:
    """The filter and page asked for, each validated: an unknown kind or
    errand is no filter, a page that is not a number is the first, and one
    past the last is the last."""

    kind: str | None = None
    errand: str | None = None
    page: int = 1

    def query(self, page: int | None = None, **besked) -> str:
        values = {"slags": self.kind, "aerinde": self.errand, "side": page or self.page, **besked}
        return urlencode({k: v for k, v in values.items() if v and not (k == "side" and v == 1)})


def _view(values, errands) -> InboxView:
    kind = values.get("slags") or None
    errand = values.get("aerinde") or None
    text = (values.get("side") or "1").strip()
    page = int(text) if text.isdigit() and len(text) <= MAX_PAGE_DIGITS else 1
    return InboxView(kind if kind in KINDS else None, errand if errand in errands else None, max(page, 1))


def _inbox_page(request, status: int = 200, error: str | None = None):
    console, scope = state(request), request.ctx.user.scope
    # The domain lists every intent (check enforces it); reading it is far
    # cheaper than parsing all training data on every page view.
    intents = sorted(domain_intents(console.config.content_root))
    errands = [i for i in intents if i in console.labels.topics]
    others = [i for i in intents if i not in console.labels.topics]
    view = _view(request.args, console.labels.topics)
    counts = console.inbox.counts(municipalities=scope, errand=view.errand)
    total = counts[view.kind] if view.kind else sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(view.page, pages)
    view = InboxView(view.kind, view.errand, page)
    return render(
        request,
        "inbox.html",
        status=status,
        messages=console.inbox.list(
            municipalities=scope,
            kind=view.kind,
            errand=view.errand,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        ),
        error=error,
        errands=errands,
        others=others,
        suggestion_label=console.labels.suggestion,
        view=view,
        counts=counts,
        total=total,
        pages=pages,
        kinds=INBOX_KINDS,
        filter_errands=[e for e in errands if e in console.inbox.errands(municipalities=scope)],
    )


def _back(request, flash: str) -> str:
    """Back to the page and filter the decided message was on."""
    view = _view(request.form, state(request).labels.topics)
    return "/indbakke?" + view.query(besked=flash)


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
    return see_other(_back(request, "inbox_assigned"))


@requires("inbox")
async def dismiss_message(request, ident: int):
    try:
        user = request.ctx.user
        state(request).inbox.decide(ident, "dismissed", user.username, municipalities=user.scope)
    except InboxError as exc:
        return _refused(request, exc)
    return see_other(_back(request, "inbox_dismissed"))
