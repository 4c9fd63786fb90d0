"""Rasa's lock store, configured by one URL, with tickets issued atomically.

Rasa takes a per-conversation ticket lock around every message, so the
events of one turn are written before the next turn reads the tracker.
With one Rasa process an in-memory lock is enough (the default of `make
run`). With several replicas the lock must live in a shared store, and
Rasa's own ``RedisLockStore`` is not safe there: ``issue_ticket``, the
wait loop and ``cleanup`` each GET the serialized ``TicketLock``, change
it in Python and SET it back. Two replicas that read the same state both
hand out the same ticket number and both believe they hold the lock, or
one deletes the lock with the other's fresh ticket in it.

``RedisTicketLockStore`` keeps Rasa's semantics (tickets served in the
order they were issued, each ticket with a lifetime so that a killed
replica's ticket stops blocking the conversation once it expires) but
every change is one Lua script, which Redis runs atomically, and expiry
is judged by the Redis server's clock, so replicas whose clocks differ
still agree.

Per conversation there are two sorted sets: the tickets by number (the
queue) and the same tickets by expiry time. Ticket numbers come from one
counter that never expires, so a number is never reused: a holder whose
ticket expired and who releases it late cannot remove someone else's.

When the lock store URL is set but Redis cannot be reached, every lock
operation raises ``LockStoreUnavailable``: the channels refuse the message
in Danish. There is deliberately no fallback to an in-memory lock, which
would let two replicas answer the same conversation at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore

from bot import settings

log = logging.getLogger(__name__)

KEY_PREFIX = "kommunebot:lock:"
# Seconds between two looks at the queue while another ticket is served.
# Rasa polls once a second, which adds up to a second to the reply of every
# message that arrives while the conversation's previous one is handled;
# a look costs one small script call, so poll often.
POLL_SECONDS = 0.02
# A replica must notice a hung Redis before the citizen gives up.
SOCKET_TIMEOUT = 5.0
CONNECT_TIMEOUT = 2.0

# Shared by the scripts: the server's time in ms, and removal of expired
# tickets from both sets. KEYS[1] = queue (score: ticket number),
# KEYS[2] = expiry (score: expiry time in ms).
_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
end
"""

# KEYS[3] = the ticket counter; ARGV[1] = lifetime in ms. Returns the ticket.
_ISSUE = (
    _COMMON
    + """
local number = redis.call('INCR', KEYS[3])
local expires = now + tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], number, number)
redis.call('ZADD', KEYS[2], expires, number)
-- The sets live exactly as long as their longest-lived ticket, so an
-- abandoned conversation leaves nothing behind in Redis.
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local ttl = tonumber(last[2]) - now + 1
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return number
"""
)

# ARGV[1] = ticket. Returns {position, ms the ticket has left}: position 0
# when the ticket is served now, the number of tickets ahead of it while it
# waits, -1 when it has expired.
_ACQUIRE = (
    _COMMON
    + """
local expires = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not expires then
  return {-1, 0}
end
return {redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. ARGV[1]), tonumber(expires) - now}
"""
)

