"""The staff console's web application (Sanic, server-rendered Jinja2).

Sanic because Rasa 3.6 already pins it (21.12): the console adds no web
framework of its own to the environment and follows the same async model
as the Rasa server. Every page is plain HTML forms, without JavaScript, so
it works with keyboard and screen reader and under a strict CSP.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic, response
from sanic.exceptions import MethodNotSupported, NotFound, SanicException

from bot.callbacks.casework import TRANSITIONS, VIEWS, Casework, InvalidChange, QueueFilter, VersionConflict
from bot.callbacks.hours import danish_slot_label
from bot.callbacks.store import ACTIVE, Callback, CallbackNotFound
from bot.console import charts, security
from bot.console.accounts import AccountError, Accounts, LoginRefused
from bot.console.dashboard import OUTCOME_LABELS, dashboard, parse_period, topic_label
from bot.console.export import callbacks_csv
from bot.console.sessions import Sessions
from bot.console.texts import (
    ERRORS,
    EVENT_LABELS,
    FLASH,
    ROLE_LABELS,
    STATUS_LABELS,
    VIEW_LABELS,
)
from bot.content.nlu_append import AppendError, append_example
from bot.content.training_data import domain_intents
from bot.knowledge.store import KnowledgeDatabaseError, open_knowledge
from bot.records.inbox import Inbox, InboxError
from bot.records.transcripts import Transcripts
from bot.settings import PROJECT_ROOT

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
TZ = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class ConsoleConfig:
    data_db: Path
    knowledge_db: Path
    tracker_url: str
    secure_cookies: bool = False
    content_root: Path = PROJECT_ROOT  # where data/nlu/ lives, for the fallback inbox
    db_timeout: float = 3.0  # a locked database gives a clear page quickly, not a hung browser


class Labels:
    """Names for keys, from the knowledge base when it can be read."""

    def __init__(self, knowledge_db: Path):
        try:
            knowledge = open_knowledge(knowledge_db)
        except KnowledgeDatabaseError as exc:
            log.warning("console labels without the knowledge base: %s", exc)
            knowledge = None
        self.topics = {k: t.name for k, t in knowledge.topics.items()} if knowledge else {}
        self.municipalities = {k: m.name for k, m in knowledge.municipalities.items()} if knowledge else {}
        self.categories = {k: c.label for k, c in knowledge.sensitive.items()} if knowledge else {}


def create_app(config: ConsoleConfig, name: str = "kommunebot_console") -> Sanic:
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.static("/static", str(HERE / "static"), name="static")

    casework = Casework(config.data_db, timeout=config.db_timeout)
    inbox = Inbox(config.data_db, timeout=config.db_timeout)
    accounts = Accounts(config.data_db)
    sessions = Sessions(config.data_db)
    transcripts = Transcripts(config.tracker_url)
    labels = Labels(config.knowledge_db)
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        VIEW_LABELS=VIEW_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        EVENT_LABELS=EVENT_LABELS,
        OUTCOME_LABELS=OUTCOME_LABELS,
        labels=labels,
        allowed=security.allowed,
        local_time=_local_time,
        slot_label=_slot_label,
        local_date=lambda value: value.astimezone(TZ).date(),
        percent=charts.percent,
        number=charts.number,
    )

    def render(request, template: str, status: int = 200, **context):
        context.setdefault("user", getattr(request.ctx, "user", None))
        session = getattr(request.ctx, "session", None)
        context.setdefault("csrf", session.csrf_token if session else "")
        context.setdefault("flash", FLASH.get(request.args.get("besked", "")))
        context.setdefault("path", request.path)
        return response.html(templates.get_template(template).render(**context), status=status)

    def error_page(request, key: str, status: int, **values):
        return render(
            request,
            "error.html",
            status=status,
            message=ERRORS[key].format(**values),
            at=dt.datetime.now(TZ).strftime("%d.%m.%Y kl. %H.%M.%S"),
        )

    def requires(permission: str):
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
                if request.method == "POST" and not sessions.check_csrf(request.ctx.session, request.form.get("csrf")):
                    return error_page(request, "csrf", 403)
                return await handler(request, *args, **kwargs)

            return wrapped

        return decorator

    @app.middleware("request")
    async def load_session(request):
        request.ctx.user = None
        request.ctx.session = None
        token = request.cookies.get(security.SESSION_COOKIE)
        if token and request.path != "/health" and not request.path.startswith("/static"):
            session = sessions.get(token)
            user = accounts.get_by_id(session.user_id) if session else None
            if user is not None and not user.disabled:
                request.ctx.session = session
                request.ctx.user = user

    @app.middleware("response")
    async def headers(request, resp):
        for header, value in security.HEADERS.items():
            resp.headers.setdefault(header, value)

    @app.exception(sqlite3.DatabaseError)
    async def database_error(request, exc):
        locked = "locked" in str(exc) or "busy" in str(exc)
        log.error("console database error on %s %s: %s", request.method, request.path, exc)
        return error_page(request, "db_locked" if locked else "db_missing", 503)

    @app.exception(NotFound, MethodNotSupported)
    async def not_found(request, exc):
        return error_page(request, "not_found", 404)

    @app.exception(SanicException)
    async def http_error(request, exc):
        # Malformed requests (bad form encoding, too large): a Danish page with Sanic's status.
        log.warning("console %s on %s %s: %s", exc.status_code, request.method, request.path, exc)
        return error_page(request, "bad_request", exc.status_code or 400)

    @app.exception(Exception)
    async def internal_error(request, exc):
        log.exception("console error on %s %s", request.method, request.path)
        return error_page(request, "internal", 500)

    @app.get("/health")
    async def health(request):
        return response.json({"status": "ok"})

    @app.get("/")
    async def home(request):
        user = request.ctx.user
        if user is None:
            return response.redirect("/login")
        if security.allowed(user.role, "callbacks"):
            return response.redirect("/opringninger")
        return response.redirect("/indbakke" if security.allowed(user.role, "inbox") else "/overblik")

    # --- login ---------------------------------------------------------

    def login_page(request, status: int = 200, error: str | None = None, username: str = ""):
        token = security.new_token()
        target = request.form.get("next") if request.method == "POST" else request.args.get("next")
        resp = render(
            request,
            "login.html",
            status=status,
            login_token=token,
            error=error,
            username=username,
            next=_safe_next(target),
        )
        security.set_cookie(resp, security.LOGIN_COOKIE, token, config.secure_cookies, max_age=3600)
        return resp

    @app.get("/login")
    async def login_form(request):
        if request.ctx.user is not None:
            return response.redirect("/")
        return login_page(request)

    @app.post("/login")
    async def login(request):
        if not security.same_token(request.cookies.get(security.LOGIN_COOKIE), request.form.get("login_token")):
            return login_page(request, 403, ERRORS["csrf"])
        username = (request.form.get("username") or "").strip().lower()
        password = request.form.get("password") or ""
        ip = request.remote_addr or request.ip
        try:
            # argon2 takes tens of milliseconds on purpose: keep it off the event loop.
            user = await asyncio.get_running_loop().run_in_executor(None, accounts.authenticate, username, password, ip)
        except LoginRefused as refused:
            casework.record("login_refused", username or "(tom)", reason=refused.reason)
            message = ERRORS[refused.reason].format(
                seconds=refused.retry_after, minutes=max(1, -(-refused.retry_after // 60))
            )
            return login_page(request, 429 if refused.reason in ("wait", "locked") else 401, message, username)
        session = sessions.create(user.id)
        casework.record("login", user.username)
        resp = response.redirect(_safe_next(request.form.get("next")) or "/")
        security.set_cookie(resp, security.SESSION_COOKIE, session.token, config.secure_cookies)
        security.clear_cookie(resp, security.LOGIN_COOKIE, config.secure_cookies)
        return resp

    @app.post("/logout")
    async def logout(request):
        if request.ctx.user is not None:
            if not sessions.check_csrf(request.ctx.session, request.form.get("csrf")):
                return error_page(request, "csrf", 403)
            sessions.delete(request.cookies.get(security.SESSION_COOKIE))
            casework.record("logout", request.ctx.user.username)
        resp = response.redirect("/login?besked=logged_out")
        security.clear_cookie(resp, security.SESSION_COOKIE, config.secure_cookies)
        return resp

    # --- the queue -----------------------------------------------------

    def queue_filter(request) -> QueueFilter:
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

    @app.get("/opringninger")
    @requires("callbacks")
    async def queue(request):
        criteria = queue_filter(request)
        now = dt.datetime.now(dt.timezone.utc)
        callbacks = casework.list(criteria, now=now, tz=TZ)
        return render(
            request,
            "queue.html",
            callbacks=callbacks,
            criteria=criteria,
            facets=casework.facets(),
            now=now,
            active=ACTIVE,
            query=request.query_string,
            today=now.astimezone(TZ).date(),
        )

    @app.get("/opringninger/eksport.csv")
    @requires("callbacks")
    async def export(request):
        criteria = queue_filter(request)
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

    def callback_page(request, callback: Callback, status: int = 200, error: str | None = None, note: str = ""):
        staff = [u for u in accounts.list_users() if not u.disabled and security.allowed(u.role, "callbacks")]
        return render(
            request,
            "callback.html",
            status=status,
            cb=callback,
            error=error,
            note=note,
            transitions=TRANSITIONS.get(callback.status, ()),
            events=casework.events(callback.reference),
            transcript=transcripts.lines(callback.conversation_id),
            staff=staff,
            active=ACTIVE,
            overdue=callback.status in ACTIVE and callback.slot < dt.datetime.now(dt.timezone.utc),
        )

    @app.get("/opringninger/<reference>")
    @requires("callbacks")
    async def show_callback(request, reference: str):
        try:
            callback = casework.get(reference)
        except CallbackNotFound:
            return error_page(request, "not_found", 404)
        casework.record_view(callback.reference, request.ctx.user.username)
        return callback_page(request, callback)

    async def change(request, reference: str, action, flash: str):
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
            return callback_page(request, conflict.current, 409, ERRORS["conflict"], note)
        except InvalidChange as exc:
            return callback_page(request, casework.get(reference), 422, ERRORS[exc.reason], note)
        return response.redirect(f"/opringninger/{reference}?besked={flash}", status=303)

    @app.post("/opringninger/<reference>/tag")
    @requires("callbacks")
    async def take(request, reference: str):
        actor = request.ctx.user.username
        return await change(request, reference, lambda v, _n: casework.take(reference, v, actor), "taken")

    @app.post("/opringninger/<reference>/tildel")
    @requires("callbacks")
    async def assign(request, reference: str):
        actor = request.ctx.user.username
        assignee = request.form.get("assignee") or None
        if assignee is not None:
            target = accounts.get(assignee)
            if target is None or target.disabled or not security.allowed(target.role, "callbacks"):
                return callback_page(request, casework.get(reference), 422, ERRORS["assignee"])
        return await change(
            request, reference, lambda v, _n: casework.assign(reference, v, assignee, actor), "assigned"
        )

    @app.post("/opringninger/<reference>/status")
    @requires("callbacks")
    async def set_status(request, reference: str):
        actor = request.ctx.user.username
        new_status = request.form.get("status") or ""
        return await change(
            request, reference, lambda v, n: casework.change_status(reference, v, new_status, actor, n), "status"
        )

    @app.post("/opringninger/<reference>/notat")
    @requires("callbacks")
    async def add_note(request, reference: str):
        actor = request.ctx.user.username
        note = request.form.get("note") or ""
        try:
            casework.add_note(reference, actor, note)
        except CallbackNotFound:
            return error_page(request, "not_found", 404)
        except InvalidChange as exc:
            return callback_page(request, casework.get(reference), 422, ERRORS[exc.reason], note)
        return response.redirect(f"/opringninger/{reference}?besked=note", status=303)

    # --- the channel dashboard -----------------------------------------

    @app.get("/overblik")
    @requires("dashboard")
    async def show_dashboard(request):
        municipality = request.args.get("kommune") or None
        error = None
        today = dt.datetime.now(TZ).date()
        try:
            start, end = parse_period(request.args.get("fra"), request.args.get("til"), today)
        except ValueError as exc:
            error = str(exc)
            start, end = parse_period(None, None, today)
        board = dashboard(config.data_db, municipality, start, end)
        topic_items = [(_sentence_case(topic_label(t, labels.topics)), n) for t, n in board.per_topic]
        share_items = [(OUTCOME_LABELS[o], charts.percent(s)) for o, s in board.shares.items()]
        return render(
            request,
            "dashboard.html",
            status=422 if error else 200,
            board=board,
            error=error,
            municipality=municipality,
            topic_chart=charts.bar_chart(
                topic_items, "Henvendelser pr. emne", "Antal henvendelser i perioden fordelt på emne.", id_prefix="emne"
            ),
            topic_table=charts.data_table(topic_items, ("Emne", "Henvendelser"), "Henvendelser pr. emne"),
            day_chart=charts.day_chart(
                board.per_day, "Henvendelser pr. dag", "Antal henvendelser hver dag i perioden.", id_prefix="dag"
            ),
            day_table=charts.data_table(
                [(d.strftime("%d.%m.%Y"), n) for d, n in board.per_day],
                ("Dato", "Henvendelser"),
                "Henvendelser pr. dag",
            ),
            share_chart=charts.share_chart(
                board.shares,
                OUTCOME_LABELS,
                "Hvordan henvendelserne endte",
                "Andel af henvendelserne fordelt på udfald.",
                id_prefix="udfald",
            ),
            share_table=charts.data_table(share_items, ("Udfald", "Andel"), "Hvordan henvendelserne endte"),
        )

    # --- the fallback inbox (editors) ---------------------------------

    def inbox_page(request, status: int = 200, error: str | None = None):
        # The domain lists every intent (check enforces it); reading it is far
        # cheaper than parsing all training data on every page view.
        intents = sorted(domain_intents(config.content_root))
        errands = [i for i in intents if i in labels.topics]
        others = [i for i in intents if i not in labels.topics]
        return render(
            request, "inbox.html", status=status, messages=inbox.list(), error=error, errands=errands, others=others
        )

    @app.get("/indbakke")
    @requires("inbox")
    async def show_inbox(request):
        return inbox_page(request)

    def inbox_refused(request, exc: InboxError):
        if exc.reason == "not_found":
            return error_page(request, "not_found", 404)
        return inbox_page(request, 409, ERRORS[f"inbox_{exc.reason}"])

    @app.post("/indbakke/<ident:int>/tildel")
    @requires("inbox")
    async def assign_message(request, ident: int):
        actor = request.ctx.user.username
        intent = request.form.get("intent") or ""
        try:
            message = inbox.get(ident)
            if message.status != "new":
                raise InboxError("already_decided")
            file, line = append_example(config.content_root, intent, message.text)
            inbox.decide(message.id, "assigned", actor, intent=intent, file=file, line=line)
        except InboxError as exc:
            return inbox_refused(request, exc)
        except AppendError as exc:
            return inbox_page(request, 422, ERRORS[f"inbox_{exc.reason}"])
        return response.redirect("/indbakke?besked=inbox_assigned", status=303)

    @app.post("/indbakke/<ident:int>/afvis")
    @requires("inbox")
    async def dismiss_message(request, ident: int):
        try:
            inbox.decide(ident, "dismissed", request.ctx.user.username)
        except InboxError as exc:
            return inbox_refused(request, exc)
        return response.redirect("/indbakke?besked=inbox_dismissed", status=303)

    # --- users (admin) -------------------------------------------------

    def users_page(request, status: int = 200, error: str | None = None, created: tuple | None = None):
        return render(
            request,
            "users.html",
            status=status,
            users=accounts.list_users(),
            error=error,
            created=created,
            roles=ROLE_LABELS,
        )

    @app.get("/brugere")
    @requires("users")
    async def users(request):
        return users_page(request)

    @app.post("/brugere")
    @requires("users")
    async def create_user(request):
        actor = request.ctx.user.username
        username = (request.form.get("username") or "").strip().lower()
        try:
            password = security.new_token()[:20]
            accounts.create_user(
                username,
                password,
                request.form.get("role") or "",
                request.form.get("display_name") or None,
                actor=actor,
            )
        except AccountError as exc:
            return users_page(request, 422, _danish_account_error(exc))
        return users_page(request, 201, created=(username, password))

    @app.post("/brugere/<username>/<action:(deaktiver|aktiver|nulstil)>")
    @requires("users")
    async def manage_user(request, username: str, action: str):
        actor = request.ctx.user.username
        target = accounts.get(username)
        if target is None:
            return error_page(request, "not_found", 404)
        if action == "deaktiver":
            accounts.disable(username, actor=actor)
            sessions.delete_for_user(target.id)
            return response.redirect("/brugere?besked=user_disabled", status=303)
        if action == "aktiver":
            accounts.enable(username, actor=actor)
            return response.redirect("/brugere?besked=user_enabled", status=303)
        password = security.new_token()[:20]
        accounts.set_password(username, password, actor=actor)
        sessions.delete_for_user(target.id)
        return users_page(request, created=(username, password))

    @app.after_server_stop
    async def close(app, loop):
        transcripts.close()

    return app


def _safe_next(target: str | None) -> str | None:
    """Only paths inside the console: a login link must not send staff elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _local_time(value) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(TZ).strftime("%d.%m.%Y kl. %H.%M")


def _slot_label(value: dt.datetime) -> str:
    return danish_slot_label(value.astimezone(TZ))


def _danish_account_error(exc: AccountError) -> str:
    return {
        "username": "Brugernavnet skal være 2-40 tegn: små bogstaver, tal, punktum, bindestreg eller understreg, "
        "og må ikke findes i forvejen.",
        "role": "Vælg en rolle.",
        "password": "Adgangskoden opfylder ikke kravene.",
    }.get(exc.field, "Brugeren kunne ikke oprettes. Tjek felterne.")


def _sentence_case(text: str) -> str:
    # Only the first letter: "MitID" must stay "MitID".
    return text[:1].upper() + text[1:]
