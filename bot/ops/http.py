"""Small HTTP and port helpers for the process runner, the chat CLI and tests."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request


def http_json(url: str, body: dict | None = None, timeout: float = 30) -> tuple[int, object]:
    """POST ``body`` as JSON (GET without one); the status and the decoded answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def free_port() -> int:
    """A port no one listens on right now (for test and evaluation servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rasa_parser(url: str, token: str):
    """A parse function for the held-out evaluation: one text through a
    running Rasa server's /model/parse (the API needs its token)."""

    def parse(text: str) -> dict:
        status, parsed = http_json(f"{url}/model/parse?token={token}", {"text": text})
        if status != 200 or not isinstance(parsed, dict):
            raise RuntimeError(f"{url}/model/parse answered {status}")
        return parsed

    return parse
