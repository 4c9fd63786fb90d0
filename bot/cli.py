"""The one ``kommunebot`` command, for operators, editors and the Makefile.

Every command has a one-line help (``kommunebot COMMAND --help``). Errors
are one English line naming the file, field or variable; a content
problem exits with 1, wrong use or a bad setting with 2, never a traceback.
Settings are read once here and passed down.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

import click
import sqlalchemy as sa

from bot import settings as settings_module
from bot.chat.lemmas import FILE as LEMMA_FILE
from bot.console.accounts import ALL, ROLES, AccountError, Accounts, User
from bot.content.check import check as check_content
from bot.content.scaffold import ScaffoldError, new_municipality, new_topic
from bot.ops.services import APP_ROLE
from bot.records.database import Database, DatabaseUnavailable, SchemaOutdated, describe
from bot.settings import DEFAULT_MODEL, PROJECT_ROOT, SettingError, Settings


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _settings() -> Settings:
    try:
        return settings_module.current()
    except SettingError as exc:
        _fail(str(exc))


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


_DB_HELP = "SQLite file with the users (default: KOMMUNEBOT_DATABASE_URL, else KOMMUNEBOT_DATA_DB)"


@click.group(name="kommunebot")
@click.option("--db", type=click.Path(path_type=Path), default=None, help=_DB_HELP)
@click.pass_context
def main(ctx: click.Context, db: Path | None) -> None:
    """Kommunebot: a Danish citizen assistant for municipalities."""
    ctx.obj = db


@main.group()
@click.option("--db", type=click.Path(path_type=Path), default=None, help=_DB_HELP)
@click.pass_context
def users(ctx: click.Context, db: Path | None) -> None:
    """Manage staff-console users."""
    # Accepted before or after "users"; the nearer one wins.
    ctx.obj = db or ctx.obj or _settings().database_url


def _knowledge_municipalities() -> frozenset[str]:
    from bot.knowledge.store import KnowledgeDatabaseError, open_knowledge

    settings = _settings()
    try:
        return frozenset(open_knowledge(settings.knowledge_db).municipalities)
    except KnowledgeDatabaseError as exc:
        _fail(f"municipality: cannot check it against {settings.knowledge_db} ({exc}); run `kommunebot build`")


def _accounts(ctx: click.Context, municipality: str | None = None) -> Accounts:
    """The users' database; a municipality that is named must be one in the knowledge base."""
    named = municipality is not None and municipality.strip().lower() not in ("", "all", ALL)
    known = _knowledge_municipalities() if named else None
    try:
        return Accounts(ctx.obj, municipalities=known)
    except (OSError, ValueError, sqlite3.Error, sa.exc.SQLAlchemyError, DatabaseUnavailable, SchemaOutdated) as exc:
        _fail(f"db: cannot open {describe(ctx.obj)}: {exc}")


def _existing(accounts: Accounts, username: str) -> User:
    user = accounts.get(username)
    if user is None:
        _fail(f"username: no user {username!r}")
    return user


def _change(ctx: click.Context, username: str, change) -> User:
    """``change(accounts, name, actor=...)`` for an existing user, journaled as this command's user."""
    accounts = _accounts(ctx)
    user = _existing(accounts, username)
    change(accounts, user.username, actor=_actor())
    return user


def _scope(user: User) -> str:
    return "all" if user.municipality == ALL else user.municipality or "(none)"


_MUNICIPALITY_HELP = "the municipality's key (knowledge/municipalities/); required for staff and editors"


@users.command("create")
@click.argument("username")
@click.option("--role", type=str, required=True, help=f"one of: {', '.join(ROLES)}")
@click.option("--municipality", default=None, help=f"{_MUNICIPALITY_HELP}; admins default to all")
@click.option("--name", "display_name", default=None, help="the name shown in the console")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
@click.pass_context
def create(ctx, username: str, role: str, municipality: str | None, display_name: str | None, password_stdin: bool):
    """Create a user; the password must not be a common or breached one."""
    if role not in ROLES:
        _fail(f"role: must be one of {', '.join(ROLES)}, got {role!r}")
    accounts = _accounts(ctx, municipality)
    try:
        key = accounts.municipality_key(role, municipality)  # before asking for a password in vain
        user = accounts.create_user(
            username, _password(password_stdin), role, display_name, actor=_actor(), municipality=key
        )
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"created {user.username} ({user.role}, municipality {_scope(user)})")


