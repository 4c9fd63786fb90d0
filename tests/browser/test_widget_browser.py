"""The chat widget on the demo page, in real headless Chromium against the
running assistant: keyboard use, answers with links and quick replies, a
callback booked end to end, history after reload, the CPR warning, axe-core
with the widget open and closed, and a server outage with resend.
Screenshots (desktop and 360 px) go to build/screenshots/widget.

The outage test stops and restarts the Rasa server, so it runs last."""

from __future__ import annotations

import re

import pytest

from bot.settings import PROJECT_ROOT
from tests.conftest import SCREENSHOTS, phone_number

SHOTS = SCREENSHOTS / "widget"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BOT = ".kb-bot:not(.kb-intro)"


@pytest.fixture
def context(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    yield context
    context.close()


@pytest.fixture
def page(context, stack):
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(stack.site_url)
    page.wait_for_selector(".kb-launcher")
    return page


def open_by_keyboard(page) -> None:
    for _ in range(30):
        if page.evaluate("document.activeElement.classList.contains('kb-launcher')"):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    assert page.get_attribute(".kb-launcher", "aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "kb-input"


class Reply:
    """Every assistant message that arrived for one turn."""

    def __init__(self, page, first: int):
        self.messages = [page.locator(BOT).nth(i) for i in range(first, page.locator(BOT).count())]

    def inner_text(self) -> str:
        return "\n".join(m.inner_text() for m in self.messages)

    def links(self) -> list:
        return [a for m in self.messages for a in m.locator("a").all()]


def ask(page, text: str) -> Reply:
    """Type a message, press Enter, and wait for the assistant's reply."""
    before = page.locator(BOT).count()
    page.locator("#kb-input").fill(text)
    page.locator("#kb-input").press("Enter")
    return wait_reply(page, before)


def wait_reply(page, before: int) -> Reply:
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length > n", arg=[BOT, before], timeout=30000)
    page.wait_for_selector(".kb-typing", state="hidden")
    return Reply(page, before)


def click_choice(page, name) -> Reply:
    before = page.locator(BOT).count()
    page.locator(".kb-msg").last.get_by_role("button", name=name).click()
    return wait_reply(page, before)


def test_keyboard_user_asks_about_pas_and_uses_a_quick_reply(page, stack):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "closed-desktop.png"))
    open_by_keyboard(page)
    assert page.get_attribute(".kb-launcher", "aria-expanded") == "true"
    assert page.locator(".kb-title").inner_text().startswith("Nyborg Kommune")
    ask(page, "mit pas er udløbet, hvordan får jeg et nyt")
    choices = page.locator(".kb-msg").last.locator(".kb-choice")
    assert choices.all_inner_texts() == ["Voksen", "Barn under 18 år"]
    choices.first.focus()
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")  # a quick reply by keyboard
    answer = wait_reply(page, before)
    assert page.locator(".kb-user").last.inner_text().endswith("Voksen")
    links = answer.links()
    assert links, answer.inner_text()
    href = links[0].get_attribute("href")
    assert re.match(r"^https://[\w.-]+\.[a-z]{2,}/", href), href
    assert links[0].get_attribute("target") == "_blank" and "noopener" in links[0].get_attribute("rel")
    assert "bestilt tid" in answer.inner_text()
    page.screenshot(path=str(SHOTS / "pas-desktop.png"))

    page.keyboard.press("Escape")
    assert page.locator("#kb-panel").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('kb-launcher')")
    assert page.errors == []


def test_first_view_says_no_person_answers_and_how_to_reach_one(page, context, stack):
    # EU AI Act Art. 50: before the first question, in the title and the first message.
    page.locator(".kb-launcher").click()
    # Nyborg's phone number is not verified: the disclosure points to the website.
    page.wait_for_function("() => document.querySelector('.kb-intro').innerText.includes('nyborg.dk')")
    title = page.locator(".kb-title").inner_text()
    assert "chatbot" in title.lower() and "automatiske svar" in title
    intro = page.locator(".kb-intro").inner_text()
    assert "ikke et menneske" in intro and "ikke se din sag" in intro and '"ring mig op"' in intro
    assert "se hele samtalen" in page.locator(".kb-privacy").inner_text()
    # The disclosure stays at the top once the conversation has started.
    ask(page, "hvornår bliver skraldet hentet")
    assert page.locator(".kb-log li").first.inner_text() == intro

    other = context.new_page()
    other.goto(stack.site_url + "/?kommune=guldborgsund")
    other.locator(".kb-launcher").click()
    other.wait_for_function("() => document.querySelector('.kb-intro').innerText.includes('+45 54 73 10 00')")


