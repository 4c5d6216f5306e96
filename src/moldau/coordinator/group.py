"""A classic (pre-KIP-848) consumer group: members, generation and the rebalance state.

States and the transitions the coordinator makes between them (Kafka's ClassicGroupState):

    Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance
    CompletingRebalance --leader's SyncGroup stored--> Stable
    Stable / CompletingRebalance --join, leave, expiry--> PreparingRebalance
    PreparingRebalance --nobody left when the join completes--> Empty
    Empty --group deleted or all offsets expired--> Dead

The group only holds what it needs to answer requests; the coordinator shard
(`moldau.coordinator.shard`) owns the timers and the records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from moldau.protocol._generated.consumer_protocol_subscription import (
    ConsumerProtocolSubscription,
)
from moldau.protocol._generated.join_group_response import JoinGroupResponse
from moldau.protocol._generated.sync_group_response import SyncGroupResponse
from moldau.protocol.errors import ProtocolError
from moldau.protocol.primitives import Reader

CONSUMER_PROTOCOL_TYPE = "consumer"

JoinWaiter = Callable[[JoinGroupResponse], None]
SyncWaiter = Callable[[SyncGroupResponse], None]


class GroupState(Enum):
    """Kafka's state names; `.value` is what DescribeGroups and ListGroups report."""

    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"


_VALID_PREVIOUS: dict[GroupState, frozenset[GroupState]] = {
    GroupState.EMPTY: frozenset({GroupState.PREPARING_REBALANCE}),
    GroupState.PREPARING_REBALANCE: frozenset(
        {GroupState.STABLE, GroupState.COMPLETING_REBALANCE, GroupState.EMPTY}
    ),
    GroupState.COMPLETING_REBALANCE: frozenset({GroupState.PREPARING_REBALANCE}),
    GroupState.STABLE: frozenset({GroupState.COMPLETING_REBALANCE}),
    GroupState.DEAD: frozenset(
        {
            GroupState.STABLE,
            GroupState.PREPARING_REBALANCE,
            GroupState.COMPLETING_REBALANCE,
            GroupState.EMPTY,
            GroupState.DEAD,
        }
    ),
}


@dataclass(slots=True, eq=False)
class Member:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    protocol_type: str
    protocols: list[tuple[str, bytes]]
    assignment: bytes = b""
    join_waiter: JoinWaiter | None = None
    sync_waiter: SyncWaiter | None = None
    # True from a member's first JoinGroup until that join completes: such a member is
    # expired by the new-member join timeout rather than protected by its parked request.
    is_new: bool = False
    # Session expiry (monotonic ms): the deadline heartbeats push out, and when the armed
    # timer fires (None: no timer armed).
    hb_deadline_ms: int = 0
    hb_timer_due_ms: int | None = None

    def protocol_names(self) -> list[str]:
        return [name for name, _ in self.protocols]

    def metadata(self, protocol: str) -> bytes:
        for name, data in self.protocols:
            if name == protocol:
                return data
        return b""

    def matches(self, protocols: list[tuple[str, bytes]]) -> bool:
        """Same protocols with the same metadata, in the same order (Kafka's `matches`)."""
        if len(protocols) != len(self.protocols):
            return False
        return all(
            a[0] == b[0] and bytes(a[1]) == bytes(b[1]) for a, b in zip(self.protocols, protocols)
        )

    def vote(self, candidates: set[str]) -> str:
        for name, _ in self.protocols:
            if name in candidates:
                return name
        raise ValueError(f"member {self.member_id} supports none of {sorted(candidates)}")

    @property
    def awaiting_join(self) -> bool:
        return self.join_waiter is not None

    @property
    def awaiting_sync(self) -> bool:
        return self.sync_waiter is not None