@users.command("set-municipality")
@click.argument("username")
@click.argument("municipality")
@click.pass_context
def set_municipality(ctx, username: str, municipality: str) -> None:
    """Set whose callbacks a user sees: a municipality's key, or `all` (admins only)."""
    accounts = _accounts(ctx, municipality)
    try:
        user = accounts.set_municipality(username, municipality, actor=_actor())
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"{user.username} now sees the callbacks of {_scope(user)}")


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
@click.pass_context
def reset_password(ctx, username: str, password_stdin: bool) -> None:
    """Set a new password (not a common or breached one); unlocks the user and ends their sessions."""
    accounts = _accounts(ctx)
    user = _existing(accounts, username)  # before asking for a password in vain
    try:
        accounts.set_password(user.username, _password(password_stdin), actor=_actor())
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"password reset for {user.username}")


@users.command("reset-mfa")
@click.argument("username")
@click.pass_context
def reset_mfa(ctx, username: str) -> None:
    """Remove a user's second factor (a lost device) and end their sessions; they can enrol again."""
    user = _change(ctx, username, Accounts.reset_totp)
    click.echo(f"second factor removed for {user.username}; they log in with the password and can enrol again")


@users.command("disable")
@click.argument("username")
@click.pass_context
def disable(ctx, username: str) -> None:
    """Disable a user and end their sessions."""
    click.echo(f"disabled {_change(ctx, username, Accounts.disable).username}")


@users.command("enable")
@click.argument("username")
@click.pass_context
def enable(ctx, username: str) -> None:
    """Enable a disabled user."""
    try:
        _accounts(ctx).enable(username, actor=_actor())
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"enabled {username}")


@users.command("list")
@click.pass_context
def list_users(ctx) -> None:
    """List users with their municipality (never passwords, hashes or secrets)."""
    rows = [("USERNAME", "ROLE", "MUNICIPALITY", "NAME", "STATUS", "MFA")] + [
        (
            u.username,
            u.role,
            _scope(u),
            u.display_name,
            "disabled" if u.disabled else "active",
            "yes" if u.mfa else "no",
        )
        for u in _accounts(ctx).list_users()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())


ROOT_OPTION = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=PROJECT_ROOT,
    show_default=False,
    help="the project folder (default: this repository)",
)


def _report(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(problems)} problem(s): fix them and run `kommunebot check` again.", err=True)
    sys.exit(1)


def _created(root: Path, paths) -> None:
    for path in paths:
        click.echo(f"  {path.relative_to(root)}")


@main.group("topic")
def topic() -> None:
    """Errands (intents with a knowledge entry)."""


@topic.command("new")
@click.argument("name")
@click.option("--title", default=None, help="the name citizens see, e.g. 'flytning' or 'sundhedskort'")
@ROOT_OPTION
def topic_new(name: str, title, root: Path) -> None:
    """Scaffold everything one errand needs, with TODO markers to fill in."""
    try:
        paths = new_topic(root, name, title)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Created errand '{name}'. Fill in every TODO in:")
    _created(root, paths)
    click.echo("Then run `kommunebot check`, `kommunebot train` and `kommunebot eval`.")


@main.group("municipality")
def municipality() -> None:
    """Municipality overlays."""


@municipality.command("new")
@click.argument("name")
@click.option("--title", "display", required=True, help="e.g. 'Odense Kommune'")
@click.option("--website", required=True, help="e.g. https://www.odense.dk")
@ROOT_OPTION
def municipality_new(name: str, display: str, website: str, root: Path) -> None:
    """Scaffold a municipality overlay; unverified values stay null."""
    try:
        paths = new_municipality(root, name, display, website)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Created municipality '{name}'. Fill in the TODOs and cite a source for every value:")
    _created(root, paths)


@main.command("check")
@click.option("--skip-rasa", is_flag=True, help="leave out Rasa's own `data validate` (faster)")
@ROOT_OPTION
def check(skip_rasa: bool, root: Path) -> None:
    """Check all content: knowledge, training data, domain and test stories."""
    problems = check_content(root, with_rasa=not skip_rasa)
    if problems:
        _report(problems)
    click.echo("All content is fine.")