def test_citizen_books_a_callback_in_the_widget_and_history_survives_reload(page, stack):
    page.locator(".kb-launcher").click()
    reply = ask(page, "min sygedagpengesag er blevet stoppet og jeg forstår ikke hvorfor")
    assert "din egen sag" in reply.inner_text()  # an own case: the case reply
    assert "Hvad er dit navn?" in click_choice(page, re.compile("ring mig op")).inner_text()
    assert "telefonnummer" in ask(page, "Karen Hansen").inner_text()
    assert "Drejer det sig om" in ask(page, phone_number()).inner_text()
    click_choice(page, "Ja")
    slot = page.locator(".kb-msg").last.locator(".kb-choice").first
    slot_title = slot.inner_text()
    before = page.locator(BOT).count()
    slot.click()
    confirmation = wait_reply(page, before)
    reference = re.search(r"CB-\d{4}-\d{6}", confirmation.inner_text()).group(0)
    assert (
        page.locator(".kb-confirmation").last.locator(".kb-confirmation-title").inner_text()
        == f"Din opringning er bestilt: {reference}"
    )
    assert slot_title.split(" kl.")[0] in confirmation.inner_text()
    page.screenshot(path=str(SHOTS / "callback-booked-desktop.png"))

    messages = page.locator(".kb-msg").all_inner_texts()
    page.reload()
    page.wait_for_selector(".kb-msg")
    assert page.locator("#kb-panel").is_visible()
    assert page.locator(".kb-msg").all_inner_texts() == messages
    assert reference in page.locator(".kb-confirmation").last.inner_text()

    # Replies that name a reference are no bookings: "which number?" and "not found".
    assert "CB-2026-000123" in ask(page, "aflys").inner_text()
    assert "ikke finde" in ask(page, "aflys CB-2020-000001").inner_text()
    assert page.locator(".kb-confirmation").count() == 1

    # "Start forfra" asks first, and the booking's reference stays on screen.
    page.get_by_role("button", name="Start forfra").click()
    confirm = page.get_by_role("alertdialog")
    assert reference in confirm.inner_text() and page.locator(".kb-user").count() > 0
    page.get_by_role("button", name="Nej, fortsæt").click()
    assert confirm.is_hidden() and page.locator(".kb-confirmation").count() == 1
    page.get_by_role("button", name="Start forfra").click()
    page.get_by_role("button", name="Ja, start forfra").click()
    assert page.locator(".kb-user").count() == 0 and page.locator(".kb-intro").count() == 1
    assert "Ny samtale startet." in page.locator(".kb-status").inner_text()
    assert reference in page.locator(".kb-booking").inner_text()
    page.reload()
    assert reference in page.locator(".kb-booking").inner_text()
    assert page.errors == []


def test_english_replies_are_marked_english_after_an_english_disclosure(page, stack):
    page.locator(".kb-launcher").click()
    reply = ask(page, "how do I renew my passport")
    assert reply.messages[0].get_attribute("lang") == "en"
    told = page.locator(BOT).nth(0)  # the disclosure in English comes before the first English reply
    assert "No person is answering" in told.inner_text() and told.get_attribute("lang") == "en"
    assert all(m.get_attribute("lang") == "en" for m in reply.messages[1:])
    danish = ask(page, "hvornår bliver skraldet hentet")
    assert all(m.get_attribute("lang") == "da" for m in danish.messages)
    assert page.locator("text=No person is answering").count() == 1


