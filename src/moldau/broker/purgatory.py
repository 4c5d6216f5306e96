"""Waiting requests keyed by partition, woken by the events that can complete them.

A Fetch with min_bytes > 0 or a Produce with acks=all that cannot complete at once registers
a waiter on each partition it concerns and sleeps until `notify(key)` is called for one of
them (an append, a high-watermark move, a deletion) or its timeout passes. Nothing polls:
the waiter is an asyncio future resolved by the notifier.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable


class Purgatory:
    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: dict[Hashable, set[asyncio.Future[None]]] = {}

    async def wait(self, keys: Iterable[Hashable], timeout_s: float) -> bool:
        """Sleep until one of `keys` is notified (True) or `timeout_s` passes (False)."""
        if timeout_s <= 0:
            return False
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        keys = list(keys)
        for k in keys:
            self._waiters.setdefault(k, set()).add(fut)
        try:
            await asyncio.wait_for(fut, timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            for k in keys:
                s = self._waiters.get(k)
                if s is not None:
                    s.discard(fut)
                    if not s:
                        del self._waiters[k]

    def notify(self, key: Hashable) -> None:
        s = self._waiters.pop(key, None)
        if s:
            for fut in s:
                if not fut.done():
                    fut.set_result(None)

    def notify_all(self) -> None:
        """Wake everyone (shutdown)."""
        for key in list(self._waiters):
            self.notify(key)

    def __len__(self) -> int:
        return sum(len(s) for s in self._waiters.values())
