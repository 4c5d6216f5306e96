"""The group coordinator for one `__consumer_offsets` partition: a deterministic state machine.

Every public method is one operation (see `moldau.coordinator.result`): it returns a Result with
the records to append and the response, or delivers JoinGroup/SyncGroup responses later through
the waiter callbacks the request handler passed in. Time comes from the injected clock and all
delayed work goes through the injected Timer, so tests drive the shard step by step.

Which state is durable and how it comes back after a restart:

- Committed offsets: written as OffsetCommit records and applied to the shard only by
  replaying those records (after the append succeeded, and when loading the partition).
- Groups: the membership of a Stable or Empty group is written as a GroupMetadata record when
  the leader's assignment is stored, when a static member is replaced, and when the group
  becomes Empty. Loading replays it (a group with members comes back Stable, its members get
  a fresh session timeout). Joins in progress are not persisted, as in Kafka: members of an
  interrupted rebalance rejoin.
- Deletions (DeleteGroups, OffsetDelete, expiry, deleted topics) are tombstones, replayed.

Errors are returned exactly where Kafka's classic group coordinator returns them (Kafka 4.x
GroupMetadataManager / OffsetMetadataManager behaviour for classic groups).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from moldau.common.clock import Clock
from moldau.coordinator.config import GroupConfig
from moldau.coordinator.group import (
    ClassicGroup,
    GroupState,
    JoinWaiter,
    Member,
    SyncWaiter,
)
from moldau.coordinator.records import (
    CoordinatorRecord,
    GroupRecord,
    OffsetAndMetadata,
    OffsetRecord,
    decode,
    group_metadata_record,
    group_tombstone,
    offset_commit_record,
    offset_tombstone,
)
from moldau.coordinator.result import Result, Timer
from moldau.protocol._generated.describe_groups_response import (
    DescribedGroup,
    DescribedGroupMember,
)
from moldau.protocol._generated.group_coordinator.group_metadata_value import (
    GroupMetadataValue,
    MemberMetadata,
)
from moldau.protocol._generated.join_group_response import (
    JoinGroupResponse,
    JoinGroupResponseMember,
)
from moldau.protocol._generated.list_groups_response import ListedGroup
from moldau.protocol._generated.sync_group_response import SyncGroupResponse
from moldau.protocol.error_codes import ErrorCode as E

EXPIRE_OFFSETS_KEY = "expire-offsets"
UNKNOWN_OFFSET = -1
CLASSIC_GROUP_TYPE = "classic"


@dataclass(slots=True)
class JoinParams:
    group_id: str
    member_id: str
    group_instance_id: str | None
    protocol_type: str
    protocols: list[tuple[str, bytes]]
    session_timeout_ms: int
    rebalance_timeout_ms: int
    client_id: str = ""
    client_host: str = ""
    require_known_member_id: bool = True  # JoinGroup v4+ (KIP-394)
    support_skip_assignment: bool = True  # JoinGroup v9+ (KIP-814)
    reason: str | None = None


@dataclass(slots=True)
class SyncParams:
    group_id: str
    generation_id: int
    member_id: str
    group_instance_id: str | None
    protocol_type: str | None
    protocol_name: str | None
    assignments: list[tuple[str, bytes]]


@dataclass(slots=True)
class CommitParams:
    group_id: str
    generation_id: int
    member_id: str
    group_instance_id: str | None
    # (topic, partition, offset, leader epoch, metadata or None)
    offsets: list[tuple[str, int, int, int, str | None]]
    retention_time_ms: int = -1  # OffsetCommit v2-v4; -1 = broker retention
    api_version: int = 9


def join_error(member_id: str, code: int) -> JoinGroupResponse:
    """A JoinGroup error response the way Kafka builds one (generation -1, no protocol)."""
    return JoinGroupResponse(
        error_code=code,
        generation_id=-1,
        protocol_type=None,
        protocol_name=None,
        leader="",
        member_id=member_id,
        members=[],
    )


def sync_error(code: int) -> SyncGroupResponse:
    return SyncGroupResponse(error_code=code, assignment=b"")


def map_append_error(code: int) -> int:
    """What a client sees when writing to `__consumer_offsets` failed (Kafka's mapping)."""
    if code in (
        E.UNKNOWN_TOPIC_OR_PARTITION,
        E.NOT_ENOUGH_REPLICAS,
        E.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        E.REQUEST_TIMED_OUT,
    ):
        return E.COORDINATOR_NOT_AVAILABLE
    if code in (E.NOT_LEADER_OR_FOLLOWER, E.KAFKA_STORAGE_ERROR):
        return E.NOT_COORDINATOR
    if code in (E.MESSAGE_TOO_LARGE, E.RECORD_LIST_TOO_LARGE, E.INVALID_FETCH_SIZE):
        return E.UNKNOWN_SERVER_ERROR
    return code


class GroupCoordinatorShard:
    """Groups and committed offsets of one `__consumer_offsets` partition."""

    def __init__(
        self,
        partition: int,
        config: GroupConfig,
        clock: Clock,
        timer: Timer,
        new_uuid: Callable[[], str] | None = None,
    ) -> None:
        self.partition = partition
        self.config = config
        self.clock = clock
        self.timer = timer
        self._new_uuid = new_uuid or (lambda: str(uuid.uuid4()))
        self.groups: dict[str, ClassicGroup] = {}
        self.offsets: dict[str, dict[tuple[str, int], OffsetAndMetadata]] = {}

    # ------------------------------------------------------------------------------------
    # loading and replay

    def replay(self, record: CoordinatorRecord) -> None:
        """Apply one record of the partition (used for loading and after every append)."""
        d = record.parsed if record.parsed is not None else decode(record.key, record.value)
        if isinstance(d, OffsetRecord):
            self._replay_offset(d)
        elif isinstance(d, GroupRecord):
            self._replay_group(d)

    def _replay_offset(self, d: OffsetRecord) -> None:
        if d.value is None:
            group_offsets = self.offsets.get(d.group)
            if group_offsets is not None:
                group_offsets.pop((d.topic, d.partition), None)
                if not group_offsets:
                    del self.offsets[d.group]
            return
        if d.group not in self.groups:
            # An offset of a group nobody joined: a "simple" group, as Kafka creates one.
            self.groups[d.group] = ClassicGroup(d.group, state_timestamp_ms=self.clock.now_ms())
        self.offsets.setdefault(d.group, {})[(d.topic, d.partition)] = d.value

    def _replay_group(self, d: GroupRecord) -> None:
        old = self.groups.pop(d.group, None)
        if old is not None:
            self._cancel_group_timers(old)
            old.state = GroupState.DEAD
        if d.value is None:
            return
        v = d.value
        members = [
            Member(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                rebalance_timeout_ms=m.rebalance_timeout
                if m.rebalance_timeout >= 0
                else m.session_timeout,
                session_timeout_ms=m.session_timeout,
                protocol_type=v.protocol_type,
                protocols=[(v.protocol or "", bytes(m.subscription))],
                assignment=bytes(m.assignment),
            )
            for m in v.members
        ]
        ts = v.current_state_timestamp if v.current_state_timestamp >= 0 else self.clock.now_ms()
        g = ClassicGroup(
            d.group,
            state=GroupState.STABLE if members else GroupState.EMPTY,
            generation_id=v.generation,
            protocol_type=v.protocol_type,
            protocol_name=v.protocol if members else None,
            leader_id=v.leader if members else None,
            state_timestamp_ms=ts,
        )
        for m in members:
            g.members[m.member_id] = m
            if m.group_instance_id is not None:
                g.static_members[m.group_instance_id] = m.member_id
        if g.leader_id is not None and g.leader_id not in g.members:
            g.leader_id = next(iter(g.members), None)
        self.groups[d.group] = g

    def on_loaded(self) -> None:
        """After replaying the partition: start session timers and the offset-expiry sweep."""
        for g in self.groups.values():
            for m in g.members.values():
                self._schedule_heartbeat(g, m)
        self._schedule_expiry_sweep()

    def _schedule_expiry_sweep(self) -> None:
        self.timer.schedule(
            EXPIRE_OFFSETS_KEY, self.config.offsets_retention_check_interval_ms, self._expiry_sweep
        )

    def _expiry_sweep(self) -> Result:
        res = self.expire_offsets()
        self._schedule_expiry_sweep()
        return res

    def unload(self, code: int) -> None:
        """The partition moves away or the broker stops: answer every parked request."""
        for g in self.groups.values():
            for m in g.members.values():
                if m.join_waiter is not None:
                    w, m.join_waiter = m.join_waiter, None
                    w(join_error(m.member_id, code))
                if m.sync_waiter is not None:
                    sw, m.sync_waiter = m.sync_waiter, None
                    sw(sync_error(code))

    # ------------------------------------------------------------------------------------
    # timers

    @staticmethod
    def _hb_key(group_id: str, member_id: str) -> str:
        return f"heartbeat\x00{group_id}\x00{member_id}"

    @staticmethod
    def _join_key(group_id: str) -> str:
        return f"join\x00{group_id}"

    @staticmethod
    def _sync_key(group_id: str) -> str:
        return f"sync\x00{group_id}"

    def _schedule_heartbeat(self, group: ClassicGroup, member: Member) -> None:
        """Push the member's expiry out by its session timeout (new members: join timeout).

        Heartbeats are frequent, so they only move `hb_deadline_ms`; the timer is re-armed
        only when it would fire too late. When it fires before the deadline, it re-arms for
        the rest (see `_on_heartbeat_expired`).
        """
        delay = (
            self.config.new_member_join_timeout_ms if member.is_new else member.session_timeout_ms
        )
        member.hb_deadline_ms = self.clock.monotonic_ms() + delay
        due = member.hb_timer_due_ms
        if due is None or due > member.hb_deadline_ms:
            self._arm_heartbeat(group.group_id, member, delay)

    def _arm_heartbeat(self, group_id: str, member: Member, delay: int) -> None:
        mid = member.member_id
        member.hb_timer_due_ms = self.clock.monotonic_ms() + delay
        self.timer.schedule(
            self._hb_key(group_id, mid), delay, lambda: self._on_heartbeat_expired(group_id, mid)
        )

    def _disarm_heartbeat(self, group_id: str, member: Member) -> None:
        self.timer.cancel(self._hb_key(group_id, member.member_id))
        member.hb_timer_due_ms = None

    def _schedule_pending_member(
        self, group: ClassicGroup, member_id: str, session_ms: int
    ) -> None:
        gid = group.group_id
        self.timer.schedule(
            self._hb_key(gid, member_id),
            session_ms,
            lambda: self._on_heartbeat_expired(gid, member_id),
        )

    def _cancel_group_timers(self, group: ClassicGroup) -> None:
        for mid in list(group.members) + list(group.pending_members):
            self.timer.cancel(self._hb_key(group.group_id, mid))
        self.timer.cancel(self._join_key(group.group_id))
        self.timer.cancel(self._sync_key(group.group_id))

    def _on_heartbeat_expired(self, group_id: str, member_id: str) -> Result:
        res = Result()
        group = self.groups.get(group_id)
        if group is None or group.state is GroupState.DEAD:
            return res
        if member_id in group.pending_members:
            group.pending_members.discard(member_id)
            if group.state is GroupState.PREPARING_REBALANCE:
                self._try_complete_join(group, res)
            return res
        member = group.members.get(member_id)
        if member is None:
            return res
        member.hb_timer_due_ms = None
        remaining = member.hb_deadline_ms - self.clock.monotonic_ms()
        if remaining > 0:
            # A heartbeat moved the deadline since the timer was armed.
            self._arm_heartbeat(group_id, member, remaining)
            return res
        if not member.is_new and (member.awaiting_join or member.awaiting_sync):
            # A member parked in JoinGroup/SyncGroup is alive by definition; look again later.
            self._schedule_heartbeat(group, member)
            return res
        self._remove_member_and_update_group(group, member, res)
        return res

    # ------------------------------------------------------------------------------------
    # JoinGroup

    def join_group(self, p: JoinParams, respond: JoinWaiter) -> Result:
        res = Result()
        if not p.group_id or _too_long(p.group_id):
            respond(join_error(p.member_id, E.INVALID_GROUP_ID))
            return res
        if any(
            _too_long(s)
            for s in (p.group_instance_id or "", p.protocol_type, *(n for n, _ in p.protocols))
        ):
            # Flexible versions allow longer strings than the group record can store.
            respond(join_error(p.member_id, E.INVALID_REQUEST))
            return res
        if not (
            self.config.group_min_session_timeout_ms
            <= p.session_timeout_ms
            <= self.config.group_max_session_timeout_ms
        ):
            respond(join_error(p.member_id, E.INVALID_SESSION_TIMEOUT))
            return res
        unknown = p.member_id == ""
        group = self.groups.get(p.group_id)
        created = False
        if group is None:
            if not unknown:
                respond(join_error(p.member_id, E.UNKNOWN_MEMBER_ID))
                return res
            group = ClassicGroup(p.group_id, state_timestamp_ms=self.clock.now_ms())
            self.groups[p.group_id] = group
            created = True
        if not self._accept_joining_member(group, p.member_id):
            existing = group.members.get(p.member_id)
            if existing is not None:
                self._remove_member_and_update_group(group, existing, res)
            respond(join_error(p.member_id, E.GROUP_MAX_SIZE_REACHED))
        elif unknown:
            self._join_new_member(group, p, respond, res)
        else:
            self._join_existing_member(group, p, respond, res)
        if created and not group.members and not group.pending_members:
            # The join was refused: do not leave an empty group behind.
            del self.groups[p.group_id]
            return res
        if group.state is GroupState.PREPARING_REBALANCE:
            self._try_complete_join(group, res)
        return res

    def _accept_joining_member(self, group: ClassicGroup, member_id: str) -> bool:
        limit = self.config.group_max_size
        if group.state in (GroupState.EMPTY, GroupState.DEAD):
            return True
        if group.state is GroupState.PREPARING_REBALANCE:
            m = group.members.get(member_id)
            return (m is not None and m.awaiting_join) or group.num_awaiting_join() < limit
        return member_id in group.members or len(group.members) < limit

    def _join_new_member(
        self, group: ClassicGroup, p: JoinParams, respond: JoinWaiter, res: Result
    ) -> None:
        if group.state is GroupState.DEAD:
            respond(join_error(p.member_id, E.COORDINATOR_NOT_AVAILABLE))
            return
        if not group.supports_protocols(p.protocol_type, [n for n, _ in p.protocols]):
            respond(join_error(p.member_id, E.INCONSISTENT_GROUP_PROTOCOL))
            return
        prefix = p.group_instance_id if p.group_instance_id is not None else p.client_id
        new_id = f"{prefix}-{self._new_uuid()}"
        if p.group_instance_id is not None:
            old_id = group.static_member_id(p.group_instance_id)
            if old_id is None:
                self._add_member_and_rebalance(group, p, new_id, respond)
            else:
                self._replace_static_member(group, p, old_id, new_id, respond, res)
        elif p.require_known_member_id:
            # KIP-394: hand out the id first; the member is only added when it comes back.
            group.pending_members.add(new_id)
            self._schedule_pending_member(group, new_id, p.session_timeout_ms)
            respond(join_error(new_id, E.MEMBER_ID_REQUIRED))
        else:
            self._add_member_and_rebalance(group, p, new_id, respond)

    def _join_existing_member(
        self, group: ClassicGroup, p: JoinParams, respond: JoinWaiter, res: Result
    ) -> None:
        mid = p.member_id
        if group.state is GroupState.DEAD:
            respond(join_error(mid, E.COORDINATOR_NOT_AVAILABLE))
            return
        if not group.supports_protocols(p.protocol_type, [n for n, _ in p.protocols]):
            respond(join_error(mid, E.INCONSISTENT_GROUP_PROTOCOL))
            return
        if mid in group.pending_members:
            # The second JoinGroup of KIP-394, now with the id we handed out.
            if p.group_instance_id is not None:
                respond(join_error(mid, E.UNKNOWN_MEMBER_ID))
                return
            self._add_member_and_rebalance(group, p, mid, respond)
            return
        if group.is_static_member_fenced(p.group_instance_id, mid):
            respond(join_error(mid, E.FENCED_INSTANCE_ID))
            return
        instance_unknown = (
            p.group_instance_id is not None and group.static_member_id(p.group_instance_id) is None
        )
        if mid not in group.members or instance_unknown:
            respond(join_error(mid, E.UNKNOWN_MEMBER_ID))
            return
        member = group.members[mid]
        st = group.state
        if st is GroupState.PREPARING_REBALANCE:
            self._update_member_and_rebalance(group, member, p, respond)
        elif st is GroupState.COMPLETING_REBALANCE:
            if member.matches(p.protocols):
                # It lost the JoinGroup response: answer again for the current generation.
                respond(self._join_response(group, member, include_members=group.leader_id == mid))
            else:
                self._update_member_and_rebalance(group, member, p, respond)
        elif st is GroupState.STABLE:
            if group.leader_id == mid or not member.matches(p.protocols):
                # The leader rejoining is how clients ask for a new assignment (e.g. new
                # partitions); anyone with changed metadata needs one too.
                self._update_member_and_rebalance(group, member, p, respond)
            else:
                respond(self._join_response(group, member, include_members=False))
        else:  # Empty: a member the coordinator does not have any more
            respond(join_error(mid, E.UNKNOWN_MEMBER_ID))

    def _join_response(
        self,
        group: ClassicGroup,
        member: Member,
        include_members: bool,
        skip: bool = False,
        leader: str | None = None,
    ) -> JoinGroupResponse:
        members = []
        if include_members and group.protocol_name is not None:
            members = [
                JoinGroupResponseMember(
                    member_id=m.member_id,
                    group_instance_id=m.group_instance_id,
                    metadata=m.metadata(group.protocol_name),
                )
                for m in group.members.values()
            ]
        return JoinGroupResponse(
            error_code=E.NONE,
            generation_id=group.generation_id,
            protocol_type=group.protocol_type,
            protocol_name=group.protocol_name,
            leader=(leader if leader is not None else group.leader_id) or "",
            skip_assignment=skip,
            member_id=member.member_id,
            members=members,
        )

    def _add_member_and_rebalance(
        self, group: ClassicGroup, p: JoinParams, member_id: str, respond: JoinWaiter
    ) -> None:
        member = Member(
            member_id=member_id,
            group_instance_id=p.group_instance_id,
            client_id=p.client_id,
            client_host=p.client_host,
            rebalance_timeout_ms=p.rebalance_timeout_ms,
            session_timeout_ms=p.session_timeout_ms,
            protocol_type=p.protocol_type,
            protocols=[(n, bytes(d)) for n, d in p.protocols],
            join_waiter=respond,
            is_new=True,
        )
        if group.state is GroupState.PREPARING_REBALANCE and group.generation_id == 0:
            group.new_member_added = True
        group.add(member)
        self._schedule_heartbeat(group, member)
        self._maybe_prepare_rebalance(group)

    def _update_member_and_rebalance(
        self, group: ClassicGroup, member: Member, p: JoinParams, respond: JoinWaiter
    ) -> None:
        member.protocols = [(n, bytes(d)) for n, d in p.protocols]
        member.rebalance_timeout_ms = p.rebalance_timeout_ms
        member.session_timeout_ms = p.session_timeout_ms
        if member.join_waiter is not None and member.join_waiter is not respond:
            # A second JoinGroup while the first is parked: the first gets an answer now so
            # its connection does not stall (the client only acts on the newest one).
            member.join_waiter(join_error(member.member_id, E.REBALANCE_IN_PROGRESS))
        member.join_waiter = respond
        self._maybe_prepare_rebalance(group)

    def _replace_static_member(
        self,
        group: ClassicGroup,
        p: JoinParams,
        old_id: str,
        new_id: str,
        respond: JoinWaiter,
        res: Result,
    ) -> None:
        """KIP-345: a static member came back with an empty member id; the old id is fenced."""
        assert p.group_instance_id is not None
        instance_id = p.group_instance_id
        current_leader = group.leader_id
        member = group.members[old_id]
        old_protocols = member.protocols
        old_timeouts = (member.rebalance_timeout_ms, member.session_timeout_ms)
        self._disarm_heartbeat(group.group_id, member)
        if member.join_waiter is not None:
            w, member.join_waiter = member.join_waiter, None
            w(join_error(old_id, E.FENCED_INSTANCE_ID))
        if member.sync_waiter is not None:
            sw, member.sync_waiter = member.sync_waiter, None
            sw(sync_error(E.FENCED_INSTANCE_ID))
        group.replace_static_member(instance_id, old_id, new_id)
        member.protocols = [(n, bytes(d)) for n, d in p.protocols]
        member.rebalance_timeout_ms = p.rebalance_timeout_ms
        member.session_timeout_ms = p.session_timeout_ms
        member.join_waiter = respond
        st = group.state
        if st is GroupState.STABLE:
            if group.protocol_name == group.select_protocol():
                # Same protocol: persist the new member id and hand back the current
                # generation without a rebalance.
                self._schedule_heartbeat(group, member)
                gen = group.generation_id
                res.add(
                    group_metadata_record(group.group_id, self._metadata_value(group)), replay=False
                )

                def done(err: int) -> None:
                    if member.join_waiter is None:
                        return
                    if err:
                        if group.members.get(new_id) is member and group.generation_id == gen:
                            self._disarm_heartbeat(group.group_id, member)
                            group.replace_static_member(instance_id, new_id, old_id)
                            member.protocols = old_protocols
                            member.rebalance_timeout_ms, member.session_timeout_ms = old_timeouts
                            self._schedule_heartbeat(group, member)
                        w, member.join_waiter = member.join_waiter, None
                        w(join_error(new_id, map_append_error(err)))
                        return
                    is_leader = group.leader_id == member.member_id
                    skip = is_leader and p.support_skip_assignment
                    w, member.join_waiter = member.join_waiter, None
                    w(
                        self._join_response(
                            group,
                            member,
                            include_members=skip,
                            skip=skip,
                            leader=group.leader_id if p.support_skip_assignment else current_leader,
                        )
                    )

                res.then(done)
            else:
                self._maybe_prepare_rebalance(group)
        elif st is GroupState.COMPLETING_REBALANCE:
            # The leader may already be assigning to the old id: rebalance again.
            self._prepare_rebalance(group)
        # PreparingRebalance: the member simply waits for the join to complete.

    def _maybe_prepare_rebalance(self, group: ClassicGroup) -> None:
        if group.can_rebalance():
            self._prepare_rebalance(group)

    def _prepare_rebalance(self, group: ClassicGroup) -> None:
        if group.state is GroupState.COMPLETING_REBALANCE:
            self._reset_and_propagate_assignment_error(group, E.REBALANCE_IN_PROGRESS)
        self.timer.cancel(self._sync_key(group.group_id))
        group.pending_sync.clear()
        gid = group.group_id
        if group.state is GroupState.EMPTY:
            delay = self.config.group_initial_rebalance_delay_ms
            group.initial_delay_pending = True
            group.initial_delay_remaining_ms = max(group.rebalance_timeout_ms() - delay, 0)
            self.timer.schedule(self._join_key(gid), delay, lambda: self._on_initial_delay(gid))
        else:
            group.initial_delay_pending = False
            self.timer.schedule(
                self._join_key(gid),
                group.rebalance_timeout_ms(),
                lambda: self._on_join_timeout(gid),
            )
        group.transition(GroupState.PREPARING_REBALANCE, self.clock.now_ms())

    def _on_initial_delay(self, group_id: str) -> Result:
        res = Result()
        group = self.groups.get(group_id)
        if group is None or group.state is not GroupState.PREPARING_REBALANCE:
            return res
        if not group.initial_delay_pending:
            return res
        if group.new_member_added and group.initial_delay_remaining_ms > 0:
            # Members are still arriving: wait another delay (bounded by the rebalance timeout).
            group.new_member_added = False
            delay = min(
                self.config.group_initial_rebalance_delay_ms, group.initial_delay_remaining_ms
            )
            group.initial_delay_remaining_ms = max(
                group.initial_delay_remaining_ms - self.config.group_initial_rebalance_delay_ms, 0
            )
            self.timer.schedule(
                self._join_key(group_id), delay, lambda: self._on_initial_delay(group_id)
            )
            return res
        group.initial_delay_pending = False
        self._complete_join(group, res)
        return res

    def _on_join_timeout(self, group_id: str) -> Result:
        res = Result()
        group = self.groups.get(group_id)
        if group is not None and group.state is GroupState.PREPARING_REBALANCE:
            self._complete_join(group, res)
        return res

    def _try_complete_join(self, group: ClassicGroup, res: Result) -> None:
        if (
            group.state is GroupState.PREPARING_REBALANCE
            and not group.initial_delay_pending
            and group.all_joined()
        ):
            self._complete_join(group, res)

    def _complete_join(self, group: ClassicGroup, res: Result) -> None:
        gid = group.group_id
        self.timer.cancel(self._join_key(gid))
        group.initial_delay_pending = False
        for m in list(group.members.values()):
            if not m.awaiting_join and m.group_instance_id is None:
                # Dynamic members that did not rejoin in time leave the group.
                self.timer.cancel(self._hb_key(gid, m.member_id))
                group.remove(m.member_id)
        if group.state is GroupState.DEAD:
            return
        if group.members and not group.maybe_elect_new_joined_leader():
            # Only static members that have not rejoined: give them another rebalance timeout.
            self.timer.schedule(
                self._join_key(gid),
                group.rebalance_timeout_ms(),
                lambda: self._on_join_timeout(gid),
            )
            return
        now = self.clock.now_ms()
        group.generation_id += 1
        if not group.members:
            group.protocol_name = None
            group.leader_id = None
            group.transition(GroupState.EMPTY, now)
            res.add(group_metadata_record(gid, self._metadata_value(group)), replay=False)
            return
        group.protocol_name = group.select_protocol()
        group.transition(GroupState.COMPLETING_REBALANCE, now)
        for m in group.members.values():
            resp = self._join_response(group, m, include_members=group.leader_id == m.member_id)
            if m.join_waiter is not None:
                w, m.join_waiter = m.join_waiter, None
                w(resp)
            m.is_new = False
            self._schedule_heartbeat(group, m)
            group.pending_sync.add(m.member_id)
        gen = group.generation_id
        self.timer.schedule(
            self._sync_key(gid),
            group.rebalance_timeout_ms(),
            lambda: self._on_sync_timeout(gid, gen),
        )

    def _on_sync_timeout(self, group_id: str, generation: int) -> Result:
        """Members that got their JoinGroup response but never sent SyncGroup are removed."""
        res = Result()
        group = self.groups.get(group_id)
        if group is None or group.generation_id != generation or not group.pending_sync:
            return res
        if group.state not in (GroupState.COMPLETING_REBALANCE, GroupState.STABLE):
            return res
        for mid in list(group.pending_sync):
            self.timer.cancel(self._hb_key(group_id, mid))
            group.remove(mid)
        self._prepare_rebalance(group)
        self._try_complete_join(group, res)
        return res

    def _metadata_value(
        self, group: ClassicGroup, assignment: dict[str, bytes] | None = None
    ) -> GroupMetadataValue:
        proto = group.protocol_name
        return GroupMetadataValue(
            protocol_type=group.protocol_type or "",
            generation=group.generation_id,
            protocol=proto,
            leader=group.leader_id,
            current_state_timestamp=group.state_timestamp_ms,
            members=[
                MemberMetadata(
                    member_id=m.member_id,
                    group_instance_id=m.group_instance_id,
                    client_id=m.client_id,
                    client_host=m.client_host,
                    rebalance_timeout=m.rebalance_timeout_ms,
                    session_timeout=m.session_timeout_ms,
                    subscription=m.metadata(proto) if proto is not None else b"",
                    assignment=(
                        assignment.get(m.member_id, b"") if assignment is not None else m.assignment
                    ),
                )
                for m in group.members.values()
            ],
        )

    # ------------------------------------------------------------------------------------
    # SyncGroup

    def _validate_member(self, group: ClassicGroup, member_id: str, instance_id: str | None) -> int:
        if instance_id is not None:
            existing = group.static_member_id(instance_id)
            if existing is None:
                return E.UNKNOWN_MEMBER_ID
            if existing != member_id:
                return E.FENCED_INSTANCE_ID
        if member_id not in group.members:
            return E.UNKNOWN_MEMBER_ID
        return E.NONE

    def sync_group(self, p: SyncParams, respond: SyncWaiter) -> Result:
        res = Result()
        if not p.group_id:
            respond(sync_error(E.INVALID_GROUP_ID))
            return res
        group = self.groups.get(p.group_id)
        if group is None:
            respond(sync_error(E.UNKNOWN_MEMBER_ID))
            return res
        if group.state is GroupState.DEAD:
            respond(sync_error(E.COORDINATOR_NOT_AVAILABLE))
            return res
        err = self._validate_member(group, p.member_id, p.group_instance_id)
        if err:
            respond(sync_error(err))
            return res
        if p.generation_id != group.generation_id:
            respond(sync_error(E.ILLEGAL_GENERATION))
            return res
        if _inconsistent(p.protocol_type, group.protocol_type) or _inconsistent(
            p.protocol_name, group.protocol_name
        ):
            respond(sync_error(E.INCONSISTENT_GROUP_PROTOCOL))
            return res
        st = group.state
        if st is GroupState.EMPTY:
            respond(sync_error(E.UNKNOWN_MEMBER_ID))
        elif st is GroupState.PREPARING_REBALANCE:
            respond(sync_error(E.REBALANCE_IN_PROGRESS))
        elif st is GroupState.COMPLETING_REBALANCE:
            member = group.members[p.member_id]
            if member.sync_waiter is not None and member.sync_waiter is not respond:
                member.sync_waiter(sync_error(E.REBALANCE_IN_PROGRESS))
            member.sync_waiter = respond
            group.pending_sync.discard(p.member_id)
            if group.leader_id == p.member_id:
                given = {mid: bytes(a) for mid, a in p.assignments}
                assignment = {mid: given.get(mid, b"") for mid in group.members}
                gen = group.generation_id
                res.add(
                    group_metadata_record(group.group_id, self._metadata_value(group, assignment)),
                    replay=False,
                )

                def stored(err: int) -> None:
                    if (
                        group.state is not GroupState.COMPLETING_REBALANCE
                        or group.generation_id != gen
                    ):
                        return  # the group moved on while the assignment was written
                    if err:
                        self._reset_and_propagate_assignment_error(group, map_append_error(err))
                        self._maybe_prepare_rebalance(group)
                    else:
                        self._set_and_propagate_assignment(group, assignment)
                        group.transition(GroupState.STABLE, self.clock.now_ms())

                res.then(stored)
        else:  # Stable
            group.pending_sync.discard(p.member_id)
            member = group.members[p.member_id]
            respond(
                SyncGroupResponse(
                    error_code=E.NONE,
                    protocol_type=group.protocol_type,
                    protocol_name=group.protocol_name,
                    assignment=member.assignment,
                )
            )
            self._schedule_heartbeat(group, member)
        return res

    def _set_and_propagate_assignment(
        self, group: ClassicGroup, assignment: dict[str, bytes]
    ) -> None:
        for m in group.members.values():
            m.assignment = assignment.get(m.member_id, b"")
        self._propagate_assignment(group, E.NONE)

    def _reset_and_propagate_assignment_error(self, group: ClassicGroup, code: int) -> None:
        for m in group.members.values():
            m.assignment = b""
        self._propagate_assignment(group, code)

    def _propagate_assignment(self, group: ClassicGroup, code: int) -> None:
        for m in group.members.values():
            if m.sync_waiter is not None:
                w, m.sync_waiter = m.sync_waiter, None
                if code:
                    w(sync_error(code))
                else:
                    w(
                        SyncGroupResponse(
                            error_code=E.NONE,
                            protocol_type=group.protocol_type,
                            protocol_name=group.protocol_name,
                            assignment=m.assignment,
                        )
                    )
            # Expirations that fired while members waited were ignored: start afresh.
            self._schedule_heartbeat(group, m)

    # ------------------------------------------------------------------------------------
    # Heartbeat and LeaveGroup

    def heartbeat(
        self, group_id: str, generation_id: int, member_id: str, instance_id: str | None
    ) -> Result:
        res = Result(response=E.NONE)
        if not group_id:
            res.response = E.INVALID_GROUP_ID
            return res
        group = self.groups.get(group_id)
        if group is None:
            res.response = E.UNKNOWN_MEMBER_ID
            return res
        if group.state is GroupState.DEAD:
            res.response = E.COORDINATOR_NOT_AVAILABLE
            return res
        err = self._validate_member(group, member_id, instance_id)
        if err:
            res.response = err
            return res
        if generation_id != group.generation_id:
            res.response = E.ILLEGAL_GENERATION
            return res
        if group.state is GroupState.EMPTY:
            res.response = E.UNKNOWN_MEMBER_ID
            return res
        self._schedule_heartbeat(group, group.members[member_id])
        if group.state is GroupState.PREPARING_REBALANCE:
            res.response = E.REBALANCE_IN_PROGRESS
        return res

    def leave_group(self, group_id: str, members: list[tuple[str, str | None]]) -> Result:
        """Response: (top-level error, [(member id, instance id, error)])."""
        res = Result()
        if not group_id:
            res.response = (E.INVALID_GROUP_ID, [])
            return res
        group = self.groups.get(group_id)
        if group is None:
            res.response = (E.NONE, [(m, i, E.UNKNOWN_MEMBER_ID) for m, i in members])
            return res
        if group.state is GroupState.DEAD:
            res.response = (E.COORDINATOR_NOT_AVAILABLE, [])
            return res
        out: list[tuple[str, str | None, int]] = []
        for mid, iid in members:
            if mid == "":
                # Administrative removal of a static member by its instance id.
                current = group.static_member_id(iid)
                if current is None:
                    out.append((mid, iid, E.UNKNOWN_MEMBER_ID))
                else:
                    self._remove_member_and_update_group(group, group.members[current], res)
                    out.append((mid, iid, E.NONE))
            elif mid in group.pending_members:
                group.pending_members.discard(mid)
                self.timer.cancel(self._hb_key(group_id, mid))
                self._try_complete_join(group, res)
                out.append((mid, iid, E.NONE))
            elif group.is_static_member_fenced(iid, mid):
                out.append((mid, iid, E.FENCED_INSTANCE_ID))
            elif mid in group.members:
                self._remove_member_and_update_group(group, group.members[mid], res)
                out.append((mid, iid, E.NONE))
            else:
                out.append((mid, iid, E.UNKNOWN_MEMBER_ID))
        res.response = (E.NONE, out)
        return res

    def _remove_member_and_update_group(
        self, group: ClassicGroup, member: Member, res: Result
    ) -> None:
        if member.join_waiter is not None:
            # A member removed while its JoinGroup is parked learns it must join again.
            w, member.join_waiter = member.join_waiter, None
            w(join_error(member.member_id, E.UNKNOWN_MEMBER_ID))
        self.timer.cancel(self._hb_key(group.group_id, member.member_id))
        group.remove(member.member_id)
        st = group.state
        if st in (GroupState.STABLE, GroupState.COMPLETING_REBALANCE):
            self._maybe_prepare_rebalance(group)
            self._try_complete_join(group, res)
        elif st is GroupState.PREPARING_REBALANCE:
            self._try_complete_join(group, res)

    # ------------------------------------------------------------------------------------
    # offsets

    def commit_offsets(self, p: CommitParams) -> Result:
        """Response (after the append): [(topic, partition, error)] in request order."""
        res = Result()
        group = self.groups.get(p.group_id)
        err: int = E.NONE
        if _too_long(p.group_id):
            err = E.INVALID_GROUP_ID
        elif group is None:
            if p.generation_id < 0:
                group = ClassicGroup(p.group_id, state_timestamp_ms=self.clock.now_ms())
                self.groups[p.group_id] = group
            else:
                err = E.GROUP_ID_NOT_FOUND if p.api_version >= 9 else E.ILLEGAL_GENERATION
        else:
            err = self._validate_offset_commit(group, p)
        if err:
            res.response = [(t, part, err) for t, part, *_ in p.offsets]
            return res
        assert group is not None
        member = group.members.get(p.member_id)
        if member is not None and group.state in (
            GroupState.STABLE,
            GroupState.PREPARING_REBALANCE,
        ):
            # A commit is as good as a heartbeat; during PreparingRebalance the member learns
            # about the rebalance from its next heartbeat.
            self._schedule_heartbeat(group, member)
        now = self.clock.now_ms()
        expire = now + p.retention_time_ms if p.retention_time_ms >= 0 else -1
        per_partition: list[tuple[str, int, int]] = []
        for topic, part, offset, epoch, metadata in p.offsets:
            md = metadata or ""
            if len(md.encode("utf-8")) > self.config.offset_metadata_max_bytes:
                per_partition.append((topic, part, E.OFFSET_METADATA_TOO_LARGE))
                continue
            res.add(
                offset_commit_record(
                    p.group_id,
                    topic,
                    part,
                    OffsetAndMetadata(
                        offset=offset,
                        leader_epoch=epoch,
                        metadata=md,
                        commit_timestamp_ms=now,
                        expire_timestamp_ms=expire,
                    ),
                )
            )
            per_partition.append((topic, part, -1))  # filled in after the append
        res.response = [(t, pt, e if e >= 0 else E.NONE) for t, pt, e in per_partition]

        def appended(code: int) -> None:
            if code:
                mapped = map_append_error(code)
                res.response = [(t, pt, e if e >= 0 else mapped) for t, pt, e in per_partition]

        res.then(appended)
        return res

    def _validate_offset_commit(self, group: ClassicGroup, p: CommitParams) -> int:
        if group.state is GroupState.DEAD:
            return E.COORDINATOR_NOT_AVAILABLE
        if p.generation_id < 0 and group.state is GroupState.EMPTY:
            # Admin clients and consumers that assign partitions themselves.
            return E.NONE
        if p.generation_id >= 0 or p.member_id or p.group_instance_id is not None:
            err = self._validate_member(group, p.member_id, p.group_instance_id)
            if err:
                return err
            if p.generation_id != group.generation_id:
                return E.ILLEGAL_GENERATION
        elif group.state is not GroupState.EMPTY:
            # Without member id and generation only an empty group accepts commits.
            return E.UNKNOWN_MEMBER_ID
        if group.state is GroupState.COMPLETING_REBALANCE:
            return E.REBALANCE_IN_PROGRESS
        return E.NONE

    def fetch_offsets(
        self, group_id: str, topics: list[tuple[str, list[int]]] | None
    ) -> list[tuple[str, int, OffsetAndMetadata | None]]:
        """Committed offsets (None where there is none); `topics` None means all of them."""
        group = self.groups.get(group_id)
        committed = (
            self.offsets.get(group_id, {})
            if group is not None and group.state is not GroupState.DEAD
            else {}
        )
        if topics is None:
            return [(t, pt, om) for (t, pt), om in sorted(committed.items())]
        return [(t, pt, committed.get((t, pt))) for t, parts in topics for pt in parts]

    def delete_offsets(self, group_id: str, partitions: list[tuple[str, int]]) -> Result:
        """OffsetDelete. Response: (group error, [(topic, partition, error)])."""
        res = Result()
        group = self.groups.get(group_id)
        if group is None or group.state is GroupState.DEAD:
            res.response = (E.GROUP_ID_NOT_FOUND, [])
            return res
        eligible: list[tuple[str, int]] = []
        errors: list[tuple[str, int, int]] = []
        if group.state is GroupState.EMPTY:
            eligible = list(partitions)
        elif group.protocol_type == "consumer":
            subscribed = group.subscribed_topics()
            for t, pt in partitions:
                if subscribed is None or t in subscribed:
                    errors.append((t, pt, E.GROUP_SUBSCRIBED_TO_TOPIC))
                else:
                    eligible.append((t, pt))
        else:
            res.response = (E.NON_EMPTY_GROUP, [])
            return res
        committed = self.offsets.get(group_id, {})
        for t, pt in eligible:
            if (t, pt) in committed:
                res.add(offset_tombstone(group_id, t, pt))
            errors.append((t, pt, E.NONE))
        res.response = (E.NONE, errors)

        def appended(code: int) -> None:
            if code:
                res.response = (map_append_error(code), [])

        res.then(appended)
        return res

    def expire_offsets(self) -> Result:
        """Tombstones for expired offsets, and for Empty groups left without any offset."""
        res = Result()
        now = self.clock.now_ms()
        retention = self.config.offsets_retention_ms
        for gid, group in list(self.groups.items()):
            committed = self.offsets.get(gid, {})
            base: Callable[[OffsetAndMetadata], int] | None = None
            subscribed: set[str] | None = None
            if not group.protocol_type:
                base = _commit_time  # a simple group: each offset on its own commit time
            elif group.state is GroupState.EMPTY:
                ts = group.state_timestamp_ms
                base = (lambda om, ts=ts: ts) if ts >= 0 else _commit_time
            elif group.protocol_type == "consumer" and group.state is GroupState.STABLE:
                subscribed = group.subscribed_topics()
                if subscribed is not None:
                    base = _commit_time
            if base is None:
                continue
            expired = []
            for (t, pt), om in committed.items():
                if subscribed is not None and t in subscribed:
                    continue
                if om.expire_timestamp_ms >= 0:
                    due = now >= om.expire_timestamp_ms
                else:
                    due = now - base(om) >= retention
                if due:
                    expired.append((t, pt))
            for t, pt in expired:
                res.add(offset_tombstone(gid, t, pt))
            if group.state is GroupState.EMPTY and len(expired) == len(committed):
                res.add(group_tombstone(gid))
        return res

    def on_topics_deleted(self, topics: Iterable[str]) -> Result:
        """Tombstones for every committed offset of the deleted topics."""
        gone = set(topics)
        res = Result()
        for gid, committed in self.offsets.items():
            for t, pt in committed:
                if t in gone:
                    res.add(offset_tombstone(gid, t, pt))
        return res

    # ------------------------------------------------------------------------------------
    # admin

    def describe_group(self, group_id: str) -> DescribedGroup:
        group = self.groups.get(group_id)
        if group is None or group.state is GroupState.DEAD:
            return DescribedGroup(
                error_code=E.NONE,
                group_id=group_id,
                group_state=GroupState.DEAD.value,
                protocol_type="",
                protocol_data="",
                members=[],
            )
        stable = group.state is GroupState.STABLE and group.protocol_name is not None
        proto = group.protocol_name if stable else None
        return DescribedGroup(
            error_code=E.NONE,
            group_id=group_id,
            group_state=group.state.value,
            protocol_type=group.protocol_type or "",
            protocol_data=proto or "",
            members=[
                DescribedGroupMember(
                    member_id=m.member_id,
                    group_instance_id=m.group_instance_id,
                    client_id=m.client_id,
                    client_host=m.client_host,
                    member_metadata=m.metadata(proto) if proto else b"",
                    member_assignment=m.assignment if proto else b"",
                )
                for m in group.members.values()
            ],
        )

    def list_groups(
        self, states: Iterable[str] = (), types: Iterable[str] = ()
    ) -> list[ListedGroup]:
        want_states = {s.lower() for s in states}
        want_types = {t.lower() for t in types}
        if want_types and CLASSIC_GROUP_TYPE not in want_types:
            return []
        out = []
        for gid, g in self.groups.items():
            if g.state is GroupState.DEAD:
                continue
            if want_states and g.state.value.lower() not in want_states:
                continue
            out.append(
                ListedGroup(
                    group_id=gid,
                    protocol_type=g.protocol_type or "",
                    group_state=g.state.value,
                    group_type=CLASSIC_GROUP_TYPE,
                )
            )
        return out

    def delete_groups(self, group_ids: list[str]) -> Result:
        """DeleteGroups. Response (after the append): [(group id, error)]."""
        res = Result()
        outcome: list[tuple[str, int]] = []
        for gid in group_ids:
            group = self.groups.get(gid)
            if group is None or group.state is GroupState.DEAD:
                outcome.append((gid, E.GROUP_ID_NOT_FOUND))
            elif group.state is not GroupState.EMPTY:
                outcome.append((gid, E.NON_EMPTY_GROUP))
            else:
                for t, pt in self.offsets.get(gid, {}):
                    res.add(offset_tombstone(gid, t, pt))
                res.add(group_tombstone(gid))
                outcome.append((gid, -1))
        res.response = [(g, e if e >= 0 else E.NONE) for g, e in outcome]

        def appended(code: int) -> None:
            if code:
                mapped = map_append_error(code)
                res.response = [(g, e if e >= 0 else mapped) for g, e in outcome]

        res.then(appended)
        return res


_MAX_RECORD_STRING = 0x7FFF


def _too_long(s: str) -> bool:
    """Longer than the int16-length strings of the `__consumer_offsets` records."""
    return len(s) > _MAX_RECORD_STRING // 3 and len(s.encode("utf-8")) > _MAX_RECORD_STRING


def _commit_time(om: OffsetAndMetadata) -> int:
    return om.commit_timestamp_ms


def _inconsistent(requested: str | None, current: str | None) -> bool:
    return requested is not None and current is not None and requested != current
