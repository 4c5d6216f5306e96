"""Runs one GroupCoordinatorShard on the event loop: one writer, real timers, the log.

Operations on a shard are serialized by an asyncio lock held from the moment the operation
runs until its records are appended and replayed (one writer per `__consumer_offsets`
partition), so an operation always sees the effects of every earlier one. Reads that need no
ordering (OffsetFetch without require_stable, DescribeGroups, ListGroups) skip the lock: the
shard only ever holds appended state.

Timers use `loop.call_later`; nothing polls. A timer that fires queues its operation behind
the lock and runs it only if the timer was not cancelled or replaced meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Protocol, TypeVar

from moldau.common.clock import Clock
from moldau.coordinator.config import GroupConfig
from moldau.coordinator.records import CoordinatorRecord, CorruptCoordinatorRecordError
from moldau.coordinator.result import Result
from moldau.coordinator.shard import GroupCoordinatorShard
from moldau.protocol.error_codes import ErrorCode

log = logging.getLogger("moldau.coordinator")
T = TypeVar("T")


class AppendError(Exception):
    """Raised by an OffsetsLog when records could not be appended; carries the Kafka error."""

    def __init__(self, error_code: int, message: str = "") -> None:
        super().__init__(message or ErrorCode(error_code).name)
        self.error_code = error_code


class OffsetsLog(Protocol):
    """How the coordinator reaches `__consumer_offsets` (the broker implements it)."""

    async def append(self, partition: int, records: Sequence[CoordinatorRecord]) -> None:
        """Append `records` (in order, as one batch); raise AppendError on failure."""
        ...

    def read_all(self, partition: int) -> AsyncIterator[CoordinatorRecord]:
        """Every record of the partition from its log start to its end, in offset order."""
        ...


class ShardRuntime:
    """One loaded `__consumer_offsets` partition."""

    def __init__(
        self,
        partition: int,
        config: GroupConfig,
        clock: Clock,
        offsets_log: OffsetsLog,
        loop: asyncio.AbstractEventLoop,
        new_uuid: Callable[[], str] | None = None,
    ) -> None:
        self.partition = partition
        self.log = offsets_log
        self.loop = loop
        self.lock = asyncio.Lock()
        self.loaded = False
        self.closed = False
        self._timers: dict[str, tuple[object, asyncio.TimerHandle, Callable[[], Result]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.shard = GroupCoordinatorShard(partition, config, clock, self, new_uuid)

    # -- Timer protocol ----------------------------------------------------------------------

    def schedule(self, key: str, delay_ms: int, op: Callable[[], Result]) -> None:
        self.cancel(key)
        if self.closed:
            return
        token = object()
        handle = self.loop.call_later(max(delay_ms, 0) / 1000, self._fire, key, token)
        self._timers[key] = (token, handle, op)

    def cancel(self, key: str) -> None:
        entry = self._timers.pop(key, None)
        if entry is not None:
            entry[1].cancel()

    def _fire(self, key: str, token: object) -> None:
        task = self.loop.create_task(self._run_timer(key, token))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_timer(self, key: str, token: object) -> None:
        async with self.lock:
            entry = self._timers.get(key)
            if entry is None or entry[0] is not token or self.closed:
                return  # cancelled or rescheduled after it fired
            del self._timers[key]
            try:
                await self._apply(entry[2]())
            except Exception:
                log.exception("Coordinator timer %r of partition %d failed", key, self.partition)

    # -- operations --------------------------------------------------------------------------

    async def load(self) -> None:
        """Replay the partition; afterwards the shard serves requests."""
        async with self.lock:
            n = skipped = 0
            async for rec in self.log.read_all(self.partition):
                try:
                    self.shard.replay(rec)
                    n += 1
                except CorruptCoordinatorRecordError as e:
                    skipped += 1
                    log.warning(
                        "Skipping a bad record of __consumer_offsets-%d: %s", self.partition, e
                    )
            self.shard.on_loaded()
            self.loaded = True
            if n or skipped:
                log.info(
                    "Loaded %d record(s) of __consumer_offsets-%d: %d group(s)%s",
                    n,
                    self.partition,
                    len(self.shard.groups),
                    f", {skipped} undecodable record(s) skipped" if skipped else "",
                )

    async def write(self, op: Callable[[GroupCoordinatorShard], Result]) -> Any:
        async with self.lock:
            res = op(self.shard)
            await self._apply(res)
            return res.response

    def read(self, fn: Callable[[GroupCoordinatorShard], T]) -> T:
        return fn(self.shard)

    async def read_stable(self, fn: Callable[[GroupCoordinatorShard], T]) -> T:
        """A read ordered after every write queued before it (OffsetFetch require_stable)."""
        async with self.lock:
            return fn(self.shard)

    async def _apply(self, res: Result) -> None:
        code = 0
        if res.records:
            try:
                await self.log.append(self.partition, res.records)
            except AppendError as e:
                code = e.error_code
                log.warning("Append to __consumer_offsets-%d failed: %s", self.partition, e)
            except Exception:
                code = ErrorCode.UNKNOWN_SERVER_ERROR
                log.exception("Append to __consumer_offsets-%d failed", self.partition)
            if not code:
                for rec, replay in zip(res.records, res.replay):
                    if replay:
                        self.shard.replay(rec)
        for cb in res.callbacks:
            cb(code)

    def close(self) -> None:
        """Stop the timers and answer every parked JoinGroup/SyncGroup with NOT_COORDINATOR."""
        self.closed = True
        for key in list(self._timers):
            self.cancel(key)
        for task in list(self._tasks):
            task.cancel()
        self.shard.unload(ErrorCode.NOT_COORDINATOR)