@main.command("build")
@ROOT_OPTION
def build(root: Path) -> None:
    """Validate knowledge/ and compile it into build/knowledge.db."""
    from bot.knowledge.build import build_database
    from bot.knowledge.loader import load_knowledge
    from bot.knowledge.problems import KnowledgeError

    output = root / "build" / "knowledge.db"
    try:
        knowledge = load_knowledge(root / "knowledge")
    except KnowledgeError as exc:
        click.echo(f"error: the knowledge base has {len(exc.problems)} problem(s):", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    build_database(knowledge, output)
    answers = sum(len(t.answers) for t in knowledge.topics.values())
    click.echo(
        f"Knowledge base written to {output}: {len(knowledge.topics)} topics, "
        f"{answers} answers, {len(knowledge.municipalities)} municipalities"
    )
    for m in knowledge.municipalities.values():
        if m.unverified:
            click.echo(f"note: {m.key}: unverified or incomplete: {', '.join(m.unverified)}")


@main.command("spacy")
@ROOT_OPTION
def spacy_pipeline(root: Path) -> None:
    """Build the blank Danish spaCy pipeline with lookup lemmas (build/spacy-da)."""
    from bot.ops.spacy_pipeline import write_pipeline

    output = root / "build" / "spacy-da"
    try:
        write_pipeline(output)
    except RuntimeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Danish spaCy pipeline written to {output}")


# Our components inside the Rasa model; their code is the project's even
# when --root points at another content folder.
TRAINED_CODE = (
    "glue/intent_ensemble.py",
    "glue/situation_classifier.py",
    "bot/chat/situation_model.py",
)


def training_fingerprint(root: Path) -> str:
    """What a trained model depends on: config, domain, data, the spaCy
    folder and the code of our own trained components (a changed model
    format must not meet an old archive)."""
    digest = hashlib.sha256()
    files = [
        root / "config.yml",
        root / "domain.yml",
        *sorted((root / "data").rglob("*.yml")),
        # The SQLite lemma table (16 MB) is for the action server and comes
        # from the same lookup data as the pipeline's own: not hashed on
        # every `make run`.
        *sorted(p for p in (root / "build" / "spacy-da").rglob("*") if p.name != LEMMA_FILE),
        *[PROJECT_ROOT / name for name in TRAINED_CODE],
    ]
    for path in files:
        if path.is_file():
            base = root if path.is_relative_to(root) else PROJECT_ROOT
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    digest.update(_situations_digest(root).encode())
    return digest.hexdigest()


def _situations_digest(root: Path) -> str:
    """The part of knowledge the model learns from: each topic's situation
    keys and keywords (the situation classifier labels examples with them)
    and its words (the intent ensemble keeps them in the model). Answers,
    links and texts are read at run time, so editing them never retrains."""
    from bot.knowledge.loader import load_knowledge

    try:
        topics = load_knowledge(root / "knowledge").topics
    except Exception as exc:  # noqa: BLE001 - `kommunebot check` reports the content problem itself
        return f"unreadable knowledge: {type(exc).__name__}"
    return repr(sorted((key, t.words, [(s.key, s.keywords) for s in t.situations]) for key, t in topics.items()))


def _model(root: Path) -> Path:
    """The model for ``root``: KOMMUNEBOT_MODEL in this repository, the same
    relative place in another content folder."""
    model = _settings().model
    if root.resolve() == PROJECT_ROOT:
        return model
    return root / (model.relative_to(PROJECT_ROOT) if model.is_relative_to(PROJECT_ROOT) else DEFAULT_MODEL)


@main.command("train")
@click.option("--force", is_flag=True, help="train even when nothing changed")
@ROOT_OPTION
def train(force: bool, root: Path) -> None:
    """Train the model when content changed; reports the time it took."""
    problems = check_content(root, with_rasa=False)
    if problems:
        _report(problems)
    model = _model(root)
    fingerprint = training_fingerprint(root)
    stored = model.with_name(model.name.removesuffix(".tar.gz") + ".fingerprint")
    if not force and model.is_file() and stored.is_file() and stored.read_text() == fingerprint:
        click.echo(f"Nothing changed since the last training; {model} is up to date.")
        return
    rasa = Path(sys.executable).parent / "rasa"
    started = time.monotonic()
    # --force: Rasa cannot see a change in the spaCy folder itself.
    result = subprocess.run(
        [
            str(rasa),
            "train",
            "--fixed-model-name",
            model.name.removesuffix(".tar.gz"),
            "--out",
            str(model.parent),
            "--force",
        ],
        cwd=root,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        click.echo(f"error: training failed after {seconds:.1f} s (rasa exit code {result.returncode})", err=True)
        sys.exit(1)
    stored.write_text(fingerprint)
    click.echo(f"Trained {model} in {seconds:.1f} s.")


@main.command("eval")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results") / "eval",
    help="folder for the reports (heldout-open.txt/.json; report.txt and confusion.png for the messages written "
    "beside the training data)",
)
@click.option("--messages", "parts", flag_value="messages", multiple=True, help="evaluate held-out messages (intents)")
@click.option(
    "--sensitive", "parts", flag_value="sensitive", multiple=True, help="evaluate personal versus plain matters"
)
@click.option(
    "--conversations",
    "parts",
    flag_value="conversations",
    multiple=True,
    help="run the held-out conversations through the real servers; pass rate per kind",
)
@click.option(
    "--search",
    "parts",
    flag_value="search",
    multiple=True,
    help='the search fallback ("Mente du …?"): near questions, nonsense and unrelated questions',
)
@click.option("--sealed", is_flag=True, help="use the sealed set (tests/heldout/sealed/); run it only at the end")
@click.option(
    "--baseline", is_flag=True, help="also train Rasa's default pipeline on the same data and compare the messages"
)
@ROOT_OPTION
def evaluate(out: Path, parts: tuple[str, ...], sealed: bool, baseline: bool, root: Path) -> None:
    """Held-out evaluation through the real Rasa and action servers: intent
    F1 per errand (and against Rasa's default pipeline with --baseline),
    false escalation and recall for personal matters, and the channel of
    every reply in the held-out conversations, and the search fallback's
    suggestions. Without --messages, --sensitive, --conversations or
    --search, all four run. Messages and sensitive matters written beside
    the training data are reported on their own."""
    from bot.content.heldout import HeldOutError
    from bot.ops import evaluate as runner

    out = out if out.is_absolute() else root / out
    model = _model(root)
    if not model.is_file():
        click.echo(f"error: {model}: no trained model; run `kommunebot train` first", err=True)
        sys.exit(1)
    chosen = set(parts) or {"messages", "sensitive", "conversations", "search"}
    if baseline:
        chosen.add("messages")
    try:
        report = runner.run(root, out, model, chosen, sealed, baseline)
        click.echo(report["text"])
    except (HeldOutError, RuntimeError, TimeoutError, FileNotFoundError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    label = "sealed" if sealed else "open"
    click.echo(f"\nReport: {out / f'heldout-{label}.txt'} and .json")


@main.command("retention")
def retention() -> None:
    """Delete conversations, callbacks and inbox messages past each
    municipality's retention period (callbacks.retention_days in knowledge)."""

    from bot.knowledge.store import KnowledgeDatabaseError, open_knowledge
    from bot.ops.retention import run

    settings = _settings()
    try:
        result = run(settings, open_knowledge(settings.knowledge_db))
    except (ValueError, KnowledgeDatabaseError, sqlite3.Error, sa.exc.SQLAlchemyError) as exc:
        click.echo(f"error: retention failed: {exc}", err=True)
        sys.exit(1)
    periods = ", ".join(f"{k} {d}" for k, d in sorted(result["periods"].items()))
    click.echo(
        f"Retention (days: {periods}): deleted {result['conversations']} conversation(s), "
        f"{result['callbacks']} callback(s) and {result['inbox']} inbox message(s)."
    )


@main.group("journal")
def journal_group() -> None:
    """The append-only journal of bookings, staff actions, notes, inbox
    decisions and user changes (the events table)."""


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    entry, _, digest = value.partition(":")
    if not entry.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        _fail(f"anchor: expected ID:HASH as `kommunebot journal verify` prints it, got {value!r}")
    return int(entry), digest


@journal_group.command("verify")
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=None,
    help="SQLite file with the journal (default: KOMMUNEBOT_DATABASE_URL, else KOMMUNEBOT_DATA_DB)",
)
@click.option(
    "--anchor",
    default=None,
    metavar="ID:HASH",
    help="a head printed by an earlier run, kept elsewhere: fails if that entry was changed or removed",
)
@click.pass_context
def journal_verify(ctx, db: Path | None, anchor: str | None) -> None:
    """Recompute the journal's hash chain: exit 0 when intact, 1 at the
    first entry that was changed, removed or inserted behind its back."""
    from bot.records.journal import verify_database

    target = db or ctx.obj or _settings().database_url
    try:
        result = verify_database(target, _anchor(anchor))
    except (FileNotFoundError, LookupError, ValueError) as exc:
        _fail(f"db: {exc}")
    except (sqlite3.Error, sa.exc.SQLAlchemyError, DatabaseUnavailable) as exc:
        click.echo(f"error: cannot read the journal in {describe(target)}: {exc}", err=True)
        sys.exit(1)
    if not result.intact:
        click.echo(f"journal broken at entry {result.broken}: {result.problem}", err=True)
        click.echo(f"({result.entries} entries before it are intact)", err=True)
        sys.exit(1)
    click.echo(f"{result.entries} entries, chain intact")
    if result.legacy == result.entries and result.entries:
        click.echo("all are unchained legacy rows from before the hash chain; the next entry seals them")
    elif result.legacy:
        click.echo(f"{result.legacy} unchained legacy rows from before the hash chain, sealed by the entry after them")
    if result.head is not None:
        click.echo(f"head {result.head[0]}:{result.head[1]} (keep it elsewhere; check it later with --anchor)")


@main.command("migrate")
@click.option(
    "--url",
    default=None,
    metavar="URL",
    help="the data database, as its owner (default: KOMMUNEBOT_DATABASE_URL, else the SQLite file KOMMUNEBOT_DATA_DB)",
)
@click.option(
    "--app-role",
    default=APP_ROLE,
    show_default=True,
    help="PostgreSQL: the role the servers connect as; granted read and write on the tables, only SELECT and INSERT "
    "on the journal ('' grants nothing)",
)
def migrate(url: str | None, app_role: str) -> None:
    """Create or upgrade the data database's tables to this release (Alembic migrations)."""
    from bot.records import migrations

    target = url or _settings().database_url
    try:
        db = Database(target, timeout=30.0)
        if db.sqlite:
            db.path.parent.mkdir(parents=True, exist_ok=True)
        before, after = migrations.upgrade(db, app_role or None)
    except ValueError as exc:
        _fail(f"url: {exc}")
    except (OSError, sqlite3.Error, sa.exc.SQLAlchemyError, DatabaseUnavailable) as exc:
        click.echo(f"error: cannot migrate {describe(target)}: {exc}", err=True)
        sys.exit(1)
    finally:
        if "db" in locals():
            db.dispose()
    if before == after:
        click.echo(f"{describe(target)}: already at revision {after}")
    else:
        click.echo(f"{describe(target)}: migrated from revision {before or 'none'} to {after}")


@main.command("run")
def run_servers() -> None:
    """Start the action server, Rasa, the staff console and the demo page; Ctrl-C stops them."""
    from bot.ops.run import run

    sys.exit(run(_settings()))


@main.command("cluster")
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="folder for the cluster's databases, logs and secrets (default: var/cluster)",
)
@click.option(
    "--port-base",
    type=click.IntRange(1024, 65000),
    default=8400,
    show_default=True,
    help="the public entrance's port; the other servers use the next 41 ports",
)
def cluster(root: Path | None, port_base: int) -> None:
    """Start PostgreSQL, Redis, 2 action servers, 2 Rasa replicas behind HAProxy, the console and the demo page."""
    from bot.ops.cluster import run_cluster

    sys.exit(run_cluster((root or PROJECT_ROOT / "var" / "cluster").resolve(), port_base))


