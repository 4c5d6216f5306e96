"""PartitionLog: append, read, offsets, roll, truncation, timestamps, epochs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from moldau.common.clock import ManualClock
from moldau.protocol.records.batch import BatchHeader
from moldau.storage.config import LogConfig
from moldau.storage.errors import InvalidBatch, OffsetOutOfRange, RecordBatchTooLarge
from moldau.storage.handles import HandleCache
from moldau.storage.log import PartitionLog

from .batches import headers_of, make_batch, read_all, records_of, slice_bytes


def new_log(tmp_path, **cfg) -> PartitionLog:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    return PartitionLog.create(
        str(tmp_path / "t-0"), "t", 0, LogConfig(**cfg), clock, HandleCache(100)
    )


def test_append_assigns_offsets_in_place_and_keeps_bytes(tmp_path):
    log = new_log(tmp_path)
    b1 = make_batch(3, tag=1)
    original = bytes(b1)
    info = log.append(b1, leader_epoch=5)
    assert (info.base_offset, info.last_offset, info.log_append_time_ms) == (0, 2, -1)
    assert info.max_timestamp == 1002 and info.size == len(original)
    h = BatchHeader(memoryview(b1))
    assert h.base_offset == 0 and h.partition_leader_epoch == 5 and h.crc_ok()
    # only base offset (0..8) and epoch (12..16) may differ from the producer's bytes
    assert b1[8:12] == original[8:12] and b1[16:] == original[16:]
    info2 = log.append(make_batch(2, tag=2))
    assert (info2.base_offset, info2.last_offset) == (3, 4)
    assert log.log_end_offset == 5
    got = log.read(0, 1 << 20, 5)
    assert slice_bytes(got) == bytes(b1) + bytes(headers_of(slice_bytes(got))[1].view())
    assert [r[0] for r in records_of(slice_bytes(got))] == [0, 1, 2, 3, 4]


def test_log_append_time(tmp_path):
    log = new_log(tmp_path, message_timestamp_type="LogAppendTime")
    b = make_batch(2)
    info = log.append(b)
    assert info.log_append_time_ms == log.clock.now_ms() == info.max_timestamp
    h = BatchHeader(memoryview(b))
    assert h.is_log_append_time and h.max_timestamp == info.log_append_time_ms and h.crc_ok()


def test_read_bounds_and_kip74(tmp_path):
    log = new_log(tmp_path)
    sizes = []
    for i in range(10):
        b = make_batch(2, tag=i, value_size=100)
        sizes.append(len(b))
        log.append(b)
    assert log.log_end_offset == 20
    # fetch offset inside a batch returns the whole batch
    got = log.read(3, 10_000, 20)
    assert got.first_offset == 2
    # max_bytes cuts at whole batches
    got = log.read(0, sizes[0] * 3 + 5, 20)
    assert got.size == sizes[0] * 3 and len(headers_of(slice_bytes(got))) == 3
    # max_offset (high watermark) is exclusive: batches starting at or past it are not returned
    got = log.read(0, 10_000, 6)
    assert [h.base_offset for h in headers_of(slice_bytes(got))] == [0, 2, 4]
    assert log.read(6, 10_000, 6) is None
    # KIP-74: first batch returned whole when it exceeds max_bytes
    got = log.read(0, 10, 20)
    assert got.size == sizes[0]
    assert log.read(0, 10, 20, min_one_batch=False) is None
    # at the LEO: nothing, beyond / below: out of range with both bounds
    assert log.read(20, 100, 20) is None
    with pytest.raises(OffsetOutOfRange) as exc:
        log.read(21, 100, 20)
    assert (exc.value.log_start_offset, exc.value.log_end_offset) == (0, 20)


def test_invalid_appends_rejected(tmp_path):
    log = new_log(tmp_path, segment_bytes=500)
    with pytest.raises(InvalidBatch):
        log.append(bytes(make_batch()))  # type: ignore[arg-type]  # not writable
    with pytest.raises(InvalidBatch):
        log.append(bytearray(b"\x00" * 30))
    with pytest.raises(InvalidBatch):
        log.append(make_batch()[:-1])
    bad = make_batch()
    bad[16] = 1  # magic 1
    with pytest.raises(InvalidBatch):
        log.append(bad)
    with pytest.raises(RecordBatchTooLarge):
        log.append(make_batch(1, value_size=600))
    assert log.log_end_offset == 0 and log.size_bytes == 0


def test_several_batches_in_one_buffer(tmp_path):
    log = new_log(tmp_path)
    buf = make_batch(2, tag=1) + make_batch(3, tag=2)
    info = log.append(buf)
    assert (info.base_offset, info.last_offset) == (0, 4)
    assert [h.base_offset for h in headers_of(buf)] == [0, 2]
    assert [r[0] for r in read_all(log)] == [0, 1, 2, 3, 4]


def test_roll_by_size_time_and_index(tmp_path):
    # 24 index bytes: 3 offset-index entries; the time index gets one (timestamps equal)
    log = new_log(tmp_path, segment_bytes=1000, segment_ms=1000, segment_index_bytes=24,
                  index_interval_bytes=0)
    b = make_batch(1, value_size=300)
    n = len(b)
    for _ in range(2):
        log.append(make_batch(1, value_size=300))
    assert len(log.segments) == 1 and log.segments[0].size == 2 * n
    log.append(make_batch(1, value_size=300))
    assert [s.base_offset for s in log.segments] == [0, 2]  # size roll (2 fit in 1000)
    log.clock.advance(1000)  # type: ignore[attr-defined]
    log.append(make_batch(1))
    assert [s.base_offset for s in log.segments] == [0, 2, 3]  # time roll
    for _ in range(3):  # batches 2..4 of a segment each add an entry: full after offset 6
        log.append(make_batch(1))
    assert [s.base_offset for s in log.segments] == [0, 2, 3]
    log.append(make_batch(1))
    assert [s.base_offset for s in log.segments] == [0, 2, 3, 7]
    names = sorted(os.listdir(log.dir))
    assert "00000000000000000003.log" in names and "00000000000000000002.index" in names
    assert [r[0] for r in read_all(log)] == list(range(8))


def test_index_files_are_kafka_format(tmp_path):
    log = new_log(tmp_path, index_interval_bytes=100, segment_bytes=10_000)
    positions = []
    for i in range(20):
        positions.append(log.size_bytes)
        log.append(make_batch(2, ts=5000 + i, value_size=80))
    log.roll()
    raw = Path(os.path.join(log.dir, "00000000000000000000.index")).read_bytes()
    entries = [(int.from_bytes(raw[i:i+4], "big"), int.from_bytes(raw[i+4:i+8], "big"))
               for i in range(0, len(raw), 8)]
    assert entries, "index has entries"
    for rel, pos in entries:
        assert pos in positions  # each entry points at a batch start ...
        assert rel == 2 * positions.index(pos) + 1  # ... keyed by that batch's last offset
    traw = Path(os.path.join(log.dir, "00000000000000000000.timeindex")).read_bytes()
    tentries = [(int.from_bytes(traw[i:i+8], "big"), int.from_bytes(traw[i+8:i+12], "big"))
                for i in range(0, len(traw), 12)]
    assert tentries[-1] == (5000 + 19 + 1, 38)  # final entry: segment max timestamp
    assert all(a[0] < b[0] for a, b in zip(tentries, tentries[1:]))


def test_offset_for_timestamp_and_max_timestamp(tmp_path):
    log = new_log(tmp_path, segment_bytes=600, index_interval_bytes=50)
    # timestamps: batch i has records at 100*i + {0, 1, 2}
    for i in range(30):
        log.append(make_batch(3, ts=100 * i, tag=i))
    assert log.offset_for_timestamp(0) == (0, 0)
    assert log.offset_for_timestamp(101) == (4, 101)
    assert log.offset_for_timestamp(150) == (6, 200)
    assert log.offset_for_timestamp(2902) == (89, 2902)
    assert log.offset_for_timestamp(2903) is None
    assert log.max_timestamp_offset() == (89, 2902)
    log.high_watermark = 90
    log.delete_records_before(10)
    assert log.offset_for_timestamp(0) == (10, 301)


def test_max_timestamp_offset_out_of_order(tmp_path):
    log = new_log(tmp_path)
    log.append(make_batch(3, ts=500))
    log.append(make_batch(3, ts=9000))
    log.append(make_batch(3, ts=700))
    assert log.max_timestamp_offset() == (5, 9002)


def test_high_watermark_clamped(tmp_path):
    log = new_log(tmp_path)
    log.append(make_batch(5))
    log.high_watermark = 100
    assert log.high_watermark == 5
    log.high_watermark = 3
    assert log.high_watermark == 3
    with pytest.raises(ValueError):
        log.high_watermark = -1


def test_truncate_to(tmp_path):
    log = new_log(tmp_path, segment_bytes=400)
    for i in range(10):
        log.append(make_batch(2, tag=i, value_size=50), leader_epoch=i // 3)
    log.high_watermark = 20
    segs_before = len(log.segments)
    assert segs_before > 2
    log.truncate_to(7)  # inside batch [6, 7]: the whole batch goes
    assert log.log_end_offset == 6 and log.high_watermark == 6
    assert [r[0] for r in read_all(log)] == list(range(6))
    assert log.epochs.entries() == [(0, 0), (1, 6)] or log.epochs.entries() == [(0, 0)]
    info = log.append(make_batch(1), leader_epoch=7)
    assert info.base_offset == 6
    assert log.epochs.entries()[-1] == (7, 6)
    log.truncate_to(0)
    assert log.log_end_offset == 0 and read_all(log) == []


def test_truncate_with_live_fetch_view(tmp_path):
    log = new_log(tmp_path)
    for i in range(5):
        log.append(make_batch(1, tag=i))
    got = log.read(0, 1 << 20, 5)
    before = slice_bytes(got)
    log.truncate_to(2)
    # the response built before the truncation is still readable (no SIGBUS) and unchanged
    assert slice_bytes(got) == before
    assert [r[0] for r in read_all(log)] == [0, 1]
    log.append(make_batch(1))
    assert [r[0] for r in read_all(log)] == [0, 1, 2]


def test_delete_records_before(tmp_path):
    log = new_log(tmp_path)
    log.append(make_batch(10))
    with pytest.raises(OffsetOutOfRange):
        log.delete_records_before(5)  # above the high watermark
    log.high_watermark = 10
    assert log.delete_records_before(5) == 5
    assert log.log_start_offset == 5
    with pytest.raises(OffsetOutOfRange):
        log.read(4, 100, 10)
    assert log.read(5, 1000, 10).first_offset == 0  # the batch holding 5
    assert log.delete_records_before(3) == 5  # never moves back


def test_leader_epoch_cache(tmp_path):
    log = new_log(tmp_path)
    log.append(make_batch(2), leader_epoch=1)
    log.append(make_batch(2), leader_epoch=1)
    log.append(make_batch(3), leader_epoch=3)
    assert log.epochs.entries() == [(1, 0), (3, 4)]
    eo = log.epochs.end_offset_for_epoch
    assert eo(3, log.log_end_offset) == (3, 7)
    assert eo(1, 7) == (1, 4)
    assert eo(2, 7) == (1, 4)
    assert eo(0, 7) == (0, 0)
    assert eo(4, 7) == (-1, -1)
    assert log.epochs.epoch_for_offset(5) == 3
    text = Path(os.path.join(log.dir, "leader-epoch-checkpoint")).read_text()
    assert text == "0\n2\n1 0\n3 4\n"


def test_follower_append_keeps_offsets(tmp_path):
    leader = new_log(tmp_path / "a")
    for i in range(3):
        leader.append(make_batch(2, tag=i), leader_epoch=4)
    data = slice_bytes(leader.read(0, 1 << 20, None))
    follower = new_log(tmp_path / "b")
    info = follower.append_as_follower(data)
    assert info is not None and (info.base_offset, info.last_offset) == (0, 5)
    assert follower.append_as_follower(data) is None  # already there
    assert read_all(follower) == read_all(leader)
    assert follower.epochs.entries() == [(4, 0)]


def test_epoch_api_on_the_log(tmp_path):
    log = new_log(tmp_path)
    log.assign_epoch(2)
    assert log.latest_epoch == 2
    log.append(make_batch(3), leader_epoch=2)
    log.assign_epoch(5)
    assert log.end_offset_for_epoch(2) == (2, 3)
    assert log.end_offset_for_epoch(5) == (5, 3)
    assert log.end_offset_for_epoch(1) == (1, 0)


def test_flush_messages_moves_the_recovery_point(tmp_path):
    log = new_log(tmp_path, flush_messages=3)
    log.append(make_batch(2))
    assert log.recovery_point == 0
    log.append(make_batch(1))
    assert log.recovery_point == 3
    log.append(make_batch(1))
    assert log.recovery_point == 3
    log.flush()
    assert log.recovery_point == 4


def test_flush_ms_uses_the_clock(tmp_path):
    log = new_log(tmp_path, flush_ms=1000)
    log.append(make_batch(1))
    assert log.recovery_point == 0
    log.clock.advance(1000)  # type: ignore[attr-defined]
    log.append(make_batch(1))
    assert log.recovery_point == 2


def test_failed_write_leaves_a_consistent_log(tmp_path, monkeypatch):
    log = new_log(tmp_path)
    log.append(make_batch(2, tag=0))
    real = os.pwrite
    calls = {"n": 0}

    def flaky(fd, data, pos):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            real(fd, bytes(data)[:10], pos)  # a torn write, then the disk is full
            raise OSError(28, "No space left on device")
        return real(fd, data, pos)

    monkeypatch.setattr(os, "pwrite", flaky)
    with pytest.raises(OSError):
        log.append(make_batch(1, tag=1) + make_batch(1, tag=2))  # second batch fails
    assert log.log_end_offset == 3
    calls["n"] = 1
    with pytest.raises(OSError):
        log.append(make_batch(1, tag=3))  # single-batch fast path fails
    assert log.log_end_offset == 3
    monkeypatch.setattr(os, "pwrite", real)
    assert log.append(make_batch(1, tag=4)).base_offset == 3
    assert [r[0] for r in read_all(log)] == [0, 1, 2, 3]
    assert log.size_bytes == os.path.getsize(log.active_segment.log_path)
