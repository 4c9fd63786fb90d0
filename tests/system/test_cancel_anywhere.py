"""Cancelling a callback from anywhere (issue 27): from another conversation
through the real Rasa and action servers, and on the site's /aflys page."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import time

import requests

from bot.ops.http import free_port
from bot.ops.launch import serve_command
from tests.conftest import PROJECT_ROOT, phone_number, stack_env
from tests.support.senders import sender_id


def _texts(reply) -> str:
    return "\n".join(m.get("text", "") for m in reply)


def _book(stack) -> tuple[str, str]:
    """A callback booked through the chat: (reference, phone number)."""
    sender, phone = sender_id("booker", 10), phone_number()
    for message in ("/callback_request", "Karen Hansen", phone, "/affirm"):
        reply = stack.send(sender, message)[1]
    booked = _texts(stack.send(sender, reply[0]["buttons"][0]["payload"])[1])
    reference = re.search(r"CB-\d{4}-\d{6}", booked).group(0)
    assert f"{stack.site_url.replace('127.0.0.1', 'localhost')}/aflys" in booked.replace("127.0.0.1", "localhost")
    return reference, phone


def _journal(stack, reference: str) -> list[tuple[str, str]]:
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        rows = conn.execute("select action, details from events where reference = ? order by id", (reference,))
        result = list(rows)
    conn.close()
    return result


def _status(stack, reference: str) -> str:
    with sqlite3.connect(stack.var / "kommunebot.db") as conn:
        (status,) = conn.execute("select status from callbacks where reference = ?", (reference,)).fetchone()
    conn.close()
    return status


def test_a_callback_is_cancelled_from_another_conversation_with_the_last_four_digits(stack):
    reference, phone = _book(stack)
    last4 = phone.replace(" ", "")[-4:]
    other = sender_id("other", 10)
    say = lambda text: stack.send(other, text)[1]  # noqa: E731
    asked = say(f"aflys {reference}")
    assert "sidste 4 cifre" in _texts(asked) and asked[-1]["custom"] == {"expects": "digits"}
    unknown = _texts(say("aflys CB-2026-999999"))
    assert unknown == _texts(asked).replace(reference, "CB-2026-999999")  # the same for a reference nobody has
    refused = _texts(say("1111"))
    say(f"aflys {reference}")
    wrong = _texts(say("2222" if last4 != "2222" else "3333"))
    assert "kan ikke aflyse" in wrong and wrong == refused.replace("CB-2026-999999", reference)
    assert _status(stack, reference) == "booked"
    say(f"aflys {reference}")
    done = say(last4[:2] + " " + last4[2:])
    assert "er aflyst" in _texts(done)
    assert done[-1]["custom"] == {"event": "callback_cancelled", "reference": reference}
    assert _status(stack, reference) == "cancelled"
    journal = _journal(stack, reference)
    assert [a for a, _ in journal] == ["booked", "cancel_refused", "cancelled"]
    assert '"via": "chat"' in journal[-1][1].replace('"via":"chat"', '"via": "chat"')
    # The digits never reached the tracker: the conversation holds only their keyed token.
    with sqlite3.connect(stack.var / "tracker.db") as conn:
        stored = [data for (data,) in conn.execute("select data from events where sender_id = ?", (other,))]
    conn.close()
    user_texts = [re.search(r'"text": ?"((?:[^"\\]|\\.)*)"', d) for d in stored if '"event": "user"' in d]
    assert user_texts and not any(m and re.fullmatch(r"[\d ]{4,5}", m.group(1)) for m in user_texts)
    assert not any(last4[:2] + " " + last4[2:] in d for d in stored)
    assert any("/cancel_callback" in d for d in stored)


def _form(session: requests.Session, url: str) -> tuple[str, dict]:
    page = session.get(url)
    assert page.status_code == 200
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    cookie = re.search(r"((?:__Host-)?kb_aflys)=([^;]+)", page.headers["Set-Cookie"])
    return token, {"Cookie": f"{cookie.group(1)}={cookie.group(2)}"}


def _post(url, token, cookie, reference, digits, **extra):
    data = {"csrf": token, "reference": reference, "digits": digits, **extra}
    return requests.post(url, data=data, headers=cookie)


def _without(text: str, *parts: str) -> str:
    for part in parts:
        text = text.replace(part, "")
    return re.sub(r'name="csrf" value="[^"]+"', "", text)


def test_the_cancel_page_cancels_with_reference_and_digits_and_withstands_attacks(stack):
    url = f"{stack.site_url}/aflys"
    page = requests.get(url)
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp and "script" not in csp
    assert 'for="reference"' in page.text and 'for="digits"' in page.text and 'autocomplete="off"' in page.text
    assert "<script" not in page.text and 'lang="da"' in page.text
    assert "HttpOnly" in page.headers["Set-Cookie"] and "SameSite=Strict" in page.headers["Set-Cookie"]

    reference, phone = _book(stack)
    last4 = phone.replace(" ", "")[-4:]
    wrong = "0000" if last4 != "0000" else "1111"
    token, cookie = _form(requests.Session(), url)

    # CSRF: no token, a wrong one, or no cookie: refused, and nothing cancelled.
    assert requests.post(url, data={"reference": reference, "digits": last4}, headers=cookie).status_code == 403
    assert _post(url, "forged", cookie, reference, last4).status_code == 403
    assert requests.post(url, data={"csrf": token, "reference": reference, "digits": last4}).status_code == 403
    # Overlong input: refused before any lookup; an overlong body is not read.
    assert _post(url, token, cookie, reference + "9" * 30, last4).status_code == 400
    assert _post(url, token, cookie, reference, last4, padding="x" * 5000).status_code == 413
    assert _status(stack, reference) == "booked"

    # An unknown reference and wrong digits get the same page.
    unknown = _post(url, token, cookie, "CB-2026-999999", wrong)
    refused = _post(url, token, cookie, reference, wrong)
    assert unknown.status_code == refused.status_code == 400
    assert _without(unknown.text, "CB-2026-999999") == _without(refused.text, reference)
    assert 'aria-describedby="reference-hint cancel-error"' in refused.text and 'id="cancel-error"' in refused.text

    # Five wrong attempts in all lock the reference; the right digits then do not help.
    for _ in range(3):
        assert _post(url, token, cookie, reference, wrong).status_code == 400
    locked = _post(url, token, cookie, reference, wrong)
    assert locked.status_code == 403 and "Ring til" in locked.text
    assert _post(url, token, cookie, reference, last4).text == locked.text
    assert _status(stack, reference) == "booked"
    assert [a for a, _ in _journal(stack, reference)] == ["booked", *["cancel_refused"] * 4, "cancel_locked"]

    # Another booking is cancelled with its own digits, and the caseworker's journal says how.
    other, other_phone = _book(stack)
    done = _post(url, token, cookie, other.lower(), other_phone.replace(" ", "")[-4:])
    assert done.status_code == 200 and f"Dit opkald {other} er aflyst" in done.text
    assert _status(stack, other) == "cancelled"
    action, details = _journal(stack, other)[-1]
    assert action == "cancelled" and "page" in details


def test_the_cancel_page_has_the_chat_rate_limit(tmp_path):
    """KOMMUNEBOT_RATE_ADDRESS caps the page per client address, as the chat."""
    port = free_port()
    env = {
        **stack_env(tmp_path, KOMMUNEBOT_RATE_ADDRESS="3/60", KOMMUNEBOT_SITE_PORT=str(port)),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    server = subprocess.Popen(
        serve_command("site", "--port", str(port)),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/aflys"
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert [requests.get(url).status_code for _ in range(3)] == [200, 200, 200]
        limited = requests.get(url)
        assert limited.status_code == 429 and "Vent lidt" in limited.text
        assert (
            requests.post(url, data={"csrf": "x", "reference": "CB-2026-000001", "digits": "1234"}).status_code == 429
        )
    finally:
        server.terminate()
        server.wait(10)
