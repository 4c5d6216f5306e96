"""Producer ids for InitProducerId, handed out from durably reserved blocks.

Ids must never be handed out twice, even after kill -9: a producer that got id N and a later
producer that got N again would share sequence state in every partition, and one of them
would be fenced or, worse, have its batches taken for the other's duplicates. So ids come
from blocks (1000 by default, as Kafka's controller hands them out) reserved through the
metadata store (`MetadataStore.allocate_producer_ids`: in single-broker mode a counter in
`moldau-metadata.json` under log.dirs, written tmp + fsync + rename). An id is returned only
after the block containing it was persisted, so a crash at any point can at worst skip the
rest of a block, never reuse an id.

The next block is reserved in the background when the current one is 90% used, so a busy
broker rarely waits on the disk; while no block is available, callers wait on one shared
reservation instead of each reserving their own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

PRODUCER_ID_BLOCK_SIZE = 1000
MAX_PRODUCER_ID = 2**63 - 1

ReserveBlock = Callable[[int], Awaitable[int]]
"""reserve(count) -> first id of a freshly persisted block of `count` ids."""


class ProducerIdsExhausted(Exception):
    """The 63-bit id space ran out (not expected in practice; answered as an error)."""


class ProducerIdManager:
    """Hands out producer ids; one per broker process, used on the event loop only.

    State: the current block [_next, _end), at most one reserved spare block, and at most
    one reservation in flight (which, when it completes, becomes the spare).
    """

    def __init__(
        self, reserve: ReserveBlock, block_size: int = PRODUCER_ID_BLOCK_SIZE, prefetch: float = 0.9
    ) -> None:
        if block_size < 1:
            raise ValueError("block size must be >= 1")
        if not 0.0 <= prefetch <= 1.0:
            raise ValueError("prefetch must be within [0, 1]")
        self._reserve = reserve
        self.block_size = block_size
        # reserve the next block once this few ids are left in the current one
        self._low_water = block_size - int(block_size * prefetch)
        self._next = 0
        self._end = 0
        self._spare: int | None = None
        self._pending: asyncio.Future[None] | None = None

    async def next_id(self) -> int:
        """A producer id that was never handed out before (raises what the store raises)."""
        while self._next >= self._end:
            if self._spare is not None:
                self._next, self._end = self._spare, self._spare + self.block_size
                self._spare = None
                break
            await asyncio.shield(self._start_reservation())
        pid = self._next
        self._next += 1
        if self._end - self._next <= self._low_water and self._spare is None:
            self._start_reservation()
        return pid

    def _start_reservation(self) -> asyncio.Future[None]:
        if self._pending is None:
            fut = asyncio.ensure_future(self._reserve_spare())
            # a failed background prefetch is retried by the next caller, who sees the error
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._pending = fut
        return self._pending

    async def _reserve_spare(self) -> None:
        try:
            first = await self._reserve(self.block_size)
            if first < 0 or first > MAX_PRODUCER_ID - self.block_size:
                raise ProducerIdsExhausted(f"no producer ids left (block at {first})")
            self._spare = first
        finally:
            self._pending = None

    async def close(self) -> None:
        """Wait for a reservation in flight, so the store is not closed under it."""
        pending = self._pending
        if pending is not None:
            with contextlib.suppress(Exception):
                await pending
