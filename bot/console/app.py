"""The staff console's web application (Sanic, server-rendered Jinja2).

Sanic because Rasa 3.6 already pins it (21.12): the console adds no web
framework of its own to the environment and follows the same async model
as the Rasa server. Every page is plain HTML forms, without JavaScript, so
it works with keyboard and screen reader and under a strict CSP.

As in datasette, every URL is in one map (``URLS`` below) and each page
group is a module in bot/console/views/ with its own Blueprint; what the
groups share is in bot/console/web.py.
"""

from __future__ import annotations

import logging
import sqlite3

import sqlalchemy as sa
from sanic import Blueprint, Sanic, response
from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge, SanicException

from bot.callbacks.casework import Casework
from bot.console import web
from bot.console.accounts import Accounts
from bot.console.sessions import Sessions
from bot.console.views import account, auth, dashboard, inbox, queue, users
from bot.console.web import Console, ConsoleConfig, Labels, error_page
from bot.records.database import DatabaseUnavailable
from bot.records.inbox import Inbox
from bot.records.transcripts import Transcripts

__all__ = ["ConsoleConfig", "create_app"]

log = logging.getLogger(__name__)

# Request bodies beyond this are refused with 413 from the Content-Length,
# before a byte is read. The largest real form is a status change or note
# with a 4,000-character note (casework.MAX_NOTE_CHARS): even if every
# character took 4 UTF-8 bytes, each sent as %XX, that is 48,000 bytes plus
# the hidden fields; 64 KiB leaves a third to spare. Every other form (login,
# passwords, users, inbox decisions) is under 4 kB.
MAX_BODY_BYTES = 64 * 1024


async def health(request):
    return response.json({"status": "ok"})


service = Blueprint("service")  # the process itself, for monitoring and start-up checks

# Every URL of the console (besides the stylesheet under /static), and the
# handler that answers it, grouped by the Blueprint of its page group.
URLS = {
    service: (("GET", "/health", health),),
    auth.blueprint: (
        ("GET", "/", auth.home),
        ("GET", "/login", auth.login_form),
        ("POST", "/login", auth.login),
        ("GET", "/login/kode", auth.code_form),
        ("POST", "/login/kode", auth.code),
        ("POST", "/logout", auth.logout),
    ),
    account.blueprint: (
        ("GET", "/konto", account.show_account),
        ("POST", "/konto/adgangskode", account.change_password),
        ("POST", "/konto/totrin", account.start_mfa),
        ("POST", "/konto/totrin/bekraeft", account.confirm_mfa),
    ),
    queue.blueprint: (
        ("GET", "/opringninger", queue.queue),
        ("GET", "/opringninger/eksport.csv", queue.export),
        ("GET", "/opringninger/<reference>", queue.show_callback),
        ("POST", "/opringninger/<reference>/tag", queue.take),
        ("POST", "/opringninger/<reference>/tildel", queue.assign),
        ("POST", "/opringninger/<reference>/status", queue.set_status),
        ("POST", "/opringninger/<reference>/notat", queue.add_note),
        ("POST", "/opringninger/<reference>/ny-tid", queue.reschedule),
    ),
    dashboard.blueprint: (("GET", "/overblik", dashboard.show_dashboard),),
    inbox.blueprint: (
        ("GET", "/indbakke", inbox.show_inbox),
        ("POST", "/indbakke/<ident:int>/tildel", inbox.assign_message),
        ("POST", "/indbakke/<ident:int>/afvis", inbox.dismiss_message),
    ),
    users.blueprint: (
        ("GET", "/brugere", users.users),
        ("POST", "/brugere", users.create_user),
        ("POST", "/brugere/<username>/kommune", users.set_municipality),
        ("POST", "/brugere/<username>/<action:(deaktiver|aktiver|nulstil)>", users.manage_user),
    ),
}

# Attached once, at import: a Blueprint adds a route to every app it is
# already registered on, so doing this in create_app would clash as soon as
# a process makes a second app. The handlers find their app's state through
# the request, so one Blueprint serves any number of apps.
for _blueprint, _routes in URLS.items():
    for _method, _path, _handler in _routes:
        _blueprint.add_route(_handler, _path, methods=[_method])


def create_app(config: ConsoleConfig, name: str = "kommunebot_console") -> Sanic:
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app.static("/static", str(web.HERE / "static"), name="static")

    labels = Labels(config.knowledge_db)
    app.ctx.console = Console(
        config=config,
        casework=Casework(config.data_db, timeout=config.db_timeout),
        inbox=Inbox(config.data_db, timeout=config.db_timeout),
        accounts=Accounts(config.data_db, municipalities=labels.municipalities),
        sessions=Sessions(config.data_db),
        transcripts=Transcripts(config.tracker_url),
        labels=labels,
        templates=web.templates(labels),
    )
    for blueprint in URLS:
        app.blueprint(blueprint)

    app.register_middleware(web.load_session, "request")
    app.register_middleware(web.security_headers, "response")

    @app.exception(sqlite3.DatabaseError, DatabaseUnavailable, sa.exc.DBAPIError)
    async def database_error(request, exc):
        locked = "locked" in str(exc) or "busy" in str(exc)
        log.error("console database error on %s %s: %s", request.method, request.path, exc)
        return error_page(request, "db_locked" if locked else "db_missing", 503)

    @app.exception(NotFound, MethodNotSupported)
    async def not_found(request, exc):
        return error_page(request, "not_found", 404)

    @app.exception(PayloadTooLarge)
    async def too_large(request, exc):
        log.warning(
            "console refused a request body over %d bytes on %s %s (unread)",
            MAX_BODY_BYTES,
            request.method,
            request.path,
        )
        return error_page(request, "too_large", 413)

    @app.exception(SanicException)
    async def http_error(request, exc):
        # Malformed requests (bad form encoding): a Danish page with Sanic's status.
        log.warning("console %s on %s %s: %s", exc.status_code, request.method, request.path, exc)
        return error_page(request, "bad_request", exc.status_code or 400)

    @app.exception(Exception)
    async def internal_error(request, exc):
        log.exception("console error on %s %s", request.method, request.path)
        return error_page(request, "internal", 500)

    @app.after_server_stop
    async def close(app, loop):
        app.ctx.console.transcripts.close()

    return app
