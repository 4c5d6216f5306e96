"""Purgatory: waiters wake on notify, time out otherwise, and leave nothing behind."""

from __future__ import annotations

import asyncio

from moldau.broker.purgatory import Purgatory


def test_notify_wakes_waiters_of_that_key_only():
    async def go():
        p = Purgatory()
        a = asyncio.create_task(p.wait([("t", 0), ("t", 1)], 30))
        b = asyncio.create_task(p.wait([("t", 2)], 0.05))
        await asyncio.sleep(0)
        p.notify(("t", 1))
        assert await a is True
        assert await b is False
        assert len(p) == 0

    asyncio.run(go())


def test_zero_timeout_returns_at_once():
    async def go():
        assert await Purgatory().wait([("t", 0)], 0) is False

    asyncio.run(go())