@main.command("chat")
@click.option("--url", default=None, help="the Rasa server (default: http://localhost:$RASA_PORT)")
@click.option("--kommune", default=None, help="municipality key sent as metadata")
def chat(url: str | None, kommune: str | None) -> None:
    """Chat with the running assistant in the terminal, through its REST channel."""
    from bot.ops.chat_cli import chat as chat_loop

    sys.exit(chat_loop(url or f"http://localhost:{_settings().rasa_port}", kommune))


@main.group("serve")
def serve() -> None:
    """Run one server in the foreground (`kommunebot run` starts them all)."""


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@serve.command("console")
@click.option("--host", default=None, help="address to bind (default: KOMMUNEBOT_CONSOLE_HOST)")
@click.option("--port", type=int, default=None, help="port (default: KOMMUNEBOT_CONSOLE_PORT)")
def serve_console(host: str | None, port: int | None) -> None:
    """The staff console."""
    from bot.console.app import ConsoleConfig, create_app

    settings = _settings()
    _logging()
    app = create_app(ConsoleConfig.from_settings(settings))
    app.run(host=host or settings.console_host, port=port or settings.console_port, access_log=False, motd=False)


@serve.command("site")
@click.option("--host", default=None, help="address to bind (default: KOMMUNEBOT_SITE_HOST)")
@click.option("--port", type=int, default=None, help="port (default: KOMMUNEBOT_SITE_PORT)")
@click.option(
    "--rasa-url", default=None, help="the Rasa server as browsers reach it (default: KOMMUNEBOT_PUBLIC_RASA_URL)"
)
def serve_site(host: str | None, port: int | None, rasa_url: str | None) -> None:
    """The demo municipal page and the chat widget's files."""
    from bot.site.server import SiteConfig, create_site

    settings = _settings()
    _logging()
    try:
        app = create_site(
            SiteConfig(
                settings.knowledge_db,
                settings.municipality,
                (rasa_url or settings.public_rasa_url).rstrip("/"),
                settings.allowed_origins,
            )
        )
    except (ValueError, FileNotFoundError) as exc:
        _fail(str(exc))
    app.run(host=host or settings.site_host, port=port or settings.site_port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
