"""The editor's inbox through the real console process and a real SQLite
database (issue 28 item 6): counts per kind, filters by kind and errand,
25 messages a page with bounded page numbers, and a decision that returns
to the same filter and page."""

from __future__ import annotations

import re
import shutil

import pytest

from bot.console.accounts import Accounts
from bot.ops.http import free_port
from bot.records.inbox import Inbox
from bot.settings import PROJECT_ROOT
from tests.support.console_server import ConsoleServer, hidden, login

PASSWORD = "korrekt-hest-batteri"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inbox-paging")
    root = tmp / "content"
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    shutil.copy(PROJECT_ROOT / "domain.yml", root / "domain.yml")
    data_db = tmp / "kommunebot.db"
    Accounts(data_db).create_user("eva", PASSWORD, "editor", municipality="nyborg")
    inbox = Inbox(data_db)
    for i in range(30):
        inbox.add("nyborg", f"uforstaaelig besked {i:02d}", "fallback", "nlu_fallback", 0.2)
    inbox.add("nyborg", "hvordan fornyer jeg det", "corrected", "pas", 0.6, chosen="koerekort")
    inbox.add("nyborg", "min mor er syg og skal have sundhedskort", "declined", "personal_matter", 0.7)
    inbox.add("glostrup", "en anden kommunes rettelse", "corrected", "pas", 0.6, chosen="koerekort")
    server = ConsoleServer(
        free_port(), data_db, f"sqlite:///{tmp / 'tracker.db'}", tmp / "console.log", content_root=root
    )
    server.inbox = inbox
    yield server
    server.stop()


@pytest.fixture(scope="module")
def eva(console):
    client, response = login(console.url, "eva", PASSWORD)
    assert response.status_code == 200
    return client


def messages(html: str) -> list[str]:
    return re.findall(r'<p class="message" id="besked-\d+">([^<]*)</p>', html)


def count(html: str, kind: str) -> int:
    return int(re.search(rf'id="antal-{kind}">(\d+)<', html).group(1))


def test_counts_and_the_first_page(console, eva):
    page = eva.get(console.url + "/indbakke").text
    assert (count(page, "alle"), count(page, "fallback"), count(page, "declined"), count(page, "corrected")) == (
        32,
        30,
        1,
        1,
    )
    assert len(messages(page)) == 25 and "Side 1 af 2 (32 beskeder)" in page
    assert "en anden kommunes rettelse" not in page
    assert 'href="/indbakke?side=2" rel="next"' in page


def test_pages_are_bounded_and_validated(console, eva):
    last = eva.get(console.url + "/indbakke?side=2").text
    assert len(messages(last)) == 7 and "Side 2 af 2" in last and "Næste side" not in last
    for side in ("99", "0", "-1", "abc", "1" * 40, "2.5"):
        response = eva.get(console.url + "/indbakke", params={"side": side})
        assert response.status_code == 200, side
        assert ("Side 2 af 2" if side == "99" else "Side 1 af 2") in response.text, side


def test_filters_by_kind_and_errand(console, eva):
    corrected = eva.get(console.url + "/indbakke?slags=corrected").text
    assert messages(corrected) == ["hvordan fornyer jeg det"]
    assert "Rettede emnet" in corrected and "Borgeren rettede straks til: <strong>Kørekort</strong>" in corrected
    # What the citizen corrected to is what they meant: the form offers it first.
    assert re.search(r'<option value="koerekort" selected>', corrected)
    declined = eva.get(console.url + "/indbakke?slags=declined").text
    assert messages(declined) == ["min mor er syg og skal have sundhedskort"] and "Afslog opringning" in declined
    assert messages(eva.get(console.url + "/indbakke?aerinde=koerekort").text) == ["hvordan fornyer jeg det"]
    both = eva.get(console.url + "/indbakke?slags=fallback&aerinde=koerekort").text
    assert messages(both) == [] and "Ingen nye beskeder med det filter." in both
    # An unknown kind or errand is no filter.
    unknown = eva.get(console.url + "/indbakke", params={"slags": "<script>", "aerinde": "' OR 1=1 --"}).text
    assert len(messages(unknown)) == 25 and "<script>" not in unknown


def test_a_decision_returns_to_the_same_filter_and_page(console, eva):
    # A message of its own, decided in this test, so the others' counts stay.
    ident = console.inbox.add("nyborg", "en besked at afvise", "out_of_scope", "out_of_scope", 0.9)
    page = eva.get(console.url + "/indbakke?slags=out_of_scope").text
    assert messages(page) == ["en besked at afvise"]
    form = {"csrf": hidden(page, "csrf"), "slags": "out_of_scope", "side": "2"}
    done = eva.post(f"{console.url}/indbakke/{ident}/afvis", data=form, allow_redirects=False)
    assert done.status_code == 303
    assert done.headers["Location"] == "/indbakke?slags=out_of_scope&side=2&besked=inbox_dismissed"
    assert console.inbox.get(ident).status == "dismissed"
    after = eva.get(console.url + done.headers["Location"]).text
    assert "Beskeden er afvist" in after and "Ingen nye beskeder med det filter." in after
