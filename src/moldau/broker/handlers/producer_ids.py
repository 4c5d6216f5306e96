"""InitProducerId (key 22, v0-5), DescribeProducers (key 61, v0) and the idempotent-producer
checks on the produce path.

InitProducerId, for producers without a transactional id:
- no producer id in the request (v0-2 always): a fresh id with epoch 0;
- v3+ with the producer's current id and epoch (KIP-360): the same id with epoch + 1, or a
  fresh id with epoch 0 once the epoch is exhausted (>= 32766, as Kafka counts it);
- only one of id / epoch set: INVALID_REQUEST.
A transactional id is answered COORDINATOR_NOT_AVAILABLE (15), what Kafka says while its
transaction coordinator cannot serve; an empty one INVALID_REQUEST. v6 (two-phase commit,
unstable) is never advertised. Ids come from `ProducerIdManager` (durable blocks).

The produce path: importing this module adds two hooks to `Partition` (see partition.py),
so every client batch with a producer id goes through `storage.producer_state`'s rules:
`_check` runs after the batch was validated and before the append (a duplicate is answered
with its original offsets and not appended; a rejected batch gets its Kafka error code) and
`_record` runs after the append with the offsets the log assigned. Partition.append_records
does both without awaiting, so no other append to the partition can come in between.

The producer state of a partition is opened lazily on its first produce, recovering from the
newest `.snapshot` and the log after it. Events the broker does not tell us about are noticed
at the next produce: a roll of the active segment (-> a snapshot named by its base offset,
as Kafka takes one at each roll), a log end that moved without us (truncation or follower
appends -> reload and replay), a log start that moved (retention, DeleteRecords -> older
snapshots deleted). `take_snapshots(broker)` writes a snapshot of every partition; the
broker calls it at shutdown so a restart replays nothing.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING

from moldau.broker.partition import AppendResult, Partition
from moldau.broker.producer_ids import ProducerIdManager, ProducerIdsExhausted
from moldau.broker.registry import RequestContext, handler
from moldau.protocol._generated import ApiKey
from moldau.protocol._generated.describe_producers_request import DescribeProducersRequest
from moldau.protocol._generated.describe_producers_response import (
    DescribeProducersResponse,
    PartitionResponse,
    ProducerState,
    TopicResponse,
)
from moldau.protocol._generated.init_producer_id_request import InitProducerIdRequest
from moldau.protocol._generated.init_producer_id_response import InitProducerIdResponse
from moldau.protocol.error_codes import ErrorCode
from moldau.storage.producer_state import (
    ProducerStateError,
    ProducerStateManager,
    last_sequence,
)

if TYPE_CHECKING:
    from moldau.broker.server import Broker
    from moldau.protocol.records.batch import BatchHeader
    from moldau.storage.log import AppendInfo, PartitionLog

log = logging.getLogger("moldau.idempotence")

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
# Kafka treats an epoch as exhausted one below Short.MAX_VALUE (the last value is kept for
# the marker that fences a producer), and hands out a new producer id instead.
MAX_EPOCH_BEFORE_NEW_ID = 32766
_DEFAULT_EXPIRATION_CHECK_MS = 600_000  # producer.id.expiration.check.interval.ms

_id_managers: weakref.WeakKeyDictionary[Broker, ProducerIdManager] = weakref.WeakKeyDictionary()


def _id_manager(broker: Broker) -> ProducerIdManager:
    mgr = _id_managers.get(broker)
    if mgr is None:
        mgr = _id_managers[broker] = ProducerIdManager(broker.metadata.allocate_producer_ids)
    return mgr


def _error(code: int) -> InitProducerIdResponse:
    return InitProducerIdResponse(
        error_code=int(code), producer_id=NO_PRODUCER_ID, producer_epoch=NO_PRODUCER_EPOCH
    )


@handler(ApiKey.INIT_PRODUCER_ID, 0, 5)
async def init_producer_id(
    ctx: RequestContext, req: InitProducerIdRequest
) -> InitProducerIdResponse:
    if req.transactional_id is not None:
        if req.transactional_id == "":
            return _error(ErrorCode.INVALID_REQUEST)
        return _error(ErrorCode.COORDINATOR_NOT_AVAILABLE)  # transactions are not served yet
    pid, epoch = req.producer_id, req.producer_epoch
    if (pid == NO_PRODUCER_ID) != (epoch == NO_PRODUCER_EPOCH) or pid < -1 or epoch < -1:
        return _error(ErrorCode.INVALID_REQUEST)
    if pid != NO_PRODUCER_ID and epoch < MAX_EPOCH_BEFORE_NEW_ID:
        return InitProducerIdResponse(error_code=0, producer_id=pid, producer_epoch=epoch + 1)
    try:
        new_pid = await _id_manager(ctx.broker).next_id()
    except ProducerIdsExhausted:
        log.error("Producer ids exhausted")
        return _error(ErrorCode.UNKNOWN_SERVER_ERROR)
    except Exception:
        # The store could not persist a block (disk trouble): retriable for the client.
        log.exception("Could not reserve a block of producer ids")
        return _error(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    return InitProducerIdResponse(error_code=0, producer_id=new_pid, producer_epoch=0)


# --------------------------------------------------------------------------- produce path


class _PartitionState:
    """A partition's producer state plus what we last saw of its log."""

    __slots__ = ("log", "state", "active_base", "log_start", "next_expiry_check")

    def __init__(self, plog: PartitionLog, state: ProducerStateManager, now_ms: int) -> None:
        self.log = plog
        self.state = state
        self.active_base = plog.active_segment.base_offset
        self.log_start = plog.log_start_offset
        self.next_expiry_check = now_ms


