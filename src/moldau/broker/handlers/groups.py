"""Consumer-group APIs: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, DeleteGroups, OffsetDelete.

The group logic lives in `moldau.coordinator`; this module adapts it to the broker:
- the per-version request/response details (which fields exist, where errors go);
- `BrokerOffsetsLog`, the coordinator's access to `__consumer_offsets` (records appended as
  ordinary v2 batches through `Partition.append_records`, read back batch by batch to load);
- creating `__consumer_offsets` on first use (compacted, offsets.topic.num.partitions
  partitions) and loading its partitions when the coordinator starts;
- a metadata listener, so offsets of deleted topics are removed.

Version ranges follow CLIENTS.md (no topic-id versions: OffsetCommit/OffsetFetch stop at 9).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from moldau.broker.lazy import LazyModule, generated
from moldau.broker.registry import RequestContext, handler, on_broker_start
from moldau.cluster.metadata import TOPIC_CREATED, TOPIC_DELETED, MetadataError, TopicInfo
from moldau.coordinator.config import OFFSETS_TOPIC
from moldau.protocol._generated import ApiKey
from moldau.protocol.error_codes import ErrorCode as E
from moldau.protocol.records.batch import iter_batches
from moldau.protocol.records.builder import BatchBuilder
from moldau.protocol.records.record import iter_records

if TYPE_CHECKING:
    from moldau.broker.server import Broker
    from moldau.coordinator.records import CoordinatorRecord
    from moldau.coordinator.service import GroupCoordinatorService
    from moldau.protocol._generated.delete_groups_request import DeleteGroupsRequest
    from moldau.protocol._generated.describe_groups_request import DescribeGroupsRequest
    from moldau.protocol._generated.find_coordinator_request import FindCoordinatorRequest
    from moldau.protocol._generated.heartbeat_request import HeartbeatRequest
    from moldau.protocol._generated.join_group_request import JoinGroupRequest
    from moldau.protocol._generated.join_group_response import JoinGroupResponse
    from moldau.protocol._generated.leave_group_request import LeaveGroupRequest
    from moldau.protocol._generated.list_groups_request import ListGroupsRequest
    from moldau.protocol._generated.offset_commit_request import OffsetCommitRequest
    from moldau.protocol._generated.offset_delete_request import OffsetDeleteRequest
    from moldau.protocol._generated.offset_fetch_request import OffsetFetchRequest
    from moldau.protocol._generated.offset_fetch_response import (
        OffsetFetchResponsePartition,
        OffsetFetchResponsePartitions,
        OffsetFetchResponseTopic,
        OffsetFetchResponseTopics,
    )
    from moldau.protocol._generated.sync_group_request import SyncGroupRequest

# Imported on first use: start-up does not pay for the group code nobody has called yet.
_delete_groups_response = generated("delete_groups_response")
_describe_groups_response = generated("describe_groups_response")
_find_coordinator_response = generated("find_coordinator_response")
_heartbeat_response = generated("heartbeat_response")
_join_group_response = generated("join_group_response")
_leave_group_response = generated("leave_group_response")
_list_groups_response = generated("list_groups_response")
_offset_commit_response = generated("offset_commit_response")
_offset_delete_response = generated("offset_delete_response")
_offset_fetch_response = generated("offset_fetch_response")
_sync_group_response = generated("sync_group_response")
_coordinator_shard = LazyModule("moldau.coordinator.shard")
_coordinator_records = LazyModule("moldau.coordinator.records")
_coordinator_runtime = LazyModule("moldau.coordinator.runtime")

log = logging.getLogger("moldau.groups")

GROUP_KEY_TYPE = 0
TRANSACTION_KEY_TYPE = 1
# READ | DELETE | DESCRIBE: what an unauthenticated, ACL-less broker lets anyone do to a group
# (AclOperation codes 3, 6 and 8 as bits), reported when DescribeGroups v3+ asks for it.
GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)
_READ_CHUNK = 1 << 20


# ------------------------------------------------------------------------------------------
# the broker side of the coordinator


class BrokerOffsetsLog:
    """`moldau.coordinator.runtime.OffsetsLog` over the broker's `__consumer_offsets` partitions."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    async def append(self, partition: int, records: Sequence[CoordinatorRecord]) -> None:
        part = self.broker.partition(OFFSETS_TOPIC, partition)
        if part is None:
            raise _coordinator_runtime.AppendError(
                E.NOT_LEADER_OR_FOLLOWER, f"no {OFFSETS_TOPIC}-{partition} here"
            )
        builder = BatchBuilder()
        now = self.broker.clock.now_ms()
        for rec in records:
            builder.append(now, rec.key, rec.value)
        res = part.append_records(bytearray(builder.build()), 12)
        if res.error_code:
            raise _coordinator_runtime.AppendError(res.error_code, res.error_message or "")

    async def read_all(self, partition: int) -> AsyncIterator[CoordinatorRecord]:
        part = self.broker.partition(OFFSETS_TOPIC, partition)
        if part is None:
            return
        # Up to the log end, not the high watermark: after an unclean stop the checkpointed
        # HW can lag what is on disk, and the coordinator (like Kafka's) loads everything.
        plog = part.log
        offset = plog.log_start_offset
        while True:
            try:
                sl = plog.read(offset, _READ_CHUNK, None, True)
            except Exception as e:  # a partition deleted or truncated under us: stop here
                log.warning("Reading %s-%d at %d failed: %s", OFFSETS_TOPIC, partition, offset, e)
                return
            if sl is None or sl.size == 0:
                return
            next_offset = offset
            out: list[CoordinatorRecord] = []
            for buf in sl.buffers:
                for header in iter_batches(memoryview(buf)):
                    last = header.base_offset + header.last_offset_delta
                    if last >= next_offset:
                        next_offset = last + 1
                    if header.is_control:
                        continue
                    for rec in iter_records(header):
                        if rec.offset < offset or rec.key is None:
                            continue
                        value = None if rec.value is None else bytes(rec.value)
                        out.append(_coordinator_records.CoordinatorRecord(bytes(rec.key), value))
            for r in out:
                yield r
            if next_offset <= offset:
                return
            offset = next_offset
            await asyncio.sleep(0)  # let requests in between chunks of a long load


