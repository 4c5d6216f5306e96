"""Builder -> iterator round trips for every codec, and CRC integrity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moldau.protocol.records.batch import (
    HEADER_SIZE,
    BatchHeader,
    iter_batches,
    parse_header,
    set_base_offset,
    set_log_append_time,
    set_partition_leader_epoch,
)
from moldau.protocol.records.builder import BatchBuilder, build_batch
from moldau.protocol.records.record import iter_records
from moldau.protocol.records.validate import recompress_batch, validate_client_batch

from .strategies import CODECS, producer_fields, records


def _expected(recs):  # type: ignore[no-untyped-def]
    return [(i, ts, k, v, list(h)) for i, (ts, k, v, h) in enumerate(recs)]


def _actual(batch):  # type: ignore[no-untyped-def]
    out = []
    for r in iter_records(batch):
        key = None if r.key is None else bytes(r.key)
        value = None if r.value is None else bytes(r.value)
        out.append((r.offset, r.timestamp, key, value, r.headers))
    return out


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CODECS), records, producer_fields, st.booleans(), st.integers(0, 2**40))
def test_build_then_iterate(codec, recs, producer, transactional, base_offset):  # type: ignore[no-untyped-def]
    pid, epoch, seq = producer
    raw = build_batch(
        recs,
        compression=codec,
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        transactional=transactional and pid >= 0,
    )
    header = validate_client_batch(raw)
    assert header.compression == codec
    assert header.records_count == len(recs) == header.last_offset_delta + 1
    assert header.base_timestamp == recs[0][0]
    assert header.max_timestamp == max(r[0] for r in recs)
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == producer
    assert header.is_transactional == (transactional and pid >= 0)
    assert _actual(raw) == _expected(recs)

    # The broker's in-place edits keep the batch valid and shift every offset.
    buf = bytearray(raw)
    set_base_offset(buf, 0, base_offset)
    set_partition_leader_epoch(buf, 0, 7)
    h2 = parse_header(buf)
    assert h2.crc_ok() and h2.partition_leader_epoch == 7
    assert [r.offset for r in iter_records(h2)] == [base_offset + i for i in range(len(recs))]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(CODECS), st.sampled_from(CODECS), records)
def test_recompress_keeps_everything(src, dst, recs):  # type: ignore[no-untyped-def]
    raw = bytearray(
        build_batch(recs, compression=src, producer_id=3, producer_epoch=1, base_sequence=10)
    )
    set_base_offset(raw, 0, 1234)
    set_partition_leader_epoch(raw, 0, 5)
    out = recompress_batch(raw, dst)
    old, new = parse_header(raw), parse_header(out)
    assert new.crc_ok() and new.compression == dst
    for field in (
        "base_offset",
        "partition_leader_epoch",
        "last_offset_delta",
        "base_timestamp",
        "max_timestamp",
        "producer_id",
        "producer_epoch",
        "base_sequence",
        "records_count",
    ):
        assert getattr(new, field) == getattr(old, field), field
    assert new.attributes & ~7 == old.attributes & ~7
    assert _actual(out) == _actual(raw)


def test_log_append_time_overrides_record_timestamps() -> None:
    raw = bytearray(build_batch([(10, b"k", b"v", []), (20, None, b"w", [])]))
    set_log_append_time(raw, 0, 99_999)
    header = parse_header(raw)
    assert header.crc_ok() and header.is_log_append_time
    assert [r.timestamp for r in iter_records(header)] == [99_999, 99_999]


def test_builder_option_for_log_append_time() -> None:
    b = BatchBuilder(log_append_time=5000)
    b.append(1, b"a", b"b")
    header = parse_header(b.build())
    assert header.is_log_append_time and header.max_timestamp == 5000


def test_offset_gaps_and_last_offset_delta() -> None:
    b = BatchBuilder(base_offset=100)
    b.append(1, b"a", b"1", offset_delta=0)
    b.append(2, b"b", b"2", offset_delta=5)
    raw = b.build(last_offset_delta=9)
    header = parse_header(raw)
    assert header.last_offset_delta == 9 and header.records_count == 2
    assert [r.offset for r in iter_records(raw)] == [100, 105]
    with pytest.raises(ValueError):
        b.append(3, b"c", b"3", offset_delta=5)


def test_empty_batch() -> None:
    raw = BatchBuilder().build()
    header = parse_header(raw)
    assert len(raw) == HEADER_SIZE and header.records_count == 0 and header.crc_ok()
    assert header.base_timestamp == -1 and header.max_timestamp == -1
    assert list(iter_records(raw)) == []


def test_negative_timestamp_delta() -> None:
    raw = build_batch([(1000, None, b"a", []), (400, None, b"b", [])])
    assert [r.timestamp for r in iter_records(raw)] == [1000, 400]
    assert parse_header(raw).max_timestamp == 1000


def test_iter_batches_over_a_log() -> None:
    batches = [build_batch([(i, None, b"x" * i, [])], compression=i % 5) for i in range(1, 6)]
    log = bytearray()
    for i, b in enumerate(batches):
        b = bytearray(b)
        set_base_offset(b, 0, i)
        log += b
    log += batches[0][:30]  # partial tail is not a batch
    seen = list(iter_batches(memoryview(log)))
    assert [h.base_offset for h in seen] == [0, 1, 2, 3, 4]
    assert all(isinstance(h, BatchHeader) and h.crc_ok() for h in seen)


@pytest.mark.parametrize("codec", CODECS)
def test_every_flipped_bit_in_crc_range_is_detected(codec: int) -> None:
    raw = build_batch([(5, b"key", b"value" * 20, [("h", b"v")])] * 3, compression=codec)
    assert parse_header(raw).crc_ok()
    for byte in range(21, len(raw)):
        for bit in (0, 3, 7):
            bad = bytearray(raw)
            bad[byte] ^= 1 << bit
            assert not BatchHeader(memoryview(bad)).crc_ok(), (byte, bit)


def test_large_values_round_trip() -> None:
    big = bytes(range(256)) * 4096  # 1 MiB
    for codec in CODECS:
        raw = build_batch([(1, b"k", big, [("x", big[:1000])])], compression=codec)
        (rec,) = iter_records(raw)
        assert bytes(rec.value) == big and rec.headers == [("x", big[:1000])]  # type: ignore[arg-type]
