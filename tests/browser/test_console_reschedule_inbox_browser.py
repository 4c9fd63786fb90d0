"""Issue 28 in a real browser (Debian's chromium): a caseworker gives a
callback a new time after "Intet svar" and sees the suggested next steps;
an editor counts, filters and pages the inbox, with its wrong escalations
and wrong topics. axe-core checks both pages. The console runs as its own
process on a real SQLite database; screenshots go to build/screenshots/console."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.callbacks.casework import Casework
from bot.console.accounts import Accounts
from bot.ops.http import free_port
from bot.records.inbox import Inbox
from bot.settings import PROJECT_ROOT
from tests.conftest import SCREENSHOTS
from tests.support.console_server import ConsoleServer

SHOTS = SCREENSHOTS / "console"
PASSWORD = "korrekt-hest-batteri"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console-issue28")
    data_db = tmp / "kommunebot.db"
    accounts = Accounts(data_db)
    accounts.create_user("anna", PASSWORD, "staff", display_name="Anna", municipality="nyborg")
    accounts.create_user("eva", PASSWORD, "editor", display_name="Eva", municipality="nyborg")
    inbox = Inbox(data_db)
    for i in range(27):
        inbox.add("nyborg", f"uforstaaelig besked {i:02d}", "fallback", "nlu_fallback", 0.2)
    inbox.add("nyborg", "hvordan fornyer jeg det", "corrected", "pas", 0.6, chosen="koerekort")
    inbox.add("nyborg", "min mor er syg og skal have sundhedskort", "declined", "personal_matter", 0.7)
    server = ConsoleServer(free_port(), data_db, f"sqlite:///{tmp / 'tracker.db'}", tmp / "console.log")
    server.work = Casework(data_db)
    yield server
    server.stop()


@pytest.fixture
def context(chromium):
    # The console's CSP forbids every script; axe-core is injected only in this test context.
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK", bypass_csp=True)
    yield context
    context.close()


def log_in(page, url, username):
    page.goto(url + "/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log ind").click()


def violations(page) -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


def test_a_caseworker_reschedules_after_no_answer(console, context):
    SHOTS.mkdir(parents=True, exist_ok=True)
    slot = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    cb = console.work.book("nyborg", slot, 5, "Karen Hansen", "+45 20 30 40 50", "boligstoette", "economy")
    page = context.new_page()
    log_in(page, console.url, "anna")
    page.goto(f"{console.url}/opringninger/{cb.reference}")
    # The suggested next steps for the category, after what the citizen wrote and before the forms.
    steps = page.locator("section.next-steps")
    assert "aktivlovens § 81" in steps.inner_text()
    top = lambda selector: page.locator(selector).first.bounding_box()["y"]  # noqa: E731
    assert top("section.summary") < top("section.next-steps") < top("section[aria-labelledby=arbejd]")
    assert page.locator("#ny-tid").count() == 0  # only after "Intet svar"

    page.get_by_role("button", name="Tag opringningen").click()
    page.get_by_role("radio", name="Intet svar – prøv igen").check()
    page.get_by_role("textbox", name="Notat (påkrævet").fill("Tog ikke telefonen kl. 10.")
    page.get_by_role("button", name="Gem status").click()
    assert page.locator("#status").inner_text() == "Intet svar – prøv igen"

    form = page.locator("#ny-tid")
    assert "Borgeren får ikke besked fra systemet" in form.inner_text()
    choice = page.get_by_label("Ny tid", exact=True)
    options = choice.locator("option")
    assert options.count() == 24
    label = options.nth(3).inner_text()
    choice.select_option(index=3)
    assert violations(page) == []
    page.screenshot(path=str(SHOTS / "reschedule.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Gem ny tid").click()

    assert "Den nye tid er gemt" in page.get_by_role("status").first.inner_text()
    assert page.locator("#status").inner_text() == "Bestilt"
    assert page.locator("h1").inner_text() == f"Opringning {cb.reference}"  # the same reference
    journal = page.locator("table.journal").inner_text()
    assert f"Ny tid: {label}" in journal and "Intet svar – prøv igen → Bestilt" in journal
    assert label in page.locator(".facts").inner_text()
    assert page.locator("#ny-tid").count() == 0


def test_an_editor_counts_filters_and_pages_the_inbox(console, context):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    log_in(page, console.url, "eva")
    assert page.evaluate("location.pathname") == "/indbakke"
    assert page.locator("#antal-alle").inner_text() == "29"
    assert page.locator("#antal-corrected").inner_text() == "1" and page.locator("#antal-declined").inner_text() == "1"
    assert page.locator("p.message").count() == 25
    assert page.locator("#side").inner_text() == "Side 1 af 2 (29 beskeder)"
    assert violations(page) == []
    page.screenshot(path=str(SHOTS / "inbox-paged.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_role("link", name="Næste side").click()
    assert page.locator("p.message").count() == 4 and page.get_by_role("link", name="Næste side").count() == 0
    with page.expect_navigation():
        page.get_by_role("link", name="Forrige side").click()
    assert page.locator("#side").inner_text().startswith("Side 1 af 2")

    page.get_by_label("Ærinde").select_option(label="Kørekort")  # the errand the citizen corrected to
    with page.expect_navigation():
        page.get_by_role("button", name="Vis", exact=True).click()
    item = page.get_by_role("listitem").filter(has_text="hvordan fornyer jeg det")
    assert page.locator("p.message").count() == 1 and "Borgeren rettede straks til: Kørekort" in item.inner_text()
    assert "Rettede emnet" in item.inner_text() and page.locator("#side").count() == 0  # one page: no paging

    page.get_by_label("Ærinde").select_option(label="Alle")
    page.get_by_label("Slags").select_option(label="Afslog opringning")
    with page.expect_navigation():
        page.get_by_role("button", name="Vis", exact=True).click()
    item = page.get_by_role("listitem").filter(has_text="min mor er syg")
    assert page.locator("p.message").count() == 1 and "tilbød en opringning" in item.inner_text()
    assert violations(page) == []

    # A decision keeps the filter.
    with page.expect_navigation():
        item.get_by_role("button", name="Afvis beskeden").click()
    assert "slags=declined" in page.url
    assert "Ingen nye beskeder med det filter." in page.locator("main").inner_text()
    assert page.locator("#antal-declined").inner_text() == "0"
    page.screenshot(path=str(SHOTS / "inbox-filtered.png"), full_page=True)
