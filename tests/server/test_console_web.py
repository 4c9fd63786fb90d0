"""The staff console as a real server process: login, roles, CSRF, the
callback workflow, journal, export, security headers and database errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3

import pytest
import requests

from bot.callbacks.casework import Casework
from bot.console.accounts import Accounts
from bot.ops.http import free_port
from tests.conftest import run_async
from tests.server.console_server import ConsoleServer, hidden, login

PASSWORD = "korrekt-hest-batteri"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var = tmp_path_factory.mktemp("console")
    data_db = var / "kommunebot.db"
    accounts = Accounts(data_db)
    for username, role in (("anna", "staff"), ("bo", "staff"), ("dan", "staff"), ("eva", "editor"), ("ali", "admin")):
        accounts.create_user(username, PASSWORD, role, display_name=username.title())
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
    slot = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=3)
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
        },
    )
    assert created.status_code == 201 and "Den vises kun denne ene gang" in created.text
    assert "Ny &lt;i&gt;Ansat&lt;/i&gt;" in created.text
    assert Accounts(console.data_db).get("nyansat").role == "staff"


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
    late = console.work.book(
        slot=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2),
        municipality="glostrup",
        capacity=5,
        name="Sen Borger",
        phone="+45 20 30 40 51",
        topic="affald",
        category=None,
    )
    page = anna.get(console.url + "/opringninger", params={"visning": "overdue", "kommune": "glostrup"})
    assert late.reference in page.text and "Overskredet" in page.text
    other = anna.get(console.url + "/opringninger", params={"emne": "pas"})
    assert late.reference not in other.text


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
    Accounts(data_db).create_user("anna", PASSWORD, "staff")
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
