"""Producer-state snapshots and recovery: the state after a restart equals the state before."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moldau.common.clock import ManualClock
from moldau.storage import producer_snapshot as snap
from moldau.storage.producer_state import (
    OutOfOrderSequence,
    ProducerStateManager,
)
from tests.unit.storage.test_producer_state import FakeLog, Hdr, produce

NOW = 1_700_000_000_000


def batches_from(log: FakeLog):
    def read(offset: int):
        for h in log.appended:
            if h.base_offset + h.last_offset_delta >= offset:
                yield h

    return read


def dump(state: ProducerStateManager) -> dict:
    return {pid: (e.epoch, e.last_timestamp, list(e.batches)) for pid, e in state.producers.items()}


def fill(
    state: ProducerStateManager, log: FakeLog, producers: int, batches: int, start: int = 0
) -> None:
    """`batches` in-sequence batches of 2 records from each producer, from batch `start` on."""
    for i in range(start, start + batches):
        for pid in range(producers):
            produce(state, log, Hdr(pid, 1, i * 2, last_offset_delta=1, max_timestamp=NOW + i))


def new_state(tmp_path, clock=None, expiration=86_400_000) -> ProducerStateManager:
    return ProducerStateManager(
        str(tmp_path), producer_id_expiration_ms=expiration, clock=clock or ManualClock(NOW)
    )


# ------------------------------------------------------------------ the file format

entry_st = st.tuples(
    st.integers(0, 2**63 - 1),
    st.integers(-1, 2**15 - 1),
    st.integers(-1, 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-1, 2**63 - 1),
    st.lists(
        st.tuples(
            st.integers(0, 2**31 - 1),
            st.integers(0, 2**31 - 1),
            st.integers(0, 2**63 - 1),
            st.integers(0, 2**31 - 1),
            st.integers(-(2**63), 2**63 - 1),
        ),
        max_size=5,
    ),
)


@given(st.lists(entry_st, max_size=20))
def test_encode_decode_round_trip(entries):
    assert snap.decode(snap.encode(entries)) == entries


@given(st.lists(entry_st, min_size=1, max_size=5), st.data())
def test_any_single_bit_flip_or_truncation_is_detected(entries, data):
    raw = bytearray(snap.encode(entries))
    pos = data.draw(st.integers(0, len(raw) - 1))
    flipped = bytearray(raw)
    flipped[pos] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(snap.CorruptSnapshot):
        snap.decode(flipped)
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(snap.CorruptSnapshot):
        snap.decode(raw[:cut])


def test_huge_entry_count_is_rejected_without_looping():
    raw = bytearray(snap.encode([]))
    raw[10:14] = (2**31 - 1).to_bytes(4, "big")
    import crc32c

    raw[6:10] = crc32c.crc32c(bytes(raw[10:])).to_bytes(4, "big")
    with pytest.raises(snap.CorruptSnapshot, match="does not fit"):
        snap.decode(raw)


def test_names_are_20_digit_offsets(tmp_path):
    assert snap.snapshot_name(1234) == "00000000000000001234.snapshot"
    assert snap.offset_of("00000000000000001234.snapshot") == 1234
    assert snap.offset_of("00000000000000001234.snapshot.tmp") is None
    assert snap.offset_of("00000000000000001234.log") is None
    (tmp_path / "00000000000000000007.snapshot").write_bytes(snap.encode([]))
    (tmp_path / "00000000000000000003.snapshot").write_bytes(snap.encode([]))
    (tmp_path / "00000000000000000003.log").write_bytes(b"")
    assert snap.list_snapshots(str(tmp_path)) == [3, 7]


# ------------------------------------------------------------------ restart and rebuild


def test_snapshot_then_reload_gives_the_same_state(tmp_path):
    state, log = new_state(tmp_path), FakeLog()
    fill(state, log, producers=3, batches=7)
    path = state.take_snapshot()
    assert path is not None and os.path.basename(path) == snap.snapshot_name(log.next_offset)
    assert state.take_snapshot() is None  # already there for this offset

    restarted = new_state(tmp_path)
    replayed = restarted.recover(0, log.next_offset, batches_from(log))
    assert replayed == 0
    assert dump(restarted) == dump(state)
    assert restarted.map_end_offset == log.next_offset


def test_rebuild_from_the_log_tail_after_the_last_snapshot(tmp_path):
    state, log = new_state(tmp_path), FakeLog()
    fill(state, log, producers=2, batches=3)
    state.take_snapshot()  # a segment roll
    fill_more = [Hdr(0, 1, 6, last_offset_delta=1), Hdr(5, 0, 40)]
    for h in fill_more:
        produce(state, log, h)
    # kill -9: no snapshot at shutdown
    restarted = new_state(tmp_path)
    assert restarted.recover(0, log.next_offset, batches_from(log)) == 2
    assert dump(restarted) == dump(state)
    # and the rules hold after the restart: a retry is a duplicate, a gap is rejected
    assert produce(restarted, log, Hdr(5, 0, 40)).duplicate
    with pytest.raises(OutOfOrderSequence):
        produce(restarted, log, Hdr(0, 1, 9))


def test_rebuild_without_any_snapshot_replays_everything(tmp_path):
    state, log = new_state(tmp_path), FakeLog()
    fill(state, log, producers=4, batches=6)
    restarted = new_state(tmp_path)
    assert restarted.recover(0, log.next_offset, batches_from(log)) == 24
    assert dump(restarted) == dump(state)


def test_corrupt_newest_snapshot_falls_back_to_an_older_one(tmp_path):
    state, log = new_state(tmp_path), FakeLog()
    fill(state, log, producers=2, batches=2)
    state.take_snapshot()
    fill(state, log, producers=2, batches=1, start=2)
    newest = state.take_snapshot()
    assert newest is not None
    with open(newest, "r+b") as f:
        f.seek(20)
        f.write(b"\xff\xff")
    restarted = new_state(tmp_path)
    assert restarted.recover(0, log.next_offset, batches_from(log)) == 2
    assert dump(restarted) == dump(state)
    assert not os.path.exists(newest)


def test_truncation_reloads_from_a_snapshot_below_the_new_end(tmp_path):
    state, log = new_state(tmp_path), FakeLog()
    fill(state, log, producers=1, batches=2)  # offsets 0..3
    state.take_snapshot()  # at 4
    expected = dump(state)
    produce(state, log, Hdr(0, 1, 4, last_offset_delta=1))  # offsets 4..5
    state.take_snapshot()  # at 6
    # a follower truncates back to 4: the later batch is gone
    del log.appended[-1]
    log.next_offset = 4
    state.recover(0, 4, batches_from(log))
    assert dump(state) == expected
    assert state.snapshot_offsets() == [4]
    # the truncated batch is not a duplicate any more: it goes in again at 4
    out = produce(state, log, Hdr(0, 1, 4, last_offset_delta=1))
    assert not out.duplicate and out.base_offset == 4


def test_log_start_offset_moves_keep_state_but_drop_old_snapshots_on_reload(tmp_path):
    state, log = new_state(tmp_path), FakeLog()
    produce(state, log, Hdr(1, 0, 0))  # offset 0
    state.take_snapshot()  # at 1
    produce(state, log, Hdr(2, 0, 0))  # offset 1
    state.take_snapshot()  # at 2
    # retention deletes offset 0 (producer 1's only batch): Kafka keeps the entry ...
    state.on_log_start_offset_incremented(1)
    assert 1 in state.producers
    state.truncate_and_reload(1, 2)
    assert 1 in state.producers
    # ... but the snapshot at/below the log start is deleted, and a reload from the later
    # snapshot still has both producers (it was taken when both were known)
    assert state.snapshot_offsets() == [2]
    restarted = new_state(tmp_path)
    restarted.recover(1, 2, batches_from(log))
    assert set(restarted.producers) == {1, 2}


def test_state_is_lost_when_all_snapshots_are_below_the_log_start(tmp_path):
    """Kafka deletes snapshots at or below the log start on reload; a producer whose batches
    were all deleted is then unknown (and accepted at any sequence)."""
    state, log = new_state(tmp_path), FakeLog()
    produce(state, log, Hdr(1, 0, 0))
    produce(state, log, Hdr(1, 0, 1))
    state.take_snapshot()  # at 2
    restarted = new_state(tmp_path)
    restarted.recover(2, 2, batches_from(log))  # everything deleted by retention
    assert restarted.producers == {} and restarted.snapshot_offsets() == []
    assert not produce(restarted, log, Hdr(1, 0, 77)).duplicate


def test_expired_producers_are_not_loaded_from_a_snapshot(tmp_path):
    clock = ManualClock(NOW)
    state, log = new_state(tmp_path, clock, expiration=1000), FakeLog()
    produce(state, log, Hdr(1, 0, 0, max_timestamp=NOW))
    produce(state, log, Hdr(2, 0, 0, max_timestamp=NOW + 900))
    state.take_snapshot()
    clock.advance(1000)
    restarted = new_state(tmp_path, clock, expiration=1000)
    restarted.recover(0, log.next_offset, batches_from(log))
    assert list(restarted.producers) == [2]


def test_truncate_fully_forgets_everything(tmp_path):
    state, log = new_state(tmp_path), FakeLog()
    fill(state, log, producers=2, batches=2)
    state.take_snapshot()
    state.truncate_fully_and_start_at(100)
    assert state.producers == {} and state.snapshot_offsets() == [] and state.map_end_offset == 100


def test_delete_snapshots_before(tmp_path):
    state, log = new_state(tmp_path), FakeLog()
    for i in range(4):
        fill(state, log, producers=1, batches=1, start=i)
        state.take_snapshot()
    assert state.snapshot_offsets() == [2, 4, 6, 8]
    state.delete_snapshots_before(6)
    assert state.snapshot_offsets() == [6, 8]
