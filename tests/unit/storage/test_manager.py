"""LogManager: create/get/delete, checkpoints, clean and unclean restarts, partition.metadata."""

from __future__ import annotations

import os
import uuid

import pytest

from moldau.common.clock import ManualClock
from moldau.storage.checkpoint import (
    CLEAN_SHUTDOWN_FILE,
    read_offset_checkpoint,
    topic_id_from_str,
    topic_id_to_str,
)
from moldau.storage.config import LogConfig
from moldau.storage.errors import StorageError
from moldau.storage.manager import LogManager, parse_dir_name

from .batches import make_batch, read_all


def manager(dirs, clock=None, **cfg) -> LogManager:  # type: ignore[no-untyped-def]
    m = LogManager([str(d) for d in dirs], clock or ManualClock(), LogConfig(**cfg))
    m.load()
    return m


def test_parse_dir_name():
    assert parse_dir_name("orders-0") == ("orders", 0)
    assert parse_dir_name("my-topic-12") == ("my-topic", 12)
    assert parse_dir_name("orders-0.abc-delete") is None
    assert parse_dir_name("orders") is None
    assert parse_dir_name("-3") is None


def test_create_append_shutdown_reload(tmp_path):
    m = manager([tmp_path])
    tid = uuid.uuid4()
    log = m.create("orders", 0, topic_id=tid)
    for i in range(5):
        log.append(make_batch(2, tag=i))
    log.high_watermark = 8
    before = read_all(log)
    m.shutdown()
    assert os.path.exists(tmp_path / CLEAN_SHUTDOWN_FILE)
    assert read_offset_checkpoint(str(tmp_path / "recovery-point-offset-checkpoint")) == {("orders", 0): 10}
    assert read_offset_checkpoint(str(tmp_path / "replication-offset-checkpoint")) == {("orders", 0): 8}
    text = (tmp_path / "replication-offset-checkpoint").read_text()
    assert text == "0\n1\norders 0 8\n"
    meta = (tmp_path / "orders-0" / "partition.metadata").read_text()
    assert meta == f"version: 0\ntopic_id: {topic_id_to_str(tid)}\n"

    m2 = manager([tmp_path])
    assert m2.had_clean_shutdown[str(tmp_path)] is True
    assert not os.path.exists(tmp_path / CLEAN_SHUTDOWN_FILE)  # removed once loaded
    log2 = m2.get("orders", 0)
    assert log2 is not None
    assert (log2.log_end_offset, log2.high_watermark) == (10, 8)
    assert read_all(log2) == before
    assert m2.topic_id("orders", 0) == tid
    assert log2.append(make_batch(1)).base_offset == 10


def test_topic_id_text_roundtrip():
    tid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    s = topic_id_to_str(tid)
    assert len(s) == 22 and "=" not in s
    assert topic_id_from_str(s) == tid


def test_log_start_offset_survives_restart(tmp_path):
    m = manager([tmp_path])
    log = m.create("t", 3)
    log.append(make_batch(10))
    log.high_watermark = 10
    log.delete_records_before(4)
    m.checkpoint()
    assert read_offset_checkpoint(str(tmp_path / "log-start-offset-checkpoint")) == {("t", 3): 4}
    m.shutdown()
    m2 = manager([tmp_path])
    assert m2.get("t", 3).log_start_offset == 4  # type: ignore[union-attr]


def test_delete_renames_then_removes(tmp_path):
    clock = ManualClock()
    m = manager([tmp_path], clock, file_delete_delay_ms=1000)
    log = m.create("gone", 0)
    log.append(make_batch(3))
    assert m.delete("gone", 0) is True
    assert m.get("gone", 0) is None
    names = os.listdir(tmp_path)
    doomed = [n for n in names if n.startswith("gone-0.") and n.endswith("-delete")]
    assert len(doomed) == 1 and "gone-0" not in names
    m.run_retention()
    assert os.path.exists(tmp_path / doomed[0])  # delay not over
    clock.advance(1000)
    m.run_retention()
    assert not os.path.exists(tmp_path / doomed[0])
    assert m.delete("gone", 0) is False
    m.create("gone", 0)  # same name can come back, fresh
    assert m.get("gone", 0).log_end_offset == 0  # type: ignore[union-attr]


def test_delete_dirs_removed_at_load(tmp_path):
    m = manager([tmp_path])
    m.create("x", 0).append(make_batch(1))
    m.delete("x", 0)
    m.shutdown()
    manager([tmp_path])
    assert [n for n in os.listdir(tmp_path) if n.endswith("-delete")] == []


def test_several_log_dirs_balance(tmp_path):
    dirs = [tmp_path / "a", tmp_path / "b"]
    m = manager(dirs)
    for p in range(4):
        m.create("t", p)
    assert len(os.listdir(dirs[0])) == 2 and len(os.listdir(dirs[1])) == 2
    m.shutdown()
    m2 = manager(dirs)
    assert sorted(tp for tp, _ in m2.items()) == [("t", p) for p in range(4)]


def test_create_rejects_bad_names(tmp_path):
    m = manager([tmp_path])
    with pytest.raises(StorageError):
        m.create("a/b", 0)
    with pytest.raises(StorageError):
        m.create("t", -1)


