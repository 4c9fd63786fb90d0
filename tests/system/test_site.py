"""The widget's server: municipality settings from the knowledge base, the
widget files, allowed origins, and the brand-colour contrast rule."""

from __future__ import annotations

import requests

from bot.site.theme import DEFAULT_COLOUR, contrast_with_white, widget_colour


def test_config_comes_from_the_knowledge_base(stack):
    nyborg = requests.get(f"{stack.site_url}/widget/config.json", params={"kommune": "nyborg"}).json()
    assert nyborg["name"] == "Nyborg Kommune" and nyborg["website"].startswith("https://")
    assert nyborg["phone"] is None  # not verified, so never shown
    guldborgsund = requests.get(f"{stack.site_url}/widget/config.json", params={"kommune": "guldborgsund"}).json()
    assert guldborgsund["phone"] == "+45 54 73 10 00"
    assert guldborgsund["colour"] == DEFAULT_COLOUR
    unknown = requests.get(f"{stack.site_url}/widget/config.json", params={"kommune": "atlantis"})
    assert unknown.status_code == 404


def test_widget_files_and_cross_origin_reads(stack):
    script = requests.get(f"{stack.site_url}/widget/widget.js", headers={"Origin": stack.site_url})
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")
    assert script.headers["Access-Control-Allow-Origin"] == stack.site_url
    foreign = requests.get(f"{stack.site_url}/widget/widget.js", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    assert requests.get(f"{stack.site_url}/widget/socket.io.min.js").status_code == 200
    assert requests.get(f"{stack.site_url}/widget/widget.css").headers["Content-Type"].startswith("text/css")
    assert requests.get(f"{stack.site_url}/widget/../bot/settings.py").status_code == 404


def test_demo_page_embeds_the_widget_with_one_tag(stack):
    page = requests.get(stack.site_url + "/?kommune=glostrup")
    assert page.status_code == 200 and "Glostrup Kommune" in page.text
    assert page.text.count("<script") == 1
    assert f'data-server="{stack.url}"' in page.text and 'data-kommune="glostrup"' in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    unknown = requests.get(stack.site_url + "/?kommune=atlantis")
    assert unknown.status_code == 404 and "Kommunen findes ikke" in unknown.text


def test_brand_colours_without_enough_contrast_are_replaced():
    assert contrast_with_white("#1d4f91") >= 4.5
    assert widget_colour("#0b5394") == "#0b5394"
    assert widget_colour("#ffcc00", "test") == DEFAULT_COLOUR  # yellow: white text unreadable
    assert widget_colour(None) == DEFAULT_COLOUR


def _feedback_rows(stack) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        rows = conn.execute("select municipality, topic, situation, answered, reason from feedback").fetchall()
    conn.close()
    return rows


def test_feedback_is_stored_only_as_the_widget_can_send_it(stack):
    """Issue 27: "Fik du svar?" answers, checked against the knowledge base,
    with no text, conversation or address stored."""
    url, origin = f"{stack.site_url}/widget/feedback", {"Origin": stack.site_url}
    before = len(_feedback_rows(stack))
    good = {"kommune": "nyborg", "topic": "pas", "situation": None, "answered": True, "reason": None}
    assert requests.post(url, json=good, headers=origin).status_code == 201
    no = {**good, "situation": "bortkommet", "answered": False, "reason": "link_failed"}
    assert requests.post(url, json=no, headers=origin).status_code == 201
    for bad in (
        {**good, "kommune": "atlantis"},
        {**good, "topic": "kaffe"},
        {**good, "situation": "ukendt"},
        {**good, "answered": "ja"},
        {**good, "reason": "link_failed"},  # a reason only with a no
        {**no, "reason": "min sag om 010190-1234"},  # never free text
        ["pas"],
    ):
        assert requests.post(url, json=bad, headers=origin).status_code == 400, bad
    assert requests.post(url, json=good, headers={"Origin": "https://evil.example"}).status_code == 403
    rows = _feedback_rows(stack)[before:]
    assert rows == [("nyborg", "pas", None, 1, None), ("nyborg", "pas", "bortkommet", 0, "link_failed")]
    preflight = requests.options(url, headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Methods"] == "POST"
