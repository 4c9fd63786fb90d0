"""The editor's inbox in a real browser, with the demo editor login that
`make run` writes (bot/ops/demo.py): a message the assistant did not
understand reaches the inbox of the editor's municipality, the editor
lands there without the admin's two-factor warning, never sees the
callback queue, and dismisses the message. Screenshots go to
build/screenshots/console."""

from __future__ import annotations

from bot.ops.demo import demo_logins
from tests.conftest import SCREENSHOTS
from tests.support.senders import sender_id

SHOTS = SCREENSHOTS / "console"


def test_the_demo_editor_works_the_inbox_in_the_browser(stack, chromium, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    missed = "blomkål lilla tirsdag zebra"
    stack.send(sender_id("editor", 10), missed)
    logins = demo_logins(stack.var / "kommunebot.db", tmp_path, "nyborg")
    password = dict((user, secret) for user, _, secret in logins.logins)["demo-editor"]
    assert f"demo-editor (editor, nyborg): demo-editor / {password}" in logins.path.read_text()

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    try:
        page = context.new_page()
        page.goto(stack.console_url + "/login")
        page.get_by_label("Brugernavn").fill("demo-editor")
        page.get_by_label("Adgangskode").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log ind").click()
        assert page.evaluate("location.pathname") == "/indbakke"  # an editor starts in the inbox
        assert page.locator("#uden-totrin").count() == 0  # no two-factor warning: that is for admins
        assert "Redaktør" in page.locator("form.logout").inner_text()
        navigation = page.get_by_role("navigation", name="Hovedmenu").inner_text()
        assert "Indbakke" in navigation and "Opringninger" not in navigation
        item = page.get_by_role("listitem").filter(has_text=missed)
        assert item.count() == 1
        page.screenshot(path=str(SHOTS / "inbox-editor.png"), full_page=True)
        item.get_by_role("button", name="Afvis beskeden").click()
        assert page.get_by_role("listitem").filter(has_text=missed).count() == 0

        # The callback queue is for caseworkers: the editor is refused, not shown it.
        response = page.goto(stack.console_url + "/opringninger")
        assert response.status == 403 or page.evaluate("location.pathname") != "/opringninger"
    finally:
        context.close()
