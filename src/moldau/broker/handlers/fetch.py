"""Fetch (key 1), v4-12, sessionless.

Every answer carries session id 0, which is legal (KIP-227): clients keep sending full
fetches. An incremental fetch for a session id we never handed out gets
FETCH_SESSION_ID_NOT_FOUND, after which clients start over with a full fetch.

Long poll: when fewer than min_bytes are available and max_wait_ms > 0, the request waits in
the purgatory on its partitions and is woken by appends (never by polling), then reads
again. Errors and shutdown answer at once. Reads return whole batches as views of the
segment files; read_committed reads stop at the last stable offset (= HW while no
transactions are open) and carry an empty aborted-transactions list (CLIENTS.md pitfall 7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moldau.broker.lazy import generated
from moldau.broker.registry import RequestContext, handler
from moldau.protocol._generated import ApiKey
from moldau.protocol.error_codes import ErrorCode

if TYPE_CHECKING:
    from moldau.protocol._generated.fetch_request import FetchRequest
    from moldau.protocol._generated.fetch_response import (
        FetchableTopicResponse,
        FetchResponse,
        PartitionData,
    )

_fetch_request = generated("fetch_request")
_fetch_response = generated("fetch_response")

_EMPTY = b""


def leader_epoch_error(current_leader_epoch: int, epoch: int) -> int:
    """Kafka's check of a client's view of the leader epoch (-1: no check)."""
    if current_leader_epoch < 0 or current_leader_epoch == epoch:
        return 0
    return (
        ErrorCode.FENCED_LEADER_EPOCH
        if current_leader_epoch < epoch
        else ErrorCode.UNKNOWN_LEADER_EPOCH
    )


def _read_all(
    ctx: RequestContext, req: FetchRequest
) -> tuple[list[FetchableTopicResponse], int, bool, list]:
    broker = ctx.broker
    v = ctx.api_version
    read_committed = req.isolation_level == 1
    budget = min(req.max_bytes, broker.config["fetch.max.bytes"]) if req.max_bytes > 0 else 0
    total = 0
    has_error = False
    keys = []
    out: list[FetchableTopicResponse] = []
    for ft in req.topics or []:
        parts: list[PartitionData] = []
        for fp in ft.partitions or []:
            part = broker.partition(ft.topic, fp.partition)
            if part is None:
                has_error = True
                parts.append(
                    _fetch_response.PartitionData(
                        partition_index=fp.partition,
                        error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                        high_watermark=-1,
                        last_stable_offset=-1,
                        log_start_offset=-1,
                        records=_EMPTY,
                    )
                )
                continue
            keys.append(part.key)
            err = leader_epoch_error(fp.current_leader_epoch, part.leader_epoch) if v >= 9 else 0
            if err:
                has_error = True
                parts.append(
                    _fetch_response.PartitionData(
                        partition_index=fp.partition,
                        error_code=err,
                        high_watermark=-1,
                        last_stable_offset=-1,
                        log_start_offset=-1,
                        records=_EMPTY,
                    )
                )
                continue
            limit = min(fp.partition_max_bytes, max(budget - total, 0))
            res = part.read(fp.fetch_offset, limit, read_committed, total == 0)
            if res.error_code:
                has_error = True
            size = 0
            records: object = _EMPTY
            if res.slice is not None and res.slice.size > 0:
                bufs = res.slice.buffers
                records = bufs[0] if len(bufs) == 1 else b"".join(bufs)
                size = res.slice.size
            total += size
            parts.append(
                _fetch_response.PartitionData(
                    partition_index=fp.partition,
                    error_code=res.error_code,
                    high_watermark=res.high_watermark,
                    last_stable_offset=res.last_stable_offset,
                    log_start_offset=res.log_start_offset if v >= 5 else -1,
                    aborted_transactions=[],
                    records=records,
                )
            )
        out.append(_fetch_response.FetchableTopicResponse(topic=ft.topic, partitions=parts))
    return out, total, has_error, keys


@handler(ApiKey.FETCH, 4, 12)
async def fetch(ctx: RequestContext, req: FetchRequest) -> FetchResponse:
    v = ctx.api_version
    if v >= 7 and req.session_id != 0:
        return _fetch_response.FetchResponse(
            error_code=ErrorCode.FETCH_SESSION_ID_NOT_FOUND, session_id=0
        )
    broker = ctx.broker
    loop = ctx.loop
    deadline = loop.time() + max(req.max_wait_ms, 0) / 1000
    while True:
        topics, total, has_error, keys = _read_all(ctx, req)
        if total >= req.min_bytes or has_error or broker.stopping or not keys:
            break
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        woke = await broker.purgatory.wait(keys, remaining)
        if not woke:
            topics, total, has_error, keys = _read_all(ctx, req)
            break
    return _fetch_response.FetchResponse(error_code=0, session_id=0, responses=topics)
