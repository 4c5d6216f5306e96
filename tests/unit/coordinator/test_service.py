"""The asyncio side: GroupCoordinatorService + ShardRuntime over an in-memory OffsetsLog."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from moldau.coordinator.config import GroupConfig
from moldau.coordinator.records import CoordinatorRecord
from moldau.coordinator.runtime import AppendError
from moldau.coordinator.service import GroupCoordinatorService
from moldau.coordinator.shard import CommitParams, JoinParams, SyncParams
from moldau.protocol.error_codes import ErrorCode as E

from .harness import subscription

CONFIG = GroupConfig(
    offsets_topic_num_partitions=3,
    group_initial_rebalance_delay_ms=0,
    group_min_session_timeout_ms=10,
)


class MemoryLog:
    def __init__(self) -> None:
        self.parts: dict[int, list[CoordinatorRecord]] = {}
        self.fail_with = 0
        self.appends = 0

    async def append(self, partition: int, records: Sequence[CoordinatorRecord]) -> None:
        await asyncio.sleep(0)  # an append really yields to the loop
        if self.fail_with:
            raise AppendError(self.fail_with)
        self.appends += 1
        self.parts.setdefault(partition, []).extend(records)

    async def read_all(self, partition: int) -> AsyncIterator[CoordinatorRecord]:
        for rec in list(self.parts.get(partition, [])):
            yield rec


def _join(group: str, member_id: str = "", session: int = 10_000) -> JoinParams:
    return JoinParams(
        group_id=group,
        member_id=member_id,
        group_instance_id=None,
        protocol_type="consumer",
        protocols=[("range", subscription("t"))],
        session_timeout_ms=session,
        rebalance_timeout_ms=session,
        client_id="c",
        client_host="/127.0.0.1",
    )


async def _started(log: MemoryLog) -> GroupCoordinatorService:
    svc = GroupCoordinatorService(CONFIG, log)
    await asyncio.gather(*svc.load(range(3)))
    return svc


async def _member(svc: GroupCoordinatorService, group: str, session: int = 10_000) -> str:
    first = await svc.join_group(_join(group, session=session))
    assert first.error_code == E.MEMBER_ID_REQUIRED
    joined = await svc.join_group(_join(group, first.member_id, session=session))
    assert joined.error_code == 0 and joined.leader == joined.member_id
    synced = await svc.sync_group(
        SyncParams(
            group,
            joined.generation_id,
            joined.member_id,
            None,
            None,
            None,
            [(joined.member_id, b"a")],
        )
    )
    assert synced.error_code == 0 and synced.assignment == b"a"
    return joined.member_id


def _commit(group: str, member: str, offset: int, generation: int = 1) -> CommitParams:
    return CommitParams(group, generation, member, None, [("t", 0, offset, -1, "m")])


def test_join_sync_commit_fetch_and_reload() -> None:
    async def run() -> None:
        log = MemoryLog()
        svc = await _started(log)
        mid = await _member(svc, "g")
        assert await svc.commit_offsets(_commit("g", mid, 42)) == [("t", 0, 0)]
        err, fetched = await svc.fetch_offsets("g", [("t", [0, 1])], require_stable=True)
        assert err == 0 and [om.offset if om else None for _, _, om in fetched] == [42, None]
        await svc.shutdown()

        again = await _started(log)
        err, fetched = await again.fetch_offsets("g", None, require_stable=False)
        assert [(t, p, om.offset, om.metadata) for t, p, om in fetched if om] == [("t", 0, 42, "m")]
        err2, described = await again.describe_group("g")
        assert described is not None and described.group_state == "Stable"
        assert [m.member_id for m in described.members] == [mid]
        await again.shutdown()

    asyncio.run(run())


def test_session_timeout_runs_on_the_event_loop() -> None:
    async def run() -> None:
        svc = await _started(MemoryLog())
        mid = await _member(svc, "g", session=50)
        # no heartbeats: the loop's timer evicts the member and the group empties
        for _ in range(100):
            await asyncio.sleep(0.01)
            _, d = await svc.describe_group("g")
            if d is not None and d.group_state == "Empty":
                break
        assert await svc.heartbeat("g", 1, mid, None) == E.UNKNOWN_MEMBER_ID
        _, d = await svc.describe_group("g")
        assert d is not None and d.group_state == "Empty"
        await svc.shutdown()

    asyncio.run(run())


def test_append_failure_is_reported_and_not_applied() -> None:
    async def run() -> None:
        log = MemoryLog()
        svc = await _started(log)
        mid = await _member(svc, "g")
        log.fail_with = E.NOT_LEADER_OR_FOLLOWER
        assert await svc.commit_offsets(_commit("g", mid, 7)) == [("t", 0, E.NOT_COORDINATOR)]
        _, fetched = await svc.fetch_offsets("g", [("t", [0])], require_stable=False)
        assert fetched[0][2] is None
        await svc.shutdown()

    asyncio.run(run())


def test_unloaded_partition_and_parked_join_on_shutdown() -> None:
    async def run() -> None:
        svc = GroupCoordinatorService(CONFIG, MemoryLog())
        r = await svc.join_group(_join("g"))
        assert r.error_code == E.NOT_COORDINATOR  # nothing loaded here
        assert await svc.heartbeat("g", 1, "m", None) == E.NOT_COORDINATOR
        await asyncio.gather(*svc.load(range(3)))
        mid = await _member(svc, "g")
        # a second member parks in JoinGroup waiting for the first to rejoin
        first = await svc.join_group(_join("g"))
        parked = asyncio.ensure_future(svc.join_group(_join("g", first.member_id)))
        await asyncio.sleep(0.01)
        assert not parked.done()
        await svc.shutdown()
        assert (await parked).error_code == E.NOT_COORDINATOR
        del mid

    asyncio.run(run())


def test_requests_wait_for_a_loading_partition() -> None:
    async def run() -> None:
        log = MemoryLog()
        svc = await _started(log)
        await svc.commit_offsets(CommitParams("g", -1, "", None, [("t", 0, 3, -1, None)]))
        await svc.shutdown()
        again = GroupCoordinatorService(CONFIG, log)
        again.load(range(3))  # not awaited: the fetch below arrives while loading
        err, fetched = await again.fetch_offsets("g", [("t", [0])], require_stable=False)
        assert err == 0 and fetched[0][2] is not None and fetched[0][2].offset == 3
        err, groups = await again.list_groups()
        assert err == 0 and [g.group_id for g in groups] == ["g"]
        await again.shutdown()

    asyncio.run(run())


def test_delete_groups_across_partitions() -> None:
    async def run() -> None:
        svc = await _started(MemoryLog())
        names = [f"group-{i}" for i in range(6)]
        for n in names:
            await svc.commit_offsets(CommitParams(n, -1, "", None, [("t", 0, 1, -1, None)]))
        mid = await _member(svc, "busy")
        res = await svc.delete_groups([*names, "busy", "missing"])
        assert res == [(n, 0) for n in names] + [
            ("busy", E.NON_EMPTY_GROUP),
            ("missing", E.GROUP_ID_NOT_FOUND),
        ]
        _, groups = await svc.list_groups()
        assert [g.group_id for g in groups] == ["busy"]
        del mid
        await svc.shutdown()

    asyncio.run(run())


def test_undecodable_records_are_skipped_when_loading() -> None:
    async def run() -> None:
        log = MemoryLog()
        svc = await _started(log)
        await svc.commit_offsets(CommitParams("g", -1, "", None, [("t", 0, 3, -1, None)]))
        await svc.shutdown()
        p = svc.partition_for("g")
        log.parts[p].insert(0, CoordinatorRecord(b"\x00\x01\x00", b"junk"))  # truncated key
        again = await _started(log)
        _, fetched = await again.fetch_offsets("g", [("t", [0])], require_stable=False)
        assert fetched[0][2] is not None and fetched[0][2].offset == 3
        await again.shutdown()

    asyncio.run(run())
