"""Signing in (password, then a code for users with a second factor) and
out, and the start page that sends each role on."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode

from sanic import Blueprint, response

from bot.console import security
from bot.console.accounts import MAX_PASSWORD, MAX_USERNAME, LoginRefused
from bot.console.sessions import Sessions
from bot.console.texts import ERRORS
from bot.console.web import client_address, csrf_ok, error_page, render, session_token, state

blueprint = Blueprint("auth")
log = logging.getLogger(__name__)


async def home(request):
    user = request.ctx.user
    if user is None:
        return response.redirect("/login")
    if security.allowed(user.role, "callbacks"):
        return response.redirect("/opringninger")
    return response.redirect("/indbakke" if security.allowed(user.role, "inbox") else "/overblik")


def _safe_next(target: str | None) -> str | None:
    """Only paths inside the console: a login link must not send staff elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _next(request) -> str | None:
    return _safe_next(request.form.get("next") if request.method == "POST" else request.args.get("next"))


def _login_page(request, status: int = 200, error: str | None = None, username: str = ""):
    token = security.new_token()
    resp = render(
        request, "login.html", status=status, login_token=token, error=error, username=username, next=_next(request)
    )
    security.set_cookie(resp, security.LOGIN_COOKIE, token, state(request).config.secure, max_age=3600)
    return resp


def _refusal(refused: LoginRefused) -> tuple[int, str]:
    message = ERRORS[refused.reason].format(seconds=refused.retry_after, minutes=max(1, -(-refused.retry_after // 60)))
    return (429 if refused.reason in ("wait", "locked") else 401), message


async def login_form(request):
    if request.ctx.user is not None:
        return response.redirect("/")
    return _login_page(request)


async def login(request):
    console = state(request)
    secure = console.config.secure
    if not security.same_token(
        security.get_cookie(request, security.LOGIN_COOKIE, secure), request.form.get("login_token")
    ):
        return _login_page(request, 403, ERRORS["csrf"])
    username = (request.form.get("username") or "").strip().lower()
    password = request.form.get("password") or ""
    # No account has a longer name or password: refused before any lookup,
    # argon2 or journal row, and never echoed back.
    for field, value, limit in (("username", username, MAX_USERNAME), ("password", password, MAX_PASSWORD)):
        if len(value) > limit:
            log.info("console login refused: field %s has %d characters (at most %d)", field, len(value), limit)
            return _login_page(request, 422, ERRORS[f"{field}_too_long"])
    address = client_address(request)
    try:
        # argon2 takes tens of milliseconds on purpose: keep it off the event loop.
        user = await asyncio.get_running_loop().run_in_executor(
            None, console.accounts.authenticate, username, password, address
        )
    except LoginRefused as refused:
        console.accounts.record_refusal("login_refused", refused, username, address)
        status, message = _refusal(refused)
        return _login_page(request, status, message, username)
    if user.mfa:
        # The password was right; the session grants nothing until the code is given.
        session = console.sessions.create(user.id, mfa_pending=True)
        target = _next(request)
        resp = response.redirect("/login/kode" + (f"?{urlencode({'next': target})}" if target else ""), status=303)
        security.set_cookie(resp, security.SESSION_COOKIE, session.token, secure)
    else:
        resp = _signed_in(request, user)
    security.clear_cookie(resp, security.LOGIN_COOKIE, secure)
    return resp


def _signed_in(request, user):
    """A new session (never one from before the login) and on to the page asked for."""
    console = state(request)
    session = console.sessions.create(user.id)
    console.casework.record("login", user.username)
    resp = response.redirect(_next(request) or "/")
    security.set_cookie(resp, security.SESSION_COOKIE, session.token, console.config.secure)
    return resp


def _code_page(request, status: int = 200, error: str | None = None):
    return render(request, "login_code.html", status=status, error=error, next=_next(request))


async def code_form(request):
    if request.ctx.pending is None:
        return response.redirect("/login")
    return _code_page(request)


async def code(request):
    console, pending, user = state(request), request.ctx.pending, request.ctx.pending_user
    if pending is None:
        return response.redirect("/login?besked=code_expired", status=303)
    if not Sessions.check_csrf(pending, request.form.get("csrf")):
        return error_page(request, "csrf", 403)
    try:
        user = console.accounts.verify_code(user.username, request.form.get("code") or "")
    except LoginRefused as refused:
        console.accounts.record_refusal("login_refused", refused, user.username, client_address(request), step="code")
        status, message = _refusal(refused)
        return _code_page(request, status, message)
    console.sessions.delete(session_token(request))
    return _signed_in(request, user)


async def logout(request):
    console = state(request)
    if request.ctx.user is not None:
        if not csrf_ok(request):
            return error_page(request, "csrf", 403)
        console.sessions.delete(session_token(request))
        console.casework.record("logout", request.ctx.user.username)
    resp = response.redirect("/login?besked=logged_out")
    security.clear_cookie(resp, security.SESSION_COOKIE, console.config.secure)
    return resp
