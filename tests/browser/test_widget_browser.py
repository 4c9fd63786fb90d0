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
    # The browser may fill in the name and the number (WCAG 1.3.5).
    assert page.get_attribute("#kb-input", "autocomplete") == "name"
    assert page.locator(".kb-label").inner_text() == "Skriv dit navn"
    assert "telefonnummer" in ask(page, "Karen Hansen").inner_text()
    assert page.get_attribute("#kb-input", "autocomplete") == "tel"
    assert "Drejer det sig om" in ask(page, phone_number()).inner_text()
    assert page.get_attribute("#kb-input", "autocomplete") == "off"
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

    # Replies that name a reference are no bookings: "which number?" and "the last four digits?".
    assert "CB-2026-000123" in ask(page, "aflys").inner_text()
    # Another conversation's (or nobody's) reference: the phone's last four digits, never autofilled (issue 27).
    assert "sidste 4 cifre" in ask(page, "aflys CB-2020-000001").inner_text()
    assert page.get_attribute("#kb-input", "autocomplete") == "off"
    assert page.get_attribute("#kb-input", "inputmode") == "numeric"
    assert "sidste 4 cifre" in page.locator("label[for='kb-input']").inner_text()
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
    # The widget is Danish on a page in any language; only English replies say otherwise.
    assert page.get_attribute("#kb-widget", "lang") == "da"


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

    # Escape closes only the warning, and the number leaves the input.
    page.locator("#kb-input").fill("mit nummer er 010190-1234")
    page.locator("#kb-input").press("Enter")
    assert warning.is_visible()
    page.keyboard.press("Escape")
    assert warning.is_hidden() and page.locator("#kb-panel").is_visible()
    assert page.locator("#kb-input").input_value() == "mit nummer er [CPR-nummer fjernet]"
    assert page.evaluate("document.activeElement.id") == "kb-input"


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


def test_the_typing_indicator_is_a_status_message(page, stack):
    page.locator(".kb-launcher").click()
    page.locator("#kb-input").fill("hvornår bliver skraldet hentet")
    # Read in the same task as the send, before any reply can arrive.
    shown = page.evaluate(
        """() => {
            document.querySelector('.kb-send').click();
            const typing = document.querySelector('.kb-typing');
            const region = typing.closest('[role=status]');
            return [typing.textContent, !typing.hidden, region && region.getAttribute('aria-live')];
        }"""
    )
    assert shown == ["Assistenten skriver …", True, "polite"]
    page.wait_for_selector(".kb-typing", state="hidden")
    assert page.locator(".kb-typing").text_content() == ""


HOSTILE_CSS = """
*:focus, *:focus-visible { outline: 1px dotted #1d4f91 !important; box-shadow: none !important; }
.kb-demo :focus-visible { outline: 3px solid #1d4f91 !important; }
"""


