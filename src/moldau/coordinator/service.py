"""The group coordinator as the broker's request handlers see it.

Routes each group to the shard of its `__consumer_offsets` partition (Kafka's placement,
`moldau.coordinator.hashing`), turns "this partition is not loaded here" into Kafka's
NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS, and turns the shard's waiter callbacks into
awaitable responses. Version differences between API versions are the handlers' business;
this layer speaks in version-independent terms.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from moldau.common.clock import SYSTEM_CLOCK, Clock
from moldau.coordinator.config import GroupConfig
from moldau.coordinator.hashing import partition_for
from moldau.coordinator.records import OffsetAndMetadata
from moldau.coordinator.result import Result
from moldau.coordinator.runtime import OffsetsLog, ShardRuntime
from moldau.coordinator.shard import (
    CommitParams,
    GroupCoordinatorShard,
    JoinParams,
    SyncParams,
    join_error,
    sync_error,
)
from moldau.protocol._generated.describe_groups_response import DescribedGroup
from moldau.protocol._generated.join_group_response import JoinGroupResponse
from moldau.protocol._generated.list_groups_response import ListedGroup
from moldau.protocol._generated.sync_group_response import SyncGroupResponse
from moldau.protocol.error_codes import ErrorCode as E

log = logging.getLogger("moldau.coordinator")
T = TypeVar("T")

FetchedOffsets = list[tuple[str, int, OffsetAndMetadata | None]]
_PLACEMENT_CACHE_SIZE = 100_000


class GroupCoordinatorService:
    def __init__(
        self,
        config: GroupConfig,
        offsets_log: OffsetsLog,
        clock: Clock = SYSTEM_CLOCK,
        new_uuid: Callable[[], str] | None = None,
    ) -> None:
        self.config = config
        self.log = offsets_log
        self.clock = clock
        self._new_uuid = new_uuid
        self.shards: dict[int, ShardRuntime] = {}
        self._placement: dict[str, int] = {}  # Java's String.hashCode is slow in Python
        self._loading: dict[int, asyncio.Task[None]] = {}

    # -- partitions ------------------------------------------------------------------------

    def partition_for(self, group_id: str) -> int:
        p = self._placement.get(group_id)
        if p is None:
            if len(self._placement) >= _PLACEMENT_CACHE_SIZE:
                self._placement.clear()  # bounded: group ids come from clients
            p = self._placement[group_id] = partition_for(
                group_id, self.config.offsets_topic_num_partitions
            )
        return p

    def load(self, partitions: Iterable[int]) -> list[asyncio.Task[None]]:
        """Become the coordinator of `partitions`: replay each in the background."""
        loop = asyncio.get_running_loop()
        tasks = []
        for p in partitions:
            if p in self.shards:
                continue
            rt = ShardRuntime(p, self.config, self.clock, self.log, loop, self._new_uuid)
            self.shards[p] = rt
            task = loop.create_task(self._load(rt), name=f"load-__consumer_offsets-{p}")
            self._loading[p] = task
            tasks.append(task)
        return tasks

    async def _load(self, rt: ShardRuntime) -> None:
        try:
            await rt.load()
        except Exception:
            log.exception("Loading __consumer_offsets-%d failed", rt.partition)
            self.shards.pop(rt.partition, None)
            rt.close()
        finally:
            self._loading.pop(rt.partition, None)

    def unload(self, partitions: Iterable[int]) -> None:
        for p in partitions:
            rt = self.shards.pop(p, None)
            if rt is not None:
                rt.close()
            task = self._loading.pop(p, None)
            if task is not None:
                task.cancel()

    async def shutdown(self) -> None:
        self.unload(list(self.shards))

    async def _shard(self, group_id: str) -> tuple[int, ShardRuntime | None]:
        """The loaded shard of `group_id`, or the error to answer with.

        A request for a partition that is still loading waits for the load (a local replay)
        instead of bouncing with COORDINATOR_LOAD_IN_PROGRESS: same outcome for clients,
        without their retry backoff.
        """
        p = self.partition_for(group_id)
        rt = self.shards.get(p)
        if rt is not None and not rt.loaded:
            task = self._loading.get(p)
            if task is not None:
                await asyncio.shield(task)
            rt = self.shards.get(p)
        if rt is None or rt.closed:
            return E.NOT_COORDINATOR, None
        if not rt.loaded:
            return E.COORDINATOR_LOAD_IN_PROGRESS, None
        return E.NONE, rt

    async def wait_loaded(self) -> None:
        """Wait until every partition being loaded is ready (or failed)."""
        tasks = list(self._loading.values())
        if tasks:
            await asyncio.gather(*(asyncio.shield(t) for t in tasks), return_exceptions=True)

    # -- membership ------------------------------------------------------------------------

    async def join_group(self, p: JoinParams) -> JoinGroupResponse:
        err, rt = await self._shard(p.group_id)
        if rt is None:
            return join_error(p.member_id, err)
        fut: asyncio.Future[JoinGroupResponse] = asyncio.get_running_loop().create_future()
        await rt.write(lambda s: s.join_group(p, _resolver(fut)))
        return await fut

    async def sync_group(self, p: SyncParams) -> SyncGroupResponse:
        err, rt = await self._shard(p.group_id)
        if rt is None:
            return sync_error(err)
        fut: asyncio.Future[SyncGroupResponse] = asyncio.get_running_loop().create_future()
        await rt.write(lambda s: s.sync_group(p, _resolver(fut)))
        return await fut

    async def heartbeat(
        self, group_id: str, generation_id: int, member_id: str, instance_id: str | None
    ) -> int:
        err, rt = await self._shard(group_id)
        if rt is None:
            return err
        return await rt.write(  # type: ignore[no-any-return]
            lambda s: s.heartbeat(group_id, generation_id, member_id, instance_id)
        )

    async def leave_group(
        self, group_id: str, members: list[tuple[str, str | None]]
    ) -> tuple[int, list[tuple[str, str | None, int]]]:
        err, rt = await self._shard(group_id)
        if rt is None:
            return err, []
        return await rt.write(lambda s: s.leave_group(group_id, members))  # type: ignore[no-any-return]

    # -- offsets ---------------------------------------------------------------------------

    async def commit_offsets(self, p: CommitParams) -> list[tuple[str, int, int]]:
        err, rt = await self._shard(p.group_id)
        if rt is None:
            return [(t, part, err) for t, part, *_ in p.offsets]
        return await rt.write(lambda s: s.commit_offsets(p))  # type: ignore[no-any-return]

    async def fetch_offsets(
        self, group_id: str, topics: list[tuple[str, list[int]]] | None, require_stable: bool
    ) -> tuple[int, FetchedOffsets]:
        err, rt = await self._shard(group_id)
        if rt is None:
            return err, []

        def fetch(s: GroupCoordinatorShard) -> FetchedOffsets:
            return s.fetch_offsets(group_id, topics)

        if require_stable:
            return E.NONE, await rt.read_stable(fetch)
        return E.NONE, rt.read(fetch)

    async def delete_offsets(
        self, group_id: str, partitions: list[tuple[str, int]]
    ) -> tuple[int, list[tuple[str, int, int]]]:
        err, rt = await self._shard(group_id)
        if rt is None:
            return err, []
        return await rt.write(lambda s: s.delete_offsets(group_id, partitions))  # type: ignore[no-any-return]

    async def on_topics_deleted(self, topics: Iterable[str]) -> None:
        names = list(topics)
        for rt in list(self.shards.values()):
            if rt.loaded and not rt.closed:
                await rt.write(lambda s: s.on_topics_deleted(names))

    # -- admin -----------------------------------------------------------------------------

    async def describe_group(self, group_id: str) -> tuple[int, DescribedGroup | None]:
        err, rt = await self._shard(group_id)
        if rt is None:
            return err, None
        return E.NONE, rt.read(lambda s: s.describe_group(group_id))

    async def list_groups(
        self, states: Iterable[str] = (), types: Iterable[str] = ()
    ) -> tuple[int, list[ListedGroup]]:
        """Groups of every partition (after waiting for partitions that are loading)."""
        await self.wait_loaded()
        st, ty = list(states), list(types)
        out: list[ListedGroup] = []
        err = E.NONE
        for rt in self.shards.values():
            if not rt.loaded:
                err = E.COORDINATOR_LOAD_IN_PROGRESS
                continue
            out.extend(rt.read(lambda s: s.list_groups(st, ty)))
        return err, out

    async def delete_groups(self, group_ids: list[str]) -> list[tuple[str, int]]:
        by_shard: dict[int, list[str]] = {}
        out: dict[str, int] = {}
        for gid in group_ids:
            err, rt = await self._shard(gid)
            if rt is None:
                out[gid] = err
            else:
                by_shard.setdefault(rt.partition, []).append(gid)
        for p, gids in by_shard.items():
            rt2 = self.shards.get(p)
            if rt2 is None:
                out.update((g, E.NOT_COORDINATOR) for g in gids)
                continue
            batch = list(gids)

            def op(s: GroupCoordinatorShard, batch: list[str] = batch) -> Result:
                return s.delete_groups(batch)

            for gid, code in await rt2.write(op):
                out[gid] = code
        return [(gid, out[gid]) for gid in group_ids]


def _resolver(fut: asyncio.Future[Any]) -> Callable[[Any], None]:
    """A waiter callback for the shard that completes `fut` once (a cancelled request's
    future is simply left alone)."""

    def resolve(resp: Any) -> None:
        if not fut.done():
            fut.set_result(resp)

    return resolve
