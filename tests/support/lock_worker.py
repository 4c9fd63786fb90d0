"""One process taking a conversation's lock, as a Rasa replica does, for
tests/process/test_lock_store.py.

    python -m tests.support.lock_worker URL CONVERSATION STORE ROUNDS HOLD_SECONDS [LIFETIME]

STORE is ``ours`` (glue.lock_store) or ``rasa`` (Rasa's RedisLockStore).
Each round takes the lock, records ``ticket:holders`` in the Redis list
``test:served:CONVERSATION`` (holders counted in ``test:holders:...``; more
than 1 means two processes were inside at once), holds it HOLD_SECONDS and
releases it. With ROUNDS 0 the process takes the lock once, prints
``held`` and keeps it until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from urllib.parse import urlsplit

import redis


def make_store(url: str, kind: str):
    if kind == "ours":
        from glue.lock_store import RedisTicketLockStore

        return RedisTicketLockStore(url)
    from rasa.core.lock_store import RedisLockStore

    parts = urlsplit(url)
    return RedisLockStore(host=parts.hostname, port=parts.port, db=0, password=parts.password)


async def rounds(store, red, conversation: str, count: int, hold: float, lifetime: float, wait: float) -> int:
    errors = 0
    for _ in range(count):
        try:
            async with store.lock(conversation, lifetime, wait) as lock:
                holders = red.incr(f"test:holders:{conversation}")
                red.rpush(f"test:served:{conversation}", f"{lock.now_serving}:{holders}")
                await asyncio.sleep(hold)
                red.decr(f"test:holders:{conversation}")
        except Exception as exc:  # Rasa's store loses tickets under the race
            red.rpush(f"test:errors:{conversation}", f"{type(exc).__name__}: {exc}")
            errors += 1
    return errors


async def hold_forever(store, conversation: str, lifetime: float) -> None:
    async with store.lock(conversation, lifetime, 0.01):
        print("held", flush=True)
        while True:
            await asyncio.sleep(60)


def main(argv: list[str]) -> None:
    url, conversation, kind, count, hold = argv[:5]
    lifetime = float(argv[5]) if len(argv) > 5 else 60.0
    store = make_store(url, kind)
    red = redis.Redis.from_url(url)
    if int(count) == 0:
        asyncio.run(hold_forever(store, conversation, lifetime))
        return
    # Start together: every worker waits for the go signal the test sets.
    while not red.exists(f"test:go:{conversation}"):
        time.sleep(0.005)
    asyncio.run(rounds(store, red, conversation, int(count), float(hold), lifetime, 0.005))


if __name__ == "__main__":
    main(sys.argv[1:])
