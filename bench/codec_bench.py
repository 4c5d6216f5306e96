"""Codec speed on one core: requests/s for Produce, Fetch and Metadata, and the same for kio.

    python bench/codec_bench.py [--seconds 8] [--passes 4] [--mean]

Figures printed (targets from issue 2, on one core of the 2-core CI machine):
- decode a ProduceRequest (v9) carrying one 1 KiB batch + encode its response  >= 150,000/s
  (body only, through the entry points the broker uses: `read_from` on a memoryview of the
  frame, the produce handler's `build_response` from the partitions' AppendResults, and
  the generated `write`; the next row adds what else the broker does per request:
  `quirks.parse_request_header` before and `quirks.encode_response`'s frame header after)
- encode a FetchResponse (v12) for 10 partitions                               >=  80,000/s
- decode + encode a MetadataResponse (v12) with 10 topics x 3 partitions
- CRC32C of 1 MiB                                                              >= 5 GB/s
kio (the independent PyPI codec) does the same work on the same messages for comparison
(decode + build + encode the ProduceResponse; FetchResponse encode; Metadata round trip).

Rates are the best round of a few milliseconds (as timeit's min): the 2-core machine is
shared, and a plain average mostly measures time spent descheduled. The figures are timed in
`--passes` interleaved passes, so a slow stretch of the machine hits one pass of every
figure rather than all of one figure. The first line printed
gives the load average; `--mean` prints average rates instead.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable

from moldau.broker.handlers.produce import build_response
from moldau.broker.partition import AppendResult
from moldau.protocol._generated import fetch_response as fr
from moldau.protocol._generated import metadata_response as mr
from moldau.protocol._generated import produce_request as preq
from moldau.protocol._generated import produce_response as presp
from moldau.protocol.primitives import Writer
from moldau.protocol.quirks import encode_request, encode_response, parse_request_header
from moldau.protocol.records.batch import crc32c
from moldau.protocol.records.builder import build_batch


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of the best short round within `seconds` (like timeit's min).

    The machine is shared (2 cores, other jobs running), so a plain average mostly measures
    how often we were descheduled. The best round (a few ms) is what one uncontended core does,
    which is what the targets are about; `--mean` prints the plain average instead.
    """
    n = 0
    calls = 100
    best = 0.0
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        t1 = time.perf_counter()
        n += calls
        if t1 - t0 < 0.002:
            calls *= 2  # rounds too short to time well: make them longer
            continue
        if MEAN:
            best = n / (t1 - start)
        else:
            best = max(best, calls / (t1 - t0))
        if t1 - start >= seconds:
            return best


MEAN = False


