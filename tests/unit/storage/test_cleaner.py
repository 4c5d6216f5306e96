"""Compaction: newest record per key, tombstones, dirty ratio, lag, gaps, swaps, restarts."""

from __future__ import annotations

import os

import pytest

from moldau.common.clock import ManualClock
from moldau.protocol.records.batch import iter_batches
from moldau.storage import cleaner
from moldau.storage.config import LogConfig
from moldau.storage.manager import LogManager

from .batches import keyed_batch, read_all, slice_bytes

HOUR = 3_600_000


def setup(tmp_path, **cfg):  # type: ignore[no-untyped-def]
    clock = ManualClock()
    cfg.setdefault("cleanup_policy", "compact")
    cfg.setdefault("segment_bytes", 600)
    m = LogManager([str(tmp_path)], clock, LogConfig(**cfg))
    m.load()
    log = m.create("c", 0)
    return clock, m, log


def append(log, clock, items, compression=0):  # type: ignore[no-untyped-def]
    info = log.append(keyed_batch(items, ts=clock.now_ms(), compression=compression))
    log.high_watermark = log.log_end_offset
    return info


def latest_per_key(records):  # type: ignore[no-untyped-def]
    latest = {}
    for off, k, v in records:
        latest[k] = (off, k, v)
    return sorted(latest.values())


@pytest.mark.parametrize("compression", [0, 1, 2, 3, 4])
def test_keeps_newest_record_per_key_with_offset_gaps(tmp_path, compression):
    clock, m, log = setup(tmp_path)
    for round_ in range(6):
        append(log, clock, [(b"k%d" % i, b"v%d-%d" % (i, round_)) for i in range(4)], compression)
    append(log, clock, [(b"tail", b"t")], compression)  # the active segment is never cleaned
    before = read_all(log)
    active_base = log.active_segment.base_offset
    assert cleaner.clean_log(log, clock.now_ms()) > 0
    after = read_all(log)
    cleanable = [r for r in before if r[0] < active_base]
    assert [r for r in after if r[0] < active_base] == latest_per_key(cleanable)
    assert [r for r in after if r[0] >= active_base] == [r for r in before if r[0] >= active_base]
    assert log.log_end_offset == 25
    # reading at any original offset still works and returns offsets >= it
    for off in range(0, 25):
        got = log.read(off, 1 << 20, 25)
        assert got is not None
    # every rebuilt batch is valid (CRC) and kept its codec
    for seg in log.segment_list:
        view = seg.view(0, seg.size)
        for h in iter_batches(view):
            assert h.crc_ok() and h.compression == compression


def test_tombstones_dropped_after_delete_retention(tmp_path):
    clock, m, log = setup(tmp_path, delete_retention_ms=HOUR)
    append(log, clock, [(b"a", b"1"), (b"b", b"1")])
    append(log, clock, [(b"a", None)])  # tombstone for a
    for i in range(8):
        append(log, clock, [(b"x%d" % i, b"y" * 100)])
    cleaner.clean_log(log, clock.now_ms())
    recs = read_all(log)
    assert (2, b"a", None) in recs  # tombstone still visible within delete.retention.ms
    assert not any(k == b"a" and v == b"1" for _, k, v in recs)
    clock.advance(2 * HOUR)
    for i in range(8):  # new dirty data makes the log due again (as in Kafka)
        append(log, clock, [(b"z%d" % i, b"y" * 100)])
    assert cleaner.needs_cleaning(log, clock.now_ms())
    cleaner.clean_log(log, clock.now_ms())
    recs = read_all(log)
    assert not any(k == b"a" for _, k, _ in recs)
    assert (1, b"b", b"1") in recs


def test_dirty_ratio_and_run_cleaner(tmp_path):
    clock, m, log = setup(tmp_path, min_cleanable_dirty_ratio=0.5)
    for i in range(10):  # ten keys, one segment each (the last is the active one)
        append(log, clock, [(b"k%d" % i, b"x" * 300)])
    assert cleaner.dirty_ratio(log, clock.now_ms()) == 1.0
    assert m.run_cleaner() == 1
    assert cleaner.dirty_ratio(log, clock.now_ms()) == 0.0
    assert m.run_cleaner() == 0  # nothing dirty any more
    n = 0
    while not cleaner.needs_cleaning(log, clock.now_ms()):
        append(log, clock, [(b"k0", b"y" * 300)])
        n += 1
        assert cleaner.dirty_ratio(log, clock.now_ms()) < 0.5 or cleaner.needs_cleaning(log, clock.now_ms())
    # 9 clean segments: due once 9 equal dirty ones (the old active + 8 new) pile up
    assert n == 9 and cleaner.dirty_ratio(log, clock.now_ms()) == 0.5
    assert m.run_cleaner() == 1
    keys = [k for _, k, _ in read_all(log)]
    assert sorted(keys[:-1]) == sorted({k for k in keys[:-1]})


