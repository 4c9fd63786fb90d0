"""Signing in and out, and the start page that sends each role on."""

from __future__ import annotations

import asyncio

from sanic import Blueprint, response

from bot.console import security
from bot.console.accounts import LoginRefused
from bot.console.texts import ERRORS
from bot.console.web import csrf_ok, error_page, render, state

blueprint = Blueprint("auth")


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


def _login_page(request, status: int = 200, error: str | None = None, username: str = ""):
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
    security.set_cookie(resp, security.LOGIN_COOKIE, token, state(request).config.secure_cookies, max_age=3600)
    return resp


async def login_form(request):
    if request.ctx.user is not None:
        return response.redirect("/")
    return _login_page(request)


async def login(request):
    console = state(request)
    if not security.same_token(request.cookies.get(security.LOGIN_COOKIE), request.form.get("login_token")):
        return _login_page(request, 403, ERRORS["csrf"])
    username = (request.form.get("username") or "").strip().lower()
    password = request.form.get("password") or ""
    ip = request.remote_addr or request.ip
    try:
        # argon2 takes tens of milliseconds on purpose: keep it off the event loop.
        user = await asyncio.get_running_loop().run_in_executor(
            None, console.accounts.authenticate, username, password, ip
        )
    except LoginRefused as refused:
        console.casework.record("login_refused", username or "(tom)", reason=refused.reason)
        message = ERRORS[refused.reason].format(
            seconds=refused.retry_after, minutes=max(1, -(-refused.retry_after // 60))
        )
        return _login_page(request, 429 if refused.reason in ("wait", "locked") else 401, message, username)
    session = console.sessions.create(user.id)
    console.casework.record("login", user.username)
    resp = response.redirect(_safe_next(request.form.get("next")) or "/")
    security.set_cookie(resp, security.SESSION_COOKIE, session.token, console.config.secure_cookies)
    security.clear_cookie(resp, security.LOGIN_COOKIE, console.config.secure_cookies)
    return resp


async def logout(request):
    console = state(request)
    if request.ctx.user is not None:
        if not csrf_ok(request):
            return error_page(request, "csrf", 403)
        console.sessions.delete(request.cookies.get(security.SESSION_COOKIE))
        console.casework.record("logout", request.ctx.user.username)
    resp = response.redirect("/login?besked=logged_out")
    security.clear_cookie(resp, security.SESSION_COOKIE, console.config.secure_cookies)
    return resp
