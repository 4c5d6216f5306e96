"""ListOffsets (key 2, v1-7), OffsetForLeaderEpoch (key 23, v2-4), DeleteRecords (key 21, v0-2).

ListOffsets special timestamps: -1 latest (the high watermark, or the last stable offset
for read_committed), -2 earliest (log start offset), -3 (v7+) the record with the largest
timestamp; any other value finds the first record with a timestamp >= it (or -1 when none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moldau.broker.handlers.fetch import leader_epoch_error
from moldau.broker.lazy import generated
from moldau.broker.registry import RequestContext, handler
from moldau.protocol._generated import ApiKey
from moldau.protocol.error_codes import ErrorCode
from moldau.storage.errors import OffsetOutOfRange, StorageError

if TYPE_CHECKING:
    from moldau.protocol._generated.delete_records_request import DeleteRecordsRequest
    from moldau.protocol._generated.delete_records_response import (
        DeleteRecordsResponse,
    )
    from moldau.protocol._generated.list_offsets_request import ListOffsetsRequest
    from moldau.protocol._generated.list_offsets_response import (
        ListOffsetsResponse,
    )
    from moldau.protocol._generated.offset_for_leader_epoch_request import (
        OffsetForLeaderEpochRequest,
    )
    from moldau.protocol._generated.offset_for_leader_epoch_response import (
        OffsetForLeaderEpochResponse,
    )

_delete_records_request = generated("delete_records_request")
_delete_records_response = generated("delete_records_response")
_list_offsets_request = generated("list_offsets_request")
_list_offsets_response = generated("list_offsets_response")
_offset_for_leader_epoch_request = generated("offset_for_leader_epoch_request")
_offset_for_leader_epoch_response = generated("offset_for_leader_epoch_response")

LATEST, EARLIEST, MAX_TIMESTAMP = -1, -2, -3


def _epoch_at(part: object, offset: int) -> int:
    epochs = getattr(getattr(part, "log", None), "epochs", None)
    if epochs is None or offset < 0:
        return -1
    try:
        e = epochs.epoch_for_offset(offset)
    except Exception:
        return -1
    return e if isinstance(e, int) else -1


@handler(ApiKey.LIST_OFFSETS, 1, 7)
async def list_offsets(ctx: RequestContext, req: ListOffsetsRequest) -> ListOffsetsResponse:
    broker = ctx.broker
    v = ctx.api_version
    read_committed = v >= 2 and req.isolation_level == 1
    topics = []
    for t in req.topics or []:
        parts = []
        for p in t.partitions or []:
            r = _list_offsets_response.ListOffsetsPartitionResponse(
                partition_index=p.partition_index
            )
            part = broker.partition(t.name, p.partition_index)
            if part is None:
                r.error_code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                parts.append(r)
                continue
            err = leader_epoch_error(p.current_leader_epoch, part.leader_epoch) if v >= 4 else 0
            if err:
                r.error_code = err
                parts.append(r)
                continue
            log = part.log
            ts = p.timestamp
            if ts == LATEST:
                r.offset = part.last_stable_offset if read_committed else part.high_watermark
                r.leader_epoch = part.leader_epoch
            elif ts == EARLIEST:
                r.offset = log.log_start_offset
                r.leader_epoch = _epoch_at(part, r.offset)
            elif ts == MAX_TIMESTAMP and v >= 7:
                # On the loop: the lookup uses the segment maps and the file-handle LRU, which are
                # not safe to touch from a worker thread beside appends.
                found = log.max_timestamp_offset()
                if found is not None:
                    r.offset, r.timestamp = found
                    r.leader_epoch = _epoch_at(part, r.offset)
            elif ts < 0:
                r.error_code = ErrorCode.INVALID_REQUEST
            else:
                found = log.offset_for_timestamp(ts)
                if found is not None and found[0] < part.high_watermark:
                    r.offset, r.timestamp = found
                    r.leader_epoch = _epoch_at(part, r.offset)
            if v < 4:
                r.leader_epoch = -1
            parts.append(r)
        topics.append(
            _list_offsets_response.ListOffsetsTopicResponse(name=t.name, partitions=parts)
        )
    return _list_offsets_response.ListOffsetsResponse(topics=topics)


@handler(ApiKey.OFFSET_FOR_LEADER_EPOCH, 2, 4)
async def offset_for_leader_epoch(
    ctx: RequestContext, req: OffsetForLeaderEpochRequest
) -> OffsetForLeaderEpochResponse:
    broker = ctx.broker
    topics = []
    for t in req.topics or []:
        parts = []
        for p in t.partitions or []:
            r = _offset_for_leader_epoch_response.EpochEndOffset(partition=p.partition)
            part = broker.partition(t.topic, p.partition)
            if part is None:
                r.error_code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            else:
                err = leader_epoch_error(p.current_leader_epoch, part.leader_epoch)
                if err:
                    r.error_code = err
                else:
                    log = part.log
                    epoch, end = log.epochs.end_offset_for_epoch(p.leader_epoch, log.log_end_offset)
                    r.leader_epoch, r.end_offset = epoch, end
            parts.append(r)
        topics.append(
            _offset_for_leader_epoch_response.OffsetForLeaderTopicResult(
                topic=t.topic, partitions=parts
            )
        )
    return _offset_for_leader_epoch_response.OffsetForLeaderEpochResponse(topics=topics)


@handler(ApiKey.DELETE_RECORDS, 0, 2)
async def delete_records(ctx: RequestContext, req: DeleteRecordsRequest) -> DeleteRecordsResponse:
    broker = ctx.broker
    topics = []
    for t in req.topics or []:
        parts = []
        for p in t.partitions or []:
            r = _delete_records_response.DeleteRecordsPartitionResult(
                partition_index=p.partition_index, low_watermark=-1
            )
            part = broker.partition(t.name, p.partition_index)
            if part is None:
                r.error_code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            else:
                offset = part.high_watermark if p.offset == -1 else p.offset
                try:
                    r.low_watermark = part.log.delete_records_before(offset)
                except OffsetOutOfRange:
                    r.error_code = ErrorCode.OFFSET_OUT_OF_RANGE
                except StorageError:
                    r.error_code = ErrorCode.UNKNOWN_SERVER_ERROR
                else:
                    broker.purgatory.notify(part.key)
            parts.append(r)
        topics.append(
            _delete_records_response.DeleteRecordsTopicResult(name=t.name, partitions=parts)
        )
    return _delete_records_response.DeleteRecordsResponse(topics=topics)