_SERVICES: weakref.WeakKeyDictionary[Any, GroupCoordinatorService] = weakref.WeakKeyDictionary()
_TOPIC_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@on_broker_start
def _start_coordinator(broker: Broker) -> None:
    coordinator_of(broker)


def coordinator_of(broker: Broker) -> GroupCoordinatorService:
    """The broker's group coordinator: created (and its loaded partitions replayed) by the
    start hook above; the handlers call this too, and get the same service."""
    svc = _SERVICES.get(broker)
    if svc is None:
        from moldau.coordinator.config import GroupConfig
        from moldau.coordinator.service import GroupCoordinatorService

        config = GroupConfig.from_properties(broker.config.values)
        svc = GroupCoordinatorService(config, BrokerOffsetsLog(broker), broker.clock)
        _SERVICES[broker] = svc

        def on_change(event: str, topic: TopicInfo) -> None:
            # Metadata stores may notify from another thread (ZooKeeper watches): hop onto
            # the event loop before touching the coordinator.
            if topic.name == OFFSETS_TOPIC and event == TOPIC_CREATED:
                indexes = [p.index for p in topic.partitions]
                broker.loop.call_soon_threadsafe(lambda: svc.load(indexes))
            elif topic.name != OFFSETS_TOPIC and event == TOPIC_DELETED:
                broker.loop.call_soon_threadsafe(_spawn, svc.on_topics_deleted([topic.name]))

        broker.metadata.add_listener(on_change)
        _spawn(_unload_at_shutdown(broker, svc))
        existing = broker.metadata.topic(OFFSETS_TOPIC)
        if existing is not None:
            svc.load(p.index for p in existing.partitions)
    return svc


_background: set[asyncio.Task[None]] = set()


def _spawn(coro: Any) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


_SHUTDOWN_KEY = ("moldau.groups", "shutdown")


async def _unload_at_shutdown(broker: Broker, svc: GroupCoordinatorService) -> None:
    """Answer parked JoinGroup/SyncGroup requests with NOT_COORDINATOR when the broker stops.

    Broker.shutdown wakes every purgatory waiter before it drains the connections; without
    this, a parked JoinGroup would hold the drain until its rebalance timeout. Nobody else
    notifies this key, so the wait only ends at shutdown (or after an hour, to look again).
    """
    while not broker.stopping:
        await broker.purgatory.wait([_SHUTDOWN_KEY], 3600.0)
    await svc.shutdown()


