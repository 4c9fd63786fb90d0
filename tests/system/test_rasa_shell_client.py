"""Rasa's own console client (rasa.core.channels.console, what `rasa shell`
runs) against our already running Rasa server's REST channel.

`rasa shell` itself always starts a server of its own (and binds its port),
so it cannot attach to a running one; its client, ``record_messages``, can:
it posts to <server>/webhooks/rest/webhook. Only without response
streaming (``use_response_stream=False``): the streaming client expects one
JSON object per line (Rasa's RestInput with ``?stream=true``), and our REST
channel answers with one JSON list, which it would silently not print.

The client runs as its own process in a pseudo-terminal, as in a shell
(questionary needs a terminal), and is typed to.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

from tests.conftest import PROJECT_ROOT
from tests.support.senders import sender_id

QUESTION = "hvordan fornyer jeg mit pas"
CLIENT = """
import asyncio, sys
from rasa.core.channels.console import record_messages
asyncio.run(record_messages(sys.argv[1], server_url=sys.argv[2], use_response_stream=False, max_message_limit=2))
"""
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\r")


class Terminal:
    def __init__(self, args: list[str]):
        self.master, slave = pty.openpty()
        env = {**os.environ, "TERM": "xterm", "COLUMNS": "200", "LINES": "50", "RASA_TELEMETRY_ENABLED": "false"}
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=PROJECT_ROOT, env=env)
        os.close(slave)
        self.raw = b""

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw.decode(errors="replace"))

    def read_until(self, pattern: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.text):
                return True
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.raw += os.read(self.master, 65536)
                except OSError:  # the client exited
                    return bool(re.search(pattern, self.text))
        return False

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        os.close(self.master)


def test_rasa_console_client_gets_our_answer_from_the_rest_channel(stack):
    # What the REST channel answers this question in a new conversation.
    status, expected = stack.send(sender_id("shell-ref", 8), QUESTION)
    assert status == 200 and expected and expected[0].get("text")
    first_line = expected[0]["text"].splitlines()[0].strip()

    sender = sender_id("shell", 12)
    terminal = Terminal([sys.executable, "-c", CLIENT, sender, stack.url])
    try:
        assert terminal.read_until("Your input ->", 120), terminal.text
        terminal.type(QUESTION + "\r")
        # The answer: its first line as Rasa's console prints it (the last
        # message, with buttons, becomes a choice list).
        assert terminal.read_until(re.escape(first_line[:40]), 60), (first_line, terminal.text[-3000:])
        assert "Kontakt venligst kommunen" not in terminal.text
        # A second message (Enter: the first button, or an empty line) ends
        # the client at its limit of two.
        terminal.type("\r")
        deadline = time.monotonic() + 60
        while terminal.proc.poll() is None and time.monotonic() < deadline:
            terminal.read_until("$^", 0.5)
        assert terminal.proc.returncode == 0, terminal.text[-3000:]
    finally:
        terminal.close()

    # It was our REST channel: the conversation is stored under the console's sender.
    status, tracker = stack.api(f"/conversations/{sender}/tracker")
    assert status == 200
    assert [e["text"] for e in tracker["events"] if e.get("event") == "user"][0] == QUESTION
