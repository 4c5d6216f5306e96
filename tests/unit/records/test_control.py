from __future__ import annotations

import pytest

from moldau.protocol.records.batch import parse_header
from moldau.protocol.records.control import (
    ControlType,
    build_control_batch,
    control_key,
    control_type_of,
    end_txn_marker_value,
    parse_marker,
)
from moldau.protocol.records.errors import InvalidRecordError
from moldau.protocol.records.record import Record, iter_records


@pytest.mark.parametrize("kind", [ControlType.ABORT, ControlType.COMMIT])
def test_marker_batch(kind: ControlType) -> None:
    raw = build_control_batch(
        kind,
        producer_id=42,
        producer_epoch=3,
        coordinator_epoch=9,
        timestamp=1700,
        base_offset=77,
        partition_leader_epoch=4,
    )
    header = parse_header(raw)
    assert header.crc_ok() and header.is_control and header.is_transactional
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (42, 3, -1)
    assert (header.base_offset, header.partition_leader_epoch) == (77, 4)
    assert header.records_count == 1
    (rec,) = iter_records(raw)
    assert bytes(rec.key) == b"\x00\x00\x00" + bytes([kind])  # type: ignore[arg-type]
    assert bytes(rec.value) == b"\x00\x00\x00\x00\x00\x09"  # type: ignore[arg-type]
    marker = parse_marker(rec)
    assert (marker.type, marker.coordinator_epoch) == (kind, 9)
    assert rec.offset == 77 and rec.timestamp == 1700


def test_kafka_python_reads_our_marker() -> None:
    from kafka.record.default_records import DefaultRecordBatch

    raw = build_control_batch(
        ControlType.COMMIT, producer_id=1, producer_epoch=0, coordinator_epoch=5, timestamp=1
    )
    batch = DefaultRecordBatch(bytearray(raw))
    assert batch.validate_crc() and batch.is_control_batch
    (rec,) = list(batch)
    assert rec.commit and rec.version == 0


def test_bad_markers() -> None:
    def rec(key: bytes | None, value: bytes | None) -> Record:
        return Record(0, 0, key, value, [])

    with pytest.raises(InvalidRecordError):
        parse_marker(rec(b"\x00\x00", end_txn_marker_value(1)))
    with pytest.raises(InvalidRecordError):
        parse_marker(rec(None, end_txn_marker_value(1)))
    with pytest.raises(InvalidRecordError):
        parse_marker(rec(b"\xff\xff\x00\x01", end_txn_marker_value(1)))  # version -1
    with pytest.raises(InvalidRecordError):
        parse_marker(rec(control_key(2), end_txn_marker_value(1)))  # not COMMIT/ABORT
    with pytest.raises(InvalidRecordError):
        parse_marker(rec(control_key(1), b"\x00\x00\x00"))
    assert control_type_of(control_key(3)) == 3
    # A newer key/value version with extra bytes is still understood.
    marker = parse_marker(rec(b"\x00\x01\x00\x00extra", b"\x00\x01\x00\x00\x00\x02more"))
    assert (marker.type, marker.coordinator_epoch) == (ControlType.ABORT, 2)


def test_rejects_non_marker_type() -> None:
    with pytest.raises(ValueError):
        build_control_batch(5, producer_id=1, producer_epoch=0, coordinator_epoch=0, timestamp=0)
