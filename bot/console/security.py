"""Session cookies, CSRF checks, role permissions and security headers."""

from __future__ import annotations

import secrets

SESSION_COOKIE = "kb_session"
LOGIN_COOKIE = "kb_login"  # double-submit token for the login form, before a session exists
# Outside demo mode the cookies are Secure and carry the __Host- prefix, so
# the browser keeps them only for this host over HTTPS, with Path=/ and no
# Domain: no other site or subdomain can set or overwrite them.
HOST_PREFIX = "__Host-"
HSTS = "max-age=31536000; includeSubDomains"

# What each role may do. Editors never see callbacks, so never a citizen's
# name, phone number or conversation; they review the fallback inbox
# (single redacted messages, no conversation). Admins also manage users.
# Everyone may change their own password ("account").
PERMISSIONS = {
    "staff": frozenset({"callbacks", "dashboard", "account"}),
    "editor": frozenset({"dashboard", "inbox", "account"}),
    "admin": frozenset({"callbacks", "dashboard", "inbox", "users", "account"}),
}

# No scripts at all; styles and images only from the console itself; the
# console may not be framed, and forms only post back to it.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Pages show citizens' names and phone numbers: never keep them in caches.
    "Cache-Control": "no-store",
}


def allowed(role: str | None, permission: str) -> bool:
    return permission in PERMISSIONS.get(role or "", frozenset())


def cookie_name(name: str, secure: bool) -> str:
    return HOST_PREFIX + name if secure else name


def set_cookie(response, name: str, value: str, secure: bool, max_age: int | None = None) -> None:
    """Set cookie ``name`` (its __Host- form when ``secure``): HttpOnly,
    SameSite=Strict, Path=/, never a Domain."""
    name = cookie_name(name, secure)
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    if secure:
        cookie["secure"] = True
    if max_age is not None:
        cookie["max-age"] = max_age


def clear_cookie(response, name: str, secure: bool) -> None:
    set_cookie(response, name, "", secure, max_age=0)


def get_cookie(request, name: str, secure: bool) -> str | None:
    return request.cookies.get(cookie_name(name, secure))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, submitted: str | None) -> bool:
    return bool(expected) and bool(submitted) and secrets.compare_digest(str(expected), str(submitted))