async def ensure_offsets_topic(broker: Broker) -> int:
    """Create `__consumer_offsets` if needed; NONE, or the error FindCoordinator reports."""
    svc = coordinator_of(broker)
    existing = broker.metadata.topic(OFFSETS_TOPIC)
    if existing is not None:
        # Another request may have created it a moment ago and not loaded it yet: loading
        # is idempotent, and the group requests wait for a partition that is loading.
        svc.load(p.index for p in existing.partitions)
        return E.NONE
    lock = _TOPIC_LOCKS.setdefault(broker, asyncio.Lock())
    async with lock:
        if broker.metadata.topic(OFFSETS_TOPIC) is not None:
            return E.NONE
        cfg = svc.config
        alive = len(broker.metadata.brokers())
        if cfg.offsets_topic_replication_factor > alive:
            log.warning(
                "Cannot create %s: offsets.topic.replication.factor=%d but %d broker(s) alive",
                OFFSETS_TOPIC,
                cfg.offsets_topic_replication_factor,
                alive,
            )
            return E.COORDINATOR_NOT_AVAILABLE
        try:
            await broker.create_topic(
                OFFSETS_TOPIC,
                cfg.offsets_topic_num_partitions,
                cfg.offsets_topic_replication_factor,
                {
                    "cleanup.policy": "compact",
                    "compression.type": "producer",
                    "segment.bytes": str(cfg.offsets_topic_segment_bytes),
                },
            )
        except MetadataError as e:
            if broker.metadata.topic(OFFSETS_TOPIC) is None:
                log.warning("Creating %s failed: %s", OFFSETS_TOPIC, e)
                return E.COORDINATOR_NOT_AVAILABLE
        topic = broker.metadata.topic(OFFSETS_TOPIC)
        if topic is not None:
            svc.load(p.index for p in topic.partitions)  # no-op when the listener did it
    return E.NONE


def _client_host(ctx: RequestContext) -> str:
    # Kafka reports InetAddress.toString(), e.g. "/127.0.0.1"; tools print it as is.
    h = ctx.client_host or ""
    return h if h.startswith("/") else "/" + h


def _self_node(broker: Broker) -> tuple[int, str, int]:
    for b in broker.metadata.brokers():
        if b.node_id == broker.node_id:
            return b.node_id, b.host, b.port
    return broker.node_id, broker.advertised_host, broker.advertised_port


# ------------------------------------------------------------------------------------------
# FindCoordinator


@handler(ApiKey.FIND_COORDINATOR, 0, 5)
async def find_coordinator(ctx: RequestContext, req: FindCoordinatorRequest) -> object:
    v = ctx.api_version
    key_type = req.key_type if v >= 1 else GROUP_KEY_TYPE
    keys = list(req.coordinator_keys or []) if v >= 4 else [req.key]
    found = [await _find(ctx, key, key_type) for key in keys]
    if v >= 4:
        return _find_coordinator_response.FindCoordinatorResponse(
            coordinators=[
                _find_coordinator_response.Coordinator(
                    key=k, node_id=n, host=h, port=p, error_code=e, error_message=m if e else None
                )
                for k, (e, m, n, h, p) in zip(keys, found)
            ]
        )
    e, m, n, h, p = found[0]
    return _find_coordinator_response.FindCoordinatorResponse(
        error_code=e, error_message=(m if e else None) if v >= 1 else "", node_id=n, host=h, port=p
    )


async def _find(ctx: RequestContext, key: str, key_type: int) -> tuple[int, str, int, str, int]:
    if key_type == GROUP_KEY_TYPE:
        err = await ensure_offsets_topic(ctx.broker)
        if not err:
            node, host, port = _self_node(ctx.broker)
            return E.NONE, "", node, host, port
        return err, "The coordinator is not available.", -1, "", -1
    if key_type == TRANSACTION_KEY_TYPE:
        return E.COORDINATOR_NOT_AVAILABLE, "Transactions are not supported yet.", -1, "", -1
    return E.INVALID_REQUEST, f"Unknown coordinator key type {key_type}", -1, "", -1


