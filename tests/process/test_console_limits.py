"""Issue 22 against the real console process: an oversized body is refused
with 413 before it is read, a long or CPR-shaped user name typed at the
login never reaches the append-only journal, and the largest real form
still fits the body limit."""

from __future__ import annotations

import datetime as dt
import socket
import sqlite3
from urllib.parse import urlencode

import pytest

from bot.callbacks.casework import MAX_NOTE_CHARS, Casework
from bot.console.accounts import MAX_USERNAME, UNKNOWN_USER, Accounts
from bot.console.app import MAX_BODY_BYTES
from bot.ops.http import free_port
from tests.support.console_server import ConsoleServer, client, hidden, login

PASSWORD = "korrekt-hest-batteri"
CPR_NAMES = ("010203-1234", "0102 03 1234")


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var = tmp_path_factory.mktemp("limits")
    data_db = var / "kommunebot.db"
    Accounts(data_db).create_user("anna", PASSWORD, "staff", municipality="nyborg")
    server = ConsoleServer(free_port(), data_db, f"sqlite:///{var / 'tracker.db'}", var / "console.log")
    server.data_db, server.log = data_db, var / "console.log"
    yield server
    server.stop()


def _journal(console) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(console.data_db) as conn:
        return conn.execute("SELECT action, actor, details, reference FROM events ORDER BY id").fetchall()


def _post_login(console, username: str):
    session = client()
    form = session.get(f"{console.url}/login")
    return session.post(
        f"{console.url}/login",
        data={"username": username, "password": "forkert-adgangskode", "login_token": hidden(form.text, "login_token")},
    )


def test_an_oversized_body_is_refused_before_it_is_read(console):
    before = _journal(console)
    # Headers announcing 10 MB and not one byte of body: the answer comes at once, so nothing was read.
    with socket.create_connection(("127.0.0.1", console.port), timeout=10) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 10000000\r\n\r\n"
        )
        answer = b""
        while b"</html>" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413"
    assert "Formularen er for stor" in rest.decode()
    assert b"Content-Security-Policy" in rest  # the console's own error page, headers and all
    # A 100 kB user name through an ordinary client: the same page, and not a word in the journal.
    response = _post_login(console, "a" * 100_000)
    assert response.status_code == 413 and "Formularen er for stor" in response.text
    assert _journal(console) == before
    assert "over 65536 bytes" in console.log.read_text()


def test_a_long_user_name_is_refused_by_name_and_never_journaled(console):
    before = _journal(console)
    response = _post_login(console, "b" * 60_000)  # under the body limit: the field's own bound
    assert response.status_code == 422
    assert f"Brugernavnet er for langt. Et brugernavn har højst {MAX_USERNAME} tegn." in response.text
    assert "b" * 100 not in response.text  # not echoed back either
    assert _journal(console) == before


@pytest.mark.parametrize("typed", CPR_NAMES)
def test_a_cpr_number_typed_as_user_name_never_reaches_the_journal(console, typed):
    before = len(_journal(console))
    response = _post_login(console, typed)
    assert response.status_code == 401 and "Brugernavn eller adgangskode er forkert." in response.text
    rows = _journal(console)[before:]
    assert [(action, actor) for action, actor, _, _ in rows] == [("login_refused", UNKNOWN_USER)]
    stored = " ".join(str(value) for row in rows for value in row)
    assert not any(part in stored for part in ("010203", "1234", "0102 03", "0102"))


def test_the_largest_real_form_fits_the_body_limit(console):
    """A status change with a 4,000-character note of 4-byte characters, as a browser sends it."""
    work = Casework(console.data_db)
    slot = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=3)
    cb = work.book(
        municipality="nyborg", capacity=5, name="Karen Jensen", phone="+45 20 30 40 50", topic="pas", slot=slot
    )
    staff, _ = login(console.url, "anna", PASSWORD)
    page = staff.get(f"{console.url}/opringninger/{cb.reference}")
    note = "\U0001f600" * MAX_NOTE_CHARS
    form = {"csrf": hidden(page.text, "csrf"), "version": cb.version, "status": "in_progress", "note": note}
    size = len(urlencode(form))
    assert 40_000 < size < MAX_BODY_BYTES
    response = staff.post(f"{console.url}/opringninger/{cb.reference}/status", data=form)
    assert response.status_code == 200 and work.get(cb.reference).status == "in_progress"
    notes = [e for e in work.events(cb.reference) if e["action"] == "note"]
    assert notes[-1]["details"] == {"text": note}  # whole: the journal's bound fits the note's