def test_cpr_number_is_caught_before_sending(page, stack):
    page.locator(".kb-launcher").click()
    page.locator("#kb-input").fill("mit cpr er 010190-1234 og mit pas er væk")
    page.locator("#kb-input").press("Enter")
    warning = page.get_by_role("alertdialog")
    assert warning.is_visible() and "CPR-nummer" in warning.inner_text()
    assert page.locator(".kb-user").count() == 0  # nothing sent yet
    assert page.evaluate("document.activeElement.textContent") == "Fjern nummeret og send"
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")
    wait_reply(page, before)
    sent = page.locator(".kb-user").last.inner_text()
    assert "010190" not in sent and "[CPR-nummer fjernet]" in sent
    assert page.locator(".kb-cpr").is_hidden()
    assert "010190" not in page.evaluate("JSON.stringify(sessionStorage)")


def _axe(page) -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


@pytest.mark.parametrize("width", [1280, 360])
def test_axe_finds_no_violations_with_the_widget_closed_and_open(chromium, stack, width):
    # axe-core is injected as an inline script, which the page's CSP would refuse.
    context = chromium.new_context(viewport={"width": width, "height": 800}, bypass_csp=True, locale="da-DK")
    try:
        page = context.new_page()
        page.goto(stack.site_url)
        page.wait_for_selector(".kb-launcher")
        assert _axe(page) == []
        page.locator(".kb-launcher").click()
        ask(page, "hvornår bliver skraldet hentet")
        assert _axe(page) == []
        suffix = "desktop" if width > 400 else "360px"
        page.screenshot(path=str(SHOTS / f"open-{suffix}.png"))
        if width == 360:
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            box = page.locator("#kb-panel").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    finally:
        context.close()


def test_zoom_200_percent_keeps_the_widget_usable(chromium, stack):
    # 200 % zoom of a 1280 px window is a 640 px wide CSS viewport at device scale 2.
    context = chromium.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(stack.site_url)
        page.locator(".kb-launcher").click()
        for selector in ("#kb-input", ".kb-send", ".kb-close", ".kb-restart"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 640, selector
            assert box["y"] >= 0 and box["y"] + box["height"] <= 450, selector
        page.screenshot(path=str(SHOTS / "open-zoom200.png"))
    finally:
        context.close()


def test_socket_refuses_pages_from_other_origins(stack):
    import requests

    handshake = f"{stack.url}/socket.io/?EIO=4&transport=polling"
    assert requests.get(handshake, headers={"Origin": stack.site_url}).status_code == 200
    assert requests.get(handshake, headers={"Origin": "https://evil.example"}).status_code == 400
    rest = requests.options(
        f"{stack.url}/webhooks/rest/webhook",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert rest.headers.get("Access-Control-Allow-Origin") not in ("*", "https://evil.example")


def test_outage_is_shown_with_the_phone_number_and_resend_works(context, stack):
    page = context.new_page()
    page.goto(stack.site_url + "/?kommune=guldborgsund")
    page.locator(".kb-launcher").click()
    ask(page, "hvornår bliver skraldet hentet")
    stack.stop_rasa()
    try:
        page.wait_for_selector(".kb-status.kb-problem", timeout=15000)
        page.locator("#kb-input").fill("hvordan fornyer jeg mit kørekort")
        page.locator("#kb-input").press("Enter")
        failed = page.locator(".kb-failed")
        failed.wait_for(timeout=30000)
        assert "Ikke sendt." in failed.inner_text()
        status = page.locator(".kb-status").inner_text()
        assert "+45 54 73 10 00" in status and "ikke sendt" in status
        page.screenshot(path=str(SHOTS / "outage-desktop.png"))
    finally:
        stack.start_rasa()
        stack.wait_rasa()
    page.wait_for_function("() => !document.querySelector('.kb-status.kb-problem')", timeout=30000)
    before = page.locator(BOT).count()
    page.get_by_role("button", name="Send igen").click()
    answer = wait_reply(page, before)
    assert page.locator(".kb-failed").count() == 0
    assert "kørekort" in answer.inner_text().lower()
    assert page.locator(".kb-user").last.inner_text().endswith("hvordan fornyer jeg mit kørekort")
