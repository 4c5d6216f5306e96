"""Storage engine figures, in process (page cache, no fsync on the append path).

    python bench/storage_bench.py [--dir DIR] [--quick]

Prints: append GB/s with 1 MiB batches, appends/s with 1 KiB batches, random offset
lookups/s (a one-batch read at a random offset), recovery scan MB/s (a full CRC scan after an
unclean stop), and the time and open descriptors to load 10,000 partitions with
max_open_files=1000. It asserts nothing; targets are in issue 3 and docs/storage.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time

from moldau.common.clock import SystemClock
from moldau.protocol.records.builder import BatchBuilder
from moldau.storage.config import LogConfig
from moldau.storage.handles import HandleCache
from moldau.storage.loader import open_log
from moldau.storage.log import PartitionLog
from moldau.storage.manager import LogManager


def batch_of(total_size: int, record_size: int) -> bytearray:
    """An uncompressed batch of about `total_size` bytes: records of `record_size` bytes,
    the last one trimmed so the batch comes out within a few bytes of the target."""
    b = BatchBuilder()
    while True:
        room = total_size - b.size_estimate() - 12  # record framing
        if room <= 0:
            break
        b.append(1_700_000_000_000, None, os.urandom(min(record_size, room)))
    return bytearray(b.build())


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


ROUNDS = 5  # rates are reported as best and median of these (the machine is shared)


def summary(rates: list[float], fmt: str) -> str:
    rates = sorted(rates)
    return f"best {format(rates[-1], fmt)}, median {format(rates[len(rates) // 2], fmt)}"


def bench_append(root: str, batch: bytearray, total_bytes: int) -> tuple[PartitionLog, list[float]]:
    """Append `total_bytes` in ROUNDS rounds; returns the log and each round's batches/s."""
    path = os.path.join(root, f"append-{len(batch)}")
    log = PartitionLog.create(path, "b", 0, LogConfig(), SystemClock(), HandleCache(1000))
    n = max(1, total_bytes // len(batch) // ROUNDS)
    rates = []
    append = log.append
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(n):
            append(batch)
        rates.append(n / (time.perf_counter() - t0))
    return log, rates


def bench_lookups(log: PartitionLog, n: int) -> list[float]:
    rng = random.Random(1)
    leo = log.log_end_offset
    offsets = [rng.randrange(leo) for _ in range(n)]
    read = log.read
    rates = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for off in offsets:
            read(off, 1, leo)
        rates.append(n / (time.perf_counter() - t0))
    return rates


def bench_recovery(log: PartitionLog) -> tuple[float, int]:
    """Reopen as after a crash with recovery point 0: every byte is CRC-checked."""
    size = log.size_bytes
    for seg in log.segment_list:
        log.handles.forget(seg)
        seg.release_handles()
    # drop the page cache influence we can control: none; the data is hot, as after a
    # process crash (a machine crash would add disk read time)
    t0 = time.perf_counter()
    log2 = open_log(
        log.dir, "b", 0, LogConfig(), SystemClock(), HandleCache(1000),
        recovery_point=0, log_start_offset=0, high_watermark=0, clean_shutdown=False,
    )
    dt = time.perf_counter() - t0
    assert log2.log_end_offset == log.log_end_offset, "recovery lost data"
    log2.close()
    return size / dt / 1e6, size


def bench_partitions(root: str, count: int) -> None:
    path = os.path.join(root, "many")
    m = LogManager([path], SystemClock(), LogConfig(), max_open_files=1000)
    m.load()
    small = batch_of(200, 100)
    t0 = time.perf_counter()
    for p in range(count):
        m.create("many", p).append(bytearray(small))
    t_create = time.perf_counter() - t0
    m.shutdown()
    base = open_fds()
    m2 = LogManager([path], SystemClock(), LogConfig(), max_open_files=1000)
    t0 = time.perf_counter()
    m2.load()
    t_load = time.perf_counter() - t0
    fds_loaded = open_fds() - base
    t0 = time.perf_counter()
    for p in range(count):
        log = m2.get("many", p)
        assert log is not None and log.read(0, 1 << 20, None) is not None
    t_touch = time.perf_counter() - t0
    fds_touched = open_fds() - base
    print(f"partitions: created+appended {count} in {t_create:.2f} s (includes fsyncs)")
    print(f"partitions: load {count} after clean shutdown: {t_load:.2f} s, "
          f"{fds_loaded} fds open after load; read every one: {t_touch:.2f} s, "
          f"{fds_touched} fds open (max_open_files=1000)")
    m2.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", help="where to write (default: a temp dir under /tmp)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="moldau-storage-bench-", dir=args.dir)
    quick = args.quick
    try:
        load = os.getloadavg()
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average "
              f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, dir {root}")
        big = batch_of(1 << 20, 64 * 1024)
        log, rates = bench_append(root, big, (512 if quick else 2560) << 20)
        print(f"append 1 MiB batches: {summary([r * len(big) / 1e9 for r in rates], '.2f')} GB/s "
              f"({log.size_bytes / 1e6:.0f} MB in {len(log.segments)} segments)")
        recov = [bench_recovery(log) for _ in range(3)]
        print(f"recovery scan, 1 MiB batches: {summary([r[0] for r in recov], '.0f')} MB/s "
              f"over {recov[0][1] / 1e6:.0f} MB")
        shutil.rmtree(log.dir)
        os.sync()  # let writeback of the big phase finish before timing the next one

        small = batch_of(1024, 100)
        log, rates = bench_append(root, small, (50 if quick else 250) << 20)
        print(f"append 1 KiB batches: {summary(rates, ',.0f')} appends/s ({len(small)}-byte batches)")
        lookups = bench_lookups(log, 50_000 if quick else 200_000)
        print(f"random offset lookups: {summary(lookups, ',.0f')} /s "
              f"over {log.log_end_offset:,} offsets (one-batch read at a random offset)")
        recov = [bench_recovery(log) for _ in range(3)]
        print(f"recovery scan, 1 KiB batches: {summary([r[0] for r in recov], '.0f')} MB/s "
              f"over {recov[0][1] / 1e6:.0f} MB")
        shutil.rmtree(log.dir)
        os.sync()

        bench_partitions(root, 2_000 if quick else 10_000)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
