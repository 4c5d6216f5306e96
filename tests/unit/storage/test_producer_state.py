"""Producer-state rules of Kafka 4.x (CLIENTS.md section 4.2), each rule on its own."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from moldau.common.clock import ManualClock
from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.records.batch import parse_header
from moldau.protocol.records.builder import build_batch
from moldau.storage.producer_state import (
    INT32_MAX,
    NUM_BATCHES_TO_RETAIN,
    InvalidProducerEpoch,
    OutOfOrderSequence,
    ProducerStateManager,
    last_sequence,
)


@dataclass
class Hdr:
    """The header fields producer state reads, settable by hand."""

    producer_id: int
    producer_epoch: int
    base_sequence: int
    last_offset_delta: int = 0
    base_offset: int = 0
    max_timestamp: int = 1_700_000_000_000
    is_transactional: bool = False
    is_control: bool = False


class FakeLog:
    """Assigns consecutive offsets; can be told to fail the next append."""

    def __init__(self) -> None:
        self.next_offset = 0
        self.appended: list[Hdr] = []
        self.fail = False

    def append(self, h: Hdr) -> int:
        if self.fail:
            raise OSError("disk full")
        h.base_offset = self.next_offset
        self.next_offset += h.last_offset_delta + 1
        self.appended.append(h)
        return h.base_offset


def produce(state: ProducerStateManager, log: FakeLog, h: Hdr):
    return state.check_and_update(h, lambda: log.append(h))


@pytest.fixture
def state() -> ProducerStateManager:
    return ProducerStateManager(None)


@pytest.fixture
def log() -> FakeLog:
    return FakeLog()


def test_unknown_producer_accepts_any_sequence_and_epoch(state, log):
    out = produce(state, log, Hdr(7, 3, 4242, last_offset_delta=2))
    assert (out.base_offset, out.last_offset, out.duplicate) == (0, 2, False)
    assert state.producers[7].epoch == 3
    assert state.producers[7].last_seq == 4244
    # the next batch must follow on
    out = produce(state, log, Hdr(7, 3, 4245))
    assert out.base_offset == 3


def test_in_sequence_batches_are_appended(state, log):
    for i in range(20):
        out = produce(state, log, Hdr(1, 0, i * 3, last_offset_delta=2))
        assert out.base_offset == i * 3 and not out.duplicate
    assert len(log.appended) == 20
    assert len(state.producers[1].batches) == NUM_BATCHES_TO_RETAIN


def test_duplicate_of_each_retained_batch_returns_original_offsets(state, log):
    for i in range(8):
        produce(state, log, Hdr(1, 0, i * 2, last_offset_delta=1, max_timestamp=100 + i))
    appended = len(log.appended)
    # the last 5 batches (i = 3..7) are retained: each retry answers its original offsets
    for i in range(3, 8):
        out = produce(state, log, Hdr(1, 0, i * 2, last_offset_delta=1))
        assert out.duplicate
        assert (out.base_offset, out.last_offset) == (i * 2, i * 2 + 1)
        assert out.timestamp == 100 + i
    assert len(log.appended) == appended


def test_duplicate_that_fell_out_of_the_cache_is_out_of_order(state, log):
    for i in range(6):
        produce(state, log, Hdr(1, 0, i))
    with pytest.raises(OutOfOrderSequence) as exc:
        produce(state, log, Hdr(1, 0, 0))
    assert exc.value.error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER == 45


def test_partial_overlap_is_not_a_duplicate(state, log):
    produce(state, log, Hdr(1, 0, 0, last_offset_delta=4))
    with pytest.raises(OutOfOrderSequence):
        produce(state, log, Hdr(1, 0, 0, last_offset_delta=2))  # same first seq, other last


def test_gap_is_out_of_order(state, log):
    produce(state, log, Hdr(1, 0, 0, last_offset_delta=4))
    with pytest.raises(OutOfOrderSequence):
        produce(state, log, Hdr(1, 0, 6))
    # nothing changed: the right next sequence still goes in
    assert produce(state, log, Hdr(1, 0, 5)).base_offset == 5


def test_older_epoch_is_invalid_producer_epoch(state, log):
    produce(state, log, Hdr(1, 5, 0))
    with pytest.raises(InvalidProducerEpoch) as exc:
        produce(state, log, Hdr(1, 4, 1))
    assert exc.value.error_code == ErrorCode.INVALID_PRODUCER_EPOCH == 47


def test_epoch_check_comes_before_sequence_check(state, log):
    produce(state, log, Hdr(1, 5, 0))
    with pytest.raises(InvalidProducerEpoch):
        produce(state, log, Hdr(1, 4, 99))  # also out of sequence, but the epoch wins


def test_duplicate_check_comes_first_but_needs_the_same_epoch(state, log):
    produce(state, log, Hdr(1, 5, 0))
    produce(state, log, Hdr(1, 6, 0))  # bump
    # same (first, last) as the epoch-5 batch, but epoch 5 is old now: fenced, not duplicate
    with pytest.raises(InvalidProducerEpoch):
        produce(state, log, Hdr(1, 5, 0))


def test_bumped_epoch_must_start_at_zero(state, log):
    produce(state, log, Hdr(1, 0, 0, last_offset_delta=9))
    with pytest.raises(OutOfOrderSequence):
        produce(state, log, Hdr(1, 1, 10))
    out = produce(state, log, Hdr(1, 1, 0))
    assert not out.duplicate
    assert state.producers[1].epoch == 1
    assert len(state.producers[1].batches) == 1  # the new epoch starts a fresh history


def test_sequence_wraps_after_int32_max(state, log):
    produce(state, log, Hdr(1, 0, INT32_MAX - 1, last_offset_delta=1))
    assert state.producers[1].last_seq == INT32_MAX
    assert produce(state, log, Hdr(1, 0, 0)).base_offset == 2
    # a batch that itself crosses the wrap
    assert last_sequence(INT32_MAX - 1, 3) == 1


def test_failed_append_changes_nothing(state, log):
    produce(state, log, Hdr(1, 0, 0))
    log.fail = True
    with pytest.raises(OSError):
        produce(state, log, Hdr(1, 0, 1))
    log.fail = False
    assert state.producers[1].last_seq == 0
    assert produce(state, log, Hdr(1, 0, 1)).base_offset == 1


def test_check_is_pure(state, log):
    produce(state, log, Hdr(1, 0, 0))
    before = repr(state.producers[1])
    assert state.check(1, 0, 1, 1) is None
    assert state.check(2, 0, 17, 17) is None
    assert repr(state.producers[1]) == before and 2 not in state.producers


def test_producers_are_independent(state, log):
    produce(state, log, Hdr(1, 0, 0))
    produce(state, log, Hdr(2, 0, 100))
    produce(state, log, Hdr(1, 0, 1))
    produce(state, log, Hdr(2, 0, 101))
    assert state.producers[1].last_offset == 2 and state.producers[2].last_offset == 3


def test_batches_without_producer_id_pass_and_move_the_map_end(state, log):
    out = produce(state, log, Hdr(-1, -1, -1, last_offset_delta=3))
    assert out.base_offset == 0 and not out.duplicate
    assert state.producers == {} and state.map_end_offset == 4


def test_expiry_forgets_idle_producers():
    clock = ManualClock(start_ms=1_000_000)
    state = ProducerStateManager(None, producer_id_expiration_ms=60_000, clock=clock)
    log = FakeLog()
    produce(state, log, Hdr(1, 0, 0, max_timestamp=clock.now_ms()))
    produce(state, log, Hdr(2, 0, 0, max_timestamp=clock.now_ms() + 30_000))
    clock.advance(59_999)
    assert state.remove_expired() == 0
    clock.advance(1)
    assert state.remove_expired() == 1
    assert list(state.producers) == [2]
    # an expired producer is unknown again: any sequence goes in
    assert not produce(state, log, Hdr(1, 0, 500)).duplicate


def test_real_batch_headers(state):
    """The manager reads records.batch.BatchHeader as built by the records builder."""
    raw = bytearray(
        build_batch(
            [(1000 + i, b"k", b"v", []) for i in range(3)],
            producer_id=42,
            producer_epoch=2,
            base_sequence=10,
        )
    )
    next_offset = 100

    def append() -> int:
        return next_offset

    header = parse_header(raw)
    out = state.check_and_update(header, append)
    assert (out.base_offset, out.last_offset) == (100, 102)
    entry = state.producers[42]
    assert (entry.epoch, entry.last_seq, entry.last_offset, entry.last_timestamp) == (
        2,
        12,
        102,
        1002,
    )
    again = state.check_and_update(parse_header(raw), append)
    assert again.duplicate and again.base_offset == 100
