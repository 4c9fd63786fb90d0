"""User management (admins): create, set a municipality, disable, enable,
new password. Every change is journaled with the admin as actor."""

from __future__ import annotations

from sanic import Blueprint

from bot.console.accounts import AccountError
from bot.console.texts import ACCOUNT_ERRORS, ROLE_LABELS
from bot.console.web import error_page, render, requires, see_other, state

blueprint = Blueprint("users")


def _users_page(request, status: int = 200, error: str | None = None, created: tuple | None = None):
    return render(
        request,
        "users.html",
        status=status,
        users=state(request).accounts.list_users(),
        error=error,
        created=created,
        roles=ROLE_LABELS,
    )


def _danish_account_error(exc: AccountError) -> str:
    return ACCOUNT_ERRORS.get(exc.code, "Brugeren kunne ikke gemmes. Tjek felterne.")


@requires("users")
async def users(request):
    return _users_page(request)


@requires("users")
async def create_user(request):
    accounts, actor = state(request).accounts, request.ctx.user.username
    username = (request.form.get("username") or "").strip().lower()
    try:
        # Shown to the admin once, to pass on; the user can change it under "Min konto".
        password = accounts.new_password(username)
        accounts.create_user(
            username,
            password,
            request.form.get("role") or "",
            request.form.get("display_name") or None,
            actor=actor,
            municipality=request.form.get("municipality") or None,
        )
    except AccountError as exc:
        return _users_page(request, 422, _danish_account_error(exc))
    return _users_page(request, 201, created=(username, password))


@requires("users")
async def set_municipality(request, username: str):
    accounts = state(request).accounts
    if accounts.get(username) is None:
        return error_page(request, "not_found", 404)
    try:
        accounts.set_municipality(username, request.form.get("municipality") or None, actor=request.ctx.user.username)
    except AccountError as exc:
        return _users_page(request, 422, _danish_account_error(exc))
    return see_other("/brugere?besked=municipality_changed")


@requires("users")
async def manage_user(request, username: str, action: str):
    accounts, actor = state(request).accounts, request.ctx.user.username
    if accounts.get(username) is None:
        return error_page(request, "not_found", 404)
    if action == "deaktiver":
        accounts.disable(username, actor=actor)  # and ends the user's sessions
        return see_other("/brugere?besked=user_disabled")
    if action == "aktiver":
        accounts.enable(username, actor=actor)
        return see_other("/brugere?besked=user_enabled")
    # A reset password also ends the sessions made with the old one.
    password = accounts.new_password(username)
    accounts.set_password(username, password, actor=actor)
    return _users_page(request, created=(username, password))
