"""The staff console as a real process with a real SQLite database: a new
time after "Intet svar" (issue 28 item 4) and the suggested next steps on
the callback page (item 2)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests

from bot.callbacks.casework import Casework
from bot.console.accounts import Accounts
from bot.ops.http import free_port
from tests.support.console_server import ConsoleServer, hidden, login

PASSWORD = "korrekt-hest-batteri"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var = tmp_path_factory.mktemp("reschedule")
    data_db = var / "kommunebot.db"
    accounts = Accounts(data_db)
    for username, role, municipality in (
        ("anna", "staff", "nyborg"),
        ("eva", "editor", "nyborg"),
        ("gina", "staff", "glostrup"),
    ):
        accounts.create_user(username, PASSWORD, role, display_name=username.title(), municipality=municipality)
    server = ConsoleServer(free_port(), data_db, f"sqlite:///{var / 'tracker.db'}", var / "console.log")
    server.work = Casework(data_db)
    yield server
    server.stop()


def _no_answer(console, category="case", topic="boligstoette"):
    slot = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    cb = console.work.book("nyborg", slot, 5, "Karen Jensen", "+45 20 30 40 50", topic, category)
    cb = console.work.take(cb.reference, cb.version, "anna")
    return console.work.change_status(cb.reference, cb.version, "no_answer", "anna", "Tog ikke telefonen.")


def _options(html: str) -> list[str]:
    form = html[html.index('id="ny-tid"') :]
    return re.findall(r'<option value="([^"]+)"', form[: form.index("</form>")])


def test_a_caseworker_picks_a_new_time_after_no_answer(console):
    anna, _ = login(console.url, "anna", PASSWORD)
    cb = _no_answer(console)
    page = anna.get(f"{console.url}/opringninger/{cb.reference}")
    assert "Ny tid efter" in page.text and "Borgeren får ikke besked fra systemet" in page.text
    options = _options(page.text)
    assert len(options) == 24 and all(dt.datetime.fromisoformat(o) > dt.datetime.now(dt.timezone.utc) for o in options)
    chosen = options[5]
    response = anna.post(
        f"{console.url}/opringninger/{cb.reference}/ny-tid",
        data={"csrf": hidden(page.text, "csrf"), "version": hidden(page.text, "version"), "slot": chosen},
    )
    assert response.status_code == 200 and response.history[0].status_code == 303
    assert "Den nye tid er gemt" in response.text and "fortæl selv borgeren" in response.text
    moved = console.work.get(cb.reference)
    assert (moved.reference, moved.status, moved.slot) == (cb.reference, "booked", dt.datetime.fromisoformat(chosen))
    assert re.search(r"<td>Ny tid</td>\s*<td>\s*Ny tid: \w+dag", response.text)
    assert 'id="ny-tid"' not in response.text  # booked again: the form is for "Intet svar"


def test_a_time_outside_the_free_ones_or_a_stale_form_is_refused(console):
    anna, _ = login(console.url, "anna", PASSWORD)
    cb = _no_answer(console)
    page = anna.get(f"{console.url}/opringninger/{cb.reference}")
    form = {"csrf": hidden(page.text, "csrf"), "version": hidden(page.text, "version")}
    url = f"{console.url}/opringninger/{cb.reference}/ny-tid"
    for slot in ("", "i morgen", "2026-11-24T09:00:00", "2020-01-06T09:00:00+00:00"):
        refused = anna.post(url, data={**form, "slot": slot})
        assert refused.status_code == 422 and "Den tid kan ikke vælges" in refused.text, slot
    stale = anna.post(url, data={**form, "version": str(cb.version - 1), "slot": _options(page.text)[0]})
    assert stale.status_code == 409
    assert console.work.get(cb.reference).status == "no_answer"


def test_the_form_needs_the_token_the_role_and_the_municipality(console):
    cb = _no_answer(console)
    anna, _ = login(console.url, "anna", PASSWORD)
    page = anna.get(f"{console.url}/opringninger/{cb.reference}")
    slot, version = _options(page.text)[0], hidden(page.text, "version")
    url = f"{console.url}/opringninger/{cb.reference}/ny-tid"
    assert anna.post(url, data={"version": version, "slot": slot}).status_code == 403  # no CSRF token
    for user in ("eva", "gina"):  # an editor; a caseworker of another municipality
        other, start = login(console.url, user, PASSWORD)
        csrf = hidden(start.text, "csrf")
        response = other.post(url, data={"csrf": csrf, "version": version, "slot": slot})
        assert response.status_code in (403, 404), user
    assert requests.post(url, data={"version": version, "slot": slot}).status_code == 403  # not logged in
    assert console.work.get(cb.reference).status == "no_answer"


def test_the_callback_page_suggests_next_steps_for_its_category(console):
    anna, _ = login(console.url, "anna", PASSWORD)
    case = _no_answer(console, "case", "boligstoette")
    page = anna.get(f"{console.url}/opringninger/{case.reference}").text
    steps = page[page.index('id="forslag"') : page.index("</section>", page.index('id="forslag"'))]
    assert "Udbetaling Danmark" in steps and "klagevejledningen" in steps
    economy = _no_answer(console, "economy", None)
    page = anna.get(f"{console.url}/opringninger/{economy.reference}").text
    assert "Forslag til næste skridt" in page and "aktivlovens § 81" in page
