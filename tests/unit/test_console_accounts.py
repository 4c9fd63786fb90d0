"""Staff-console accounts: argon2id hashes, password rules, growing delay,
lockout, per-address limits, sessions, CSRF, the journal and the CLI."""

from __future__ import annotations

import datetime as dt
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from bot.callbacks.store import CallbackStore
from bot.cli import main as cli
from bot.console.accounts import AccountError, Accounts, LockoutPolicy, LoginRefused
from bot.console.sessions import Sessions

PASSWORD = "korrekt-hest-batteri"


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += dt.timedelta(**kw)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def db(tmp_path):
    return tmp_path / "kommunebot.db"


@pytest.fixture
def accounts(db, clock):
    accounts = Accounts(db, clock=clock)
    accounts.create_user("anna", PASSWORD, "staff", "Anna Andersen", municipality="nyborg")
    return accounts


class CountingHasher(PasswordHasher):
    """Remembers which hashes were verified (PasswordHasher has slots, so no monkeypatching)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.verified = []

    def verify(self, hash, password):
        self.verified.append(hash)
        return super().verify(hash, password)


def refused(accounts, username, password, ip="10.0.0.1") -> LoginRefused:
    with pytest.raises(LoginRefused) as err:
        accounts.authenticate(username, password, ip)
    return err.value


def test_passwords_are_argon2id_and_never_stored_in_plain(accounts, db):
    (stored,) = sqlite3.connect(db).execute("SELECT password_hash FROM users WHERE username = 'anna'").fetchone()
    assert stored.startswith("$argon2id$")
    assert PASSWORD.encode() not in db.read_bytes()
    assert accounts.authenticate("Anna", PASSWORD, "10.0.0.1").display_name == "Anna Andersen"


@pytest.mark.parametrize(
    "username,password,role,municipality,field",
    [
        ("bo", "kort", "staff", "nyborg", "password"),
        ("bo", "x" * 257, "staff", "nyborg", "password"),
        ("bo", "mit-navn-er-bo-ikke-sandt", "staff", "nyborg", "password"),
        ("bo", "password1234", "staff", "nyborg", "password"),  # common
        ("b", PASSWORD, "staff", "nyborg", "username"),
        ("bo med mellemrum", PASSWORD, "staff", "nyborg", "username"),
        ("bo", PASSWORD, "chef", "nyborg", "role"),
        ("anna", PASSWORD, "staff", "nyborg", "username"),  # already exists
        ("bo", PASSWORD, "staff", None, "municipality"),  # staff belong to one
        ("bo", PASSWORD, "editor", "all", "municipality"),  # only admins to all
        ("bo", PASSWORD, "staff", "Ny Borg!", "municipality"),
    ],
)
def test_invalid_accounts_name_the_field(accounts, username, password, role, municipality, field):
    with pytest.raises(AccountError) as err:
        accounts.create_user(username, password, role, municipality=municipality)
    assert err.value.field == field and str(err.value).startswith(f"{field}: ")


def test_wrong_password_and_unknown_user_look_the_same(accounts):
    accounts.hasher = CountingHasher()
    assert refused(accounts, "anna", "forkert-forkert").reason == "bad_credentials"
    assert refused(accounts, "ukendt", "forkert-forkert", ip="10.0.0.2").reason == "bad_credentials"
    # The unknown name was checked too, against the dummy hash, so it takes as long.
    assert len(accounts.hasher.verified) == 2 and accounts.hasher.verified[1] == accounts._dummy_hash
    assert refused(accounts, "ukendt", "forkert-forkert", ip="10.0.0.2").reason == "wait"
    assert len(accounts.hasher.verified) == 2  # a refused early attempt is not checked


def test_outdated_hash_is_replaced_at_login(db):
    accounts = Accounts(db)
    accounts.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    accounts.create_user("anna", PASSWORD, "staff", municipality="nyborg")
    query = "SELECT password_hash FROM users WHERE username = 'anna'"
    (before,) = sqlite3.connect(db).execute(query).fetchone()
    accounts.hasher = PasswordHasher()
    assert accounts.hasher.check_needs_rehash(before)
    accounts.authenticate("anna", PASSWORD, "10.0.0.1")
    (after,) = sqlite3.connect(db).execute(query).fetchone()
    assert after.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and not accounts.hasher.check_needs_rehash(after)
    assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").username == "anna"


def test_delay_grows_after_each_failure(accounts, clock):
    assert refused(accounts, "anna", "forkert-1").reason == "bad_credentials"
    early = refused(accounts, "anna", PASSWORD)  # even the right password waits
    assert (early.reason, early.retry_after) == ("wait", 1)
    clock.advance(seconds=1)
    assert refused(accounts, "anna", "forkert-2").reason == "bad_credentials"
    assert refused(accounts, "anna", PASSWORD).retry_after == 2
    clock.advance(seconds=2)
    assert refused(accounts, "anna", "forkert-3").reason == "bad_credentials"
    assert refused(accounts, "anna", PASSWORD).retry_after == 4
    clock.advance(seconds=4)
    assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").username == "anna"
    assert refused(accounts, "anna", "forkert-4").reason == "bad_credentials"
    assert refused(accounts, "anna", PASSWORD).retry_after == 1  # success reset the count


def test_parallel_guesses_cannot_skip_the_delay(accounts):
    # The console checks passwords on a thread pool; with the clock standing
    # still, only the first of simultaneous guesses may be checked.
    def attempt(n):
        try:
            accounts.authenticate("anna", f"forkert-{n}", "10.0.2.1")
        except LoginRefused as refusal:
            return refusal.reason

    with ThreadPoolExecutor(8) as pool:
        reasons = sorted(pool.map(attempt, range(8)))
    assert reasons == ["bad_credentials"] + ["wait"] * 7


def test_lockout_after_ten_failures(accounts, clock):
    for n in range(10):
        assert refused(accounts, "anna", f"forkert-{n}", ip="10.0.1.9").reason == "bad_credentials"
        clock.advance(seconds=60)
    clock.advance(seconds=-60)
    locked = refused(accounts, "anna", PASSWORD, ip="10.0.1.9")
    assert locked.reason == "locked" and locked.retry_after == 15 * 60
    # Keyed on (address, user name): the guesser's address is locked, anna elsewhere is not.
    assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").username == "anna"
    clock.advance(minutes=15)
    assert accounts.authenticate("anna", PASSWORD, "10.0.1.9").username == "anna"


def test_password_reset_unlocks(accounts, clock):
    for n in range(10):
        refused(accounts, "anna", f"forkert-{n}")
        clock.advance(seconds=60)
    assert refused(accounts, "anna", PASSWORD).reason == "locked"
    accounts.set_password("anna", "et-helt-nyt-kodeord")
    assert accounts.authenticate("anna", "et-helt-nyt-kodeord", "10.0.0.1").username == "anna"


def test_many_failures_from_one_address_pause_it(db, clock):
    accounts = Accounts(db, clock=clock, policy=LockoutPolicy(ip_max=5))
    accounts.create_user("anna", PASSWORD, "staff", municipality="nyborg")
    for n in range(5):
        refused(accounts, f"gaet{n}", "forkert-forkert", ip="10.9.9.9")
    paused = refused(accounts, "anna", PASSWORD, ip="10.9.9.9")
    assert paused.reason == "wait" and paused.retry_after == 600
    assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").username == "anna"  # other addresses unaffected
    clock.advance(minutes=10, seconds=1)
    assert accounts.authenticate("anna", PASSWORD, "10.9.9.9").username == "anna"


def test_addresses_are_counted_exactly_and_successes_not_at_all(db, clock):
    accounts = Accounts(db, clock=clock, policy=LockoutPolicy(ip_max=2))
    accounts.create_user("anna", PASSWORD, "staff", municipality="nyborg")
    for n in range(2):
        refused(accounts, f"gaet{n}", "forkert-forkert", ip="2001:db8::1:5")
    assert refused(accounts, "anna", PASSWORD, ip="2001:db8::1:5").reason == "wait"
    # An address that merely begins like the blocked one is another address.
    for _ in range(3):
        assert accounts.authenticate("anna", PASSWORD, "2001:db8::1").username == "anna"
    refused(accounts, "gaet9", "forkert-forkert", ip="2001:db8::1")
    assert accounts.authenticate("anna", PASSWORD, "2001:db8::1").username == "anna"  # 1 failure < 2


def test_disabled_user_learns_nothing_from_the_right_password(accounts, db, clock):
    sessions = Sessions(db, clock=clock)
    anna = accounts.get("anna")
    session = sessions.create(anna.id)
    accounts.disable("anna", actor="ali")
    assert accounts.get("anna").disabled
    assert sessions.get(session.token) is None  # disabling ended the sessions, in the same transaction
    right = refused(accounts, "anna", PASSWORD)
    wrong = refused(accounts, "anna", "forkert-forkert", ip="10.0.0.3")
    assert (right.reason, right.retry_after) == (wrong.reason, wrong.retry_after) == ("bad_credentials", 0)
    assert (right.cause, wrong.cause) == ("disabled", "bad_credentials")  # only the journal is told
    # The right password was counted like a wrong one: the same delay follows.
    assert refused(accounts, "anna", PASSWORD).reason == refused(accounts, "anna", "x", ip="10.0.0.3").reason == "wait"
    accounts.enable("anna", actor="ali")
    assert not accounts.get("anna").disabled
    clock.advance(seconds=1)
    assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").username == "anna"


def test_demo_password_is_random_and_replaced_each_time(db):
    accounts = Accounts(db)
    first = accounts.ensure_demo_user("demo", municipality="nyborg")
    second = accounts.ensure_demo_user("demo", municipality="nyborg")
    assert len(first) >= 12 and first != second
    assert accounts.authenticate("demo", second, "10.0.0.1").role == "staff"
    assert accounts.get("demo").municipality == "nyborg"
    with pytest.raises(LoginRefused):
        accounts.authenticate("demo", first, "10.0.0.2")


def test_a_disabled_demo_user_stays_disabled(db):
    accounts = Accounts(db)
    password = accounts.ensure_demo_user("demo", municipality="nyborg")
    accounts.disable("demo", actor="ali")
    assert accounts.ensure_demo_user("demo", municipality="nyborg") is None
    assert accounts.get("demo").disabled
    assert refused(accounts, "demo", password).reason == "bad_credentials"


def test_user_management_is_journaled_without_passwords(accounts, db):
    accounts.set_password("anna", "endnu-et-kodeord", actor="ali")
    accounts.disable("anna", actor="ali")
    accounts.enable("anna", actor="ali")
    accounts.set_role("anna", "editor", actor="ali")
    events = CallbackStore(db).events()
    assert [(e["action"], e["actor"], e["details"]["user"]) for e in events] == [
        ("user_created", "cli", "anna"),
        ("password_reset", "ali", "anna"),
        ("user_disabled", "ali", "anna"),
        ("user_enabled", "ali", "anna"),
        ("role_changed", "ali", "anna"),
    ]
    assert events[-1]["details"] == {"user": "anna", "role": "editor"}
    assert not any("kodeord" in str(e) or "hest" in str(e) or "argon2" in str(e) for e in events)


def test_sessions_store_only_a_hash_and_expire(db, clock):
    sessions = Sessions(db, clock=clock)
    session = sessions.create(7)
    assert session.token.encode() not in db.read_bytes()
    assert sessions.get(session.token).user_id == 7
    clock.advance(minutes=29)
    assert sessions.get(session.token) is not None  # activity keeps it alive ...
    clock.advance(minutes=31)
    assert sessions.get(session.token) is None  # ... idleness ends it
    long = sessions.create(7)
    for _ in range(21):
        clock.advance(minutes=29)
        sessions.get(long.token)
    assert sessions.get(long.token) is None  # absolute limit of 10 hours
    assert sessions.get("made-up") is None and sessions.get(None) is None


def test_sessions_can_be_ended(db):
    sessions = Sessions(db)
    a, b = sessions.create(1), sessions.create(1)
    sessions.delete(a.token)
    assert sessions.get(a.token) is None and sessions.get(b.token) is not None
    sessions.delete_for_user(1)
    assert sessions.get(b.token) is None


def test_csrf_check(db):
    sessions = Sessions(db)
    session = sessions.get(sessions.create(1).token)
    assert Sessions.check_csrf(session, session.csrf_token)
    assert not Sessions.check_csrf(session, session.csrf_token[:-1] + "x")
    assert not Sessions.check_csrf(session, None) and not Sessions.check_csrf(None, "x")


def test_cli_manages_users(db):
    runner = CliRunner()
    base = ["users", "--db", str(db)]
    result = runner.invoke(
        cli,
        [*base, "create", "bo", "--role", "editor", "--municipality", "nyborg", "--name", "Bo B", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(cli, [*base, "list"]).output
    assert "bo" in listing and "editor" in listing and "$argon2" not in listing
    assert "nyborg" in listing
    accounts = Accounts(db)
    session = Sessions(db).create(accounts.get("bo").id)
    assert (
        runner.invoke(cli, [*base, "reset-password", "bo", "--password-stdin"], input="et-nyt-kodeord-her\n").exit_code
        == 0
    )
    assert Sessions(db).get(session.token) is None
    assert accounts.authenticate("bo", "et-nyt-kodeord-her", "10.0.0.1").username == "bo"
    session = Sessions(db).create(accounts.get("bo").id)
    assert runner.invoke(cli, [*base, "disable", "bo"]).exit_code == 0
    assert accounts.get("bo").disabled and Sessions(db).get(session.token) is None
    assert "disabled" in runner.invoke(cli, [*base, "list"]).output
    assert runner.invoke(cli, [*base, "enable", "bo"]).exit_code == 0
    assert not accounts.get("bo").disabled
    actors = {e["actor"] for e in CallbackStore(db).events()}
    assert len(actors) == 1 and actors.pop().startswith("cli:")


def test_cli_prompts_for_the_password_without_echo(db):
    result = CliRunner().invoke(
        cli, ["--db", str(db), "users", "create", "carl", "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and PASSWORD not in result.output
    assert Accounts(db).authenticate("carl", PASSWORD, "10.0.0.1").role == "admin"


def test_cli_reset_of_unknown_user_fails_before_asking_for_a_password(db):
    result = CliRunner().invoke(cli, ["users", "--db", str(db), "reset-password", "findes-ikke"])
    assert result.exit_code == 2 and "error: username:" in result.output
    assert "Password" not in result.output


def test_cli_unusable_database_is_an_error_not_a_traceback(tmp_path):
    (tmp_path / "a-file").write_text("")
    result = CliRunner().invoke(cli, ["users", "--db", str(tmp_path / "a-file" / "x.db"), "list"])
    assert result.exit_code == 2 and result.output.startswith("error: db: cannot open")


@pytest.mark.parametrize(
    "args,stdin,field",
    [
        (["create", "bo", "--role", "boss", "--password-stdin"], PASSWORD + "\n", "role"),
        (["create", "bo", "--role", "staff", "--municipality", "nyborg", "--password-stdin"], "kort\n", "password"),
        (
            ["create", "bo", "--role", "staff", "--municipality", "nyborg", "--password-stdin"],
            "password1234\n",
            "password",
        ),
        (["create", "bo", "--role", "staff", "--password-stdin"], PASSWORD + "\n", "municipality"),
        (
            ["create", "bo", "--role", "staff", "--municipality", "atlantis", "--password-stdin"],
            PASSWORD + "\n",
            "municipality",
        ),
        (["disable", "findes-ikke"], "", "username"),
    ],
)
def test_cli_errors_name_the_field(db, args, stdin, field):
    result = CliRunner().invoke(cli, ["users", "--db", str(db), *args], input=stdin)
    assert result.exit_code == 2
    assert f"error: {field}:" in result.output
    assert "Traceback" not in result.output


def test_make_run_demo_logins_are_fresh_each_start(db, capsys):
    from bot.ops.demo import demo_logins

    first, second = demo_logins(db, db.parent, "nyborg"), demo_logins(db, db.parent, "nyborg")
    assert first.path == second.path == db.parent / "demo-logins"
    assert first.path.stat().st_mode & 0o777 == 0o600  # the passwords are for this user only
    before = {u: p for u, _, p in first.logins}
    after = {u: p for u, _, p in second.logins}
    assert set(after) == {"demo", "demo-editor", "demo-admin"} and before["demo"] != after["demo"]
    text = second.path.read_text()
    assert after["demo"] in text and after["demo-admin"] in text and before["demo"] not in text
    accounts = Accounts(db)
    assert accounts.authenticate("demo-admin", after["demo-admin"], "10.0.0.1").municipality == "*"
    assert accounts.authenticate("demo", after["demo"], "10.0.0.1").municipality == "nyborg"
    editor = accounts.authenticate("demo-editor", after["demo-editor"], "10.0.0.1")
    assert (editor.role, editor.municipality) == ("editor", "nyborg")  # the inbox, no two-factor step
    assert f"demo-editor (editor, nyborg): demo-editor / {after['demo-editor']}" in text
    # An admin disabled the caseworker: the next start leaves it disabled.
    accounts.disable("demo", actor="ali")
    third = demo_logins(db, db.parent, "nyborg")
    assert third.disabled == ["demo"] and accounts.get("demo").disabled
    assert "demo (staff, nyborg): disabled by an admin" in third.path.read_text()
    assert capsys.readouterr().out == ""  # nothing printed: run.py prints only the file's place


def test_outside_demo_mode_old_demo_logins_are_removed_and_named(db):
    from bot.ops.demo import demo_logins, leftover_demo_users

    assert leftover_demo_users(db, db.parent) == [] and not db.exists()  # no database is made for the check
    logins = demo_logins(db, db.parent, "nyborg")
    Accounts(db).disable("demo-admin", actor="ali")
    assert leftover_demo_users(db, db.parent) == [
        "demo",
        "demo-editor",
    ]  # still enabled: the operator is told to disable it
    assert not logins.path.exists()  # the passwords are gone with the demo
