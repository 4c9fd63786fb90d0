"""User management (admins): create, disable, enable, new password."""

from __future__ import annotations

from sanic import Blueprint

from bot.console import security
from bot.console.accounts import AccountError
from bot.console.texts import ROLE_LABELS
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
    return {
        "username": "Brugernavnet skal være 2-40 tegn: små bogstaver, tal, punktum, bindestreg eller understreg, "
        "og må ikke findes i forvejen.",
        "role": "Vælg en rolle.",
        "password": "Adgangskoden opfylder ikke kravene.",
    }.get(exc.field, "Brugeren kunne ikke oprettes. Tjek felterne.")


def _new_password() -> str:
    # Shown to the admin once, to pass on; the user is not asked to choose one.
    return security.new_token()[:20]


@requires("users")
async def users(request):
    return _users_page(request)


@requires("users")
async def create_user(request):
    actor = request.ctx.user.username
    username = (request.form.get("username") or "").strip().lower()
    try:
        password = _new_password()
        state(request).accounts.create_user(
            username,
            password,
            request.form.get("role") or "",
            request.form.get("display_name") or None,
            actor=actor,
        )
    except AccountError as exc:
        return _users_page(request, 422, _danish_account_error(exc))
    return _users_page(request, 201, created=(username, password))


@requires("users")
async def manage_user(request, username: str, action: str):
    console, actor = state(request), request.ctx.user.username
    target = console.accounts.get(username)
    if target is None:
        return error_page(request, "not_found", 404)
    if action == "deaktiver":
        console.accounts.disable(username, actor=actor)
        console.sessions.delete_for_user(target.id)
        return see_other("/brugere?besked=user_disabled")
    if action == "aktiver":
        console.accounts.enable(username, actor=actor)
        return see_other("/brugere?besked=user_enabled")
    password = _new_password()
    console.accounts.set_password(username, password, actor=actor)
    # A reset password must also end the sessions made with the old one.
    console.sessions.delete_for_user(target.id)
    return _users_page(request, created=(username, password))
