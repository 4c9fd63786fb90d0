"""Through the real servers (Rasa, the action server, the tracker store):
a declined callback offer and a corrected errand reach the editors' inbox,
the message remembered for one turn in the suggested slot, which a button
payload cannot set (issue 28 item 6)."""

from __future__ import annotations

import json

from bot.records.inbox import Inbox
from tests.support.senders import sender_id

CASE = "min sygedagpengesag er blevet stoppet og jeg forstår ikke hvorfor"
# Its own text: the stack and its inbox are shared with other tests.
PASSPORT = "jeg skal vist have et nyt pas inden sommerferien"


def texts(reply) -> str:
    return "\n".join(m.get("text", "") for m in reply)


def test_a_declined_offer_and_a_corrected_errand_reach_the_inbox(stack):
    inbox = Inbox(stack.var / "kommunebot.db")
    try:
        sender = sender_id("declined", 8)
        _, offer = stack.send(sender, CASE)
        assert "din egen sag" in texts(offer)
        no_thanks = next(b for m in offer for b in m.get("buttons") or [] if b["title"] == "Nej tak")
        stack.send(sender, no_thanks["payload"])
        declined = [m for m in inbox.list(kind="declined") if m.text == CASE]
        assert len(declined) == 1 and declined[0].municipality == "nyborg"

        sender = sender_id("corrected", 8)
        _, first = stack.send(sender, PASSPORT)
        assert "pas" in texts(first).lower()
        _, second = stack.send(sender, "nej, jeg mente mit kørekort")
        assert "kørekort" in texts(second).lower()
        corrected = [m for m in inbox.list(kind="corrected") if m.text == PASSPORT]
        assert [(m.predicted, m.chosen) for m in corrected] == [("pas", "koerekort")]

        # A payload cannot set the slot: a stranger cannot write a message of their own into the inbox.
        forged = {"suggested": {"decided": {"kind": "escalation", "key": "x", "text": "forged text"}}}
        stack.send(sender_id("forged", 8), "/deny" + json.dumps(forged))
        assert not [m for m in inbox.list() if m.text == "forged text"]
    finally:
        inbox.close()
