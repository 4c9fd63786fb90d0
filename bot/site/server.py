"""The demo municipal page with the chat widget, and the widget's files.

A municipality embeds the widget with one tag; everything it loads comes
from this server (no CDN):

    <script src="https://<this server>/widget/widget.js" data-server="https://<rasa server>"
            data-kommune="nyborg" defer></script>

``/widget/config.json`` gives the widget the municipality's name, verified
phone number, website and colour from the knowledge base, so none of it is
in code. Cross-origin reads are allowed only for the configured origins.

``/aflys`` is the citizens' cancel page (issue 27), linked from every
booking confirmation: a server-rendered form for the booking reference and
the last four digits of the phone number, with a double-submit CSRF token
(a cookie and a hidden field, as the console's login form), the chat's
per-address rate limit (KOMMUNEBOT_RATE_ADDRESS), bounded input, a CSP
that allows no script, and one answer for an unknown reference and wrong
digits. The cancellation is journaled (bot.callbacks.store).

``/widget/feedback`` takes the citizen's "Fik du svar?" answer (issue 27):
yes or no, a reason from a fixed list, the errand and situation the answer
was about and the municipality, all checked against the knowledge base, and
stores it without anything that could identify the citizen
(bot/records/feedback.py).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic, response

from bot.addresses import client_address
from bot.callbacks.store import MAX_REFERENCE_CHARS, CallbackStore, CancelLocked, CancelRefused
from bot.knowledge.store import open_knowledge
from bot.limits import SlidingWindow
from bot.records.feedback import REASONS, FeedbackLog
from bot.settings import PROJECT_ROOT
from bot.site.theme import widget_config

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SOCKET_IO_CLIENT = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
# rasa-webchat's standalone bundle (React and its socket.io client inside).
RASA_WEBCHAT = PROJECT_ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"
# Its CSS imports a font from Google's servers, which would send every
# citizen's address to Google when the chat opens; served without it (the
# font falls back to the browser's sans-serif).
GOOGLE_FONTS = b"@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);"
WIDGET_FILES = {
    "widget.js": (HERE / "static" / "widget.js", "application/javascript; charset=utf-8"),
    "widget.css": (HERE / "static" / "widget.css", "text/css; charset=utf-8"),
    "socket.io.min.js": (SOCKET_IO_CLIENT, "application/javascript; charset=utf-8"),
    "rasa-webchat.js": (RASA_WEBCHAT, "application/javascript; charset=utf-8"),
    "webchat.js": (HERE / "static" / "webchat.js", "application/javascript; charset=utf-8"),
    "aflys.css": (HERE / "static" / "aflys.css", "text/css; charset=utf-8"),
}


# A feedback answer is a few short fields; anything larger is not one.
FEEDBACK_MAX_BYTES = 1024
# Feedback answers per client address and window. Not measured: a citizen
# answers once per answer, and a long conversation has a few dozen; the cap
# only keeps one address from filling the dashboard's figures.
FEEDBACK_PER_ADDRESS = (60, 3600)
# The cancel form's body: a token of 43 characters and two short fields,
# encoded; anything larger is not the form.
CANCEL_MAX_BYTES = 1024
# The digits field: four digits, with spaces as a citizen may type them.
MAX_DIGITS_CHARS = 12
CANCEL_COOKIE = "kb_aflys"  # double-submit CSRF token of the cancel form
# Outside demo mode the cookie is Secure with the __Host- prefix, like the console's.
HOST_PREFIX = "__Host-"
# No script, no frames, forms only to this page, styles from our own file.
CANCEL_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
CANCEL_ERRORS = {
    "refused": "Vi kan ikke aflyse et opkald med det bookingnummer og de cifre. Tjek bookingnummeret og de "
    "sidste 4 cifre i telefonnummeret, og prøv igen.",
    "empty": "Skriv både bookingnummeret og de sidste 4 cifre i telefonnummeret.",
    "too_long": "Bookingnummeret eller cifrene er for lange. Bookingnummeret ser sådan ud: CB-2026-000123, "
    "og cifrene er 4, fx 4050.",
    "csrf": "Formularen er udløbet eller kom ikke fra denne side. Prøv igen.",
    "busy": "Der er sendt mange forespørgsler fra din internetforbindelse på kort tid. Vent lidt, og prøv igen.",
    "failed": "Der skete en teknisk fejl, så opkaldet er ikke aflyst. Prøv igen om lidt, eller ring til kommunen.",
}


@dataclass(frozen=True)
class SiteConfig:
    knowledge_db: Path
    municipality: str
    rasa_url: str  # as the citizen's browser reaches the Rasa server
    allowed_origins: tuple[str, ...]
    # The data database (path or URL) for the feedback answers; None: not stored.
    database: object = None
    # Proxies whose X-Forwarded-For names the client (KOMMUNEBOT_TRUSTED_PROXIES),
    # so the feedback cap counts each citizen, not the proxy.
    trusted_proxies: tuple[str, ...] = ()
    # The cancel page's per-address limit (KOMMUNEBOT_RATE_ADDRESS, as the chat's).
    rate_address: tuple[int, int] = (300, 60)
    # The deployment's cancel key (bot.privacy.cancel_digits); None: the cancel page refuses every attempt.
    cancel_key: bytes | None = None
    # Secure, __Host- cookies (outside demo mode, or KOMMUNEBOT_CONSOLE_SECURE_COOKIES).
    secure_cookies: bool = True


def create_site(config: SiteConfig, name: str = "kommunebot_site") -> Sanic:
    app = Sanic(name)
    knowledge = open_knowledge(config.knowledge_db)
    by_name = sorted(knowledge.municipalities.values(), key=lambda m: m.name)  # the knowledge is fixed while running
    topics = [t.name for t in knowledge.topics.values()]
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    missing = [str(path) for path, _ in WIDGET_FILES.values() if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"widget files missing: {', '.join(missing)} (run `make web`)")

    webchat_bundle = _without_google_fonts(RASA_WEBCHAT.read_bytes())

    def cors(request, resp):
        origin = request.headers.get("origin")
        if origin and origin in config.allowed_origins:
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Vary"] = "Origin"
        return resp

    @app.middleware("response")
    async def headers(request, resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")

    @app.get("/health")
    async def health(request):
        return response.json({"status": "ok"})

    @app.get("/")
    async def demo_page(request):
        key = request.args.get("kommune") or config.municipality
        municipality = knowledge.municipalities.get(key)
        if municipality is None:
            return response.html(templates.get_template("unknown.html").render(known=by_name), status=404)
        page = templates.get_template("demo.html").render(
            municipality=municipality,
            rasa_url=config.rasa_url,
            others=[m for m in by_name if m.key != key],
            topics=topics,
        )
        # The demo page runs only our own files; the widget talks to the Rasa server.
        csp = (
            f"default-src 'self'; connect-src 'self' {config.rasa_url} {_ws(config.rasa_url)}; "
            "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
        )
        return response.html(page, headers={"Content-Security-Policy": csp})

    @app.get("/webchat")
    async def webchat_page(request):
        """The same demo with rasa-webchat, the open-source client from npm."""
        key = request.args.get("kommune") or config.municipality
        municipality = knowledge.municipalities.get(key)
        if municipality is None:
            return response.html(templates.get_template("unknown.html").render(known=by_name), status=404)
        page = templates.get_template("webchat.html").render(municipality=municipality, rasa_url=config.rasa_url)
        # rasa-webchat (React) sets inline styles and adds <style> elements
        # ('unsafe-inline' for styles only; scripts stay our own files) and
        # its carousel's icon font is a data: URL.
        csp = (
            f"default-src 'self'; connect-src 'self' {config.rasa_url} {_ws(config.rasa_url)}; "
            "style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        return response.html(page, headers={"Content-Security-Policy": csp})

    @app.get("/widget/config.json")
    async def widget_settings(request):
        key = request.args.get("kommune") or config.municipality
        municipality = knowledge.municipalities.get(key)
        if municipality is None:
            return cors(request, response.json({"error": f"unknown municipality {key!r}"}, status=404))
        return cors(request, response.json(widget_config(municipality), headers={"Cache-Control": "max-age=300"}))

    feedback_log: list[FeedbackLog] = []  # opened on the first answer, so a demo page alone never creates it
    per_address = SlidingWindow(*FEEDBACK_PER_ADDRESS)

    def checked_feedback(body: object) -> dict | None:
        """The answer's fields when every one is what the widget can send, else None."""
        if not isinstance(body, dict):
            return None
        municipality = knowledge.municipalities.get(body.get("kommune") or "")
        topic = knowledge.topics.get(body.get("topic") or "")
        situation, answered, reason = body.get("situation"), body.get("answered"), body.get("reason")
        if municipality is None or topic is None or not isinstance(answered, bool):
            return None
        if situation is not None and situation not in {s.key for s in topic.situations}:
            return None
        if reason is not None and (answered or reason not in REASONS):
            return None
        return {
            "municipality": municipality.key,
            "topic": topic.key,
            "situation": situation,
            "answered": answered,
            "reason": reason,
        }

    cancel_store: list[CallbackStore] = []  # opened on the first attempt, like the feedback log
    cancel_per_address = SlidingWindow(*config.rate_address)
    cookie_name = (HOST_PREFIX if config.secure_cookies else "") + CANCEL_COOKIE

    def cancel_page(request, status: int = 200, *, token: str | None = None, **values):
        key = request.args.get("kommune") or config.municipality
        municipality = knowledge.municipalities.get(key) or knowledge.municipalities.get(config.municipality)
        token = token or request.cookies.get(cookie_name) or secrets.token_urlsafe(32)
        page = templates.get_template("aflys.html").render(
            municipality=municipality,
            csrf=token,
            query=urlencode({"kommune": municipality.key}) if key != config.municipality else "",
            max_reference=MAX_REFERENCE_CHARS,
            max_digits=MAX_DIGITS_CHARS,
            reference=values.pop("reference", ""),
            error=CANCEL_ERRORS.get(values.pop("error", ""), ""),
            **values,
        )
        resp = response.html(
            page, status=status, headers={"Content-Security-Policy": CANCEL_CSP, "Cache-Control": "no-store"}
        )
        resp.cookies[cookie_name] = token
        cookie = resp.cookies[cookie_name]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = "/"
        cookie["max-age"] = 3600
        if config.secure_cookies:
            cookie["secure"] = True
        return resp

    def cancel_allowed(request) -> bool:
        return cancel_per_address.allow(
            client_address(request.ip, request.headers.getall("x-forwarded-for", []), config.trusted_proxies)
        )

    @app.get("/aflys")
    async def cancel_form(request):
        if not cancel_allowed(request):
            return cancel_page(request, 429, error="busy")
        return cancel_page(request)

    @app.post("/aflys")
    async def cancel_answer(request):
        if len(request.body or b"") > CANCEL_MAX_BYTES:
            return cancel_page(request, 413, error="too_long", token=secrets.token_urlsafe(32))
        if not cancel_allowed(request):
            return cancel_page(request, 429, error="busy")
        cookie, submitted = request.cookies.get(cookie_name), request.form.get("csrf")
        if not cookie or not submitted or not hmac.compare_digest(cookie.encode(), submitted.encode()):
            # A new token: a page that never had one gets one for the next try.
            return cancel_page(request, 403, error="csrf", token=secrets.token_urlsafe(32))
        reference = (request.form.get("reference") or "").strip()
        digits = request.form.get("digits") or ""
        if len(reference) > MAX_REFERENCE_CHARS or len(digits) > MAX_DIGITS_CHARS:
            return cancel_page(request, 400, error="too_long")
        if not reference or not digits.strip():
            return cancel_page(request, 400, error="empty", reference=reference)
        try:
            if not cancel_store:
                cancel_store.append(CallbackStore(config.database, cancel_key=config.cancel_key))
            cancelled = cancel_store[0].cancel_with_digits(reference, digits, via="page")
        except CancelLocked:
            return cancel_page(request, 403, locked=True)
        except CancelRefused:
            return cancel_page(request, 400, error="refused", reference=reference)
        except Exception:
            log.exception("could not cancel a callback from the cancel page")
            return cancel_page(request, 503, error="failed", reference=reference)
        return cancel_page(request, done=cancelled.reference)

    @app.route("/widget/feedback", methods=["OPTIONS"])
    async def feedback_preflight(request):
        resp = cors(request, response.empty(status=204))
        if "Access-Control-Allow-Origin" in resp.headers:
            resp.headers["Access-Control-Allow-Methods"] = "POST"
            resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
            resp.headers["Access-Control-Max-Age"] = "600"
        return resp

    @app.post("/widget/feedback")
    async def feedback_answer(request):
        if config.database is None:
            return cors(request, response.json({"error": "feedback is not stored here"}, status=404))
        if len(request.body or b"") > FEEDBACK_MAX_BYTES:
            return cors(request, response.json({"error": "too large"}, status=413))
        origin = request.headers.get("origin")
        if origin and origin not in config.allowed_origins and origin != f"{request.scheme}://{request.host}":
            return response.json({"error": "origin not allowed"}, status=403)
        if not per_address.allow(
            client_address(request.ip, request.headers.getall("x-forwarded-for", []), config.trusted_proxies)
        ):
            return cors(request, response.json({"error": "too many answers"}, status=429))
        try:
            fields = checked_feedback(json.loads(request.body or b"null"))
        except ValueError:
            fields = None
        if fields is None:
            return cors(request, response.json({"error": "not a feedback answer"}, status=400))
        try:
            if not feedback_log:
                feedback_log.append(FeedbackLog(config.database))
            feedback_log[0].record(**fields)
        except Exception:
            log.exception("could not store a feedback answer")
            return cors(request, response.json({"error": "not stored"}, status=503))
        return cors(request, response.json({"stored": True}, status=201))

    @app.get("/widget/<filename>")
    async def widget_file(request, filename: str):
        entry = WIDGET_FILES.get(filename)
        if entry is None:
            return response.text("not found", status=404)
        path, content_type = entry
        if path == RASA_WEBCHAT:
            return cors(
                request,
                response.raw(webchat_bundle, content_type=content_type, headers={"Cache-Control": "no-cache"}),
            )
        return cors(request, await response.file(path, mime_type=content_type, headers={"Cache-Control": "no-cache"}))

    return app


def _without_google_fonts(bundle: bytes) -> bytes:
    bundle = bundle.replace(GOOGLE_FONTS, b"")
    if b"fonts.googleapis.com" in bundle:
        # A new rasa-webchat version loads the font some other way.
        raise RuntimeError(f"{RASA_WEBCHAT} still loads fonts from Google: update GOOGLE_FONTS in {__file__}")
    return bundle


def _ws(url: str) -> str:
    return url.replace("https://", "wss://").replace("http://", "ws://")
