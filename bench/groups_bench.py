"""Consumer-group coordinator figures (issue 5). Prints numbers, asserts nothing.

    python -m bench.groups_bench [--groups 1000] [--members 2] [--seconds 20] [--in-process-only]

1. In process: GroupCoordinatorService over an in-memory log, GROUPS x MEMBERS members that
   joined and synced, then heartbeat + OffsetCommit rounds: CPU microseconds per operation
   and the share of a core for "every member commits once a second and heartbeats every 3 s"
   (the client defaults). This is the coordinator alone: no sockets, no codec, no disk.
2. Against a broker (moldau from this checkout, started as a user would): the same members as
   raw-protocol asyncio clients, each heartbeating and committing once a second; the broker
   process's CPU share in the steady phase (everything: network, codec, coordinator, log).
3. A 10-member group: nine stable members heartbeating every 100 ms, a tenth joins; the time
   from its JoinGroup until all ten have synced the new generation
   (group.initial.rebalance.delay.ms = 0, as in the shipped config).

The load client is one Python process; when it cannot keep up, the printed request rate is
what the broker actually served.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import struct
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from moldau.coordinator.config import GroupConfig
from moldau.coordinator.records import CoordinatorRecord
from moldau.coordinator.service import GroupCoordinatorService
from moldau.coordinator.shard import CommitParams, JoinParams, SyncParams
from moldau.protocol._generated.find_coordinator_request import FindCoordinatorRequest
from moldau.protocol._generated.heartbeat_request import HeartbeatRequest
from moldau.protocol._generated.join_group_request import (
    JoinGroupRequest,
    JoinGroupRequestProtocol,
)
from moldau.protocol._generated.offset_commit_request import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
)
from moldau.protocol._generated.sync_group_request import (
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)
from moldau.protocol.quirks import decode_response, encode_request

MEMBER_ID_REQUIRED, REBALANCE_IN_PROGRESS = 79, 27
# ConsumerProtocolSubscription v1 for topic "t"
SUBSCRIPTION = b"\x00\x01\x00\x00\x00\x01\x00\x01t\xff\xff\xff\xff\x00\x00\x00\x00"


# ---------------------------------------------------------------------------------------
# 1. in process


class _MemoryLog:
    def __init__(self) -> None:
        self.parts: dict[int, list[CoordinatorRecord]] = {}

    async def append(self, partition: int, records: Sequence[CoordinatorRecord]) -> None:
        self.parts.setdefault(partition, []).extend(records)

    async def read_all(self, partition: int) -> AsyncIterator[CoordinatorRecord]:
        for rec in list(self.parts.get(partition, [])):
            yield rec


def _join(group: str, member_id: str = "") -> JoinParams:
    return JoinParams(
        group_id=group,
        member_id=member_id,
        group_instance_id=None,
        protocol_type="consumer",
        protocols=[("range", SUBSCRIPTION)],
        session_timeout_ms=45_000,
        rebalance_timeout_ms=300_000,
        client_id="bench",
        client_host="/127.0.0.1",
    )


async def in_process(groups: int, members: int, rounds: int = 5) -> None:
    cfg = replace(GroupConfig(), group_initial_rebalance_delay_ms=0)
    svc = GroupCoordinatorService(cfg, _MemoryLog())
    await asyncio.gather(*svc.load(range(cfg.offsets_topic_num_partitions)))
    joined: list[tuple[str, str, int]] = []
    for g in range(groups):
        gid = f"group-{g}"
        ids = [(await svc.join_group(_join(gid))).member_id for _ in range(members)]
        resps = await asyncio.gather(*(svc.join_group(_join(gid, m)) for m in ids))
        for r in resps:
            asg = [(m, b"x") for m in ids] if r.leader == r.member_id else []
            await svc.sync_group(
                SyncParams(gid, r.generation_id, r.member_id, None, None, None, asg)
            )
        joined += [(gid, r.member_id, r.generation_id) for r in resps]
    hb = commits = 0
    t_hb = t_commit = 0.0
    for rnd in range(rounds):
        t = time.process_time()
        for gid, mid, gen in joined:
            await svc.heartbeat(gid, gen, mid, None)
        t_hb += time.process_time() - t
        hb += len(joined)
        t = time.process_time()
        for gid, mid, gen in joined:
            await svc.commit_offsets(CommitParams(gid, gen, mid, None, [("t", 0, rnd, -1, "")]))
        t_commit += time.process_time() - t
        commits += len(joined)
    us_hb, us_commit = t_hb / hb * 1e6, t_commit / commits * 1e6
    n = groups * members
    share = n * (us_commit + us_hb / 3) / 1e6
    print(
        f"in process: heartbeat {us_hb:.1f} us, commit {us_commit:.1f} us (CPU per operation); "
        f"{groups} groups x {members} members committing 1/s and heartbeating every 3 s: "
        f"{100 * share:.1f}% of a core"
    )
    await svc.shutdown()


# ---------------------------------------------------------------------------------------
# 2./3. against a broker

_SIZE = struct.Struct(">i")


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.cid = reader, writer, 0

    @classmethod
    async def open(cls, port: int) -> _Conn:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        return cls(r, w)

    async def req(self, key: int, version: int, body: Any) -> Any:
        self.cid += 1
        self.writer.write(encode_request(key, version, self.cid, "groups-bench", body))
        size = _SIZE.unpack(await self.reader.readexactly(4))[0]
        data = await self.reader.readexactly(size)
        return decode_response(key, version, memoryview(data))[1]

    def close(self) -> None:
        self.writer.close()


class _Member:
    """A minimal group member: join (KIP-394 two-step), sync, rejoin when told to."""

    def __init__(self, conn: _Conn, group: str) -> None:
        self.conn, self.group, self.member_id, self.generation = conn, group, "", -1

    async def join(self) -> None:
        proto = [JoinGroupRequestProtocol(name="range", metadata=SUBSCRIPTION)]
        while True:
            jr = JoinGroupRequest(
                group_id=self.group,
                session_timeout_ms=45_000,
                rebalance_timeout_ms=300_000,
                member_id=self.member_id,
                protocol_type="consumer",
                protocols=proto,
            )
            resp = await self.conn.req(11, 7, jr)
            if resp.error_code == MEMBER_ID_REQUIRED:
                self.member_id = resp.member_id
                continue
            if resp.error_code:
                raise RuntimeError(f"JoinGroup error {resp.error_code}")
            asg = [
                SyncGroupRequestAssignment(member_id=m.member_id, assignment=b"x")
                for m in resp.members
            ]
            s = await self.conn.req(
                14,
                5,
                SyncGroupRequest(
                    group_id=self.group,
                    generation_id=resp.generation_id,
                    member_id=self.member_id,
                    protocol_type="consumer",
                    protocol_name="range",
                    assignments=asg,
                ),
            )
            if s.error_code == REBALANCE_IN_PROGRESS:
                continue
            if s.error_code:
                raise RuntimeError(f"SyncGroup error {s.error_code}")
            self.generation = resp.generation_id
            return

    async def heartbeat(self) -> int:
        h = await self.conn.req(
            12,
            4,
            HeartbeatRequest(
                group_id=self.group, generation_id=self.generation, member_id=self.member_id
            ),
        )
        if h.error_code == REBALANCE_IN_PROGRESS:
            await self.join()
        return int(h.error_code)

    async def commit(self, offset: int) -> int:
        part = OffsetCommitRequestPartition(partition_index=0, committed_offset=offset)
        oc = await self.conn.req(
            8,
            8,
            OffsetCommitRequest(
                group_id=self.group,
                generation_id_or_member_epoch=self.generation,
                member_id=self.member_id,
                topics=[OffsetCommitRequestTopic(name="t", partitions=[part])],
            ),
        )
        return int(oc.topics[0].partitions[0].error_code)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _create_topic(port: int) -> None:
    from moldau.protocol._generated.create_topics_request import (
        CreatableTopic,
        CreateTopicsRequest,
    )

    c = await _Conn.open(port)
    await c.req(
        19,
        4,
        CreateTopicsRequest(
            topics=[CreatableTopic(name="t", num_partitions=1, replication_factor=1)],
            timeout_ms=10_000,
        ),
    )
    c.close()


async def steady_load(port: int, pid: int, groups: int, members: int, seconds: float) -> None:
    await _create_topic(port)
    stop = asyncio.Event()
    ready: list[int] = []
    served = {"requests": 0, "errors": 0}

    async def run(group: str) -> None:
        conn = await _Conn.open(port)
        await conn.req(10, 3, FindCoordinatorRequest(key=group, key_type=0))
        m = _Member(conn, group)
        await m.join()
        ready.append(1)
        offset = 0
        while not stop.is_set():
            t = time.monotonic()
            offset += 1
            errs = (await m.heartbeat() != 0) + (await m.commit(offset) != 0)
            served["requests"] += 2
            served["errors"] += errs
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - t)))
        conn.close()

    t0, c0 = time.monotonic(), _cpu_seconds(pid)
    tasks = [asyncio.ensure_future(run(f"load-{g}")) for g in range(groups) for _ in range(members)]
    while len(ready) < len(tasks):
        await asyncio.sleep(0.05)
    print(
        f"{len(tasks)} members joined and synced in {time.monotonic() - t0:.1f} s "
        f"(broker CPU {_cpu_seconds(pid) - c0:.1f} s)"
    )
    await asyncio.sleep(5)  # past the first rebalances of the groups
    r0, c0, t0 = served["requests"], _cpu_seconds(pid), time.monotonic()
    served["errors"] = 0
    await asyncio.sleep(seconds)
    r1, c1, t1 = served["requests"], _cpu_seconds(pid), time.monotonic()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    rate = (r1 - r0) / (t1 - t0)
    print(
        f"steady: {rate:.0f} requests/s (heartbeat + commit per member per second), "
        f"broker CPU {100 * (c1 - c0) / (t1 - t0):.1f}% of a core "
        f"({(c1 - c0) / max(r1 - r0, 1) * 1e6:.0f} us per request), errors {served['errors']}"
    )


async def rebalance_latency(port: int, n: int = 10, heartbeat_s: float = 0.1) -> float:
    group = f"rebalance-{time.time_ns()}"
    synced: dict[int, tuple[int, float]] = {}
    stop = asyncio.Event()

    async def run(idx: int) -> None:
        conn = await _Conn.open(port)
        await conn.req(10, 3, FindCoordinatorRequest(key=group, key_type=0))
        m = _Member(conn, group)
        await m.join()
        synced[idx] = (m.generation, time.monotonic())
        while not stop.is_set():
            await asyncio.sleep(heartbeat_s)
            if await m.heartbeat() == REBALANCE_IN_PROGRESS:
                synced[idx] = (m.generation, time.monotonic())
        conn.close()

    tasks = [asyncio.ensure_future(run(i)) for i in range(n - 1)]
    while len(synced) < n - 1 or len({g for g, _ in synced.values()}) != 1:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    gen = next(iter(synced.values()))[0]
    t_last = time.monotonic()
    tasks.append(asyncio.ensure_future(run(n - 1)))
    while not (len(synced) == n and all(g > gen for g, _ in synced.values())):
        await asyncio.sleep(0.002)
    done = max(t for _, t in synced.values())
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return (done - t_last) * 1000


async def against_broker(groups: int, members: int, seconds: float) -> None:
    from bench.brokers.moldau import MoldauBroker

    with socket.socket() as s:  # a free port on 127.0.0.1
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    broker = MoldauBroker()
    with tempfile.TemporaryDirectory() as tmp:
        broker.start(port, Path(tmp) / "data")
        try:
            ms = await rebalance_latency(broker.port)
            print(
                f"10-member group, a tenth member joins: all synced {ms:.0f} ms after its "
                "JoinGroup (members heartbeat every 100 ms)"
            )
            await steady_load(broker.port, broker.pid, groups, members, seconds)
        finally:
            broker.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--groups", type=int, default=1000)
    p.add_argument("--members", type=int, default=2)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--in-process-only", action="store_true")
    args = p.parse_args()
    asyncio.run(in_process(args.groups, args.members))
    if not args.in_process_only:
        asyncio.run(against_broker(args.groups, args.members, args.seconds))


if __name__ == "__main__":
    main()
