"""The staff console's ASVS work: municipality scoping of accounts, the
common-password check, own password change, TOTP for admins, throttling
keyed on (address, user name), the client address behind a proxy, cookie
and HSTS configuration, and the migration of older databases."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pyotp
import pytest
from click.testing import CliRunner
from sanic.compat import Header

from bot.callbacks.store import CallbackStore
from bot.cli import main as cli
from bot.console import accounts as accounts_module
from bot.console import passwords, security
from bot.console.accounts import ALL, AccountError, Accounts, LockoutPolicy, LoginRefused
from bot.console.sessions import Sessions
from bot.console.web import ConsoleConfig, client_address
from bot.settings import Settings
from tests.unit import test_console_accounts as shared
from tests.unit.test_console_accounts import PASSWORD, refused

clock, db = shared.clock, shared.db  # the same fixtures
NEW_PASSWORD = "et-helt-andet-kodeord-i-dag"
PASSWORD_FOR_NEW = "sommerhus-ved-vesterhavet"


@pytest.fixture
def accounts(db, clock):
    accounts = Accounts(db, clock=clock, municipalities={"nyborg", "glostrup"})
    accounts.create_user("anna", PASSWORD, "staff", "Anna Andersen", municipality="nyborg")
    accounts.create_user("ali", PASSWORD, "admin", "Ali Admin")
    return accounts


def actions(db) -> list[tuple[str, str]]:
    return [(e["action"], e["actor"]) for e in CallbackStore(db).events()]


# --- municipalities ------------------------------------------------------


def test_staff_belong_to_one_municipality_admins_to_all_by_default(accounts):
    anna, ali = accounts.get("anna"), accounts.get("ali")
    assert anna.municipality == "nyborg" and anna.sees("nyborg") and not anna.sees("glostrup")
    assert ali.municipality == ALL and ali.sees("nyborg") and ali.sees("glostrup")
    with pytest.raises(AccountError) as err:
        accounts.create_user("bo", PASSWORD, "staff", municipality="odense")  # not in the knowledge base
    assert (err.value.field, err.value.code) == ("municipality", "unknown")
    with pytest.raises(AccountError) as err:
        accounts.set_role("ali", "staff")  # a staff member may not keep "all"
    assert err.value.code == "admin_only"
    assert accounts.create_user("ida", PASSWORD, "admin", municipality="glostrup").municipality == "glostrup"


def test_setting_a_municipality_is_journaled(accounts, db):
    assert accounts.set_municipality("anna", "glostrup", actor="ali").municipality == "glostrup"
    with pytest.raises(AccountError):
        accounts.set_municipality("anna", "all", actor="ali")
    event = CallbackStore(db).events()[-1]
    assert (event["action"], event["actor"]) == ("municipality_changed", "ali")
    assert event["details"] == {"user": "anna", "municipality": "glostrup", "previous": "nyborg"}


def test_an_older_database_is_migrated_and_nobody_but_admins_sees_everything(db):
    conn = sqlite3.connect(db)
    conn.executescript(
        """
        CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL
            DEFAULT '', role TEXT NOT NULL, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL);
        CREATE TABLE login_failures (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last TEXT NOT NULL,
            locked_until TEXT);
        CREATE TABLE login_failures_ip (id INTEGER PRIMARY KEY, ip TEXT NOT NULL, at TEXT NOT NULL);
        CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL, csrf_token TEXT NOT NULL,
            created TEXT NOT NULL, last_seen TEXT NOT NULL);
        """
    )
    hashed = Accounts(db.with_name("other.db")).hasher.hash(PASSWORD)
    for name, role in (("anna", "staff"), ("eva", "editor"), ("ali", "admin")):
        conn.execute(
            "INSERT INTO users (username, role, password_hash, created) VALUES (?, ?, ?, '2026-01-01T00:00:00+00:00')",
            (name, role, hashed),
        )
    conn.commit()
    conn.close()
    accounts = Accounts(db)
    assert {u.username: u.municipality for u in accounts.list_users()} == {"ali": ALL, "anna": None, "eva": None}
    assert not accounts.get("anna").sees("nyborg") and not accounts.get("anna").sees(None)
    migration = [e for e in CallbackStore(db).events() if e["action"] == "user_municipalities_introduced"]
    assert migration[0]["details"] == {"admins_all": 1, "unset": 2}
    tables = {row[0] for row in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not tables & {"login_failures", "login_failures_ip"}
    assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").username == "anna"
    sessions = Sessions(db)
    assert sessions.get(sessions.create(1).token).mfa_pending is False
    Accounts(db)  # a second start migrates nothing twice
    assert len([e for e in CallbackStore(db).events() if e["action"] == "user_municipalities_introduced"]) == 1


# --- passwords -----------------------------------------------------------


@pytest.mark.parametrize(
    "password,code",
    [
        ("password1234", "common"),
        ("qwertyuiop123", "common"),
        ("iloveyou1234", "common"),
        ("123456789012", "common"),
        ("aaaaaaaaaaaa", "common"),
        ("andersen12345", "common"),  # the display name counts as known
        ("kodeord12345", "common"),  # and so do words about the service
        ("kort", "too_short"),
    ],
)
def test_common_and_breached_passwords_are_refused_wherever_set(accounts, password, code):
    for attempt in (
        lambda: accounts.create_user("bo", password, "staff", "Bo Andersen", municipality="nyborg"),
        lambda: accounts.set_password("anna", password),
    ):
        with pytest.raises(AccountError) as err:
            attempt()
        assert err.value.code == code
    assert passwords.problem(PASSWORD, "anna") is None


def test_generated_passwords_pass_the_rules():
    for _ in range(50):
        password = passwords.generate("bo")
        assert len(password) == 20 and passwords.problem(password, "bo") is None


def test_cli_refuses_a_common_password_on_reset(accounts, db):
    result = CliRunner().invoke(
        cli, ["users", "--db", str(db), "reset-password", "anna", "--password-stdin"], input="password1234\n"
    )
    assert result.exit_code == 2 and "error: password: is a common or breached password" in result.output
    assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").username == "anna"


def test_own_password_change(accounts, db, clock):
    sessions = Sessions(db, clock=clock)
    anna = accounts.get("anna")
    here, elsewhere = sessions.create(anna.id), sessions.create(anna.id)
    with pytest.raises(LoginRefused) as wrong:
        accounts.change_password("anna", "ikke-det-rigtige", NEW_PASSWORD, "10.0.0.1", here.token)
    assert wrong.value.reason == "bad_credentials"
    clock.advance(seconds=1)
    for new, code in ((PASSWORD, "unchanged"), ("password1234", "common")):
        with pytest.raises(AccountError) as err:
            accounts.change_password("anna", PASSWORD, new, "10.0.0.1", here.token)
        assert err.value.code == code
    accounts.change_password("anna", PASSWORD, NEW_PASSWORD, "10.0.0.1", here.token)
    assert sessions.get(here.token) is not None and sessions.get(elsewhere.token) is None
    assert accounts.authenticate("anna", NEW_PASSWORD, "10.0.0.1").username == "anna"
    assert actions(db)[-1] == ("password_changed", "anna")
    assert NEW_PASSWORD not in str(CallbackStore(db).events())


# --- TOTP ----------------------------------------------------------------


def test_admin_enrols_totp_and_each_code_counts_once(accounts, db, clock):
    sessions = Sessions(db, clock=clock)
    ali = accounts.get("ali")
    here, elsewhere = sessions.create(ali.id), sessions.create(ali.id)
    secret = accounts.start_totp("ali", actor="ali")
    app = pyotp.TOTP(secret)
    assert not accounts.get("ali").mfa and accounts.pending_totp("ali") == secret
    assert not accounts.confirm_totp("ali", "000000" if app.at(clock()) != "000000" else "111111", actor="ali")
    assert accounts.confirm_totp("ali", app.at(clock()), actor="ali", keep_session=here.token)
    assert accounts.get("ali").mfa and accounts.pending_totp("ali") is None
    assert sessions.get(here.token) is not None and sessions.get(elsewhere.token) is None
    with pytest.raises(AccountError):
        accounts.start_totp("ali", actor="ali")  # a second enrolment would replace the factor

    # The login: the password alone is not enough, and no code counts twice.
    assert accounts.authenticate("ali", PASSWORD, "10.0.0.1").mfa
    with pytest.raises(LoginRefused) as replay:
        accounts.verify_code("ali", app.at(clock()))  # the step the enrolment used
    assert replay.value.reason == "bad_code"
    clock.advance(seconds=31)
    code = app.at(clock())
    assert accounts.verify_code("ali", f"{code[:3]} {code[3:]}").username == "ali"
    clock.advance(seconds=1)
    with pytest.raises(LoginRefused) as again:
        accounts.verify_code("ali", code)
    assert again.value.reason == "bad_code"


def test_wrong_codes_slow_down_and_lock(accounts, clock):
    secret = accounts.start_totp("ali", actor="ali")
    accounts.confirm_totp("ali", pyotp.TOTP(secret).at(clock()), actor="ali")
    wrong = "123456" if pyotp.TOTP(secret).at(clock()) != "123456" else "654321"
    with pytest.raises(LoginRefused):
        accounts.verify_code("ali", wrong)
    with pytest.raises(LoginRefused) as early:
        accounts.verify_code("ali", pyotp.TOTP(secret).at(clock()))
    assert early.value.reason == "wait"
    for _ in range(9):
        clock.advance(seconds=61)
        with pytest.raises(LoginRefused):
            accounts.verify_code("ali", "000000")
    clock.advance(seconds=61)
    with pytest.raises(LoginRefused) as locked:
        accounts.verify_code("ali", pyotp.TOTP(secret).at(clock()))
    assert locked.value.reason == "locked"


def test_reset_mfa_for_a_lost_device(accounts, db, clock):
    secret = accounts.start_totp("ali", actor="ali")
    accounts.confirm_totp("ali", pyotp.TOTP(secret).at(clock()), actor="ali")
    session = Sessions(db, clock=clock).create(accounts.get("ali").id)
    result = CliRunner().invoke(cli, ["users", "--db", str(db), "reset-mfa", "ali"])
    assert result.exit_code == 0, result.output
    assert not accounts.get("ali").mfa and Sessions(db, clock=clock).get(session.token) is None
    assert [a for a, _ in actions(db) if a.startswith("mfa_")] == ["mfa_enrolment_started", "mfa_enrolled", "mfa_reset"]
    assert secret not in str(CallbackStore(db).events())
    listing = CliRunner().invoke(cli, ["users", "--db", str(db), "list"]).output
    assert "MUNICIPALITY" in listing and "MFA" in listing and secret not in listing


def test_cli_sets_a_municipality(accounts, db):
    runner = CliRunner()
    done = runner.invoke(cli, ["users", "--db", str(db), "set-municipality", "anna", "glostrup"])
    assert done.exit_code == 0, done.output
    assert Accounts(db).get("anna").municipality == "glostrup"
    refused_all = runner.invoke(cli, ["users", "--db", str(db), "set-municipality", "anna", "all"])
    assert refused_all.exit_code == 2 and "error: municipality: only admins" in refused_all.output
    admin = runner.invoke(
        cli, ["users", "--db", str(db), "create", "carl", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert admin.exit_code == 0 and "municipality all" in admin.output


# --- throttling keyed on (address, user name) ----------------------------


def test_a_shared_address_pauses_only_names_that_never_logged_in_from_it(db, clock):
    accounts = Accounts(db, clock=clock, policy=LockoutPolicy(ip_max=3))
    for name in ("anna", "bo"):
        accounts.create_user(name, PASSWORD, "staff", municipality="nyborg")
    accounts.authenticate("anna", PASSWORD, "192.0.2.10")  # anna works behind the proxy
    for n in range(3):
        refused(accounts, f"gaet{n}", "forkert-forkert", ip="192.0.2.10")
    assert refused(accounts, "bo", PASSWORD, ip="192.0.2.10").reason == "wait"
    assert accounts.authenticate("anna", PASSWORD, "192.0.2.10").username == "anna"


def test_guessing_one_name_from_many_addresses_is_paused_too(db, clock):
    accounts = Accounts(db, clock=clock, policy=LockoutPolicy(name_max=3))
    accounts.create_user("anna", PASSWORD, "staff", municipality="nyborg")
    accounts.authenticate("anna", PASSWORD, "10.0.0.1")
    for n in range(3):
        refused(accounts, "anna", "forkert-forkert", ip=f"198.51.100.{n}")
    assert refused(accounts, "anna", PASSWORD, ip="198.51.100.99").reason == "wait"
    assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").username == "anna"  # her usual address
    accounts.set_password("anna", NEW_PASSWORD)  # a reset unlocks the name
    assert accounts.authenticate("anna", NEW_PASSWORD, "198.51.100.99").username == "anna"


# --- the client address, cookies and HSTS --------------------------------


def fake_request(peer: str, forwarded: list[str] | None = None, trusted: tuple[str, ...] = ()):
    headers = Header([("X-Forwarded-For", value) for value in forwarded or []])
    config = ConsoleConfig(data_db=None, knowledge_db=None, tracker_url="", trusted_proxies=trusted)
    app = SimpleNamespace(ctx=SimpleNamespace(console=SimpleNamespace(config=config)))
    return SimpleNamespace(ip=peer, headers=headers, app=app)


def test_x_forwarded_for_counts_only_from_a_trusted_proxy():
    proxy = ("10.1.1.1", "10.1.1.2")
    assert client_address(fake_request("203.0.113.5", ["198.51.100.7"])) == "203.0.113.5"
    assert client_address(fake_request("10.1.1.1", ["198.51.100.7"], proxy)) == "198.51.100.7"
    # What the client wrote itself (further left) is never used.
    assert client_address(fake_request("10.1.1.1", ["1.2.3.4, 198.51.100.7"], proxy)) == "198.51.100.7"
    assert client_address(fake_request("10.1.1.1", ["1.2.3.4", "198.51.100.7, 10.1.1.2"], proxy)) == "198.51.100.7"
    assert client_address(fake_request("10.1.1.1", ["nonsense"], proxy)) == "10.1.1.1"
    assert client_address(fake_request("10.1.1.1", [], proxy)) == "10.1.1.1"
    assert client_address(fake_request("10.1.1.1", ["[2001:DB8:0::1]:4711"], proxy)) == "2001:db8::1"
    assert client_address(fake_request("::ffff:10.1.1.1", ["198.51.100.7"], proxy)) == "198.51.100.7"


def test_cookies_are_secure_outside_demo_mode():
    base = {"KOMMUNEBOT_DATA_DB": "/tmp/x.db"}
    assert ConsoleConfig.from_settings(Settings.load(base)).secure  # demo mode is off unless `make run` asks
    demo = ConsoleConfig.from_settings(Settings.load({**base, "KOMMUNEBOT_DEMO": "true"}))
    assert not demo.secure and demo.demo
    both = {**base, "KOMMUNEBOT_DEMO": "true", "KOMMUNEBOT_CONSOLE_SECURE_COOKIES": "true"}
    assert ConsoleConfig.from_settings(Settings.load(both)).secure
    assert security.cookie_name(security.SESSION_COOKIE, True) == "__Host-kb_session"
    assert security.cookie_name(security.SESSION_COOKIE, False) == "kb_session"


def test_a_pending_session_lasts_five_minutes_and_grants_nothing_else(db, clock):
    sessions = Sessions(db, clock=clock)
    pending = sessions.create(1, mfa_pending=True)
    assert sessions.get(pending.token).mfa_pending
    clock.advance(minutes=5, seconds=1)
    assert sessions.get(pending.token) is None
    assert not sessions.get(sessions.create(1).token).mfa_pending


# --- refused logins in the journal (issue 22) ------------------------------


def _refuse(accounts, typed, password="forkert-adgangskode", ip="10.9.0.1"):
    """A login step as the console takes it: authenticate, and journal the refusal."""
    try:
        accounts.authenticate(typed, password, ip)
    except LoginRefused as refusal:
        accounts.record_refusal("login_refused", refusal, typed, ip)
        return refusal
    raise AssertionError("the login was not refused")


def _journal(db, action="login_refused") -> list[dict]:
    return [e for e in CallbackStore(db).events() if e["action"] == action]


def test_a_refused_login_names_an_account_but_never_what_was_typed(accounts, db, clock):
    _refuse(accounts, "Anna")
    for typed in ("010203-1234", "0102 03 1234", "ingen-sadan"):
        clock.advance(minutes=1)
        _refuse(accounts, typed, ip=f"10.9.1.{len(typed)}")
    clock.advance(minutes=1)
    _refuse(accounts, "010203-1234", ip="10.9.2.1")  # the same name again: the same tag
    rows = _journal(db)
    assert [r["actor"] for r in rows] == ["anna"] + [accounts_module.UNKNOWN_USER] * 4
    assert rows[0]["details"] == {"reason": "bad_credentials"}
    tags = [r["details"]["name_tag"] for r in rows[1:]]
    assert len(tags[0]) == accounts_module.NAME_TAG_CHARS and tags[0] == tags[3] and len(set(tags)) == 3
    stored = " ".join(str(row) for row in sqlite3.connect(db).execute("SELECT reference, actor, details FROM events"))
    for typed in ("010203", "1234", "0102 03", "ingen-sadan"):
        assert typed not in stored
    # The key lives only in the process: another console tags the same name differently.
    assert Accounts(db).name_tag("010203-1234") != accounts.name_tag("010203-1234")


def test_a_refusal_without_a_name_and_for_a_disabled_account(accounts, db, clock):
    _refuse(accounts, "   ")
    accounts.disable("anna", actor="ali")
    clock.advance(minutes=1)
    _refuse(accounts, "anna", password=shared.PASSWORD)
    assert [(r["actor"], r["details"]) for r in _journal(db)] == [
        (accounts_module.NO_USER, {"reason": "bad_credentials"}),
        ("anna", {"reason": "disabled"}),
    ]


def test_throttled_attempts_are_one_journal_row_per_window(accounts, db, clock, caplog):
    addresses = ("10.9.3.1", "10.9.3.2")
    for ip in addresses:
        assert _refuse(accounts, "anna", ip=ip).reason == "bad_credentials"
    with caplog.at_level("INFO", logger="bot.console.accounts"):
        for n in range(50):  # the flood: the clock stands still, so each one must wait
            assert _refuse(accounts, "anna", ip=addresses[n % 2]).throttled
    throttled = _journal(db, "login_throttled")
    assert len(_journal(db)) == 2 and len(throttled) == 1
    assert throttled[0]["actor"] == accounts_module.THROTTLED_ACTOR
    assert throttled[0]["details"] == {
        "first": "login_refused",
        "reason": "wait",
        "window_minutes": accounts_module.THROTTLED_ROW_MINUTES,
    }
    lines = [r.getMessage() for r in caplog.records if "throttled" in r.getMessage()]
    assert len(lines) == 50 and not any("anna" in line for line in lines)
    # The next window's row says what the window before held without a row of its own.
    clock.advance(minutes=accounts_module.THROTTLED_ROW_MINUTES)
    assert _refuse(accounts, "anna", ip=addresses[0]).reason == "bad_credentials"
    assert _refuse(accounts, "anna", ip=addresses[0]).throttled
    rows = _journal(db, "login_throttled")
    assert len(rows) == 2 and rows[1]["details"]["earlier"] == {"attempts": 49, "addresses": 2}


def test_user_names_are_never_cpr_numbers_and_names_are_bounded(accounts):
    for username in ("0102031234", "010203-1234"):
        with pytest.raises(AccountError) as err:
            accounts.create_user(username, PASSWORD_FOR_NEW, "staff", municipality="nyborg")
        assert err.value.code in ("username_cpr", "username")
    with pytest.raises(AccountError) as err:
        accounts.create_user("bo", PASSWORD_FOR_NEW, "staff", "B" * 81, municipality="nyborg")
    assert (err.value.field, err.value.code) == ("display_name", "display_name")
    assert (
        accounts.create_user("bo", PASSWORD_FOR_NEW, "staff", "B" * 80, municipality="nyborg").display_name == "B" * 80
    )
