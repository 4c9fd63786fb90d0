"""What every page of the staff console shares: its configuration and
state, rendering, the refusal pages, sessions and role checks.

The page groups in bot/console/views/ reach the state through the request
(``state(request)``), so no handler closes over one app's objects and
bot/console/app.py stays the one place that builds them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response

from bot import addresses
from bot.callbacks.casework import Casework
from bot.callbacks.hours import danish_slot_label
from bot.chat.sensitive import DETECTOR_CATEGORIES, URGENT_CATEGORY
from bot.console import charts, security
from bot.console.accounts import ALL, Accounts
from bot.console.dashboard import OUTCOME_LABELS
from bot.console.sessions import Sessions
from bot.console.texts import (
    ERRORS,
    EVENT_LABELS,
    FLASH,
    INTENT_LABELS,
    REASON_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    VIEW_LABELS,
)
from bot.knowledge.model import CASE_CATEGORY, DEFAULT_URGENT_CALLBACKS, OTHER_TOPIC, CallbackGuidance
from bot.knowledge.review import DEFAULT_REVIEW_DAYS, DueReview, due_for_review
from bot.knowledge.store import KnowledgeDatabaseError, open_knowledge
from bot.knowledge.texts import capitalise
from bot.records.inbox import Inbox
from bot.records.transcripts import Transcripts
from bot.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
TZ = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class ConsoleConfig:
    data_db: Path | str  # the data database: a SQLite file or a URL
    knowledge_db: Path
    tracker_url: str
    secure_cookies: bool = False  # in demo mode too (outside it they always are)
    content_root: Path = PROJECT_ROOT  # where data/nlu/ lives, for the fallback inbox
    db_timeout: float = 3.0  # a locked database gives a clear page quickly, not a hung browser
    demo: bool = False  # plain http on localhost (`make run`)
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-For names the client
    review_days: int = DEFAULT_REVIEW_DAYS  # when an answer is due for review (dashboard)

    @property
    def secure(self) -> bool:
        """__Host- cookies with Secure, and HSTS on every answer: always
        outside demo mode, in demo mode only when asked for."""
        return self.secure_cookies or not self.demo

    @classmethod
    def from_settings(cls, settings: Settings) -> ConsoleConfig:
        return cls(
            data_db=settings.database_url,
            knowledge_db=settings.knowledge_db,
            tracker_url=settings.tracker_url,
            secure_cookies=settings.console_secure_cookies,
            content_root=settings.content_root,
            demo=settings.demo,
            trusted_proxies=settings.trusted_proxies,
            review_days=settings.review_days,
        )


# Categories the queue flags "Haster" beside every urgent one of the
# knowledge base: a worried relative's child and violence at home wait for
# no ordinary callback (issue 28), nor losing one's home or having no money
# for food or medicine (issue 27): the categories the booking treats as
# urgent (DEFAULT_URGENT_CALLBACKS, and each municipality's own list).
PRIORITY_CATEGORIES = frozenset({URGENT_CATEGORY, *DEFAULT_URGENT_CALLBACKS})


class Labels:
    """Names for keys, from the knowledge base when it can be read."""

    def __init__(self, knowledge_db: Path):
        try:
            knowledge = open_knowledge(knowledge_db)
        except KnowledgeDatabaseError as exc:
            log.warning("console labels without the knowledge base: %s", exc)
            knowledge = None
        # Topic names are written to fit inside a sentence ("kørekort"); the
        # console shows them on their own, in lists, tables and charts.
        self.topics = {k: capitalise(t.name) for k, t in knowledge.topics.items()} if knowledge else {}
        # A callback's topic also when the citizen said "Nej, noget andet" to the suggested one.
        self.callback_topics = {**self.topics, OTHER_TOPIC: "Andet (se samtalen)"}
        self.municipalities = {k: m.name for k, m in knowledge.municipalities.items()} if knowledge else {}
        # Each municipality's callback hours: the reschedule form offers their free times.
        self.hours = {k: m.callback_hours for k, m in knowledge.municipalities.items()} if knowledge else {}
        # The detector's own categories first; the knowledge base's labels win.
        self.categories = {
            **DETECTOR_CATEGORIES,
            **({k: c.label for k, c in knowledge.sensitive.items()} if knowledge else {}),
        }
        if knowledge:
            self.categories[CASE_CATEGORY] = knowledge.case_signals.label
        # Callbacks to take first: danger to life, a child at risk, violence.
        urgent = {k for k, c in knowledge.sensitive.items() if c.urgent} if knowledge else set()
        own = {c for m in knowledge.municipalities.values() for c in m.urgent_callbacks} if knowledge else set()
        self.priority = urgent | PRIORITY_CATEGORIES | own
        topics = knowledge.topics.values() if knowledge else ()
        # Suggested next steps per callback category and errand, for the callback page.
        self.guidance = knowledge.guidance if knowledge else CallbackGuidance()
        self.situations = {f"{t.key}/{s.key}": f"{capitalise(t.name)}: {s.label}" for t in topics for s in t.situations}
        self.situation_names = {(t.key, s.key): s.label for t in topics for s in t.situations}
        self._knowledge = knowledge

    def due_for_review(self, today: dt.date, max_days: int) -> list[DueReview]:
        """The answers due for review (bot.knowledge.review, the rule `kommunebot
        check` uses); none when the knowledge base could not be read."""
        return due_for_review(self._knowledge, today, max_days) if self._knowledge else []

    def intent(self, key: str) -> str:
        """What the citizen meant, in Danish: an errand's name or INTENT_LABELS."""
        return self.topics.get(key) or INTENT_LABELS.get(key) or key

    def suggestion(self, key: str) -> str:
        """A "Mente du …?" suggestion as the citizen saw it: "Pas: Mistet eller stjålet pas"."""
        return self.situations.get(key) or self.topics.get(key) or key


