"""Cost of `validate_client_batch` on the produce hot path (printed, never asserted).

Run:  python bench/validate_bench.py [--rounds N] [--codecs] [--worst]

Prints microseconds per call (best and median of N rounds, each round timing many calls),
with `walk_records=False` (header, sizes and CRC only: the check before the record walk) and
with the walk, in the same run, for uncompressed client batches:
- one record with a 1 KiB value;
- a 16 KiB batch of 100-byte values (about 140 records);
- a 1 MiB batch of 1 KiB values (the raw-produce benchmark's shape).
With --codecs it also prints, per codec, what a bounded decompression of the 16 KiB batch
costs and what walking the decompressed records' length varints adds: the measurements
behind the choice documented in validate.py for compressed batches.
With --worst it times one hostile batch: zstd-compressed minimal (7-byte) records filling
the broker's decompression bound (broker/partition.py MAX_PRODUCE_DECOMPRESSED), the most
CPU one compressed batch can cost validation.
The machine is shared: compare figures of one run, and run it a few times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from moldau.protocol.records.batch import HEADER_SIZE, parse_header
from moldau.protocol.records.builder import BatchBuilder
from moldau.protocol.records.compression import decompress
from moldau.protocol.records.validate import validate_client_batch

CODEC_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"]


def batch_of(n: int, value_size: int, codec: int = 0) -> bytes:
    """`n` keyless records of `value_size` bytes (half random so codecs do not cheat)."""
    b = BatchBuilder(compression=codec)
    for i in range(n):
        half = value_size // 2
        b.append(1_700_000_000_000 + i, None, os.urandom(half) + b"v" * (value_size - half))
    return b.build()


def per_call_us(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(best, median) microseconds per call over `rounds` rounds of ~20 ms each."""
    inner = 1
    while True:  # calibrate: enough calls for one round to take about 20 ms
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        if time.perf_counter() - t0 > 0.02:
            break
        inner *= 2
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner * 1e6)
    return min(samples), statistics.median(samples)


def show(label: str, fn: Callable[[], object], rounds: int) -> None:
    best, median = per_call_us(fn, rounds)
    print(f"{label:<44} best {best:8.2f} us   median {median:8.2f} us")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--codecs", action="store_true")
    ap.add_argument("--worst", action="store_true")
    args = ap.parse_args()

    one_kib = batch_of(1, 1024)
    small = batch_of(140, 100)
    big = batch_of(1024, 1024)
    for label, raw in (
        (f"1 record of 1 KiB ({len(one_kib)} B)", one_kib),
        (f"140 records of 100 B ({len(small)} B)", small),
        (f"1024 records of 1 KiB ({len(big)} B)", big),
    ):
        # walk_records=False is the check as it was before the record walk: same run, same load
        show(
            f"no walk  {label}",
            lambda raw=raw: validate_client_batch(raw, walk_records=False),
            args.rounds,
        )
        show(f"validate {label}", lambda raw=raw: validate_client_batch(raw), args.rounds)

    if args.worst:
        worst()
    if not args.codecs:
        return
    try:  # the walk exists only once validate.py has it
        from moldau.protocol.records.validate import walk_record_lengths
    except ImportError:
        walk_record_lengths = None
    for codec in range(1, 5):
        raw = batch_of(140, 100, codec)
        header = parse_header(raw)
        body = memoryview(raw)[HEADER_SIZE:]
        name = CODEC_NAMES[codec]
        show(
            f"{name}: validate ({len(raw)} B compressed)",
            lambda r=raw: validate_client_batch(r),
            args.rounds,
        )
        show(f"{name}: decompress", lambda c=codec, b=body: decompress(c, b, 1 << 24), args.rounds)
        if walk_record_lengths is not None:
            plain = memoryview(bytes(decompress(codec, body, 1 << 24)))
            show(
                f"{name}: walk decompressed",
                lambda p=plain, n=header.records_count: walk_record_lengths(p, 0, len(p), n),
                args.rounds,
            )


def worst() -> None:
    from moldau.broker.partition import MAX_PRODUCE_DECOMPRESSED
    from moldau.protocol.records.builder import assemble_batch
    from moldau.protocol.records.compression import compress

    minimal = bytes([12, 0, 0, 0, 1, 1, 0])  # length 6, null key and value, no headers
    n = MAX_PRODUCE_DECOMPRESSED // len(minimal)
    raw = assemble_batch(
        payload=compress(4, minimal * n),
        attributes=4,
        records_count=n,
        last_offset_delta=n - 1,
        base_timestamp=0,
        max_timestamp=0,
    )
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        validate_client_batch(raw, max_decompressed=MAX_PRODUCE_DECOMPRESSED)
        times.append(time.perf_counter() - t0)
    print(
        f"worst case: {len(raw)} B zstd batch, {n} records, {n * len(minimal)} B decompressed: "
        f"validate best {min(times):.3f} s, worst {max(times):.3f} s"
    )


if __name__ == "__main__":
    main()
