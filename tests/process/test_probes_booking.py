"""Probe: a script books callbacks from one address with many sender ids and
invented phone numbers. Before the per-address cap every booking was taken
(about 60 a minute at the address rate limit, against some 400 places in
the 14-day window); now the address gets KOMMUNEBOT_MAX_BOOKINGS_ADDRESS
and then the Danish refusal that offers the phone, while a citizen at
another address still books.

This stack runs with the production booking caps (the shared test stack
lifts them, since all its tests come from 127.0.0.1), behind a trusted
proxy on 127.0.0.1, so each request names its client in X-Forwarded-For
as HAProxy would."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request

import pytest

from bot.ops.http import free_port
from bot.settings import DEFAULT_MODEL, PROJECT_ROOT, Settings
from tests.conftest import phone_number, stack_env
from tests.support.senders import sender_id

pytestmark = pytest.mark.model

SCRIPT = "203.0.113.9"
CITIZEN = "198.51.100.20"
REFERENCE = re.compile(r"bookingnummer er (CB-\d{4}-\d{6})")
ATTEMPTS = 12


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    from bot.ops.processes import Stack

    var = tmp_path_factory.mktemp("capped")
    env = stack_env(
        var,
        KOMMUNEBOT_TRUSTED_PROXIES="127.0.0.1",
        # The message limits are not what is probed here: the script stays
        # under them in real life by pacing itself.
        KOMMUNEBOT_RATE_ADDRESS="100000/60",
        KOMMUNEBOT_RATE_SENDER="100000/60",
    )
    if not (PROJECT_ROOT / DEFAULT_MODEL).is_file():
        pytest.fail("the trained model is missing: run the suite with `make test`")
    stack = Stack(free_port(), free_port(), env=env, log_dir=var / "logs")
    stack.var = var
    try:
        stack.start()
    except Exception:
        stack.stop()
        raise
    yield stack
    stack.stop()


def say(stack, sender: str, text: str, address: str) -> str:
    body = json.dumps({"sender": sender, "message": text, "metadata": {"kommune": "nyborg"}}).encode()
    request = urllib.request.Request(
        f"{stack.url}/webhooks/rest/webhook",
        body,
        headers={"Content-Type": "application/json", "X-Forwarded-For": address},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            reply = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        reply = json.loads(exc.read())
    return reply


def book(stack, address: str) -> str:
    """One whole booking conversation; the assistant's last words."""
    sender = sender_id("script", 10)
    say(stack, sender, "min boligstøtte er blevet sat ned og jeg vil klage over afgørelsen", address)
    say(stack, sender, "/callback_request", address)
    say(stack, sender, "Karen Hansen", address)
    say(stack, sender, phone_number(), address)
    offer = say(stack, sender, "/affirm", address)
    buttons = [b for m in offer for b in m.get("buttons") or []]
    assert buttons, offer
    return " ".join(m.get("text") or "" for m in say(stack, sender, buttons[0]["payload"], address))


def test_one_address_cannot_book_up_the_callbacks(capped):
    cap = Settings.load({}).max_bookings_address
    results = [book(capped, SCRIPT) for _ in range(ATTEMPTS)]
    booked = [r for r in results if REFERENCE.search(r)]
    refused = [r for r in results if not REFERENCE.search(r)]
    print(f"\nfrom one address: {len(booked)} of {ATTEMPTS} bookings accepted (cap {cap})")
    assert len(booked) == cap, results
    # Refused in Danish, with the phone as the way on.
    assert refused and all("internetforbindelse" in r and "Ring" in r for r in refused), refused[:2]
    # A citizen elsewhere is not affected.
    assert REFERENCE.search(book(capped, CITIZEN))
    with sqlite3.connect(capped.var / "kommunebot.db") as conn:
        per_client = [n for (n,) in conn.execute("select count(*) from callbacks group by client order by 1")]
        clients = [c for (c,) in conn.execute("select distinct client from callbacks")]
    assert per_client == [1, cap]
    # Only the pseudonym is stored, never the address.
    assert all(re.fullmatch("[0-9a-f]{16}", c) for c in clients)
    stored = b"".join(p.read_bytes() for p in capped.var.rglob("*.db*") if p.is_file())
    assert SCRIPT.encode() not in stored and CITIZEN.encode() not in stored