_states: weakref.WeakKeyDictionary[Broker, dict[tuple[str, int], _PartitionState]] = (
    weakref.WeakKeyDictionary()
)


def _config(broker: Broker, key: str, default: int) -> int:
    try:
        value = broker.config.get(key, default)
    except Exception:
        return default
    return default if value is None else int(value)


def _open(part: Partition) -> _PartitionState:
    broker = part.broker
    plog = part.log
    state = ProducerStateManager(
        plog.dir,
        producer_id_expiration_ms=_config(broker, "producer.id.expiration.ms", 86_400_000),
        clock=broker.clock,
    )
    replayed = state.recover(plog.log_start_offset, plog.log_end_offset, plog.batches)
    if replayed:
        log.info(
            "Rebuilt producer state of %s-%d from %d batch(es) after offset %s",
            part.topic,
            part.index,
            replayed,
            state.snapshot_offsets()[-1:] or "the log start",
        )
    return _PartitionState(plog, state, broker.clock.now_ms())


def _partition_state(part: Partition) -> _PartitionState:
    per_broker = _states.get(part.broker)
    if per_broker is None:
        per_broker = _states[part.broker] = {}
    ps = per_broker.get(part.key)
    if ps is None or ps.log is not part.log or ps.log.closed:
        # forget partitions whose logs are gone (deleted topics); opening is rare
        for key in [k for k, v in per_broker.items() if v.log.closed]:
            del per_broker[key]
        ps = per_broker[part.key] = _open(part)
    return ps


def _catch_up(ps: _PartitionState, broker: Broker) -> None:
    """Notice what happened to the log since our last look (see the module docstring)."""
    plog, state = ps.log, ps.state
    if plog.log_start_offset > ps.log_start:
        ps.log_start = plog.log_start_offset
        state.on_log_start_offset_incremented(ps.log_start)
        state.delete_snapshots_before(ps.log_start)
    if plog.log_end_offset != state.map_end_offset:
        state.recover(plog.log_start_offset, plog.log_end_offset, plog.batches)
    _maybe_snapshot_at_roll(ps)
    now = broker.clock.now_ms()
    if now >= ps.next_expiry_check:
        state.remove_expired(now)
        ps.next_expiry_check = now + _config(
            broker, "producer.id.expiration.check.interval.ms", _DEFAULT_EXPIRATION_CHECK_MS
        )