def test_unclean_restart_recovers_and_keeps_complete_batches(tmp_path):
    m = manager([tmp_path], segment_bytes=1000)
    log = m.create("t", 0)
    for i in range(20):
        log.append(make_batch(2, tag=i, value_size=60))
    expected = read_all(log)
    m.checkpoint()  # flushes the rolled segments, recovery point at the active segment
    for i in range(20, 23):
        log.append(make_batch(2, tag=i, value_size=60))
    expected_after = read_all(log)
    active = log.active_segment.log_path
    # crash: no shutdown, indexes of the active segment never written
    with open(active, "ab") as f:
        f.write(b"\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00")  # a torn header
    m2 = manager([tmp_path], segment_bytes=1000)
    assert m2.had_clean_shutdown[str(tmp_path)] is False
    log2 = m2.get("t", 0)
    assert log2 is not None
    assert read_all(log2) == expected_after and len(expected_after) > len(expected)
    assert log2.log_end_offset == 46
    assert log2.append(make_batch(1)).base_offset == 46


def test_corrupt_checkpoint_means_full_recovery(tmp_path):
    m = manager([tmp_path])
    log = m.create("t", 0)
    log.append(make_batch(4))
    m.shutdown()
    (tmp_path / "recovery-point-offset-checkpoint").write_text("garbage\n")
    m2 = manager([tmp_path])
    assert m2.had_clean_shutdown[str(tmp_path)] is True
    assert m2.get("t", 0).log_end_offset == 4  # type: ignore[union-attr]


def test_cut_in_an_older_segment_keeps_later_segments(tmp_path):
    m = manager([tmp_path], segment_bytes=400)
    log = m.create("t", 0)
    for i in range(12):
        log.append(make_batch(1, tag=i, value_size=100))
    assert len(log.segments) >= 4
    expected = read_all(log)
    second = log.segment_list[1]
    lost = {r[0] for r in expected if second.base_offset <= r[0] < log.segment_list[2].base_offset}
    last_batch_start = second.batch_positions()[-1][0]
    path = second.log_path
    m2_expected = [r for r in expected if r[0] not in lost or r[0] < max(lost)]
    with open(path, "r+b") as f:  # tear the last batch of segment 2 (a lost page write)
        f.truncate(last_batch_start + 30)
    m2 = manager([tmp_path], segment_bytes=400)
    log2 = m2.get("t", 0)
    assert log2 is not None
    assert read_all(log2) == m2_expected
    assert log2.log_end_offset == 12


def test_checkpoint_in_a_worker_thread_beside_appends(tmp_path):
    """The broker runs checkpoint() in its executor while the loop appends and rolls."""
    import threading

    m = manager([tmp_path], segment_bytes=600)
    logs = [m.create("t", p) for p in range(3)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def checkpoints() -> None:
        try:
            while not stop.is_set():
                m.checkpoint()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    worker = threading.Thread(target=checkpoints)
    worker.start()
    try:
        for i in range(300):
            log = logs[i % 3]
            log.append(make_batch(1, tag=i, value_size=100))
            log.high_watermark = log.log_end_offset
            if i == 150:
                m.create("t", 3)
    finally:
        stop.set()
        worker.join()
    assert errors == []
    for log in logs:
        assert log.recovery_point <= log.active_segment.base_offset
    m.checkpoint()
    for log in logs:
        assert log.recovery_point == log.active_segment.base_offset > 0
    expected = {log.partition: read_all(log) for log in logs}
    m.shutdown()
    m2 = manager([tmp_path], segment_bytes=600)
    for p, recs in expected.items():
        assert read_all(m2.get("t", p)) == recs


def test_leader_epochs_rebuilt_from_batches_after_a_crash(tmp_path):
    m = manager([tmp_path])
    log = m.create("t", 0)
    log.append(make_batch(2), leader_epoch=1)
    log.append(make_batch(2), leader_epoch=1)
    log.append(make_batch(3), leader_epoch=4)
    assert log.epochs.entries() == [(1, 0), (4, 4)]
    for seg in log.segment_list:  # crash, and the epoch file never made it to disk
        m.handles.forget(seg)
        seg.release_handles()
    os.unlink(tmp_path / "t-0" / "leader-epoch-checkpoint")
    m2 = manager([tmp_path])
    log2 = m2.get("t", 0)
    assert log2 is not None and log2.epochs.entries() == [(1, 0), (4, 4)]
    assert log2.end_offset_for_epoch(1) == (1, 4)


def test_truncate_fully_and_start_at(tmp_path):
    m = manager([tmp_path])
    log = m.create("t", 0)
    log.append(make_batch(5), leader_epoch=2)
    log.truncate_fully_and_start_at(100)
    assert (log.log_start_offset, log.log_end_offset, log.high_watermark) == (100, 100, 100)
    assert log.epochs.entries() == []
    assert log.append(make_batch(1), leader_epoch=3).base_offset == 100
    m.shutdown()
    log2 = manager([tmp_path]).get("t", 0)
    assert log2 is not None and (log2.log_start_offset, log2.log_end_offset) == (100, 101)
    assert [r[0] for r in read_all(log2)] == [100]
