"""Retention by time, size and log start offset, with an injected clock."""

from __future__ import annotations

import os

from moldau.common.clock import ManualClock
from moldau.storage.config import LogConfig
from moldau.storage.manager import LogManager

from .batches import make_batch, read_all

HOUR = 3_600_000


def setup(tmp_path, **cfg):  # type: ignore[no-untyped-def]
    clock = ManualClock()
    m = LogManager([str(tmp_path)], clock, LogConfig(**cfg))
    m.load()
    return clock, m, m.create("t", 0)


def test_time_retention_deletes_old_closed_segments(tmp_path):
    clock, m, log = setup(tmp_path, segment_bytes=500, retention_ms=10 * HOUR, file_delete_delay_ms=1000)
    now = clock.now_ms()
    for i in range(6):  # old data: 20 hours ago
        log.append(make_batch(1, ts=now - 20 * HOUR, value_size=200, tag=i))
    for i in range(6):  # fresh data
        log.append(make_batch(1, ts=now, value_size=200, tag=100 + i))
    log.high_watermark = log.log_end_offset
    segs = [(s.base_offset, s.max_timestamp) for s in log.segments]
    old = [b for b, ts in segs if ts < now - 10 * HOUR]
    assert len(old) >= 2
    deleted = m.run_retention()
    assert deleted == len(old)
    first_kept = log.segments[0].base_offset
    assert log.log_start_offset == first_kept > 0
    assert read_all(log)[0][0] == first_kept
    # files renamed now, unlinked after file.delete.delay.ms
    names = os.listdir(log.dir)
    assert any(n.endswith(".log.deleted") for n in names)
    clock.advance(1000)
    m.run_retention()
    assert not any(n.endswith(".deleted") for n in os.listdir(log.dir))


def test_expired_log_empties_but_offsets_are_not_reused(tmp_path):
    clock, m, log = setup(tmp_path, segment_bytes=500, retention_ms=HOUR)
    now = clock.now_ms()
    for i in range(5):
        log.append(make_batch(2, ts=now, value_size=150, tag=i))
    log.high_watermark = 10
    clock.advance(2 * HOUR)
    m.run_retention()
    assert log.size_bytes == 0
    assert (log.log_start_offset, log.log_end_offset, log.high_watermark) == (10, 10, 10)
    assert log.read(10, 100, 10) is None
    assert log.append(make_batch(1, ts=clock.now_ms())).base_offset == 10
    m.shutdown()
    m2 = LogManager([str(tmp_path)], clock, LogConfig(segment_bytes=500, retention_ms=HOUR))
    m2.load()
    log2 = m2.get("t", 0)
    assert log2 is not None and (log2.log_start_offset, log2.log_end_offset) == (10, 11)


def test_size_retention(tmp_path):
    clock, m, log = setup(tmp_path, segment_bytes=1000, retention_bytes=2500, retention_ms=-1)
    for i in range(20):
        log.append(make_batch(1, ts=clock.now_ms(), value_size=200, tag=i))
    total = log.size_bytes
    sizes = [s.size for s in log.segments]
    m.run_retention()
    after = log.size_bytes
    assert after <= total
    # deletes oldest segments while the log stays at least retention.bytes - one segment
    expected = total
    for s in sizes[:-1]:
        if expected - s >= 2500:
            expected -= s
        else:
            break
    assert after == expected
    assert after >= 2500 - max(sizes)


def test_compact_only_topics_ignore_time_and_size(tmp_path):
    clock, m, log = setup(tmp_path, segment_bytes=500, retention_ms=HOUR, retention_bytes=10,
                          cleanup_policy="compact")
    for i in range(5):
        log.append(make_batch(1, ts=clock.now_ms(), value_size=200, tag=i))
    clock.advance(10 * HOUR)
    assert m.run_retention() == 0
    assert log.log_start_offset == 0


def test_delete_records_then_retention_removes_segments_below_start(tmp_path):
    clock, m, log = setup(tmp_path, segment_bytes=500, retention_ms=-1, cleanup_policy="compact")
    for i in range(8):  # one 2-record batch per segment
        log.append(make_batch(2, ts=clock.now_ms(), value_size=200, tag=i))
    log.high_watermark = 16
    bases = [s.base_offset for s in log.segments]
    log.delete_records_before(bases[2] + 1)
    m.run_retention()
    assert [s.base_offset for s in log.segments] == bases[2:]
    assert log.log_start_offset == bases[2] + 1


def test_retention_work_is_bounded_per_call(tmp_path):
    clock, m, log = setup(tmp_path, segment_bytes=300, retention_ms=HOUR)
    for i in range(10):
        log.append(make_batch(1, ts=clock.now_ms(), value_size=200, tag=i))
    clock.advance(2 * HOUR)
    assert m.run_retention(max_segments=3) == 3
    assert m.run_retention(max_segments=3) == 3
    assert m.run_retention(max_segments=100) == 4
    assert log.size_bytes == 0 and log.log_end_offset == 10
