"""Produce (key 0): advertised from v0 (KAFKA-18659), served v3-12.

Per partition: `Partition.append_records` validates the single v2 batch (header, CRC and
the records' lengths; every record's key on compacted topics) and appends it; a refused
batch's per-record errors go into record_errors (v8+). acks=0 gets no response (unless
something failed: then the connection is closed, as Kafka does, so the producer notices);
acks=1 answers after the local append; acks=-1 needs min.insync.replicas in the ISR (else
NOT_ENOUGH_REPLICAS, before appending) and waits until the high watermark covers the batch
(immediately on a single broker, where the HW follows the LEO) or timeout_ms passes
(REQUEST_TIMED_OUT).
Produce never creates topics: producers ask Metadata first, which does (when allowed).
Writes to the internal topics (__consumer_offsets, __transaction_state) are refused with
INVALID_TOPIC_EXCEPTION, as Kafka does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from moldau.broker.lazy import generated
from moldau.broker.partition import AppendResult, Partition
from moldau.broker.registry import CLOSE_CONNECTION, RequestContext, handler
from moldau.protocol._generated import ApiKey
from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.primitives import ZERO_UUID

if TYPE_CHECKING:
    from moldau.protocol._generated.produce_request import ProduceRequest

_produce_request = generated("produce_request")
_produce_response = generated("produce_response")

log = logging.getLogger("moldau.produce")

# Clients may not write the coordinators' topics (Kafka lets only its own admin client id).
INTERNAL_TOPICS = frozenset(("__consumer_offsets", "__transaction_state"))
ADMIN_CLIENT_ID = "__admin_client"


@handler(ApiKey.PRODUCE, 3, 12, advertised_min=0)
async def produce(ctx: RequestContext, req: ProduceRequest) -> object:
    broker = ctx.broker
    v = ctx.api_version
    acks = req.acks
    results: list[tuple[str, list[tuple[int, AppendResult]]]] = []
    waits: list[tuple[Partition, AppendResult]] = []
    failed = False
    for td in req.topic_data or []:
        out: list[tuple[int, AppendResult]] = []
        internal = td.name in INTERNAL_TOPICS and ctx.client_id != ADMIN_CLIENT_ID
        for pd in td.partition_data or []:
            if acks not in (0, 1, -1):
                res = AppendResult(ErrorCode.INVALID_REQUIRED_ACKS)
            elif internal:
                res = AppendResult(
                    ErrorCode.INVALID_TOPIC_EXCEPTION,
                    error_message=f"Cannot append to internal topic {td.name}",
                )
            else:
                part = broker.partition(td.name, pd.index)
                if part is None:
                    res = AppendResult(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                elif acks == -1 and not part.enough_replicas_for_acks_all():
                    res = AppendResult(
                        ErrorCode.NOT_ENOUGH_REPLICAS,
                        error_message=f"The size of the current ISR {part.isr} is insufficient "
                        f"to satisfy the min.isr requirement of {part.min_insync_replicas}",
                    )
                else:
                    res = part.append_records(pd.records, v)
                    if res.error_code == 0 and acks == -1:
                        waits.append((part, res))
            if res.error_code:
                failed = True
                if res.error_code not in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,):
                    log.warning(
                        "Produce to %s-%d from %s (%s) failed: %s %s",
                        td.name,
                        pd.index,
                        ctx.client_host,
                        ctx.client_id,
                        ErrorCode(res.error_code).name,
                        res.error_message or "",
                    )
            out.append((pd.index, res))
        results.append((td.name, out))
    if acks == 0:
        return CLOSE_CONNECTION if failed else None
    # acks=all: on a single broker the HW follows the LEO on append, so nothing is pending
    # and the answer goes out at once, without a coroutine or the purgatory.
    pending = [(p, r) for p, r in waits if p.high_watermark <= r.last_offset]
    if pending:
        await _wait_for_high_watermark(ctx, pending, req.timeout_ms)
    return build_response(results, v, failed)


def build_response(
    results: list[tuple[str, list[tuple[int, AppendResult]]]], v: int, failed: bool
) -> object:
    """The ProduceResponse for the per-partition results, in request order.

    The hot path of every produce (bench/codec_bench.py times it with the codec): the
    entries are built with positional arguments in the spec's field order (about 40% cheaper
    than keywords in CPython 3.11; tests/unit/broker/test_produce_response.py checks that
    every field lands where the spec puts it),
    and the error fields are filled in only when something failed.
    """
    mod = _produce_response
    partition = mod.PartitionProduceResponse
    topic = mod.TopicProduceResponse
    lso_ok = v >= 5
    topics = []
    for name, parts in results:  # plain loops: comprehensions cost a closure call each
        entries = []
        for idx, r in parts:
            entries.append(
                partition(
                    idx,
                    r.error_code,
                    r.base_offset,
                    r.log_append_time_ms,
                    r.log_start_offset if lso_ok else -1,
                )
            )
        topics.append(topic(name, ZERO_UUID, entries))  # name, topic_id, partitions
    resp = mod.ProduceResponse(topics)
    if failed and v >= 8:
        _add_errors(resp, results)
    return resp


def _add_errors(resp: object, results: list[tuple[str, list[tuple[int, AppendResult]]]]) -> None:
    """v8+: the error message of each failed partition and which records of a refused batch
    were at fault (e.g. keyless records on a compacted topic), as (index in the batch,
    message). Only failed requests get here."""
    entry = _produce_response.BatchIndexAndErrorMessage
    for topic, (_, parts) in zip(resp.responses, results):  # type: ignore[attr-defined]
        for presp, (_, r) in zip(topic.partition_responses, parts):
            presp.error_message = r.error_message
            if r.record_errors:
                presp.record_errors = [entry(i, msg) for i, msg in r.record_errors]


async def _wait_for_high_watermark(
    ctx: RequestContext, pending: list[tuple[Partition, AppendResult]], timeout_ms: int
) -> None:
    """Wait until the HW covers each pending batch, or time out (REQUEST_TIMED_OUT)."""
    broker = ctx.broker
    deadline = ctx.loop.time() + max(timeout_ms, 0) / 1000
    while pending:
        remaining = deadline - ctx.loop.time()
        if remaining <= 0 or broker.stopping:
            for _, r in pending:
                r.error_code = ErrorCode.REQUEST_TIMED_OUT
                r.base_offset = -1
            return
        await broker.purgatory.wait([p.key for p, _ in pending], remaining)
        pending = [(p, r) for p, r in pending if p.high_watermark <= r.last_offset]