# ------------------------------------------------------------------------------------------
# JoinGroup / SyncGroup / Heartbeat / LeaveGroup


@handler(ApiKey.JOIN_GROUP, 0, 9)
async def join_group(ctx: RequestContext, req: JoinGroupRequest) -> object:
    v = ctx.api_version
    instance = req.group_instance_id if v >= 5 else None
    params = _coordinator_shard.JoinParams(
        group_id=req.group_id,
        member_id=req.member_id,
        group_instance_id=instance,
        protocol_type=req.protocol_type,
        protocols=[(p.name, bytes(p.metadata)) for p in req.protocols or []],
        session_timeout_ms=req.session_timeout_ms,
        # v0 has no rebalance timeout: the session timeout plays both parts
        rebalance_timeout_ms=req.rebalance_timeout_ms if v >= 1 else req.session_timeout_ms,
        client_id=ctx.client_id or "",
        client_host=_client_host(ctx),
        require_known_member_id=v >= 4 and instance is None,
        support_skip_assignment=v >= 9,
        reason=req.reason if v >= 8 else None,
    )
    resp = await coordinator_of(ctx.broker).join_group(params)
    return _join_for_version(resp, v)


def _join_for_version(resp: JoinGroupResponse, v: int) -> JoinGroupResponse:
    members = resp.members or []
    if v < 5:
        for m in members:
            m.group_instance_id = None
    return _join_group_response.JoinGroupResponse(
        error_code=resp.error_code,
        generation_id=resp.generation_id,
        protocol_type=resp.protocol_type if v >= 7 else None,
        protocol_name=resp.protocol_name if v >= 7 else (resp.protocol_name or ""),
        leader=resp.leader,
        skip_assignment=resp.skip_assignment if v >= 9 else False,
        member_id=resp.member_id,
        members=members,
    )


@handler(ApiKey.SYNC_GROUP, 0, 5)
async def sync_group(ctx: RequestContext, req: SyncGroupRequest) -> object:
    v = ctx.api_version
    params = _coordinator_shard.SyncParams(
        group_id=req.group_id,
        generation_id=req.generation_id,
        member_id=req.member_id,
        group_instance_id=req.group_instance_id if v >= 3 else None,
        protocol_type=req.protocol_type if v >= 5 else None,
        protocol_name=req.protocol_name if v >= 5 else None,
        assignments=[(a.member_id, bytes(a.assignment)) for a in req.assignments or []],
    )
    resp = await coordinator_of(ctx.broker).sync_group(params)
    return _sync_group_response.SyncGroupResponse(
        error_code=resp.error_code,
        protocol_type=resp.protocol_type if v >= 5 else None,
        protocol_name=resp.protocol_name if v >= 5 else None,
        assignment=resp.assignment if resp.assignment is not None else b"",
    )


@handler(ApiKey.HEARTBEAT, 0, 4)
async def heartbeat(ctx: RequestContext, req: HeartbeatRequest) -> object:
    instance = req.group_instance_id if ctx.api_version >= 3 else None
    code = await coordinator_of(ctx.broker).heartbeat(
        req.group_id, req.generation_id, req.member_id, instance
    )
    return _heartbeat_response.HeartbeatResponse(error_code=code)


@handler(ApiKey.LEAVE_GROUP, 0, 5)
async def leave_group(ctx: RequestContext, req: LeaveGroupRequest) -> object:
    v = ctx.api_version
    if v >= 3:
        members = [(m.member_id, m.group_instance_id) for m in req.members or []]
    else:
        members = [(req.member_id, None)]
    top, per = await coordinator_of(ctx.broker).leave_group(req.group_id, members)
    if v < 3:
        # One member and no per-member list: its error is the answer.
        return _leave_group_response.LeaveGroupResponse(
            error_code=top or (per[0][2] if per else E.NONE)
        )
    return _leave_group_response.LeaveGroupResponse(
        error_code=top,
        members=[
            _leave_group_response.MemberResponse(member_id=m, group_instance_id=i, error_code=e)
            for m, i, e in per
        ],
    )


# ------------------------------------------------------------------------------------------
# OffsetCommit / OffsetFetch / OffsetDelete