def test_min_compaction_lag(tmp_path):
    clock, m, log = setup(tmp_path, min_compaction_lag_ms=HOUR)
    for i in range(6):
        append(log, clock, [(b"k", b"v%d" % i + b"x" * 200)])
    assert not cleaner.needs_cleaning(log, clock.now_ms())
    assert cleaner.clean_log(log, clock.now_ms()) == 0
    clock.advance(HOUR + 1)
    assert cleaner.needs_cleaning(log, clock.now_ms())
    assert cleaner.clean_log(log, clock.now_ms()) > 0


def test_max_compaction_lag_forces_cleaning(tmp_path):
    clock, m, log = setup(tmp_path, min_cleanable_dirty_ratio=1.0, max_compaction_lag_ms=HOUR)
    for i in range(4):
        append(log, clock, [(b"k%d" % i, b"x" * 250)])
    cleaner.clean_log(log, clock.now_ms())  # a clean head, so the dirty ratio stays < 1
    for i in range(3):
        append(log, clock, [(b"k%d" % i, b"x" * 250)])
    assert 0 < cleaner.dirty_ratio(log, clock.now_ms()) < 1
    assert not cleaner.needs_cleaning(log, clock.now_ms())
    clock.advance(2 * HOUR)
    assert cleaner.needs_cleaning(log, clock.now_ms())


def test_not_cleaned_past_high_watermark(tmp_path):
    clock, m, log = setup(tmp_path)
    for i in range(6):
        log.append(keyed_batch([(b"k", b"v%d" % i + b"x" * 250)], ts=clock.now_ms()))
    log.high_watermark = 0
    assert cleaner.clean_log(log, clock.now_ms()) == 0


def test_delete_policy_topics_are_never_compacted(tmp_path):
    clock, m, log = setup(tmp_path, cleanup_policy="delete")
    for _ in range(6):
        append(log, clock, [(b"k", b"x" * 250)])
    assert m.run_cleaner() == 0


def test_cleaned_log_survives_restart_and_checkpoint(tmp_path):
    clock, m, log = setup(tmp_path)
    for r in range(5):
        append(log, clock, [(b"k%d" % i, b"%d" % r + b"x" * 50) for i in range(3)])
    cleaner.clean_log(log, clock.now_ms())
    expected = read_all(log)
    first_dirty = log.first_dirty_offset
    assert first_dirty > 0
    m.shutdown()
    text = (tmp_path / "cleaner-offset-checkpoint").read_text()
    assert text == f"0\n1\nc 0 {first_dirty}\n"
    m2 = LogManager([str(tmp_path)], clock, LogConfig(cleanup_policy="compact", segment_bytes=600))
    m2.load()
    log2 = m2.get("c", 0)
    assert log2 is not None
    assert read_all(log2) == expected and log2.first_dirty_offset == first_dirty
    assert not [n for n in os.listdir(log2.dir) if n.endswith((".cleaned", ".swap"))]


def test_interrupted_swap_is_completed_at_load(tmp_path):
    """A crash after the cleaned file became *.swap but before the old files were removed."""
    clock, m, log = setup(tmp_path)
    for r in range(4):
        append(log, clock, [(b"k", b"%d" % r + b"x" * 200)])
    expected_tail = read_all(log)[-1]
    m.shutdown()
    # craft the swap by hand: the first two segments compacted into one file
    segs = sorted(n for n in os.listdir(log.dir) if n.endswith(".log"))
    first, second = (os.path.join(log.dir, n) for n in segs[:2])
    with open(second, "rb") as f:
        kept = f.read()
    with open(first[: -len(".log")] + ".log.swap", "wb") as f:
        f.write(kept)
    m2 = LogManager([str(tmp_path)], clock, LogConfig(cleanup_policy="compact", segment_bytes=600))
    m2.load()
    log2 = m2.get("c", 0)
    assert log2 is not None
    recs = read_all(log2)
    assert recs[-1] == expected_tail
    assert [r[0] for r in recs] == sorted({r[0] for r in recs})
    assert len([n for n in os.listdir(log2.dir) if n.endswith(".log")]) == len(segs) - 1
    assert slice_bytes(log2.read(log2.log_start_offset, 1 << 20, None))  # readable


class Crash(Exception):
    pass