def _contrast(a: str, b: str) -> float:
    def luminance(rgb: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _ring(page) -> dict:
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return {style: s.outlineStyle, width: s.outlineWidth, colour: s.outlineColor,
                           shadow: s.boxShadow}; }"""
    )


def test_the_host_pages_css_cannot_weaken_the_focus_ring(chromium, stack):
    # The hostile style is inline, which the page's CSP would refuse.
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(stack.site_url)
    page.wait_for_selector(".kb-launcher")
    page.add_style_tag(content=HOSTILE_CSS)
    open_by_keyboard(page)
    for _ in range(6):  # back to "Start forfra", on the coloured header
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.className") == "kb-restart":
            break
    assert page.evaluate("document.activeElement.className") == "kb-restart"
    ring = _ring(page)
    header = page.evaluate("getComputedStyle(document.querySelector('.kb-header')).backgroundColor")
    assert (ring["style"], ring["width"]) == ("solid", "3px") and _contrast(ring["colour"], header) >= 3, ring
    page.keyboard.press("Escape")  # back to the launcher, on the page's white
    ring = _ring(page)
    assert (ring["style"], ring["width"]) == ("solid", "3px") and _contrast(ring["colour"], "rgb(255, 255, 255)") >= 3
    context.close()


def _hidden_focus(page) -> str | None:
    """The focused element, described, when no part of its centre line is on top (covered or off screen)."""
    return page.evaluate(
        """async () => {
            // After the browser's and the widget's scrolling for the new focus.
            await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            for (const r of el.getClientRects()) {  // each line of a link that wraps
                const y = r.top + r.height / 2;
                for (const x of [r.left + 2, r.left + r.width / 2, r.right - 2]) {
                    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
                    const top = document.elementFromPoint(x, y);
                    if (top && (top === el || el.contains(top))) return null;
                }
            }
            return el.outerHTML.slice(0, 80);
        }"""
    )


def test_focus_stays_in_the_open_panel_on_a_phone_and_is_never_hidden(chromium, stack):
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="da-DK")
    try:
        page = context.new_page()
        page.goto(stack.site_url)
        page.locator(".kb-launcher").click()
        ask(page, "hvornår bliver skraldet hentet")
        for _ in range(25):
            page.keyboard.press("Tab")
            assert page.evaluate("document.getElementById('kb-widget').contains(document.activeElement)")
            assert _hidden_focus(page) is None
        for _ in range(5):
            page.keyboard.press("Shift+Tab")
            assert page.evaluate("document.getElementById('kb-widget').contains(document.activeElement)")
    finally:
        context.close()


def test_at_400_percent_the_conversation_is_usable_and_focus_is_never_hidden(chromium, stack):
    # 400 % zoom of a 1280 x 1024 window: a 320 x 256 CSS viewport at device scale 4.
    context = chromium.new_context(viewport={"width": 320, "height": 256}, device_scale_factor=4, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(stack.site_url)
        page.wait_for_selector(".kb-launcher")
        # The closed launcher never hides a focused link of the page.
        for _ in range(12):
            page.keyboard.press("Tab")
            assert _hidden_focus(page) is None
            if page.evaluate("document.activeElement.classList.contains('kb-launcher')"):
                break
        page.locator(".kb-launcher").click()
        reply = ask(page, "mit kørekort er blevet stjålet")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        log = page.locator(".kb-log").bounding_box()
        assert log["height"] >= 150, log  # was 19 px
        first = reply.messages[0].bounding_box()
        assert 0 <= first["y"] < 256 - 40, first  # the reply opens at its first line
        # Back to the input by keyboard: it is scrolled into view, never under anything.
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "kb-input" and _hidden_focus(page) is None
        assert _axe(page) == []
        page.screenshot(path=str(SHOTS / "open-zoom400.png"))
    finally:
        context.close()


def test_each_reply_opens_at_its_first_line(chromium, stack):
    context = chromium.new_context(viewport={"width": 360, "height": 640}, locale="da-DK")
    try:
        page = context.new_page()
        page.goto(stack.site_url)
        page.locator(".kb-launcher").click()
        for question in ("hvornår bliver skraldet hentet", "mit kørekort er blevet stjålet"):
            reply = ask(page, question)
            box, first = page.locator(".kb-log").bounding_box(), reply.messages[0].bounding_box()
            assert box["y"] - 1 <= first["y"] <= box["y"] + 40, (question, box, first)
            link = reply.links()[0].bounding_box()
            assert box["y"] <= link["y"] and link["y"] + link["height"] <= box["y"] + box["height"], question
    finally:
        context.close()


def test_fik_du_svar_after_an_answer_is_stored_without_text(page, stack):
    import sqlite3

    def rows():
        with sqlite3.connect(stack.var / "kommunebot.db") as conn:
            found = conn.execute("select topic, answered, reason from feedback order by id").fetchall()
        conn.close()
        return found

    page.locator(".kb-launcher").click()
    before = len(rows())
    ask(page, "hvornår bliver skraldet hentet")
    prompt = page.locator(".kb-feedback")
    assert prompt.count() == 1 and "Fik du svar?" in prompt.inner_text()
    prompt.get_by_role("button", name="Nej").click()
    prompt.get_by_role("button", name="Linket virkede ikke").click()
    assert "Tak for dit svar." in prompt.inner_text()
    for _ in range(50):  # the widget posts the answer without waiting for it
        if len(rows()) > before:
            break
        page.wait_for_timeout(100)
    assert rows()[before:] == [("affald", 0, "link_failed")]
    # Answered once: not asked again after a reload.
    page.reload()
    page.wait_for_selector(".kb-msg")
    assert page.locator(".kb-feedback").count() == 0
