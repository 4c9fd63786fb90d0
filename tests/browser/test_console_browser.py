"""A real escalation worked in a real browser: a citizen books a callback
through the running assistant, a caseworker logs in to the staff console
in headless Chromium, opens it, reads the transcript, completes it with a
note and sees the journal. Screenshots go to build/screenshots/console."""

from __future__ import annotations

import re
import uuid

import pytest

from bot.console.accounts import Accounts
from tests.conftest import SCREENSHOTS, phone_number

SHOTS = SCREENSHOTS / "console"
XSS = "<script>alert('xss')</script>"


def texts(reply) -> str:
    return "\n".join(m.get("text", "") for m in reply)


def book_callback_as_citizen(stack) -> str:
    sender = f"browser-{uuid.uuid4().hex[:10]}"
    say = lambda text: stack.send(sender, text)[1]  # noqa: E731
    first = texts(say(f"{XSS} min sygedagpengesag er blevet stoppet og jeg forstår ikke hvorfor"))
    assert "ikke er en sikker kanal" in first
    say("/callback_request")
    say("Karen Hansen")
    say(phone_number())
    offer = say("/affirm")
    booked = texts(say(offer[0]["buttons"][0]["payload"]))
    match = re.search(r"bookingnummer er (CB-\d{4}-\d{6})", booked)
    assert match, booked
    return match.group(1)


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def test_caseworker_works_a_real_escalation_in_the_browser(stack, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    reference = book_callback_as_citizen(stack)
    # A caseworker of the municipality the citizen booked in: the queue shows no other municipality's callbacks.
    password = Accounts(stack.var / "kommunebot.db").ensure_demo_user("sagsbehandler", "staff", "nyborg")

    # Keyboard only: the user name field has focus, Tab moves on, Enter submits.
    page.goto(stack.console_url + "/opringninger")
    assert page.url.endswith("/login?next=%2Fopringninger")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type("sagsbehandler")
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("alert").count() == 0, page.get_by_role("alert").inner_text()
    page.get_by_role("heading", level=1, name="Opringninger").wait_for()
    assert page.evaluate("location.pathname") == "/opringninger"
    row = page.get_by_role("row").filter(has_text=reference)
    assert "Booket" in row.inner_text()
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    page.get_by_role("link", name=reference).click()
    page.get_by_role("heading", level=1, name=f"Opringning {reference}").wait_for()
    transcript = page.locator(".transcript").inner_text()
    assert XSS in transcript  # shown as text ...
    assert page.locator("main script").count() == 0 and page.dialogs == []  # ... and never run
    assert "ikke er en sikker kanal" in transcript
    assert "Karen Hansen" in page.locator(".facts").inner_text()
    page.screenshot(path=str(SHOTS / "callback.png"), full_page=True)

    page.get_by_role("button", name="Tag opringningen").click()
    assert page.get_by_role("status").first.inner_text().startswith("Du har taget opringningen")
    assert page.locator("#status").inner_text() == "I gang"

    page.get_by_role("radio", name="Afsluttet").check()
    page.get_by_role("button", name="Gem status").click()
    assert "Notatet er påkrævet" in page.get_by_role("alert").inner_text()

    page.get_by_role("radio", name="Afsluttet").check()
    page.get_by_role("textbox", name=re.compile(r"^Notat \(påkrævet")).fill(
        "Ringet op. Sygedagpengesagen forklaret; borgeren sender partshøring."
    )
    page.get_by_role("button", name="Gem status").click()
    assert "Status er gemt." in page.get_by_role("status").first.inner_text()
    assert page.locator("#status").inner_text() == "Afsluttet"
    journal = page.locator("table.journal").inner_text()
    assert "Ringet op. Sygedagpengesagen forklaret" in journal
    assert "I gang → Afsluttet" in journal and "sagsbehandler" in journal and "Åbnet" in journal
    page.screenshot(path=str(SHOTS / "completed.png"), full_page=True)

    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(stack.console_url + "/opringninger?visning=all")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(SHOTS / "queue-360px.png"), full_page=True)
    assert page.dialogs == []


def test_console_pages_have_no_axe_violations(stack, chromium):
    from bot.settings import PROJECT_ROOT

    axe = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
    import datetime as dt

    from bot.callbacks.casework import Casework

    password = Accounts(stack.var / "kommunebot.db").ensure_demo_user("axe-admin", role="admin")
    booked = Casework(stack.var / "kommunebot.db").book(
        municipality="nyborg",
        slot=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1),
        capacity=99,
        name="Axe Test",
        phone="+45 20 30 40 50",
        topic="pas",
        category="own_case",
    )
    # The console's CSP forbids every script; axe-core is injected only in this test context.
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()

        def violations() -> list:
            page.add_script_tag(path=str(axe))
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]

        page.goto(stack.console_url + "/login")
        found = {"login": violations()}
        page.get_by_label("Brugernavn").fill("axe-admin")
        page.get_by_label("Adgangskode").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log ind").click()
        # The console runs as in production (not demo mode): __Host- cookies work on http://localhost.
        assert [c["name"] for c in context.cookies()] == ["__Host-kb_session"]
        for path in (
            "/opringninger?visning=all",
            f"/opringninger/{booked.reference}",
            "/overblik",
            "/brugere",
            "/konto",
        ):
            page.goto(stack.console_url + path)
            found[path] = violations()
        found = {path: v for path, v in found.items() if v}
        assert found == {}
    finally:
        context.close()
