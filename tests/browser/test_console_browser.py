"""A real escalation worked in a real browser: a citizen books a callback
through the running assistant, a caseworker logs in to the staff console
in headless Chromium, opens it, reads the transcript, completes it with a
note and sees the journal. Screenshots go to build/screenshots/console."""

from __future__ import annotations

import re

import pytest

from bot.console.accounts import Accounts
from tests.conftest import SCREENSHOTS, phone_number
from tests.support.senders import sender_id

SHOTS = SCREENSHOTS / "console"
XSS = "<script>alert('xss')</script>"


def texts(reply) -> str:
    return "\n".join(m.get("text", "") for m in reply)


def book_callback_as_citizen(stack) -> str:
    sender = sender_id("browser", 10)
    say = lambda text: stack.send(sender, text)[1]  # noqa: E731
    first = texts(say(f"{XSS} min sygedagpengesag er blevet stoppet og jeg forstår ikke hvorfor"))
    assert "din egen sag" in first  # an own case: the case reply
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
    assert "Bestilt" in row.inner_text() and "Karen Hansen" in row.inner_text()  # who, not only the reference
    assert "overskredne" in page.locator(".overdue-count").inner_text().lower()
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)
    # A citizen phoning in gives a name: the search finds the callback.
    page.get_by_label("Søg (reference, navn eller telefon)").fill("hansen")
    with page.expect_navigation():
        page.get_by_role("button", name="Vis", exact=True).click()
    assert page.get_by_role("row").filter(has_text=reference).count() == 1
    page.get_by_label("Søg (reference, navn eller telefon)").fill("nobody-by-this-name")
    with page.expect_navigation():
        page.get_by_role("button", name="Vis", exact=True).click()
    assert page.get_by_role("row").filter(has_text=reference).count() == 0
    page.goto(stack.console_url + "/opringninger")

    page.get_by_role("link", name=reference).click()
    page.get_by_role("heading", level=1, name=f"Opringning {reference}").wait_for()
    transcript = page.locator(".transcript").inner_text()
    assert XSS in transcript  # shown as text ...
    assert page.locator("main script").count() == 0 and page.dialogs == []  # ... and never run
    assert "din egen sag" in transcript
    assert "Karen Hansen" in page.locator(".facts").inner_text()
    # What the citizen wrote opens the page, above the forms, with the assistant's answer.
    summary = page.locator("section.summary")
    assert "sygedagpengesag er blevet stoppet" in summary.locator("blockquote").inner_text()
    assert "din egen sag" in summary.inner_text() and "Karen Hansen" not in summary.inner_text()
    top = lambda selector: page.locator(selector).first.bounding_box()["y"]  # noqa: E731
    assert top("section.summary") < top("section[aria-labelledby=arbejd]") < top("section[aria-labelledby=samtale]")
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
    assert "I gang → Afsluttet" in journal and "sagsbehandler" in journal
    assert "Åbnet" not in journal  # page views are folded apart from the work
    assert page.locator("details.views summary").inner_text().startswith("Åbnet")
    notes = page.locator("ol.notes").inner_text()
    assert "Ringet op. Sygedagpengesagen forklaret" in notes  # the latest note above the forms
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
        category="case",
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


# In the page: for each visible chart, its rendered text size in px and any
# label that reaches outside the drawing (clipped on screen).
CHART_GEOMETRY = """() => [...document.querySelectorAll('svg.chart')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .map(svg => {
    const box = svg.viewBox.baseVal, scale = svg.getBoundingClientRect().width / box.width;
    const outside = [...svg.querySelectorAll('text')].filter(t => {
      const b = t.getBBox();
      return b.x < -0.5 || b.x + b.width > box.width + 0.5;
    }).map(t => t.textContent);
    const labels = [...svg.querySelectorAll('text.label')].map(t => t.textContent);
    return {id: svg.getAttribute('aria-labelledby'), px: 14 * scale, outside, labels};
  })"""


@pytest.mark.parametrize("width", [1280, 360])
def test_dashboard_stays_readable_with_every_errand(stack, chromium, width, knowledge):
    """Twenty-odd topics: no label clipped ("undhedskort"), the topic chart's
    text the same size as the outcome chart's, readable on a phone."""
    import datetime as dt

    from bot.records.outcomes import OutcomeLog

    SHOTS.mkdir(parents=True, exist_ok=True)
    assert len(knowledge.topics) >= 20
    log = OutcomeLog(stack.var / "kommunebot.db")
    now = dt.datetime.now(dt.timezone.utc)
    for n, topic in enumerate(knowledge.topics.values()):
        for _ in range(1 + n % 5):
            log.record("nyborg", ("selfservice", "booking", "callback_offered", "assisted")[n % 4], topic.key, at=now)
    log.close()
    password = Accounts(stack.var / "kommunebot.db").ensure_demo_user(f"overblik{width}", "staff", "nyborg")
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="da-DK")
    try:
        page = context.new_page()
        page.goto(stack.console_url + "/login")
        page.get_by_label("Brugernavn").fill(f"overblik{width}")
        page.get_by_label("Adgangskode").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log ind").click()
        page.goto(stack.console_url + "/overblik")
        page.get_by_role("heading", level=1).wait_for()
        charts = {c["id"].split("-titel")[0]: c for c in page.evaluate(CHART_GEOMETRY)}
        page.screenshot(path=str(SHOTS / f"dashboard-{width}px.png"), full_page=True)
        topic = charts["emne-smal" if width < 600 else "emne"]
        outcome = charts["udfald-smal" if width < 600 else "udfald"]
        # Wrapped labels are tspans, whose textContent has no space between lines.
        shown = "".join(topic["labels"]).replace(" ", "").lower()
        missing = [t.name for t in knowledge.topics.values() if t.name.replace(" ", "").lower() not in shown]
        assert missing == [], shown
        assert topic["outside"] == [] and outcome["outside"] == [], (topic["outside"], outcome["outside"])
        assert abs(topic["px"] - outcome["px"]) < 0.5, (topic["px"], outcome["px"])
        assert 12 <= topic["px"] <= 16, topic["px"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()
