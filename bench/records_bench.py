"""Record-batch speed figures (printed, never asserted).

Run:  python bench/records_bench.py [--quick]

Prints, on one core:
- CRC-32C throughput over a 1 MiB buffer (target >= 5 GB/s);
- validate_client_batch calls per second for a ~1 KiB uncompressed batch (the produce hot
  path: header + sizes + CRC + the walk over the records' length varints, no record objects);
- per codec, building and iterating a batch of 100 records of 100-byte values: records/s and
  uncompressed MB/s, with kafka-python's DefaultRecordBatchBuilder / DefaultRecordBatch in the
  same run as a reference (ratio = ours / theirs; > 1 means we are faster).
Each figure is the best of several timed rounds; the machine is shared, so compare ratios.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from moldau.protocol.records.batch import crc32c
from moldau.protocol.records.builder import BatchBuilder
from moldau.protocol.records.record import iter_records
from moldau.protocol.records.validate import validate_client_batch

CODEC_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"]


def best_rate(fn: Callable[[], object], inner: int, rounds: int) -> float:
    """Calls per second: best of `rounds` timings of `inner` calls."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, time.perf_counter() - t0)
    return inner / best


def make_records(n: int, value_size: int) -> list[tuple[int, bytes, bytes]]:
    # Half random, half repetitive, so the codecs have something to do but do not cheat.
    base = 1_700_000_000_000
    out = []
    for i in range(n):
        value = os.urandom(value_size // 2) + b"v" * (value_size - value_size // 2)
        out.append((base + i, f"key-{i}".encode(), value))
    return out


def build_ours(codec: int, recs: list[tuple[int, bytes, bytes]]) -> bytes:
    b = BatchBuilder(compression=codec, producer_id=1, producer_epoch=0, base_sequence=0)
    for ts, k, v in recs:
        b.append(ts, k, v)
    return b.build()


def main() -> None:
    quick = "--quick" in sys.argv
    rounds = 3 if quick else 7
    print(f"python {sys.version.split()[0]}, one core, best of {rounds} rounds")

    mib = os.urandom(1 << 20)
    rate = best_rate(lambda: crc32c(mib), 200 if quick else 1000, rounds)
    print(f"crc32c 1 MiB:                     {rate * len(mib) / 1e9:8.2f} GB/s  (target >= 5)")

    small = build_ours(0, make_records(8, 100))
    rate = best_rate(lambda: validate_client_batch(small), 20_000 if quick else 100_000, rounds)
    print(f"validate_client_batch {len(small)} B:   {rate:12,.0f} /s")

    try:
        from kafka import codec as kcodec
        from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
    except ImportError:  # pragma: no cover - reference is optional
        kcodec = None

    recs = make_records(100, 100)
    raw_bytes = sum(len(k) + len(v) for _, k, v in recs)
    inner = 20 if quick else 100
    print(f"\nbatch of {len(recs)} records, {raw_bytes} B of keys+values")
    print(
        f"{'codec':7} {'size':>6} {'build rec/s':>12} {'MB/s':>7} {'iter rec/s':>12} {'MB/s':>7}"
        f" {'kp build':>9} {'kp iter':>8}  (kp = ratio ours/kafka-python)"
    )
    for codec, name in enumerate(CODEC_NAMES):
        raw = build_ours(codec, recs)
        b_rate = best_rate(lambda c=codec: build_ours(c, recs), inner, rounds)  # type: ignore[misc]

        def iterate(r: bytes = raw) -> None:
            for _ in iter_records(r):
                pass

        i_rate = best_rate(iterate, inner, rounds)
        kp_build = kp_iter = "-"
        available = kcodec is not None and (
            codec in (0, 1)
            or (codec == 2 and kcodec.has_snappy())
            or (codec == 3 and kcodec.has_lz4())
            or (codec == 4 and kcodec.has_zstd())
        )
        if available:

            def kp_build_fn(c: int = codec) -> bytes:
                b = DefaultRecordBatchBuilder(2, c, False, 1, 0, 0, 1 << 30)
                for i, (ts, k, v) in enumerate(recs):
                    b.append(i, timestamp=ts, key=k, value=v, headers=[])
                return bytes(b.build())

            def kp_iter_fn(r: bytes = raw) -> None:
                for _ in DefaultRecordBatch(bytearray(r)):
                    pass

            kb = best_rate(kp_build_fn, inner, rounds)
            ki = best_rate(kp_iter_fn, inner, rounds)
            kp_build = f"{b_rate / kb:.2f}x"
            kp_iter = f"{i_rate / ki:.2f}x"
        n = len(recs)
        print(
            f"{name:7} {len(raw):6d} {b_rate * n:12,.0f} {b_rate * raw_bytes / 1e6:7.1f}"
            f" {i_rate * n:12,.0f} {i_rate * raw_bytes / 1e6:7.1f} {kp_build:>9} {kp_iter:>8}"
        )


if __name__ == "__main__":
    main()