def _maybe_snapshot_at_roll(ps: _PartitionState) -> None:
    base = ps.log.active_segment.base_offset
    if base == ps.active_base:
        return
    ps.active_base = base
    if ps.state.map_end_offset == base:
        # Not fsynced: this runs on the event loop. A torn or lost snapshot fails its CRC
        # or is missing after a crash, and recovery then uses an older one and replays more.
        try:
            ps.state.take_snapshot(fsync=False)
        except OSError:  # disk trouble: a later snapshot or a longer replay covers it
            log.exception("Could not write the producer snapshot in %s", ps.log.dir)


def _check(part: Partition, header: BatchHeader, produce_version: int) -> AppendResult | None:
    ps = _partition_state(part)
    _catch_up(ps, part.broker)
    if header.producer_id < 0:
        return None
    try:
        duplicate = ps.state.check(
            header.producer_id,
            header.producer_epoch,
            header.base_sequence,
            last_sequence(header.base_sequence, header.last_offset_delta),
        )
    except ProducerStateError as exc:
        return AppendResult(
            exc.error_code, error_message=str(exc), log_start_offset=part.log.log_start_offset
        )
    if duplicate is None:
        return None
    # Kafka answers a retried batch with the original offsets and the batch's timestamp as
    # the append time; nothing is appended.
    return AppendResult(
        0,
        duplicate.first_offset,
        duplicate.last_offset,
        duplicate.timestamp,
        part.log.log_start_offset,
    )


def _record(part: Partition, header: BatchHeader, info: AppendInfo) -> None:
    ps = _partition_state(part)
    _maybe_snapshot_at_roll(ps)  # a roll inside this append: snapshot the state before it
    state = ps.state
    if header.producer_id < 0:
        state.update_map_end_offset(info.last_offset + 1)
        return
    # `header` was read before the append: its offsets are the client's, so take them (and
    # the max timestamp, LogAppendTime applied) from what the log reports.
    state.update(
        header.producer_id,
        header.producer_epoch,
        header.base_sequence,
        last_sequence(header.base_sequence, header.last_offset_delta),
        info.last_offset,
        info.last_offset - info.base_offset,
        info.max_timestamp,
    )


@handler(ApiKey.DESCRIBE_PRODUCERS, 0, 0)
async def describe_producers(
    ctx: RequestContext, req: DescribeProducersRequest
) -> DescribeProducersResponse:
    """The producer state of partitions (admin tooling: kafka-transactions describe-producers)."""
    topics = []
    for t in req.topics or []:
        partitions = []
        for index in t.partition_indexes or []:
            part = ctx.broker.partition(t.name, index)
            if part is None:
                partitions.append(
                    PartitionResponse(index, int(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
                )
                continue
            ps = _partition_state(part)
            _catch_up(ps, ctx.broker)
            producers = [
                ProducerState(
                    e.producer_id,
                    e.epoch,
                    e.last_seq,
                    e.last_timestamp,
                    e.coordinator_epoch,
                    e.txn_first_offset,
                )
                for e in ps.state.producers.values()
            ]
            partitions.append(PartitionResponse(index, 0, None, producers))
        topics.append(TopicResponse(t.name, partitions))
    return DescribeProducersResponse(0, topics)


def take_snapshots(broker: Broker, *, fsync: bool = True) -> int:
    """Snapshot the producer state of every partition that has one (at shutdown; blocks on
    the disk, so run it in the executor). Returns how many files were written."""
    written = 0
    for ps in list(_states.get(broker, {}).values()):
        if ps.log.closed:
            continue
        if ps.state.map_end_offset != ps.log.log_end_offset:
            continue  # we have not seen the latest appends; the next start replays them
        try:
            if ps.state.take_snapshot(fsync=fsync) is not None:
                written += 1
        except OSError:
            log.exception("Could not write the producer snapshot in %s", ps.log.dir)
    return written


def _install_hooks() -> None:
    from moldau.broker.server import Broker

    if _check not in Partition.append_checks:
        Partition.append_checks.append(_check)
    if _record not in Partition.after_append:
        Partition.after_append.append(_record)
    if take_snapshots not in Broker.before_log_shutdown:
        Broker.before_log_shutdown.append(take_snapshots)


_install_hooks()