@pytest.mark.parametrize("fail_at", range(10))  # a pass here makes 9 renames
def test_crash_at_any_rename_of_a_swap_loses_nothing(tmp_path, monkeypatch, fail_at):
    """Kill the cleaner at each rename of its swap sequence, reopen as after a crash: every
    key's latest record is there, nothing is duplicated, offsets still increase."""
    clock, m, log = setup(tmp_path)
    for r in range(6):
        append(log, clock, [(b"k%d" % i, b"%d" % r + b"x" * 60) for i in range(3)])
    before = read_all(log)
    latest = latest_per_key([r for r in before if r[0] < log.active_segment.base_offset])
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(src, dst):  # type: ignore[no-untyped-def]
        if calls["n"] == fail_at:
            raise Crash(f"crash before renaming {src}")
        calls["n"] += 1
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    crashed = False
    try:
        cleaner.clean_log(log, clock.now_ms())
    except Crash:
        crashed = True
    monkeypatch.setattr(os, "replace", real_replace)
    for seg in log.segment_list:  # crash: drop handles, no shutdown
        m.handles.forget(seg)
        seg.release_handles()
    m2 = LogManager([str(tmp_path)], clock, LogConfig(cleanup_policy="compact", segment_bytes=600))
    m2.load()
    log2 = m2.get("c", 0)
    assert log2 is not None
    after = read_all(log2)
    offsets = [r[0] for r in after]
    assert offsets == sorted(set(offsets))
    assert set(after) <= set(before)
    assert set(latest) <= set(after)
    assert [r for r in after if r[0] >= log.active_segment.base_offset] == [
        r for r in before if r[0] >= log.active_segment.base_offset
    ]
    assert crashed or fail_at >= calls["n"]
    if fail_at == 0:
        assert crashed


def test_undecodable_batch_is_kept_not_fatal(tmp_path):
    from moldau.protocol.records.batch import rewrite_crc

    clock, m, log = setup(tmp_path)
    bad = keyed_batch([(b"k", b"v" * 300)], ts=clock.now_ms())
    bad[61:63] = b"\x7f\x7f"  # garbage record length varint; CRC recomputed: stored as is
    rewrite_crc(bad, 0)
    log.append(bad)
    for i in range(4):
        append(log, clock, [(b"k", b"%d" % i + b"x" * 300)])
    assert log.offset_for_timestamp(0) == (0, clock.now_ms())  # batch-level fallback
    cleaner.clean_log(log, clock.now_ms())
    got = log.read(0, 1 << 20, None)
    assert got is not None and got.first_offset == 0  # the odd batch is still there


def _producer_batch(items, pid, epoch, seq, ts):  # type: ignore[no-untyped-def]
    from moldau.protocol.records.builder import BatchBuilder

    b = BatchBuilder(producer_id=pid, producer_epoch=epoch, base_sequence=seq)
    for i, (k, v) in enumerate(items):
        b.append(ts + i, k, v)
    return bytearray(b.build())


def test_each_producers_newest_batch_survives_as_an_empty_batch(tmp_path):
    from moldau.storage.producer_state import ProducerStateManager

    clock, m, log = setup(tmp_path)
    ts = clock.now_ms()
    # producer 7 writes keys a, b (sequences 0-1), then producer 8 overwrites both keys
    log.append(_producer_batch([(b"a", b"7"), (b"b", b"7")], 7, 3, 0, ts))
    log.append(_producer_batch([(b"a", b"8"), (b"b", b"8")], 8, 0, 0, ts))
    for i in range(8):  # fill segments so both batches end up in cleanable ones
        log.append(_producer_batch([(b"x%d" % i, b"y" * 100)], 9, 0, i, ts))
    log.append(keyed_batch([(b"tail", b"t")], ts=ts))
    log.high_watermark = log.log_end_offset
    assert cleaner.clean_log(log, clock.now_ms()) > 0

    headers = [(h.producer_id, h.records_count, h.base_offset, h.last_offset) for h in log.batches()]
    # producer 7's records are all gone, its batch stays as an empty one with its offsets
    assert (7, 0, 0, 1) in headers
    assert (8, 2, 2, 3) in headers
    assert read_all(log)[0][:2] == (2, b"a")
    for seg in log.segment_list:
        for h in iter_batches(seg.view(0, seg.size)):
            assert h.crc_ok()

    # producer state rebuilt from the log alone (no snapshot) still knows producer 7
    state = ProducerStateManager(None)
    state.recover(log.log_start_offset, log.log_end_offset, log.batches)
    entry = state.producers[7]
    assert (entry.epoch, entry.last_seq, entry.last_offset) == (3, 1, 1)

    # once producer 7 writes again, a later pass drops the empty batch
    log.append(_producer_batch([(b"c", b"7")], 7, 3, 2, ts))
    for i in range(8):
        log.append(_producer_batch([(b"z%d" % i, b"y" * 100)], 9, 0, 8 + i, ts))
    log.append(keyed_batch([(b"tail", b"t2")], ts=ts))
    log.high_watermark = log.log_end_offset
    log.first_dirty_offset = 0
    cleaner.clean_log(log, clock.now_ms())
    headers = [(h.producer_id, h.records_count, h.base_offset) for h in log.batches()]
    assert (7, 0, 0) not in headers
    assert any(pid == 7 and n == 1 for pid, n, _ in headers)
