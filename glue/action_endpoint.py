"""The custom-action call: one HTTP client session per endpoint instead of
one per request, and only the current turn's events in the request.

Rasa 3.6's ``EndpointConfig.request`` (rasa/utils/endpoints.py) opens a new
aiohttp ``ClientSession`` for every call and closes it after, so every
custom-action call connects anew to the action server: a TCP handshake and
a new connection on both sides, and a session with its connector built and
torn down, per call. ``request`` here is Rasa's, line for line, except that
the session is kept on the endpoint (per event loop) and its connections
are reused.

A kept connection is given up after ``IDLE_SECONDS`` without use, well
before a server closes it (Sanic's action server after 5 s, HAProxy's
action frontend after 10 s), so a request never goes out on a connection
the server is closing. ``close_sessions`` closes them when the Rasa server
stops (the REST channel registers it).

Rasa sends the action server the whole tracker it holds, every event of
the window (glue/tracker_store.py) with each message's full parse. The
actions read the latest message, the slots and the active loop, which the
request carries apart from the events, and of the events only the current
turn's: rasa-sdk's form validation reads the slot events at the end
(``Tracker.slots_to_validate``). The events before the current turn's user
message are therefore left out of the request (``action_call_format``);
tests/unit/test_glue.py checks that actions/ and bot/ never read a
tracker's events. Encoding them was 5 % of the Rasa server under load
(py-spy, 10 users, 2026-12-07), and the action server decoded them again.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any

import aiohttp
from aiohttp import ContentTypeError
from rasa.core.actions.action import RemoteAction
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils import endpoints
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

from glue.rasa_pin import check

# Below the keep-alive of every server the endpoint may point at: Sanic's
# default KEEP_ALIVE_TIMEOUT (5 s, the action server) and HAProxy's
# http-request timeout (10 s, deploy/haproxy-cluster.cfg, which bounds its
# client keep-alive). Not measured: a margin so the client always lets go first.
IDLE_SECONDS = 2.0

_rasa_request = EndpointConfig.request
_rasa_session = EndpointConfig.session
_rasa_call_format = RemoteAction._action_call_format
# The digests of Rasa 3.6.21's request, session and action call (glue/rasa_pin.py).
_PINNED = (
    (_rasa_request, "ccdb778aed8208e2"),
    (_rasa_session, "e55aa13d9d4fb4bc"),
    (_rasa_call_format, "428795b944f22edb"),
)

_KEPT = "_kommunebot_session"
_open: set[aiohttp.ClientSession] = set()


def _session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The endpoint's session for the running loop, made as Rasa makes it
    (``EndpointConfig.session``) but with a connector that keeps connections."""
    loop = asyncio.get_running_loop()
    kept = endpoint.__dict__.get(_KEPT)
    if kept is not None and not kept.closed and kept._loop is loop:
        return kept
    auth = (
        aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
        if endpoint.basic_auth
        else None
    )
    session = aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=endpoints.DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_SECONDS),
    )
    endpoint.__dict__[_KEPT] = session
    _open.add(session)
    return session


async def request(
    self: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any | None:
    """Rasa's ``EndpointConfig.request`` on the endpoint's kept session."""
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs["headers"])
        del kwargs["headers"]
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
            ) from e
    async with _session(self).request(
        method,
        url,
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


def current_turn(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events from the last user message on; all of them without one."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index:]
    return events


def action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> dict[str, Any]:
    """Rasa's request to the action server with the current turn's events only."""
    call = _rasa_call_format(self, tracker, domain)
    state = call["tracker"]
    state["events"] = current_turn(state["events"])
    return call


async def close_sessions(*_: Any) -> None:
    """Close every kept session (a Sanic listener: the Rasa server stops)."""
    while _open:
        session = _open.pop()
        if not session.closed:
            await session.close()


def install() -> None:
    for function, digest in _PINNED:
        check(function, digest, __name__)
    EndpointConfig.request = request
    RemoteAction._action_call_format = action_call_format