def _partition_exists(broker: Broker, topic: str, partition: int) -> bool:
    return broker.partition(topic, partition) is not None


@handler(ApiKey.OFFSET_COMMIT, 2, 9)
async def offset_commit(ctx: RequestContext, req: OffsetCommitRequest) -> object:
    v = ctx.api_version
    broker = ctx.broker
    known: list[tuple[str, int, int, int, str | None]] = []
    errors: dict[tuple[str, int], int] = {}
    order: list[tuple[str, list[int]]] = []
    for t in req.topics or []:
        parts = []
        for p in t.partitions or []:
            parts.append(p.partition_index)
            if _partition_exists(broker, t.name, p.partition_index):
                epoch = p.committed_leader_epoch if v >= 6 else -1
                known.append(
                    (t.name, p.partition_index, p.committed_offset, epoch, p.committed_metadata)
                )
            else:
                errors[(t.name, p.partition_index)] = E.UNKNOWN_TOPIC_OR_PARTITION
        order.append((t.name, parts))
    if known:
        params = _coordinator_shard.CommitParams(
            group_id=req.group_id,
            generation_id=req.generation_id_or_member_epoch,
            member_id=req.member_id,
            group_instance_id=req.group_instance_id if v >= 7 else None,
            offsets=known,
            retention_time_ms=req.retention_time_ms if v <= 4 else -1,
            api_version=v,
        )
        for tname, pidx, code in await coordinator_of(broker).commit_offsets(params):
            errors[(tname, pidx)] = code
    return _offset_commit_response.OffsetCommitResponse(
        topics=[
            _offset_commit_response.OffsetCommitResponseTopic(
                name=name,
                partitions=[
                    _offset_commit_response.OffsetCommitResponsePartition(
                        partition_index=p, error_code=errors[(name, p)]
                    )
                    for p in parts
                ],
            )
            for name, parts in order
        ]
    )


@handler(ApiKey.OFFSET_FETCH, 1, 9)
async def offset_fetch(ctx: RequestContext, req: OffsetFetchRequest) -> object:
    v = ctx.api_version
    svc = coordinator_of(ctx.broker)
    require_stable = req.require_stable if v >= 7 else False
    if v >= 8:
        groups = []
        for g in req.groups or []:
            topics = (
                None
                if g.topics is None
                else [(t.name, list(t.partition_indexes or [])) for t in g.topics]
            )
            err, fetched = await svc.fetch_offsets(g.group_id, topics, require_stable)
            groups.append(
                _offset_fetch_response.OffsetFetchResponseGroup(
                    group_id=g.group_id,
                    error_code=err,
                    topics=[] if err else _group_topics_v8(fetched),
                )
            )
        return _offset_fetch_response.OffsetFetchResponse(groups=groups)
    topics = (
        None
        if req.topics is None and v >= 2
        else [(t.name, list(t.partition_indexes or [])) for t in req.topics or []]
    )
    err, fetched = await svc.fetch_offsets(req.group_id, topics, require_stable)
    if err and v < 2:
        # v1 has no top-level error: every requested partition carries it.
        fetched_err = [(t, p, None) for t, parts in topics or [] for p in parts]
        return _offset_fetch_response.OffsetFetchResponse(topics=_topics_v1(fetched_err, v, err))
    if err:
        return _offset_fetch_response.OffsetFetchResponse(error_code=err, topics=[])
    return _offset_fetch_response.OffsetFetchResponse(
        error_code=E.NONE, topics=_topics_v1(fetched, v, E.NONE)
    )


def _topics_v1(fetched: list[Any], v: int, err: int) -> list[OffsetFetchResponseTopic]:
    by_topic: dict[str, list[OffsetFetchResponsePartition]] = {}
    for t, p, om in fetched:
        by_topic.setdefault(t, []).append(
            _offset_fetch_response.OffsetFetchResponsePartition(
                partition_index=p,
                committed_offset=om.offset if om else -1,
                committed_leader_epoch=(om.leader_epoch if om else -1) if v >= 5 else -1,
                metadata=om.metadata if om else "",
                error_code=err,
            )
        )
    return [
        _offset_fetch_response.OffsetFetchResponseTopic(name=t, partitions=ps)
        for t, ps in by_topic.items()
    ]


