"""`kommunebot chat` (`make shell`): chat with the running assistant through its REST channel.

Buttons are numbered; type the number to choose one. Goes through the same
channel as the website, so the terminal shows what a citizen would get.
"""

from __future__ import annotations

import sys
import urllib.error
import uuid

from bot.ops.http import http_json


def chat(url: str, kommune: str | None = None) -> int:
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    metadata = {"kommune": kommune} if kommune else None
    buttons: list[dict] = []
    print("Skriv dit spørgsmål (Ctrl-D afslutter).")
    while True:
        try:
            text = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        body = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        try:
            status, replies = http_json(f"{url}/webhooks/rest/webhook", body)
        except (urllib.error.URLError, ConnectionError) as exc:
            print(f"error: cannot reach the assistant at {url} ({exc}); is `make run` running?", file=sys.stderr)
            continue
        buttons = []
        for reply in replies if isinstance(replies, list) else [replies]:
            if isinstance(reply, dict):
                print(reply.get("text", ""))
                for button in reply.get("buttons") or []:
                    buttons.append(button)
                    print(f"  [{len(buttons)}] {button['title']}")
