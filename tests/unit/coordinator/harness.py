"""A deterministic driver for GroupCoordinatorShard: manual clock, manual timers, in-memory log."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moldau.common.clock import ManualClock
from moldau.coordinator.config import GroupConfig
from moldau.coordinator.records import CoordinatorRecord
from moldau.coordinator.result import Result
from moldau.coordinator.shard import CommitParams, GroupCoordinatorShard, JoinParams, SyncParams
from moldau.protocol._generated.consumer_protocol_subscription import (
    ConsumerProtocolSubscription,
)
from moldau.protocol._generated.join_group_response import JoinGroupResponse
from moldau.protocol._generated.sync_group_response import SyncGroupResponse
from moldau.protocol.primitives import Writer


def subscription(*topics: str, version: int = 1) -> bytes:
    w = Writer()
    w.int16(version)
    ConsumerProtocolSubscription(topics=list(topics)).write(w, version)
    return w.getvalue()


class ManualTimer:
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.entries: dict[str, tuple[int, int, Callable[[], Result]]] = {}
        self._seq = itertools.count()
        self.scheduled = 0

    def schedule(self, key: str, delay_ms: int, op: Callable[[], Result]) -> None:
        self.scheduled += 1
        self.entries[key] = (self.clock.monotonic_ms() + delay_ms, next(self._seq), op)

    def cancel(self, key: str) -> None:
        self.entries.pop(key, None)

    def next_due(self) -> tuple[str, int] | None:
        if not self.entries:
            return None
        key, (due, _, _) = min(self.entries.items(), key=lambda kv: (kv[1][0], kv[1][1]))
        return key, due


@dataclass
class Box:
    """Collects the responses delivered to one waiter."""

    items: list[Any] = field(default_factory=list)

    def __call__(self, resp: Any) -> None:
        self.items.append(resp)

    @property
    def last(self) -> Any:
        assert self.items, "no response delivered yet"
        return self.items[-1]

    @property
    def done(self) -> bool:
        return bool(self.items)


class Harness:
    def __init__(self, config: GroupConfig | None = None, **overrides: Any) -> None:
        base = config or GroupConfig(group_initial_rebalance_delay_ms=0)
        if overrides:
            from dataclasses import replace

            base = replace(base, **overrides)
        self.config = base
        self.clock = ManualClock()
        self.timer = ManualTimer(self.clock)
        ids = itertools.count(1)
        self.shard = GroupCoordinatorShard(
            0, self.config, self.clock, self.timer, new_uuid=lambda: f"u{next(ids)}"
        )
        self.log: list[CoordinatorRecord] = []
        self.fail_appends_with = 0

    # -- plumbing --------------------------------------------------------------------------

    def apply(self, res: Result) -> Any:
        code = 0
        if res.records:
            if self.fail_appends_with:
                code = self.fail_appends_with
            else:
                self.log.extend(res.records)
                for rec, rp in zip(res.records, res.replay):
                    if rp:
                        self.shard.replay(rec)
        for cb in res.callbacks:
            cb(code)
        return res.response

    def advance(self, ms: int) -> None:
        """Move time forward, firing due timers in order (each at its due time)."""
        end = self.clock.monotonic_ms() + ms
        while True:
            nxt = self.timer.next_due()
            if nxt is None or nxt[1] > end:
                break
            key, due = nxt
            self.clock.advance(due - self.clock.monotonic_ms())
            _, _, op = self.timer.entries.pop(key)
            self.apply(op())
        self.clock.advance(end - self.clock.monotonic_ms())

    def restarted(self) -> Harness:
        """A new shard that loads this one's log (compaction not needed: replay is in order)."""
        h = Harness(self.config)
        h.clock = self.clock
        h.timer = ManualTimer(self.clock)
        h.shard = GroupCoordinatorShard(0, self.config, self.clock, h.timer)
        h.log = list(self.log)
        for rec in h.log:
            h.shard.replay(rec)
        h.shard.on_loaded()
        return h

    # -- operations ------------------------------------------------------------------------

    def join(
        self,
        group: str,
        member_id: str = "",
        *,
        instance: str | None = None,
        protocols: list[tuple[str, bytes]] | None = None,
        protocol_type: str = "consumer",
        session: int = 10_000,
        rebalance: int = 30_000,
        client_id: str = "c",
        version: int = 9,
    ) -> Box:
        box = Box()
        p = JoinParams(
            group_id=group,
            member_id=member_id,
            group_instance_id=instance,
            protocol_type=protocol_type,
            protocols=protocols if protocols is not None else [("range", subscription("t"))],
            session_timeout_ms=session,
            rebalance_timeout_ms=rebalance,
            client_id=client_id,
            client_host="/127.0.0.1",
            require_known_member_id=version >= 4 and instance is None,
            support_skip_assignment=version >= 9,
        )
        self.apply(self.shard.join_group(p, box))
        return box

    def join_new(self, group: str, **kw: Any) -> Box:
        """A dynamic member's two-step join (KIP-394): returns the box of the second join."""
        first = self.join(group, **kw)
        resp: JoinGroupResponse = first.last
        assert resp.error_code == 79, resp
        return self.join(group, resp.member_id, **kw)

    def sync(
        self,
        group: str,
        generation: int,
        member_id: str,
        assignments: dict[str, bytes] | None = None,
        *,
        instance: str | None = None,
        protocol_type: str | None = None,
        protocol_name: str | None = None,
    ) -> Box:
        box = Box()
        p = SyncParams(
            group_id=group,
            generation_id=generation,
            member_id=member_id,
            group_instance_id=instance,
            protocol_type=protocol_type,
            protocol_name=protocol_name,
            assignments=list((assignments or {}).items()),
        )
        self.apply(self.shard.sync_group(p, box))
        return box

    def heartbeat(
        self, group: str, generation: int, member_id: str, instance: str | None = None
    ) -> int:
        return self.apply(self.shard.heartbeat(group, generation, member_id, instance))  # type: ignore[no-any-return]

    def leave(self, group: str, *members: tuple[str, str | None]) -> Any:
        return self.apply(self.shard.leave_group(group, list(members)))

    def commit(
        self,
        group: str,
        offsets: dict[tuple[str, int], int],
        *,
        generation: int = -1,
        member_id: str = "",
        instance: str | None = None,
        metadata: str = "",
        retention: int = -1,
        version: int = 9,
    ) -> list[tuple[str, int, int]]:
        p = CommitParams(
            group_id=group,
            generation_id=generation,
            member_id=member_id,
            group_instance_id=instance,
            offsets=[(t, pt, off, -1, metadata) for (t, pt), off in offsets.items()],
            retention_time_ms=retention,
            api_version=version,
        )
        return self.apply(self.shard.commit_offsets(p))  # type: ignore[no-any-return]

    def committed(self, group: str) -> dict[tuple[str, int], int]:
        return {(t, p): om.offset for t, p, om in self.shard.fetch_offsets(group, None) if om}

    def state(self, group: str) -> str:
        return self.shard.describe_group(group).group_state

    def stable_group(self, group: str, n: int = 2, **kw: Any) -> list[JoinGroupResponse]:
        """n dynamic members joined and synced; returns their join responses (leader first)."""
        boxes = []
        for _ in range(n):
            first = self.join(group, **kw)
            boxes.append((first.last.member_id, kw))
        joins = [self.join(group, mid, **k) for mid, k in boxes]
        self.advance(0)
        resps = [b.last for b in joins]
        assert all(r.error_code == 0 for r in resps), resps
        leader = next(r for r in resps if r.leader == r.member_id)
        others = [r for r in resps if r is not leader]
        syncs = [self.sync(group, r.generation_id, r.member_id) for r in others]
        self.sync(
            group,
            leader.generation_id,
            leader.member_id,
            {r.member_id: f"a-{r.member_id}".encode() for r in resps},
        )
        assert all(isinstance(s.last, SyncGroupResponse) and s.last.error_code == 0 for s in syncs)
        assert self.state(group) == "Stable"
        return [leader, *others]
