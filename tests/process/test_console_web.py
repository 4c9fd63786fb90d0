"""The staff console as a real server process: login, roles, CSRF, the
callback workflow, journal, export, security headers and database errors;
municipality scoping, cookies and HSTS outside demo mode, the own password
change, TOTP for admins and throttling behind a reverse proxy."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import sqlite3
import time
from zoneinfo import ZoneInfo

import pyotp
import pytest
import requests

from bot.callbacks.casework import Casework
from bot.console.accounts import Accounts
from bot.ops.http import free_port
from tests.conftest import run_async
from tests.support.console_server import ConsoleServer, hidden, login

PASSWORD = "korrekt-hest-batteri"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var = tmp_path_factory.mktemp("console")
    data_db = var / "kommunebot.db"
    accounts = Accounts(data_db)
    for username, role, municipality in (
        ("anna", "staff", "nyborg"),
        ("bo", "staff", "nyborg"),
        ("dan", "staff", "nyborg"),
        ("eva", "editor", "nyborg"),
        ("ali", "admin", None),  # all municipalities
        ("gina", "staff", "glostrup"),
    ):
        accounts.create_user(username, PASSWORD, role, display_name=username.title(), municipality=municipality)
    tracker = var / "tracker.db"
    _write_transcript(tracker)
    server = ConsoleServer(free_port(), data_db, f"sqlite:///{tracker}", var / "console.log")
    server.data_db = data_db
    server.work = Casework(data_db)
    yield server
    server.stop()


def _write_transcript(path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("conv-xss", slots=[])
    tracker.update(UserUttered("<script>alert('xss')</script> jeg har brug for hjælp"))
    tracker.update(BotUttered("Det kan vi ikke tage i chatten."))
    run_async(SQLTrackerStore(dialect="sqlite", db=str(path)).save(tracker))


_SLOTS = itertools.count()


def _book(console, **kw):
    values = dict(
        municipality="nyborg",
        capacity=5,
        name="Karen <b>Jensen</b>",
        phone="+45 20 30 40 50",
        topic="pas",
        category="health",
        conversation_id="conv-xss",
    )
    values.update(kw)
    # A slot of its own: a second booking from one conversation for the same slot is the first one again.
    slot = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=3, minutes=next(_SLOTS))
    return console.work.book(slot=slot, **values)


@pytest.fixture(scope="module")
def anna(console):
    client, response = login(console.url, "anna", PASSWORD)
    assert response.status_code == 200 and "Opringninger" in response.text
    return client


def test_every_page_but_login_requires_a_session(console):
    for path in ("/opringninger", "/overblik", "/brugere", "/opringninger/eksport.csv"):
        response = requests.get(console.url + path, allow_redirects=False)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    response = requests.post(console.url + "/opringninger/CB-2026-000001/status", data={"status": "cancelled"})
    assert response.status_code == 403


def test_security_headers_and_cookie_flags(console):
    response = requests.get(console.url + "/login")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    _, logged_in = login(console.url, "bo", PASSWORD)
    cookie = logged_in.history[0].headers["Set-Cookie"]
    assert "kb_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # only when configured for HTTPS


def test_login_without_the_form_token_is_refused(console):
    response = requests.post(console.url + "/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 403
    assert "Formularen er udløbet" in response.text


def test_wrong_password_then_growing_delay(console):
    client, first = login(console.url, "dan", "forkert-adgangskode")
    assert first.status_code == 401 and "Brugernavn eller adgangskode er forkert." in first.text
    _, second = login(console.url, "dan", PASSWORD)  # even the right password must wait now
    assert second.status_code == 429 and "Vent" in second.text
    _, unknown = login(console.url, "ingen-sadan", "forkert-adgangskode")
    assert unknown.status_code == 401 and "Brugernavn eller adgangskode er forkert." in unknown.text


def test_forms_without_csrf_token_are_refused(console, anna):
    cb = _book(console)
    response = anna.post(
        f"{console.url}/opringninger/{cb.reference}/status", data={"status": "cancelled", "version": cb.version}
    )
    assert response.status_code == 403
    assert console.work.get(cb.reference).status == "booked"


def test_editor_sees_the_dashboard_but_never_callbacks(console):
    cb = _book(console)
    editor, _ = login(console.url, "eva", PASSWORD)
    assert editor.get(console.url + "/overblik").status_code == 200
    for path in ("/opringninger", f"/opringninger/{cb.reference}", "/opringninger/eksport.csv", "/brugere"):
        response = editor.get(console.url + path)
        assert response.status_code == 403, path
        assert "Karen" not in response.text and "20 30 40 50" not in response.text


def test_only_admins_manage_users(console, anna):
    assert anna.get(console.url + "/brugere").status_code == 403
    admin, _ = login(console.url, "ali", PASSWORD)
    page = admin.get(console.url + "/brugere")
    created = admin.post(
        console.url + "/brugere",
        data={
            "csrf": hidden(page.text, "csrf"),
            "username": "nyansat",
            "display_name": "Ny <i>Ansat</i>",
            "role": "staff",
            "municipality": "nyborg",
        },
    )
    assert created.status_code == 201 and "Den vises kun denne ene gang" in created.text
    assert "Ny &lt;i&gt;Ansat&lt;/i&gt;" in created.text
    assert Accounts(console.data_db).get("nyansat").municipality == "nyborg"
    no_municipality = admin.post(
        console.url + "/brugere",
        data={"csrf": hidden(page.text, "csrf"), "username": "uden-kommune", "role": "staff"},
    )
    assert no_municipality.status_code == 422 and "Vælg brugerens kommune" in no_municipality.text
    assert Accounts(console.data_db).get("uden-kommune") is None


def test_work_a_callback_end_to_end(console, anna):
    cb = _book(console)
    page = anna.get(f"{console.url}/opringninger/{cb.reference}")
    assert page.status_code == 200
    # Citizen-supplied text renders as text, never as markup.
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page.text
    assert "<script>" not in page.text and "<b>Jensen</b>" not in page.text
    csrf = hidden(page.text, "csrf")

    taken = anna.post(f"{console.url}/opringninger/{cb.reference}/tag", data={"csrf": csrf, "version": cb.version})
    assert "Du har taget opringningen" in taken.text
    version = console.work.get(cb.reference).version
    missing_note = anna.post(
        f"{console.url}/opringninger/{cb.reference}/status",
        data={"csrf": csrf, "version": version, "status": "completed", "note": ""},
    )
    assert missing_note.status_code == 422 and "Notatet er påkrævet" in missing_note.text
    done = anna.post(
        f"{console.url}/opringninger/{cb.reference}/status",
        data={"csrf": csrf, "version": version, "status": "completed", "note": "Pas forklaret."},
    )
    assert done.status_code == 200 and "Status er gemt." in done.text
    assert console.work.get(cb.reference).status == "completed"
    journal = [(e["action"], e["actor"]) for e in console.work.events(cb.reference)]
    assert journal == [
        ("booked", "citizen"),
        ("viewed", "anna"),
        ("assigned", "anna"),
        ("status_changed", "anna"),
        ("viewed", "anna"),
        ("status_changed", "anna"),
        ("note", "anna"),
        ("viewed", "anna"),
    ]
    assert "Pas forklaret." in done.text


def test_two_caseworkers_never_lose_an_update(console, anna):
    cb = _book(console)
    bo, _ = login(console.url, "bo", PASSWORD)
    page_anna = anna.get(f"{console.url}/opringninger/{cb.reference}")
    page_bo = bo.get(f"{console.url}/opringninger/{cb.reference}")
    version = hidden(page_anna.text, "version")
    assert version == hidden(page_bo.text, "version")
    first = anna.post(
        f"{console.url}/opringninger/{cb.reference}/tag",
        data={"csrf": hidden(page_anna.text, "csrf"), "version": version},
    )
    assert first.status_code == 200
    second = bo.post(
        f"{console.url}/opringninger/{cb.reference}/status",
        data={
            "csrf": hidden(page_bo.text, "csrf"),
            "version": version,
            "status": "cancelled",
            "note": "Borgeren aflyste",
        },
    )
    assert second.status_code == 409
    assert "En anden har ændret opringningen" in second.text
    assert "Borgeren aflyste" in second.text  # the note the caseworker typed is kept in the form
    current = console.work.get(cb.reference)
    assert (current.status, current.assigned_to) == ("in_progress", "anna")


def test_queue_filters_and_overdue_marking(console, anna):
    admin, _ = login(console.url, "ali", PASSWORD)  # of all municipalities, so the filter matters
    late = console.work.book(
        slot=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2),
        municipality="glostrup",
        capacity=5,
        name="Sen Borger",
        phone="+45 20 30 40 51",
        topic="affald",
        category=None,
    )
    page = admin.get(console.url + "/opringninger", params={"visning": "overdue", "kommune": "glostrup"})
    assert late.reference in page.text and "Overskredet" in page.text
    other = admin.get(console.url + "/opringninger", params={"emne": "pas"})
    assert late.reference not in other.text


def test_caseworkers_see_how_many_bookings_came_from_the_same_address(console, anna):
    """Issue 22: a script booked with many sender ids from one address. The
    count is shown in words in the queue and on each callback, with the
    others linked; the address pseudonym never reaches the page."""
    pseudonym = "a1b2c3d4e5f60718"
    same = [_book(console, client=pseudonym, conversation_id=f"script-{n}", topic="sygemelding") for n in range(3)]
    elsewhere = _book(console, municipality="glostrup", client=pseudonym, conversation_id="script-g")
    alone = _book(console, client="0000000000000001", conversation_id="alone", topic="sygemelding")
    unknown = _book(console, conversation_id="no-client", topic="sygemelding")
    page = anna.get(console.url + "/opringninger", params={"emne": "sygemelding"}).text
    rows = {ref: row for row in re.findall(r"<tr.*?</tr>", page, re.S) for ref in re.findall(r"CB-\d{4}-\d{6}", row)}
    for cb in same:
        assert "3 bestillinger fra samme adresse" in rows[cb.reference]
    assert "samme adresse" not in rows[alone.reference] and "samme adresse" not in rows[unknown.reference]
    assert elsewhere.reference not in page and pseudonym not in page
    detail = anna.get(console.url + f"/opringninger/{same[1].reference}").text
    facts = detail[detail.index('id="samme-adresse"') :].split("</dd>")[0]
    assert "3 bestillinger fra samme adresse" in facts and f"{same[1].reference} (denne)" in facts
    assert all(f'href="/opringninger/{cb.reference}"' in facts for cb in (same[0], same[2]))
    assert elsewhere.reference not in detail and pseudonym not in detail
    assert "Ingen andre aktive bestillinger" in anna.get(console.url + f"/opringninger/{alone.reference}").text
    assert "Ikke kendt" in anna.get(console.url + f"/opringninger/{unknown.reference}").text
    # Cancelled, one no longer counts for the others.
    console.work.cancel(same[0].reference, actor="anna")
    page = anna.get(console.url + "/opringninger", params={"emne": "sygemelding"}).text
    assert "2 bestillinger fra samme adresse" in page and "3 bestillinger" not in page


def test_export_is_csv_and_journaled(console, anna):
    cb = _book(console, name="=cmd|' /C calc'!A0")
    response = anna.get(console.url + "/opringninger/eksport.csv", params={"visning": "all", "emne": "pas"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    exported = {row[0]: row for row in rows[1:]}
    assert exported[cb.reference][6] == "'=cmd|' /C calc'!A0"
    event = [e for e in console.work.events() if e["action"] == "exported"][-1]
    assert event["actor"] == "anna" and cb.reference in event["details"]["references"]
    assert event["details"]["filter"] == {"view": "all", "topic": "pas"}


def test_dashboard_shows_figures_and_svg(console, anna):
    from bot.records.outcomes import OutcomeLog

    log = OutcomeLog(console.data_db)
    for outcome in ("selfservice", "selfservice", "booking", "callback"):
        log.record("nyborg", outcome, topic="pas")
    log.close()
    page = anna.get(console.url + "/overblik")
    assert page.status_code == 200
    assert '<span class="figure" id="total">4</span>' in page.text
    assert "<svg" in page.text and 'role="img"' in page.text
    assert "111 kr." in page.text  # 3 digital answers × (40 − 3) kr
    bad = anna.get(console.url + "/overblik", params={"fra": "i går"})
    assert bad.status_code == 422 and "ÅÅÅÅ-MM-DD" in bad.text


def test_dashboard_staff_see_their_municipality_and_an_admin_each_and_the_total(console, anna):
    from bot.records.outcomes import OutcomeLog

    log = OutcomeLog(console.data_db)
    for municipality, outcome in (("glostrup", "selfservice"), ("glostrup", "fallback"), ("nyborg", "booking")):
        log.record(municipality, outcome, topic="pas")
    log.close()
    admin, _ = login(console.url, "ali", PASSWORD)
    every = admin.get(console.url + "/overblik").text
    total = int(every.split('id="total">')[1].split("<")[0].replace(".", ""))
    table = every.split('id="kommune-h"')[1].split("</table>")[0]
    assert "glostrup" in table.lower() and "nyborg" in table.lower() and f"<td>I alt</td><td>{total} (" in table
    # Anna works for Nyborg: asking for Glostrup still shows Nyborg's figures only, and no other municipality.
    own = anna.get(console.url + "/overblik", params={"kommune": "glostrup"}).text
    assert 'id="kommune-h"' not in own and 'value="glostrup"' not in own and 'value=""' not in own
    mine = admin.get(console.url + "/overblik", params={"kommune": "nyborg"}).text
    assert own.split('id="total">')[1].split("<")[0] == mine.split('id="total">')[1].split("<")[0]


def test_a_locked_database_gives_a_clear_page(console, anna):
    cb = _book(console)
    csrf = hidden(anna.get(f"{console.url}/opringninger/{cb.reference}").text, "csrf")
    blocker = sqlite3.connect(console.data_db, timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = anna.post(
            f"{console.url}/opringninger/{cb.reference}/notat",
            data={"csrf": csrf, "note": "Prøver at gemme"},
            timeout=60,
        )
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503
    assert "Databasen er optaget" in response.text and "Traceback" not in response.text
    assert not [e for e in console.work.events(cb.reference) if e["action"] == "note"]


def test_a_missing_database_gives_a_clear_page(tmp_path):
    data_db = tmp_path / "kommunebot.db"
    Accounts(data_db).create_user("anna", PASSWORD, "staff", municipality="nyborg")
    server = ConsoleServer(free_port(), data_db, f"sqlite:///{tmp_path / 'tracker.db'}", tmp_path / "console.log")
    try:
        client, _ = login(server.url, "anna", PASSWORD)
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / f"kommunebot.db{suffix}").unlink(missing_ok=True)
        response = client.get(server.url + "/opringninger")
        assert response.status_code == 503
        assert "Konsollen kan ikke få forbindelse til databasen" in response.text
        assert "Traceback" not in response.text
    finally:
        server.stop()


def test_malformed_and_unknown_requests_get_danish_pages(console, anna):
    cb = _book(console)
    csrf = hidden(anna.get(f"{console.url}/opringninger/{cb.reference}").text, "csrf")
    bad = anna.post(
        f"{console.url}/opringninger/{cb.reference}/status",
        data={"csrf": csrf, "version": "abc", "status": "cancelled"},
    )
    assert bad.status_code == 400 and "Forespørgslen kunne ikke læses" in bad.text
    missing = anna.get(f"{console.url}/opringninger/CB-1999-999999")
    assert missing.status_code == 404 and "findes ikke" in missing.text
    assert anna.get(f"{console.url}/ingen/side").status_code == 404
    assert console.work.get(cb.reference).status == "booked"


# --- municipality scoping --------------------------------------------------


def test_staff_never_see_another_municipalitys_callbacks(console, anna):
    theirs = _book(console, municipality="glostrup", name="Glostrup Borger", phone="+45 20 30 40 52")
    ours = _book(console)
    page = anna.get(f"{console.url}/opringninger/{ours.reference}")
    csrf, version = hidden(page.text, "csrf"), theirs.version
    # The callback page (with the transcript) and every action: the Danish 404 of a callback that does not exist.
    response = anna.get(f"{console.url}/opringninger/{theirs.reference}")
    assert response.status_code == 404 and "findes ikke" in response.text
    assert "Glostrup Borger" not in response.text and "<script" not in response.text
    for action, data in (
        ("tag", {}),
        ("tildel", {"assignee": "anna"}),
        ("status", {"status": "cancelled", "note": "x"}),
        ("notat", {"note": "Kigger lige"}),
    ):
        response = anna.post(
            f"{console.url}/opringninger/{theirs.reference}/{action}", data={"csrf": csrf, "version": version, **data}
        )
        assert response.status_code == 404 and "findes ikke" in response.text, action
    current = console.work.get(theirs.reference)
    assert (current.status, current.assigned_to, current.version) == ("booked", None, theirs.version)
    assert [e["action"] for e in console.work.events(theirs.reference)] == ["booked"]
    # Absent from every list, filter and export of anna's, also when she asks for glostrup.
    for params in ({"visning": "all"}, {"visning": "all", "kommune": "glostrup"}):
        listed = anna.get(console.url + "/opringninger", params=params).text
        assert theirs.reference not in listed and "Glostrup Borger" not in listed
        exported = anna.get(console.url + "/opringninger/eksport.csv", params=params).content.decode("utf-8-sig")
        assert theirs.reference not in exported and "Glostrup Borger" not in exported
    assert ours.reference in anna.get(console.url + "/opringninger", params={"visning": "all"}).text
    event = [e for e in console.work.events() if e["action"] == "exported"][-1]
    assert event["details"]["scope"] == "nyborg" and theirs.reference not in event["details"]["references"]
    # glostrup's caseworker works it; nyborg's cannot be assigned to it.
    gina, _ = login(console.url, "gina", PASSWORD)
    page = gina.get(f"{console.url}/opringninger/{theirs.reference}")
    assert page.status_code == 200 and "Glostrup Borger" in page.text
    assert 'value="anna"' not in page.text and 'value="gina"' in page.text
    refused_assignee = gina.post(
        f"{console.url}/opringninger/{theirs.reference}/tildel",
        data={"csrf": hidden(page.text, "csrf"), "version": theirs.version, "assignee": "anna"},
    )
    assert refused_assignee.status_code == 422 and "i opringningens kommune" in refused_assignee.text
    assert gina.get(f"{console.url}/opringninger/{ours.reference}").status_code == 404
    # The admin of all municipalities sees both.
    admin, _ = login(console.url, "ali", PASSWORD)
    listed = admin.get(console.url + "/opringninger", params={"visning": "all"}).text
    assert theirs.reference in listed and ours.reference in listed


def test_a_user_without_a_municipality_sees_nothing_until_an_admin_sets_one(console):
    Accounts(console.data_db).create_user("ole", PASSWORD, "staff", municipality="nyborg")
    with sqlite3.connect(console.data_db) as conn:  # as the migration leaves accounts from before
        conn.execute("UPDATE users SET municipality = NULL WHERE username = 'ole'")
    cb = _book(console)
    ole, _ = login(console.url, "ole", PASSWORD)
    page = ole.get(console.url + "/opringninger", params={"visning": "all"})
    assert page.status_code == 200 and "ikke knyttet til en kommune" in page.text and cb.reference not in page.text
    assert ole.get(f"{console.url}/opringninger/{cb.reference}").status_code == 404
    admin, _ = login(console.url, "ali", PASSWORD)
    users = admin.get(console.url + "/brugere")
    assert "Ingen – ser ingen opringninger" in users.text
    done = admin.post(
        console.url + "/brugere/ole/kommune", data={"csrf": hidden(users.text, "csrf"), "municipality": "nyborg"}
    )
    assert "Brugerens kommune er gemt." in done.text
    assert cb.reference in ole.get(console.url + "/opringninger", params={"visning": "all"}).text
    changed = [e for e in console.work.events() if e["action"] == "municipality_changed"][-1]
    assert changed["actor"] == "ali" and changed["details"] == {
        "user": "ole",
        "municipality": "nyborg",
        "previous": None,
    }


# --- a disabled user, cookies and HSTS ------------------------------------


def test_a_disabled_user_with_the_right_password_looks_like_a_wrong_password(console):
    Accounts(console.data_db).create_user("hans", PASSWORD, "staff", municipality="nyborg")
    Accounts(console.data_db).create_user("ines", PASSWORD, "staff", municipality="nyborg")
    Accounts(console.data_db).disable("hans", actor="ali")
    _, disabled = login(console.url, "hans", PASSWORD)
    _, wrong = login(console.url, "ines", "forkert-adgangskode")
    assert disabled.status_code == wrong.status_code == 401
    body = lambda r: r.text.replace(hidden(r.text, "login_token"), "").replace("hans", "X").replace("ines", "X")  # noqa: E731
    assert body(disabled) == body(wrong)
    assert "deaktiveret" not in disabled.text
    refusal = [e for e in console.work.events() if e["action"] == "login_refused" and e["actor"] == "hans"][-1]
    assert refusal["details"]["reason"] == "disabled"  # the journal knows; the page does not say


@pytest.fixture(scope="module")
def production(console, tmp_path_factory):
    """The same database served as in production: not demo mode, and the
    local address as a trusted reverse proxy."""
    var = tmp_path_factory.mktemp("production")
    server = ConsoleServer(
        free_port(),
        console.data_db,
        f"sqlite:///{var / 'tracker.db'}",
        var / "console.log",
        demo=False,
        env={"KOMMUNEBOT_TRUSTED_PROXIES": "127.0.0.1"},
    )
    yield server
    server.stop()


def test_outside_demo_mode_cookies_are_host_prefixed_and_every_answer_has_hsts(console, production):
    form = requests.get(production.url + "/login")
    login_cookie = form.headers["Set-Cookie"]
    assert login_cookie.startswith("__Host-kb_login=") and "Secure" in login_cookie and "Path=/" in login_cookie
    assert "Domain" not in login_cookie
    session, logged_in = login(production.url, "bo", PASSWORD)
    cookie = logged_in.history[0].headers["Set-Cookie"]
    assert cookie.startswith("__Host-kb_session=") and "Secure" in cookie and "Path=/" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Domain" not in cookie
    assert logged_in.status_code == 200 and "Opringninger" in logged_in.text
    for path in ("/login", "/health", "/static/console.css", "/ingen/side", "/opringninger"):
        response = session.get(production.url + path)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000"), path
    # The plain cookie name of demo mode means nothing here.
    token = session.cookies.get("__Host-kb_session")
    plain = requests.get(production.url + "/opringninger", cookies={"kb_session": token}, allow_redirects=False)
    assert plain.status_code == 302
    # Demo mode keeps today's plain-http behaviour.
    assert "Strict-Transport-Security" not in requests.get(console.url + "/login").headers


def test_throttling_is_per_address_and_name_behind_a_trusted_proxy(console, production):
    Accounts(console.data_db).create_user("ulla", PASSWORD, "staff", municipality="nyborg")
    _, guess = login(production.url, "ulla", "forkert-adgangskode", forwarded_for="203.0.113.66")
    assert guess.status_code == 401
    _, again = login(production.url, "ulla", PASSWORD, forwarded_for="203.0.113.66")
    assert again.status_code == 429  # the guesser's own address waits ...
    _, owner = login(production.url, "ulla", PASSWORD, forwarded_for="198.51.100.5, 203.0.113.7")
    assert owner.status_code == 200  # ... ulla from her own address does not
    # Without a trusted proxy (demo console) X-Forwarded-For is the client's claim and is ignored.
    Accounts(console.data_db).create_user("vera", PASSWORD, "staff", municipality="nyborg")
    login(console.url, "vera", "forkert-adgangskode", forwarded_for="203.0.113.66")
    _, spoofed = login(console.url, "vera", PASSWORD, forwarded_for="198.51.100.5")
    assert spoofed.status_code == 429


# --- own password change and TOTP -----------------------------------------


def test_a_user_changes_their_own_password(console):
    Accounts(console.data_db).create_user("fia", PASSWORD, "staff", municipality="nyborg")
    other, _ = login(console.url, "fia", PASSWORD)
    fia, _ = login(console.url, "fia", PASSWORD)
    page = fia.get(console.url + "/konto")
    assert page.status_code == 200 and "Skift adgangskode" in page.text and "Totrinsbekræftelse" not in page.text
    form = {"current_password": PASSWORD, "new_password": "et-helt-nyt-kodeord-i-dag"}
    form["repeat_password"] = form["new_password"]
    assert fia.post(console.url + "/konto/adgangskode", data=form).status_code == 403  # no CSRF token
    csrf = hidden(page.text, "csrf")
    wrong = fia.post(
        console.url + "/konto/adgangskode", data={**form, "csrf": csrf, "current_password": "forkert-igen"}
    )
    assert wrong.status_code == 422 and "nuværende adgangskode er forkert" in wrong.text
    time.sleep(1.1)  # the delay after the wrong current password
    common = {
        "csrf": csrf,
        "current_password": PASSWORD,
        "new_password": "password1234",
        "repeat_password": "password1234",
    }
    weak = fia.post(console.url + "/konto/adgangskode", data=common)
    assert weak.status_code == 422 and "lækkede" in weak.text
    done = fia.post(console.url + "/konto/adgangskode", data={**form, "csrf": csrf})
    assert done.status_code == 200 and "Din adgangskode er skiftet" in done.text
    assert fia.get(console.url + "/opringninger").status_code == 200  # this session goes on ...
    assert other.get(console.url + "/opringninger", allow_redirects=False).status_code == 302  # ... the other ended
    assert login(console.url, "fia", form["new_password"])[1].status_code == 200
    assert [e["actor"] for e in console.work.events() if e["action"] == "password_changed"] == ["fia"]


def test_an_admin_enrols_totp_and_then_needs_a_code(console):
    Accounts(console.data_db).create_user("tove", PASSWORD, "admin")
    tove, _ = login(console.url, "tove", PASSWORD)
    page = tove.get(console.url + "/konto")
    assert "uden-totrin" not in page.text and "Start opsætning" in page.text
    assert "uden-totrin" in tove.get(console.url + "/opringninger").text  # the nudge on every other page
    csrf = hidden(page.text, "csrf")
    started = tove.post(console.url + "/konto/totrin", data={"csrf": csrf, "password": PASSWORD})
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', started.text).group(1).replace(" ", "")
    assert f"secret={secret}" in started.text and "otpauth://totp/Kommunebot:tove" in started.text
    assert secret not in tove.get(console.url + "/konto").text  # shown once
    app = pyotp.TOTP(secret)
    enrolment_code = app.now()
    confirmed = tove.post(console.url + "/konto/totrin/bekraeft", data={"csrf": csrf, "code": enrolment_code})
    assert "Totrinsbekræftelse er slået til" in confirmed.text

    # The password alone now gives only the code page.
    half, after_password = login(console.url, "tove", PASSWORD)
    assert after_password.url.endswith("/login/kode") and "Kode" in after_password.text
    assert half.get(console.url + "/brugere", allow_redirects=False).status_code == 302
    code_csrf = hidden(after_password.text, "csrf")
    reused = half.post(console.url + "/login/kode", data={"csrf": code_csrf, "code": enrolment_code})
    assert reused.status_code == 401 and "allerede brugt" in reused.text  # the step the enrolment used
    time.sleep(1.1)  # the delay after a wrong code
    next_code = app.at(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30))
    signed_in = half.post(console.url + "/login/kode", data={"csrf": code_csrf, "code": next_code})
    assert signed_in.status_code == 200 and half.get(console.url + "/brugere").status_code == 200
    journal = [(e["action"], e["details"].get("reason")) for e in console.work.events() if e["actor"] == "tove"]
    assert journal == [
        ("login", None),
        ("mfa_enrolment_started", None),
        ("mfa_enrolled", None),
        ("login_refused", "bad_code"),
        ("login", None),
    ]


def test_the_queue_filters_by_date_and_sorts_and_the_export_journals_the_dates(console, anna):
    cb = _book(console, name="Dato Filter")
    day = cb.slot.astimezone(ZoneInfo("Europe/Copenhagen")).date()
    shown = lambda **params: cb.reference in anna.get(console.url + "/opringninger", params=params).text  # noqa: E731
    assert shown(visning="all", fra=day.isoformat(), til=day.isoformat(), sorter="name")
    assert not shown(visning="all", fra=(day + dt.timedelta(days=1)).isoformat())
    assert shown(visning="all", fra="not-a-date", sorter="<script>")  # bad input is no limit, never an error
    response = anna.get(console.url + "/opringninger/eksport.csv", params={"visning": "all", "fra": day.isoformat()})
    assert response.status_code == 200
    event = [e for e in console.work.events() if e["action"] == "exported"][-1]
    assert event["details"]["filter"]["date_from"] == day.isoformat()


def test_the_journal_says_the_citizen_cancelled_and_how(console, anna):
    """Issue 27: a cancellation with reference and digits reads "Aflyst af
    borgeren" with where it happened; wrong digits and the lock are named."""
    from bot.callbacks.store import CancelRefused
    from bot.privacy.cancel_digits import cancel_key

    work = Casework(console.data_db, cancel_key=cancel_key("console test", None))
    original = console.work
    console.work = work
    try:
        booked = _book(console, conversation_id="cancel-anywhere", phone="+45 20 30 40 59")
    finally:
        console.work = original
    with pytest.raises(CancelRefused):
        work.cancel_with_digits(booked.reference, "1111", via="page")
    work.cancel_with_digits(booked.reference, "4059", via="page")
    detail = anna.get(console.url + f"/opringninger/{booked.reference}").text
    journal = detail[detail.index('id="journal"') :]
    assert "Aflysning afvist: forkerte cifre" in journal
    assert "Aflyst af borgeren" in journal and "På siden /aflys" in journal


def test_the_reason_for_the_callback_is_shown_in_danish(console, anna):
    """Issue 27: why the chat offered the callback travels with it."""
    cb = _book(console, reason="case", conversation_id="conv-reason")
    page = anna.get(f"{console.url}/opringninger/{cb.reference}")
    assert page.status_code == 200
    assert '<dd id="grund">Egen sag eller afgørelse</dd>' in page.text
    queue = anna.get(console.url + "/opringninger")
    assert '<span class="reason">Egen sag eller afgørelse</span>' in queue.text
    older = _book(console, conversation_id="conv-no-reason")
    assert '<dd id="grund">Ikke oplyst</dd>' in anna.get(f"{console.url}/opringninger/{older.reference}").text


def test_the_dashboard_lists_answers_due_for_review(console, anna):
    page = anna.get(console.url + "/overblik")
    assert page.status_code == 200
    assert '<h2 id="gennemgang-h">Svar, der skal gennemgås</h2>' in page.text
    assert "mere end 180 dage siden" in page.text