@dataclass(frozen=True)
class Console:
    """One app's stores and templates, kept on ``app.ctx.console``."""

    config: ConsoleConfig
    casework: Casework
    inbox: Inbox
    accounts: Accounts
    sessions: Sessions
    transcripts: Transcripts
    labels: Labels
    templates: Environment


def state(request) -> Console:
    return request.app.ctx.console


def templates(labels: Labels) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        REASON_LABELS=REASON_LABELS,
        VIEW_LABELS=VIEW_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        EVENT_LABELS=EVENT_LABELS,
        OUTCOME_LABELS=OUTCOME_LABELS,
        labels=labels,
        ALL=ALL,
        municipality_name=lambda key: _municipality_name(labels, key),
        allowed=security.allowed,
        local_time=_local_time,
        parse_time=dt.datetime.fromisoformat,
        slot_label=lambda value: danish_slot_label(value.astimezone(TZ)),
        local_date=lambda value: value.astimezone(TZ).date(),
        percent=charts.percent,
        number=charts.number,
    )
    return env


def _municipality_name(labels: Labels, key: str | None) -> str:
    if key == ALL:
        return "Alle kommuner"
    return labels.municipalities.get(key, key) if key else "Ingen kommune"


def _local_time(value) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(TZ).strftime("%d.%m.%Y kl. %H.%M")


# --- rendering -------------------------------------------------------


def render(request, template: str, status: int = 200, **context):
    context.setdefault("user", getattr(request.ctx, "user", None))
    session = getattr(request.ctx, "session", None) or getattr(request.ctx, "pending", None)
    context.setdefault("csrf", session.csrf_token if session else "")
    context.setdefault("flash", FLASH.get(request.args.get("besked", "")))
    context.setdefault("path", request.path)
    page = state(request).templates.get_template(template).render(**context)
    return response.html(page, status=status)


def error_page(request, key: str, status: int, **values):
    """The one refusal page: a Danish message and the time, for the log."""
    return render(
        request,
        "error.html",
        status=status,
        message=ERRORS[key].format(**values),
        at=dt.datetime.now(TZ).strftime("%d.%m.%Y kl. %H.%M.%S"),
    )


def see_other(path: str):
    # 303, so reloading the page after a change does not post the form again.
    return response.redirect(path, status=303)


# --- sessions and roles ----------------------------------------------


def requires(permission: str):
    """Only for a signed-in user whose role has ``permission``; forms must
    also carry the session's CSRF token."""

    def decorator(handler):
        @wraps(handler)
        async def wrapped(request, *args, **kwargs):
            user = request.ctx.user
            if user is None:
                if request.method == "GET":
                    return response.redirect("/login?" + urlencode({"next": request.path}))
                return error_page(request, "csrf", 403)
            if not security.allowed(user.role, permission):
                return error_page(request, "forbidden", 403)
            if request.method == "POST" and not csrf_ok(request):
                return error_page(request, "csrf", 403)
            return await handler(request, *args, **kwargs)

        return wrapped

    return decorator


def csrf_ok(request) -> bool:
    return Sessions.check_csrf(request.ctx.session, request.form.get("csrf"))


def session_token(request) -> str | None:
    return security.get_cookie(request, security.SESSION_COOKIE, state(request).config.secure)


async def load_session(request) -> None:
    """Request middleware: the signed-in user, if the session cookie is valid.
    A session still waiting for the second factor is only ``ctx.pending``."""
    request.ctx.user = None
    request.ctx.session = None
    request.ctx.pending = None
    request.ctx.pending_user = None
    token = session_token(request) if request.path != "/health" and not request.path.startswith("/static") else None
    if token:
        console = state(request)
        session = console.sessions.get(token)
        user = console.accounts.get_by_id(session.user_id) if session else None
        if user is not None and not user.disabled:
            if session.mfa_pending:
                request.ctx.pending, request.ctx.pending_user = session, user
            else:
                request.ctx.session, request.ctx.user = session, user


async def security_headers(request, resp) -> None:
    """Response middleware: the CSP and friends on every answer, error pages
    too, and outside demo mode HSTS."""
    for header, value in security.HEADERS.items():
        resp.headers.setdefault(header, value)
    if state(request).config.secure:
        resp.headers.setdefault("Strict-Transport-Security", security.HSTS)


# --- the client's address --------------------------------------------


def client_address(request) -> str:
    """The address logins are throttled by (bot.addresses.client_address)."""
    return addresses.client_address(
        request.ip or "", request.headers.getall("x-forwarded-for", []), state(request).config.trusted_proxies
    )
