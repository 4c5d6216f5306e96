"""Crash tests: damage a log the way a crash (or a bad disk) would, reopen it, and check that
exactly the intact prefix survives and the log carries on from there."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import hypothesis.strategies as st
from hypothesis import given, settings

from moldau.common.clock import ManualClock
from moldau.storage.config import LogConfig
from moldau.storage.log import PartitionLog
from moldau.storage.manager import LogManager

from .batches import make_batch, read_all

CONFIG = LogConfig(segment_bytes=3000, index_interval_bytes=200)


@contextmanager
def log_dir() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="recovery-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def crash(m: LogManager) -> None:
    """Drop every handle without writing indexes, checkpoints or the clean marker."""
    for log in m.all_logs():
        for seg in log.segment_list:
            m.handles.forget(seg)
            seg.release_handles()


def build(d: str, sizes: list[int], checkpoint_at: int | None) -> tuple[LogManager, PartitionLog, list]:  # type: ignore[type-arg]
    """A log with one batch per entry of `sizes` (records per batch); returns the manager, log
    and per batch (base, last, start position in its segment, segment path, records)."""
    m = LogManager([d], ManualClock(), CONFIG)
    m.load()
    log = m.create("t", 0)
    batches = []
    for i, n in enumerate(sizes):
        if checkpoint_at == i:
            m.checkpoint()
        seg_before = log.active_segment
        pos = seg_before.size
        info = log.append(make_batch(n, tag=i, value_size=40 + 7 * i % 90))
        seg = log.active_segment
        if seg is not seg_before:
            pos = 0
        batches.append((info.base_offset, info.last_offset, pos, seg.log_path, info.size))
    return m, log, batches


def reopen(d: str) -> PartitionLog:
    m = LogManager([d], ManualClock(), CONFIG)
    m.load()
    log = m.get("t", 0)
    assert log is not None
    return log


def check_prefix(log: PartitionLog, full: list, keep: int, batches: list) -> None:  # type: ignore[type-arg]
    """The log holds exactly the records of the first `keep` batches and continues there."""
    end = batches[keep - 1][1] + 1 if keep else 0
    assert read_all(log) == [r for r in full if r[0] < end]
    assert log.log_end_offset == end
    assert log.append(make_batch(2)).base_offset == end
    assert [r[0] for r in read_all(log)][-2:] == ([end, end + 1])


sizes_st = st.lists(st.integers(1, 6), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None)
@given(sizes=sizes_st, cut=st.floats(0, 1), checkpoint=st.booleans())
def test_cut_active_segment_at_random_byte(sizes, cut, checkpoint):
    with log_dir() as d:
        m, log, batches = build(d, sizes, len(sizes) // 2 if checkpoint else None)
        full = read_all(log)
        active = log.active_segment.log_path
        size = log.active_segment.size
        crash(m)
        at = int(size * cut)
        with open(active, "r+b") as f:
            f.truncate(at)
        keep = sum(1 for b in batches if b[3] != active or b[2] + b[4] <= at)
        check_prefix(reopen(d), full, keep, batches)


@settings(max_examples=30, deadline=None)
@given(sizes=sizes_st, garbage=st.binary(min_size=1, max_size=300))
def test_garbage_after_the_end(sizes, garbage):
    with log_dir() as d:
        m, log, batches = build(d, sizes, None)
        full = read_all(log)
        active = log.active_segment.log_path
        crash(m)
        with open(active, "ab") as f:
            f.write(garbage)
        check_prefix(reopen(d), full, len(batches), batches)


@settings(max_examples=40, deadline=None)
@given(sizes=sizes_st, which=st.floats(0, 1), where=st.floats(0, 1), bit=st.integers(0, 7))
def test_bit_flip_in_a_checked_byte(sizes, which, where, bit):
    """A flipped bit in the length, magic, CRC or CRC-covered bytes of a batch in the active
    segment loses that batch and everything after it, nothing before."""
    with log_dir() as d:
        m, log, batches = build(d, sizes, None)
        full = read_all(log)
        active = log.active_segment.log_path
        crash(m)
        in_active = [i for i, b in enumerate(batches) if b[3] == active]
        victim = in_active[min(int(which * len(in_active)), len(in_active) - 1)]
        _, _, pos, _, size = batches[victim]
        checked = [8, 9, 10, 11] + list(range(16, size))  # not base offset, not leader epoch
        offset = pos + checked[min(int(where * len(checked)), len(checked) - 1)]
        with open(active, "r+b") as f:
            f.seek(offset)
            byte = f.read(1)[0]
            f.seek(offset)
            f.write(bytes([byte ^ (1 << bit)]))
        check_prefix(reopen(d), full, victim, batches)


@settings(max_examples=30, deadline=None)
@given(sizes=sizes_st, seed=st.integers(0, 2**32), clean=st.booleans())
def test_missing_or_damaged_indexes_are_rebuilt(sizes, seed, clean):
    rng = random.Random(seed)
    with log_dir() as d:
        m, log, batches = build(d, sizes, None)
        full = read_all(log)
        stamps = [log.offset_for_timestamp(t) for t in (0, 1000, 1003, 1005, 2000)]
        if clean:
            m.shutdown()
        else:
            crash(m)
        part = os.path.join(d, "t-0")
        for name in sorted(os.listdir(part)):
            if name.endswith((".index", ".timeindex")):
                action = rng.choice(["keep", "delete", "odd", "garbage"])
                path = os.path.join(part, name)
                if action == "delete":
                    os.unlink(path)
                elif action == "odd":
                    with open(path, "ab") as f:
                        f.write(b"\x01\x02\x03")
                elif action == "garbage":
                    with open(path, "wb") as f:
                        f.write(rng.randbytes(24))
        log2 = reopen(d)
        assert [log2.offset_for_timestamp(t) for t in (0, 1000, 1003, 1005, 2000)] == stamps
        for o in range(0, log2.log_end_offset, 3):
            got = log2.read(o, 1, None)
            assert got is not None and got.first_offset <= o
        check_prefix(log2, full, len(batches), batches)


def test_torn_write_never_loses_the_complete_batches_before_it(tmp_path):
    m, log, batches = build(str(tmp_path), [3, 1, 4, 1, 5], None)
    full = read_all(log)
    crash(m)
    with open(log.active_segment.log_path, "ab") as f:
        f.write(bytes(make_batch(9))[:-1])  # the next batch, all but its last byte
    check_prefix(reopen(str(tmp_path)), full, 5, batches)