# ARGV[1] = ticket. Returns how many tickets still wait.
_RELEASE = (
    _COMMON
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('ZCARD', KEYS[1])
"""
)


class LockStoreUnavailable(LockError):
    """The lock store cannot be reached; the message names its URL without the password."""


def safe_url(url: str) -> str:
    """``url`` with its password replaced by ***, for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class UrlLockStore:
    """The lock store endpoints.yml names (``type: glue.lock_store.UrlLockStore``).

    Rasa builds a custom lock store by calling its class with the endpoint
    configuration; this class only chooses: Redis when a URL is given
    (endpoints.yml ``url``, else KOMMUNEBOT_LOCK_URL), Rasa's in-memory
    store otherwise. The URL is not written as ``${KOMMUNEBOT_LOCK_URL}`` in
    endpoints.yml because Rasa refuses to start when such a variable is
    unset, and unset is the single-machine default.
    """

    def __new__(cls, endpoint_config: Any = None, url: str | None = None, **kwargs: Any) -> LockStore:
        configured = getattr(endpoint_config, "url", None) if endpoint_config is not None else None
        url = (url or configured or settings.current().lock_url or "").strip()
        if not url:
            log.info("lock store: in memory (one Rasa process only; set KOMMUNEBOT_LOCK_URL for more)")
            return InMemoryLockStore()
        return RedisTicketLockStore(url, **kwargs)


class RedisTicketLockStore(LockStore):
    """Ticket locks in Redis, every change one atomic script (see the module docstring)."""

    def __init__(
        self,
        url: str,
        key_prefix: str = KEY_PREFIX,
        socket_timeout: float = SOCKET_TIMEOUT,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        import redis

        self.url = safe_url(url)
        if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
            # Never guess: a lock store that silently is not one lets replicas race.
            raise ValueError(f"lock store URL must be redis://, rediss:// or unix://, got {self.url}")
        self._errors = (redis.exceptions.RedisError, OSError)
        self.red = redis.Redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=CONNECT_TIMEOUT, health_check_interval=30
        )
        self.prefix = key_prefix
        self.poll_seconds = poll_seconds
        self._issue = self.red.register_script(_ISSUE)
        self._acquire = self.red.register_script(_ACQUIRE)
        self._release = self.red.register_script(_RELEASE)
        super().__init__()
        try:
            self.red.ping()
            log.info("lock store: Redis at %s", self.url)
        except self._errors as exc:
            # Start anyway: messages are refused until Redis is back, and the
            # replica needs no restart then.
            log.error(
                "lock store: Redis at %s is unreachable (%s); messages are refused until it is back", self.url, exc
            )

    def _keys(self, conversation_id: str) -> list[str]:
        base = f"{self.prefix}{conversation_id}"
        return [f"{base}:queue", f"{base}:expires"]

    def _call(self, what: str, conversation_id: str, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except self._errors as exc:
            raise LockStoreUnavailable(
                f"lock store {self.url} unavailable while trying to {what} for conversation "
                f"'{conversation_id}': {type(exc).__name__}: {exc}"
            ) from None

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        keys = [*self._keys(conversation_id), f"{self.prefix}ticket-counter"]
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        return int(self._call("issue a ticket", conversation_id, self._issue, keys, [lifetime_ms]))

    def _position(self, conversation_id: str, ticket: int) -> tuple[int, float]:
        position, left_ms = self._call(
            "check a ticket", conversation_id, self._acquire, self._keys(conversation_id), [ticket]
        )
        return int(position), int(left_ms) / 1000

    def ticket_position(self, conversation_id: str, ticket: int) -> int:
        """0: ``ticket`` is served now; n > 0: n tickets are ahead of it; -1: it expired."""
        return self._position(conversation_id, ticket)[0]

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float | None = None
    ) -> AsyncGenerator[TicketLock, None]:
        # Rasa's callers pass no wait time, so its 1 s default would apply;
        # ours is POLL_SECONDS unless a caller asks for another.
        wait = self.poll_seconds if wait_time_in_seconds is None else wait_time_in_seconds
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait)
        finally:
            self.cleanup(conversation_id, ticket)

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while True:
            position, seconds_left = self._position(conversation_id, ticket)
            if position == 0:
                log.debug("acquired lock for conversation '%s' with ticket %d", conversation_id, ticket)
                return TicketLock(conversation_id, deque([Ticket(ticket, time.time() + seconds_left)]))
            if position < 0:
                # As in Rasa: a ticket that waited past its lifetime is not served.
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(wait_time_in_seconds)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._call("release a ticket", conversation_id, self._release, self._keys(conversation_id), [ticket_number])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Release the ticket; the sets vanish by themselves once empty."""
        try:
            self.finish_serving(conversation_id, ticket_number)
        except LockStoreUnavailable as exc:
            # The turn itself is done and stored; failing it now would only
            # hide its reply. The ticket expires after its lifetime.
            log.error("%s; the ticket expires by itself", exc)

    def update_lock(self, conversation_id: str) -> None:
        """Expired tickets are removed by every script; nothing to do."""

    def _server_now(self) -> float:
        seconds, micros = self._call("read the time", "", self.red.time)
        return seconds + micros / 1e6

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's live tickets as Rasa's TicketLock, for inspection."""
        _, expires = self._keys(conversation_id)
        entries = self._call("read the lock", conversation_id, self.red.zrange, expires, 0, -1, withscores=True)
        now = self._server_now()
        # Expiry is kept in the server's clock; TicketLock compares with this machine's.
        offset = time.time() - now
        tickets = sorted(
            (Ticket(int(number), score / 1000 + offset) for number, score in entries if score / 1000 > now),
            key=lambda t: t.number,
        )
        return TicketLock(conversation_id, deque(tickets)) if tickets else None

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return self.get_lock(conversation_id) is not None

    def delete_lock(self, conversation_id: str) -> None:
        deleted = self._call("delete the lock", conversation_id, self.red.delete, *self._keys(conversation_id))
        self._log_deletion(conversation_id, bool(deleted))

    def save_lock(self, lock: TicketLock) -> None:
        """Replace the conversation's tickets with ``lock``'s (Rasa's interface; our own paths never call it)."""
        queue, expires = self._keys(lock.conversation_id)
        offset = self._server_now() - time.time()

        def write():
            pipe = self.red.pipeline(transaction=True)
            pipe.delete(queue, expires)
            for ticket in lock.tickets:
                pipe.zadd(queue, {str(ticket.number): ticket.number})
                pipe.zadd(expires, {str(ticket.number): (ticket.expires + offset) * 1000})
            if lock.tickets:
                ttl = max(1, int((max(t.expires for t in lock.tickets) - time.time()) * 1000))
                pipe.pexpire(queue, ttl)
                pipe.pexpire(expires, ttl)
            pipe.execute()

        self._call("save the lock", lock.conversation_id, write)