def _group_topics_v8(fetched: list[Any]) -> list[OffsetFetchResponseTopics]:
    by_topic: dict[str, list[OffsetFetchResponsePartitions]] = {}
    for t, p, om in fetched:
        by_topic.setdefault(t, []).append(
            _offset_fetch_response.OffsetFetchResponsePartitions(
                partition_index=p,
                committed_offset=om.offset if om else -1,
                committed_leader_epoch=om.leader_epoch if om else -1,
                metadata=om.metadata if om else "",
                error_code=E.NONE,
            )
        )
    return [
        _offset_fetch_response.OffsetFetchResponseTopics(name=t, partitions=ps)
        for t, ps in by_topic.items()
    ]


@handler(ApiKey.OFFSET_DELETE, 0, 0)
async def offset_delete(ctx: RequestContext, req: OffsetDeleteRequest) -> object:
    broker = ctx.broker
    wanted: list[tuple[str, int]] = []
    errors: dict[tuple[str, int], int] = {}
    order: list[tuple[str, list[int]]] = []
    for t in req.topics or []:
        parts = [p.partition_index for p in t.partitions or []]
        order.append((t.name, parts))
        for p in parts:
            if _partition_exists(broker, t.name, p):
                wanted.append((t.name, p))
            else:
                errors[(t.name, p)] = E.UNKNOWN_TOPIC_OR_PARTITION
    top, per = await coordinator_of(broker).delete_offsets(req.group_id, wanted)
    if top:
        return _offset_delete_response.OffsetDeleteResponse(error_code=top, topics=[])
    for tname, pidx, code in per:
        errors[(tname, pidx)] = code
    return _offset_delete_response.OffsetDeleteResponse(
        error_code=E.NONE,
        topics=[
            _offset_delete_response.OffsetDeleteResponseTopic(
                name=name,
                partitions=[
                    _offset_delete_response.OffsetDeleteResponsePartition(
                        partition_index=p, error_code=errors[(name, p)]
                    )
                    for p in parts
                ],
            )
            for name, parts in order
        ],
    )


# ------------------------------------------------------------------------------------------
# DescribeGroups / ListGroups / DeleteGroups


@handler(ApiKey.DESCRIBE_GROUPS, 0, 5)
async def describe_groups(ctx: RequestContext, req: DescribeGroupsRequest) -> object:
    v = ctx.api_version
    svc = coordinator_of(ctx.broker)
    with_ops = v >= 3 and req.include_authorized_operations
    out = []
    for gid in req.groups or []:
        err, described = await svc.describe_group(gid)
        if described is None:
            described = _describe_groups_response.DescribedGroup(
                error_code=err, group_id=gid, group_state="", members=[]
            )
        if v < 4:
            for m in described.members:
                m.group_instance_id = None
        if with_ops and not described.error_code:
            described.authorized_operations = GROUP_AUTHORIZED_OPERATIONS
        out.append(described)
    return _describe_groups_response.DescribeGroupsResponse(groups=out)


@handler(ApiKey.LIST_GROUPS, 0, 5)
async def list_groups(ctx: RequestContext, req: ListGroupsRequest) -> object:
    v = ctx.api_version
    svc = coordinator_of(ctx.broker)
    states = list(req.states_filter or []) if v >= 4 else []
    types = list(req.types_filter or []) if v >= 5 else []
    err, groups = await svc.list_groups(states, types)
    return _list_groups_response.ListGroupsResponse(
        error_code=err,
        groups=[
            _list_groups_response.ListedGroup(
                group_id=g.group_id,
                protocol_type=g.protocol_type,
                group_state=g.group_state if v >= 4 else "",
                group_type=g.group_type if v >= 5 else "",
            )
            for g in groups
        ],
    )


@handler(ApiKey.DELETE_GROUPS, 0, 2)
async def delete_groups(ctx: RequestContext, req: DeleteGroupsRequest) -> object:
    results = await coordinator_of(ctx.broker).delete_groups(list(req.groups_names or []))
    return _delete_groups_response.DeleteGroupsResponse(
        results=[
            _delete_groups_response.DeletableGroupResult(group_id=g, error_code=e)
            for g, e in results
        ]
    )