def encode(obj: object, v: int) -> bytes:
    w = Writer()
    obj.write(w, v)  # type: ignore[attr-defined]
    return w.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=8.0, help="time per figure, all passes")
    ap.add_argument("--mean", action="store_true", help="average rate instead of best round")
    ap.add_argument("--passes", type=int, default=4, help="interleaved passes over the figures")
    args = ap.parse_args()
    s = args.seconds
    global MEAN
    MEAN = args.mean

    batch = build_batch([(1_700_000_000_000, None, b"x" * 1000, [])])
    produce = preq.ProduceRequest(
        acks=1,
        timeout_ms=30000,
        topic_data=[
            preq.TopicProduceData(
                name="bench", partition_data=[preq.PartitionProduceData(index=0, records=batch)]
            )
        ],
    )
    produce_bytes = encode(produce, 9)
    produce_view = memoryview(produce_bytes)  # the broker hands read_from a view of the frame
    # a whole request frame as a client sends it, size prefix removed (as the broker sees it)
    produce_frame = memoryview(encode_request(0, 9, 7, "rdkafka-producer-1", produce))[4:]

    appended = AppendResult(0, 42, 42, -1, 0)  # what Partition.append_records returns

    def respond(req: preq.ProduceRequest) -> presp.ProduceResponse:
        # after the appends (not timed here: storage's figure), the produce handler's builder
        results = [
            (t.name, [(p.index, appended) for p in t.partition_data]) for t in req.topic_data
        ]
        return build_response(results, 9, False)  # type: ignore[return-value]

    def produce_roundtrip() -> None:
        respond(preq.ProduceRequest.read_from(produce_view, 0, 9)).write(Writer(), 9)

    def produce_frames() -> None:
        header = parse_request_header(produce_frame)
        req = preq.ProduceRequest.read_from(produce_frame, header.body_offset, 9)
        encode_response(0, 9, header.correlation_id, respond(req))

    chunk = memoryview(bytes(batch) * 16)
    fetch = fr.FetchResponse(
        responses=[
            fr.FetchableTopicResponse(
                topic="bench",
                partitions=[
                    fr.PartitionData(
                        partition_index=i,
                        high_watermark=1000,
                        last_stable_offset=1000,
                        log_start_offset=0,
                        records=chunk,
                    )
                    for i in range(10)
                ],
            )
        ]
    )

    def fetch_encode() -> None:
        fetch.write(Writer(), 12)

    metadata = mr.MetadataResponse(
        brokers=[mr.MetadataResponseBroker(node_id=0, host="127.0.0.1", port=9092)],
        cluster_id="abc",
        controller_id=0,
        topics=[
            mr.MetadataResponseTopic(
                name=f"topic-{t}",
                partitions=[
                    mr.MetadataResponsePartition(
                        partition_index=p, leader_id=0, replica_nodes=[0], isr_nodes=[0]
                    )
                    for p in range(3)
                ],
            )
            for t in range(10)
        ],
    )
    metadata_bytes = encode(metadata, 12)
    metadata_view = memoryview(metadata_bytes)

    def metadata_roundtrip() -> None:
        mr.MetadataResponse.read_from(metadata_view, 0, 12).write(Writer(), 12)

    mib = bytes(range(256)) * 4096

    def crc() -> None:
        crc32c(mib)

    named = [
        ("Produce v9 decode (1 KiB batch) + response encode", produce_roundtrip, "150,000/s"),
        ("  the same with request header + response frame (broker)", produce_frames, "-"),
        ("Fetch v12 response encode, 10 partitions", fetch_encode, "80,000/s"),
        ("Metadata v12 response decode + encode, 10x3", metadata_roundtrip, "-"),
    ]
    kio_fns = kio_figures(produce_bytes, chunk, metadata_bytes)
    fns: list[Callable[[], object] | None] = [f for _, f, _ in named] + kio_fns + [crc]
    best = [0.0] * len(fns)
    # Passes interleave the figures, each figure getting seconds/passes per pass: a stretch
    # of time when the shared machine is slow lowers one pass of every figure, not a whole
    # figure. The best pass is kept (as timeit's min); --mean averages them instead.
    for _ in range(args.passes):
        for i, fn in enumerate(fns):
            if fn is not None:
                r = rate(fn, s / args.passes)
                best[i] = best[i] + r / args.passes if MEAN else max(best[i], r)
    n = len(named)
    rows = [(name, best[i], target) for i, (name, _, target) in enumerate(named)]
    kio_rows = [best[n + i] if f is not None else None for i, f in enumerate(kio_fns)]
    crc_rate = best[-1] * len(mib) / 1e9

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    how = "mean over the run" if MEAN else "best round of a few ms"
    print(f"per second, {how}; load average {load} on {os.cpu_count()} cores")
    print(f"{'figure':55} {'moldau':>12} {'kio':>12} {'target':>10}")
    for (name, value, target), kio_value in zip(rows, kio_rows):
        kv = f"{kio_value:12,.0f}" if kio_value else f"{'n/a':>12}"
        print(f"{name:55} {value:12,.0f} {kv} {target:>10}")
    print(f"{'CRC32C of 1 MiB (GB/s)':55} {crc_rate:12.1f} {'':>12} {'5':>10}")


def kio_figures(
    produce_bytes: bytes, chunk: memoryview, metadata_bytes: bytes
) -> list[Callable[[], object] | None]:
    """The same work with kio (its entities are immutable; it writes to a BytesIO), as
    functions to time; None where kio has no counterpart (or is not installed)."""
    try:
        import datetime

        from kio.schema.errors import ErrorCode
        from kio.schema.fetch.v12 import response as kf
        from kio.schema.metadata.v12.response import MetadataResponse as KMeta
        from kio.schema.produce.v9 import response as kp
        from kio.schema.produce.v9.request import ProduceRequest as KProduce
        from kio.schema.types import TopicName
        from kio.serial import entity_reader, entity_writer
        from kio.static.primitive import Records, i32, i32Timedelta, i64
    except ImportError:
        return [None, None, None, None]
    read_p = entity_reader(KProduce)
    write_presp = entity_writer(kp.ProduceResponse)
    read_m = entity_reader(KMeta)
    write_m = entity_writer(KMeta)
    write_f = entity_writer(kf.FetchResponse)

    def kio_produce() -> None:
        req, _ = read_p(produce_bytes, 0)
        t = req.topic_data[0]
        resp = kp.ProduceResponse(
            responses=(
                kp.TopicProduceResponse(
                    name=t.name,
                    partition_responses=tuple(
                        kp.PartitionProduceResponse(
                            index=p.index,
                            error_code=ErrorCode.none,
                            base_offset=i64(42),
                            record_errors=(),
                        )
                        for p in t.partition_data
                    ),
                ),
            )
        )
        write_presp(io.BytesIO(), resp)

    records = Records.parse(bytes(chunk))
    fetch = kf.FetchResponse(
        throttle_time=i32Timedelta.parse(datetime.timedelta(0)),
        error_code=ErrorCode.none,
        responses=(
            kf.FetchableTopicResponse(
                topic=TopicName("bench"),
                partitions=tuple(
                    kf.PartitionData(
                        partition_index=i32(i),
                        error_code=ErrorCode.none,
                        high_watermark=i64(1000),
                        last_stable_offset=i64(1000),
                        log_start_offset=i64(0),
                        aborted_transactions=(),
                        records=records,
                    )
                    for i in range(10)
                ),
            ),
        ),
    )

    def kio_fetch() -> None:
        write_f(io.BytesIO(), fetch)

    def kio_meta() -> None:
        value, _ = read_m(metadata_bytes, 0)
        write_m(io.BytesIO(), value)

    return [kio_produce, None, kio_fetch, kio_meta]


if __name__ == "__main__":
    main()
