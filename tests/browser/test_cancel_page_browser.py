"""The /aflys cancel page in Debian's chromium (issue 27): a keyboard user
cancels with reference and digits, errors are linked to the fields, and
axe-core finds nothing at 1280 px, 360 px and 400 % zoom."""

from __future__ import annotations

import re

import pytest

from bot.settings import PROJECT_ROOT
from tests.conftest import SCREENSHOTS, phone_number
from tests.support.senders import sender_id

SHOTS = SCREENSHOTS / "aflys"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _book(stack) -> tuple[str, str]:
    sender, phone = sender_id("aflys", 10), phone_number()
    for message in ("/callback_request", "Karen Hansen", phone, "/affirm"):
        reply = stack.send(sender, message)[1]
    booked = "\n".join(m.get("text", "") for m in stack.send(sender, reply[0]["buttons"][0]["payload"])[1])
    return re.search(r"CB-\d{4}-\d{6}", booked).group(0), phone.replace(" ", "")[-4:]


def _axe(page) -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG,
    )
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


@pytest.mark.parametrize("width,height,zoom", [(1280, 900, 1), (360, 740, 1), (320, 256, 4)])
def test_a_keyboard_user_cancels_on_the_page(chromium, stack, width, height, zoom):
    SHOTS.mkdir(parents=True, exist_ok=True)
    reference, last4 = _book(stack)
    wrong = "0000" if last4 != "0000" else "1111"
    # axe-core is injected as an inline script, which the page's CSP refuses.
    context = chromium.new_context(viewport={"width": width, "height": height}, bypass_csp=True, locale="da-DK")
    try:
        page = context.new_page()
        page.goto(f"{stack.site_url}/aflys")
        assert page.locator("h1").inner_text() == "Aflys et bestilt opkald"
        assert _axe(page) == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "reference"
        page.keyboard.type(reference)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "digits"
        assert page.get_attribute("#digits", "autocomplete") == "off"
        page.keyboard.type(wrong)
        page.keyboard.press("Enter")
        page.wait_for_selector("#cancel-error")
        assert "Tjek bookingnummeret" in page.locator("#cancel-error").inner_text()
        assert "cancel-error" in page.get_attribute("#digits", "aria-describedby")
        assert page.get_attribute("#digits", "aria-invalid") == "true"
        assert page.input_value("#reference") == reference  # kept for the next try
        assert page.title().startswith("Fejl")
        assert _axe(page) == []
        suffix = f"{width}px" if zoom == 1 else "400pct"
        page.screenshot(path=str(SHOTS / f"error-{suffix}.png"))
        page.locator("#digits").fill(last4)
        page.locator("#digits").press("Enter")
        page.wait_for_selector("text=er aflyst")
        assert f"Dit opkald {reference} er aflyst" in page.locator("main").inner_text()
        assert _axe(page) == []
    finally:
        context.close()