@dataclass(slots=True, eq=False)
class ClassicGroup:
    group_id: str
    state: GroupState = GroupState.EMPTY
    generation_id: int = 0
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader_id: str | None = None
    state_timestamp_ms: int = -1
    members: dict[str, Member] = field(default_factory=dict)
    pending_members: set[str] = field(default_factory=set)
    static_members: dict[str, str] = field(default_factory=dict)  # instance id -> member id
    pending_sync: set[str] = field(default_factory=set)
    # Set when a member joins a brand-new group during the initial rebalance delay, so the
    # delay is extended (up to the rebalance timeout) while members keep arriving.
    new_member_added: bool = False
    initial_delay_pending: bool = False
    initial_delay_remaining_ms: int = 0

    # -- state ------------------------------------------------------------------------------

    def transition(self, to: GroupState, now_ms: int) -> None:
        if self.state not in _VALID_PREVIOUS[to]:
            raise AssertionError(f"group {self.group_id}: illegal transition {self.state} -> {to}")
        self.state = to
        self.state_timestamp_ms = now_ms

    def is_in(self, *states: GroupState) -> bool:
        return self.state in states

    def can_rebalance(self) -> bool:
        return self.state in (GroupState.STABLE, GroupState.COMPLETING_REBALANCE, GroupState.EMPTY)

    # -- members ----------------------------------------------------------------------------

    def add(self, member: Member) -> None:
        if not self.members:
            self.protocol_type = member.protocol_type
        self.members[member.member_id] = member
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        if self.leader_id is None:
            self.leader_id = member.member_id
        self.pending_members.discard(member.member_id)

    def remove(self, member_id: str) -> Member | None:
        member = self.members.pop(member_id, None)
        iid = member.group_instance_id if member is not None else None
        if iid is not None and self.static_members.get(iid) == member_id:
            del self.static_members[iid]
        if self.leader_id == member_id:
            self.leader_id = next(iter(self.members), None)
        self.pending_members.discard(member_id)
        self.pending_sync.discard(member_id)
        return member

    def has(self, member_id: str) -> bool:
        return member_id in self.members

    def static_member_id(self, instance_id: str | None) -> str | None:
        return None if instance_id is None else self.static_members.get(instance_id)

    def is_static_member_fenced(self, instance_id: str | None, member_id: str) -> bool:
        existing = self.static_member_id(instance_id)
        return existing is not None and existing != member_id

    def replace_static_member(self, instance_id: str, old_id: str, new_id: str) -> Member:
        member = self.members.pop(old_id)
        member.member_id = new_id
        self.members[new_id] = member
        if self.leader_id == old_id:
            self.leader_id = new_id
        self.static_members[instance_id] = new_id
        if old_id in self.pending_sync:
            self.pending_sync.discard(old_id)
            self.pending_sync.add(new_id)
        return member

    def all_joined(self) -> bool:
        return not self.pending_members and all(m.awaiting_join for m in self.members.values())

    def num_awaiting_join(self) -> int:
        return sum(1 for m in self.members.values() if m.awaiting_join)

    def rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    def maybe_elect_new_joined_leader(self) -> bool:
        """Keep the leader if it rejoined, else pick a member that did; False if none did."""
        leader = self.members.get(self.leader_id) if self.leader_id is not None else None
        if leader is not None and leader.awaiting_join:
            return True
        for m in self.members.values():
            if m.awaiting_join:
                self.leader_id = m.member_id
                return True
        return False

    # -- protocols --------------------------------------------------------------------------

    def candidate_protocols(self) -> set[str]:
        """Protocols every current member supports."""
        it = iter(self.members.values())
        first = next(it, None)
        if first is None:
            return set()
        cands = set(first.protocol_names())
        for m in it:
            cands &= set(m.protocol_names())
        return cands

    def supports_protocols(self, protocol_type: str, protocols: list[str]) -> bool:
        if not self.members:
            return protocol_type != "" and len(protocols) > 0
        cands = self.candidate_protocols()
        return self.protocol_type == protocol_type and any(p in cands for p in protocols)

    def select_protocol(self) -> str:
        """The protocol most members prefer among those all of them support.

        Ties go to the protocol earliest in the leader's preference order, so the choice
        is deterministic.
        """
        cands = self.candidate_protocols()
        if not cands:
            raise ValueError(f"group {self.group_id}: members share no protocol")
        votes: dict[str, int] = {}
        for m in self.members.values():
            v = m.vote(cands)
            votes[v] = votes.get(v, 0) + 1
        leader = self.members.get(self.leader_id or "")
        order = leader.protocol_names() if leader else sorted(cands)
        rank = {name: i for i, name in enumerate(order)}
        return max(votes, key=lambda p: (votes[p], -rank.get(p, len(rank))))

    def subscribed_topics(self) -> set[str] | None:
        """Topics the members subscribe to, or None when that is not known.

        Only consumer-protocol groups with a chosen protocol have a known subscription; an
        unparseable subscription also makes it unknown (and callers then assume every topic
        may be subscribed, which never deletes or expires offsets a member still uses).
        """
        if self.protocol_type != CONSUMER_PROTOCOL_TYPE or self.protocol_name is None:
            return None
        if not self.members:
            return set()
        topics: set[str] = set()
        for m in self.members.values():
            data = m.metadata(self.protocol_name)
            try:
                r = Reader(data)
                version = r.int16()
                sub = ConsumerProtocolSubscription.read(r, min(max(version, 0), 3))
            except ProtocolError:
                return None
            topics.update(sub.topics)
        return topics
