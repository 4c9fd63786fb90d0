"""CORS on the real Rasa server: socket.io long-polling (what rasa-webchat
and every socket.io client start with) and the REST channel.

A browser refuses a response that carries Access-Control-Allow-Origin more
than once, so each response must carry it exactly once for an allowed page
and never for any other page; a disallowed page is refused outright.
"""

from __future__ import annotations

import re

import pytest
import requests

EVIL = "https://evil.example"
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"


def headers_of(resp: requests.Response, name: str) -> list[str]:
    # requests folds repeated headers into one comma-joined value; urllib3's
    # raw headers keep each one, which is what the browser sees.
    return resp.raw.headers.getlist(name)


def assert_allowed(resp: requests.Response, origin: str) -> None:
    assert headers_of(resp, ACAO) == [origin], resp.raw.headers
    # Credentials may be allowed only together with one concrete origin.
    assert headers_of(resp, ACAC) in ([], ["true"]), resp.raw.headers


def assert_refused(resp: requests.Response) -> None:
    assert headers_of(resp, ACAO) == [], resp.raw.headers
    assert headers_of(resp, ACAC) in ([], ["true"]), resp.raw.headers


def polling_url(stack, sid: str | None = None) -> str:
    url = f"{stack.url}/socket.io/?EIO=4&transport=polling&t=test"
    return f"{url}&sid={sid}" if sid else url


def handshake(stack, origin: str) -> requests.Response:
    return requests.get(polling_url(stack), headers={"Origin": origin}, timeout=10)


@pytest.fixture
def origin(stack) -> str:
    return stack.settings.allowed_origins[0]


def test_polling_handshake_get_and_post_carry_one_allow_origin(stack, origin):
    opened = handshake(stack, origin)
    assert opened.status_code == 200, opened.text
    assert_allowed(opened, origin)
    sid = re.search(r'"sid":"([^"]+)"', opened.text).group(1)

    # The socket.io CONNECT packet, posted the way socket.io-client does.
    connect = requests.post(
        polling_url(stack, sid),
        data=b"40",
        headers={"Origin": origin, "Content-Type": "text/plain;charset=UTF-8"},
        timeout=10,
    )
    assert connect.status_code == 200 and connect.text == "OK"
    assert_allowed(connect, origin)

    # The long-poll that returns the server's CONNECT answer.
    answer = requests.get(polling_url(stack, sid), headers={"Origin": origin}, timeout=10)
    assert answer.status_code == 200 and answer.text.startswith("40")
    assert_allowed(answer, origin)


def test_polling_preflight_carries_one_allow_origin(stack, origin):
    preflight = requests.options(
        polling_url(stack),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert preflight.status_code in (200, 204)
    assert_allowed(preflight, origin)
    assert "POST" in preflight.headers.get("Access-Control-Allow-Methods", "")
    assert "content-type" in preflight.headers.get("Access-Control-Allow-Headers", "").lower()


def test_other_pages_are_refused_and_get_no_allow_origin(stack, origin):
    refused = handshake(stack, EVIL)
    assert refused.status_code == 400
    assert_refused(refused)

    # Not even with a session opened by an allowed page.
    sid = re.search(r'"sid":"([^"]+)"', handshake(stack, origin).text).group(1)
    post = requests.post(polling_url(stack, sid), data=b"40", headers={"Origin": EVIL}, timeout=10)
    assert post.status_code == 400
    assert_refused(post)

    preflight = requests.options(
        polling_url(stack), headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}, timeout=10
    )
    assert_refused(preflight)


def test_rest_channel_cors_still_works(stack, origin):
    url = f"{stack.url}/webhooks/rest/webhook"
    preflight = requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert_allowed(preflight, origin)
    assert "content-type" in preflight.headers.get("Access-Control-Allow-Headers", "").lower()

    body = {"sender": "cors-rest-1", "message": "hvordan fornyer jeg mit pas", "metadata": {"kommune": "nyborg"}}
    answered = requests.post(url, json=body, headers={"Origin": origin}, timeout=60)
    assert answered.status_code == 200 and answered.json()
    assert_allowed(answered, origin)

    foreign = requests.post(url, json={**body, "sender": "cors-rest-2"}, headers={"Origin": EVIL}, timeout=60)
    assert_refused(foreign)
    foreign_preflight = requests.options(
        url, headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}, timeout=10
    )
    assert_refused(foreign_preflight)
