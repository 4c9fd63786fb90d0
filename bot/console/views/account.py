"""The signed-in user's own account (/konto): change the password, and for
admins set up a second factor (TOTP).

Both ask for the current password again, like a login and throttled like
one, so a session left open is not enough to take over the account; both
end the user's other sessions.
"""

from __future__ import annotations

import asyncio

from sanic import Blueprint

from bot.console import totp
from bot.console.accounts import AccountError, LoginRefused
from bot.console.texts import ACCOUNT_ERRORS, ERRORS
from bot.console.web import client_address, error_page, render, requires, see_other, session_token, state

blueprint = Blueprint("account")


def _account_page(
    request,
    status: int = 200,
    password_error: str | None = None,
    mfa_error: str | None = None,
    secret: str | None = None,
):
    user = request.ctx.user
    enrolment = None
    if secret:
        enrolment = {"secret": totp.grouped(secret), "uri": totp.uri(secret, user.username)}
    return render(
        request,
        "account.html",
        status=status,
        password_error=password_error,
        mfa_error=mfa_error,
        enrolment=enrolment,
        pending=not user.mfa and state(request).accounts.pending_totp(user.username) is not None,
    )


def _refusal_text(refused: LoginRefused) -> str:
    if refused.reason == "bad_credentials":
        return ERRORS["current_password"]
    return ERRORS[refused.reason].format(seconds=refused.retry_after, minutes=max(1, -(-refused.retry_after // 60)))


async def _in_thread(function, *args):
    # argon2 is slow on purpose: keep it off the event loop.
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


@requires("account")
async def show_account(request):
    return _account_page(request)


@requires("account")
async def change_password(request):
    console, user = state(request), request.ctx.user
    new = request.form.get("new_password") or ""
    if new != (request.form.get("repeat_password") or ""):
        return _account_page(request, 422, password_error=ACCOUNT_ERRORS["mismatch"])
    try:
        await _in_thread(
            console.accounts.change_password,
            user.username,
            request.form.get("current_password") or "",
            new,
            client_address(request),
            session_token(request),
        )
    except LoginRefused as refused:
        console.accounts.record_refusal("password_change_refused", refused, user.username, client_address(request))
        return _account_page(request, 429 if refused.reason in ("wait", "locked") else 422, _refusal_text(refused))
    except AccountError as exc:
        return _account_page(request, 422, password_error=ACCOUNT_ERRORS.get(exc.code, ACCOUNT_ERRORS["common"]))
    return see_other("/konto?besked=password_changed")


@requires("account")
async def start_mfa(request):
    console, user = state(request), request.ctx.user
    if user.role != "admin":
        return error_page(request, "forbidden", 403)
    try:
        await _in_thread(
            console.accounts.authenticate, user.username, request.form.get("password") or "", client_address(request)
        )
        secret = console.accounts.start_totp(user.username, actor=user.username)
    except LoginRefused as refused:
        console.accounts.record_refusal("mfa_enrolment_refused", refused, user.username, client_address(request))
        return _account_page(
            request, 429 if refused.reason in ("wait", "locked") else 422, None, _refusal_text(refused)
        )
    except AccountError as exc:
        return _account_page(request, 409, mfa_error=ACCOUNT_ERRORS[exc.code])
    return _account_page(request, secret=secret)


@requires("account")
async def confirm_mfa(request):
    console, user = state(request), request.ctx.user
    if user.role != "admin":
        return error_page(request, "forbidden", 403)
    code = request.form.get("code") or ""
    if console.accounts.confirm_totp(user.username, code, actor=user.username, keep_session=session_token(request)):
        return see_other("/konto?besked=mfa_enrolled")
    secret = None if user.mfa else console.accounts.pending_totp(user.username)
    if secret is None:
        return _account_page(request, 409, mfa_error=ACCOUNT_ERRORS["mfa" if user.mfa else "mfa_not_started"])
    # The same secret again, so a typo in the app or the code can be fixed without starting over.
    return _account_page(request, 422, mfa_error=ACCOUNT_ERRORS["mfa_code"], secret=secret)
