"""Every environment variable Kommunebot reads, in one table.

``SETTINGS`` is data: name, type, default and a one-line help for each
variable, kept honest by tests/unit/test_docs.py (every setting is
documented in docs/operations.md). Each process reads them once with
``current()`` at its entry point and passes the values down; no other
module looks at the environment.

Relative paths are resolved against the project root so the action server,
the Rasa server and the tests agree whichever folder they start in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The trained model, relative to the project (or to an editor's content folder).
DEFAULT_MODEL = Path("models") / "kommunebot.tar.gz"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SettingError(ValueError):
    """A variable with a value that cannot be used; the message names it."""


def parse_bool(name: str, raw: str) -> bool:
    """The one true/false parser: 1/true/yes/on and 0/false/no/off."""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name} must be true or false, got {raw!r}")


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, got {raw!r}") from None


def _path(name: str, raw: str) -> Path:
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _key(name: str, raw: str) -> str:
    return raw.strip().lower()


def _text(name: str, raw: str) -> str:
    return raw.strip()


def _origins(name: str, raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    if "*" in origins:
        raise SettingError(f"{name} must list origins; '*' is not allowed")
    return origins


def _rate(name: str, raw: str) -> tuple[int, int]:
    """'6/10': at most 6 messages in any 10 seconds."""
    count, _, seconds = raw.partition("/")
    try:
        rate = int(count), int(seconds)
    except ValueError:
        raise SettingError(f"{name} must look like COUNT/SECONDS (e.g. 6/10), got {raw!r}") from None
    if rate[0] < 1 or rate[1] < 1:
        raise SettingError(f"{name} must have a count and seconds of at least 1, got {raw!r}")
    return rate


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "rate": _rate,
    "bool": parse_bool,
    "int": _int,
    "path": _path,
    "key": _key,
    "text": _text,
    "origins": _origins,
}


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    field: str  # the attribute on Settings
    type: str  # a key of _PARSERS
    default: str | None  # as it would be written in the environment; None: derived, see help
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "KOMMUNEBOT_MUNICIPALITY",
        "municipality",
        "key",
        "nyborg",
        "the active municipality: a file name in knowledge/municipalities/",
    ),
    Setting("KOMMUNEBOT_KNOWLEDGE_DB", "knowledge_db", "path", "build/knowledge.db", "the compiled knowledge base"),
    Setting(
        "KOMMUNEBOT_DATA_DB",
        "data_db",
        "path",
        "var/kommunebot.db",
        "callbacks, journal, users, sessions, outcomes, feedback answers and the fallback inbox",
    ),
    Setting(
        "KOMMUNEBOT_DATABASE_URL",
        "database_url",
        "text",
        None,
        "the data database by URL (postgresql://user:password@host:5432/kommunebot); default sqlite:/// of "
        "KOMMUNEBOT_DATA_DB",
    ),
    Setting(
        "KOMMUNEBOT_LOCK_URL",
        "lock_url",
        "text",
        None,
        "Rasa's lock store by URL (redis://:password@host:6379/0); needed by more than one Rasa process; "
        "default in-memory",
    ),
    Setting(
        "KOMMUNEBOT_TRACKER_URL",
        "tracker_url",
        "text",
        None,
        "the Rasa tracker store by URL; default sqlite:///<project>/var/tracker.db",
    ),
    Setting(
        "KOMMUNEBOT_MODEL",
        "model",
        "path",
        str(DEFAULT_MODEL),
        "the trained Rasa model that is served and that `kommunebot train` writes",
    ),
    Setting(
        "KOMMUNEBOT_SPACY_PATH",
        "spacy_path",
        "path",
        "build/spacy-da",
        "the Danish lemma folder: blank Danish spaCy pipeline plus the same lookup lemmas as SQLite, "
        "which both servers read",
    ),
    Setting(
        "KOMMUNEBOT_MAX_MESSAGE_CHARS",
        "max_message_chars",
        "int",
        "2000",
        "longer messages are refused with a Danish explanation",
    ),
    Setting("RASA_PORT", "rasa_port", "int", "5005", "the Rasa server's port"),
    Setting(
        "KOMMUNEBOT_RASA_HOST",
        "rasa_host",
        "text",
        "127.0.0.1",
        "the Rasa server's address; expose only its public paths through the proxy in deploy/",
    ),
    Setting(
        "KOMMUNEBOT_API_TOKEN",
        "api_token",
        "text",
        None,
        "the Rasa HTTP API's token; default a random one kept in $KOMMUNEBOT_VAR_DIR/api-token (mode 0600)",
    ),
    Setting("ACTION_PORT", "action_port", "int", "5055", "the action server's port (endpoints.yml reads it too)"),
    Setting("KOMMUNEBOT_ACTION_HOST", "action_host", "text", "127.0.0.1", "the action server's address"),
    Setting(
        "KOMMUNEBOT_ACTION_TOKEN",
        "action_token",
        "text",
        None,
        "the secret Rasa sends the action server; default a random one kept in $KOMMUNEBOT_VAR_DIR/action-token",
    ),
    Setting(
        "KOMMUNEBOT_CANCEL_SECRET",
        "cancel_secret",
        "text",
        None,
        "the key of the stored check of a callback's last four phone digits, for cancelling from anywhere; "
        "default a random one kept in $KOMMUNEBOT_VAR_DIR/cancel-secret (mode 0600); every server of a "
        "deployment needs the same",
    ),
    Setting(
        "KOMMUNEBOT_VAR_DIR", "var_dir", "path", "var", "run-time files that are not in a database: tokens, demo logins"
    ),
    Setting(
        "KOMMUNEBOT_MAX_BODY_BYTES",
        "max_body_bytes",
        "int",
        "16384",
        "larger chat requests, socket.io polling bodies and WebSocket frames are refused before they are read",
    ),
    Setting(
        "KOMMUNEBOT_RATE_SENDER",
        "rate_sender",
        "rate",
        "10/10",
        "at most COUNT messages from one conversation in any SECONDS; more get HTTP 429 and a Danish reply",
    ),
    Setting(
        "KOMMUNEBOT_RATE_ADDRESS",
        "rate_address",
        "rate",
        "300/60",
        "at most COUNT messages from one client address in any SECONDS",
    ),
    Setting(
        "KOMMUNEBOT_TRUSTED_PROXIES",
        "trusted_proxies",
        "origins",
        "",
        "comma-separated addresses of reverse proxies whose X-Forwarded-For names the client",
    ),
    Setting(
        "KOMMUNEBOT_MAX_BOOKINGS",
        "max_bookings",
        "int",
        "2",
        "active callback bookings allowed per phone number and per conversation",
    ),
    # Per client address (the channel's pseudonym of it): a script can invent
    # phone numbers and conversation ids but not addresses. A household behind
    # one router (two adults at KOMMUNEBOT_MAX_BOOKINGS each, plus a parent
    # they help) stays under 8 active, and so does a library's public PC or a
    # workplace's shared connection, since callbacks are made within days and
    # then close; one address holding more than 8 of a municipality's ~400
    # places in 14 days is not a citizen. Whoever hits it is offered the phone.
    Setting(
        "KOMMUNEBOT_MAX_BOOKINGS_ADDRESS",
        "max_bookings_address",
        "int",
        "8",
        "active callback bookings allowed per client address, whatever phone numbers and conversations they use",
    ),
    # 12 a day: more than a household or a public PC books in a day (the
    # municipality has about 30 places a day in all), and it stops a script
    # that books and cancels, or whose bookings caseworkers close, from
    # taking the active cap's 8 places again and again.
    Setting(
        "KOMMUNEBOT_RATE_BOOKINGS_ADDRESS",
        "rate_bookings_address",
        "rate",
        "12/86400",
        "at most COUNT callback bookings made from one client address in any SECONDS, cancelled ones included",
    ),
    Setting("KOMMUNEBOT_CONSOLE_HOST", "console_host", "text", "127.0.0.1", "the staff console's address"),
    Setting("KOMMUNEBOT_CONSOLE_PORT", "console_port", "int", "8080", "the staff console's port"),
    Setting(
        "KOMMUNEBOT_CONSOLE_SECURE_COOKIES",
        "console_secure_cookies",
        "bool",
        "false",
        "in demo mode too, give the console's cookies Secure and the __Host- prefix and send HSTS; "
        "outside demo mode they always have them",
    ),
    Setting(
        "KOMMUNEBOT_SITE_HOST", "site_host", "text", "127.0.0.1", "the address of the demo page and the widget's files"
    ),
    Setting("KOMMUNEBOT_SITE_PORT", "site_port", "int", "8000", "the port of the demo page and the widget's files"),
    Setting(
        "KOMMUNEBOT_ALLOWED_ORIGINS",
        "allowed_origins",
        "origins",
        None,
        "comma-separated web origins whose pages may use the assistant; default the demo page; '*' is refused",
    ),
    Setting(
        "KOMMUNEBOT_PUBLIC_RASA_URL",
        "public_rasa_url",
        "text",
        None,
        "the Rasa server as citizens' browsers reach it; default http://localhost:$RASA_PORT",
    ),
    Setting(
        "KOMMUNEBOT_PUBLIC_SITE_URL",
        "public_site_url",
        "text",
        None,
        "the widget's site as citizens' browsers reach it, for the cancel page's link in a booking confirmation "
        "($KOMMUNEBOT_PUBLIC_SITE_URL/aflys); default http://localhost:$KOMMUNEBOT_SITE_PORT",
    ),
    Setting(
        "KOMMUNEBOT_CONTENT_ROOT",
        "content_root",
        "path",
        ".",
        "where the console's fallback inbox appends training examples (data/nlu/)",
    ),
    Setting(
        "KOMMUNEBOT_REVIEW_DAYS",
        "review_days",
        "int",
        "180",
        "days after an answer's review date when `kommunebot check` flags it and the dashboard lists it as due "
        "(fees and rules change every year)",
    ),
    Setting(
        "KOMMUNEBOT_DEMO",
        "demo",
        "bool",
        "false",
        "demo mode, which `make run` switches on: demo logins with new random passwords in demo-logins next to "
        "the data database, and console cookies for plain http on localhost",
    ),
)


@dataclass(frozen=True)
class Settings:
    municipality: str
    knowledge_db: Path
    data_db: Path
    database_url: str
    lock_url: str | None
    tracker_url: str
    model: Path
    spacy_path: Path
    max_message_chars: int
    rasa_port: int
    rasa_host: str
    api_token: str | None
    action_port: int
    action_host: str
    action_token: str | None
    cancel_secret: str | None
    var_dir: Path
    max_body_bytes: int
    rate_sender: tuple[int, int]
    rate_address: tuple[int, int]
    trusted_proxies: tuple[str, ...]
    max_bookings: int
    max_bookings_address: int
    rate_bookings_address: tuple[int, int]
    console_host: str
    console_port: int
    console_secure_cookies: bool
    site_host: str
    site_port: int
    allowed_origins: tuple[str, ...]
    public_rasa_url: str
    public_site_url: str
    content_root: Path
    review_days: int
    demo: bool

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from ``env`` (the process environment by default).
        Raises SettingError naming the variable when a value is unusable."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.name)
            if raw is None or raw.strip() == "":
                raw = setting.default
            values[setting.field] = None if raw is None else _PARSERS[setting.type](setting.name, raw)
        # Defaults that follow from other settings.
        if values["database_url"] is None:
            values["database_url"] = f"sqlite:///{Path(values['data_db']).resolve()}"
        if values["tracker_url"] is None:
            values["tracker_url"] = f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
        if values["allowed_origins"] is None:
            port = values["site_port"]
            values["allowed_origins"] = (f"http://localhost:{port}", f"http://127.0.0.1:{port}")
        if values["public_rasa_url"] is None:
            values["public_rasa_url"] = f"http://localhost:{values['rasa_port']}"
        values["public_rasa_url"] = values["public_rasa_url"].rstrip("/")
        if values["public_site_url"] is None:
            values["public_site_url"] = f"http://localhost:{values['site_port']}"
        values["public_site_url"] = values["public_site_url"].rstrip("/")
        return cls(**values)


@lru_cache(maxsize=1)
def current() -> Settings:
    """This process's settings, read once at first use."""
    return Settings.load()


def reset() -> None:
    """Forget the settings read so far (tests change the environment)."""
    current.cache_clear()
