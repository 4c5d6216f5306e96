"""validate_client_batch: one test per rule, with the Kafka error code each maps to."""

from __future__ import annotations

import struct

import pytest

from moldau.protocol.records.batch import rewrite_crc
from moldau.protocol.records.builder import BatchBuilder, assemble_batch, build_batch
from moldau.protocol.records.control import ControlType, build_control_batch
from moldau.protocol.records.errors import (
    CorruptRecordError,
    InvalidRecordError,
    RecordBatchError,
    RecordTooLargeError,
    UnsupportedCompressionError,
)
from moldau.protocol.records.validate import validate_client_batch


def _good(codec: int = 0, **kw: object) -> bytes:
    return build_batch([(1, b"k", b"v" * 50, []), (2, None, b"w", [])], compression=codec, **kw)


def _edit(raw: bytes, offset: int, fmt: str, value: int, fix_crc: bool = True) -> bytes:
    buf = bytearray(raw)
    struct.pack_into(fmt, buf, offset, value)
    if fix_crc:
        rewrite_crc(buf, 0)
    return bytes(buf)


@pytest.mark.parametrize("codec", [0, 1, 2, 3, 4])
def test_valid_batches_pass(codec: int) -> None:
    for buf in (_good(codec), bytearray(_good(codec)), memoryview(_good(codec))):
        header = validate_client_batch(buf)
        assert header.records_count == 2 and header.compression == codec


def test_idempotent_and_transactional_pass() -> None:
    raw = _good(producer_id=7, producer_epoch=0, base_sequence=0, transactional=True)
    assert validate_client_batch(raw).is_transactional


def _expect(raw: bytes | bytearray, cls: type[RecordBatchError], code: int, **kw: object) -> None:
    with pytest.raises(cls) as info:
        validate_client_batch(raw, **kw)  # type: ignore[arg-type]
    assert info.value.error_code == code


def test_crc_mismatch_is_corrupt_message() -> None:
    raw = bytearray(_good())
    raw[-1] ^= 0x40
    _expect(raw, CorruptRecordError, 2)


def test_count_not_last_offset_delta_plus_one() -> None:
    _expect(_edit(_good(), 23, ">i", 5), InvalidRecordError, 87)  # lastOffsetDelta


@pytest.mark.parametrize("count", [0, -1])
def test_count_not_positive(count: int) -> None:
    raw = assemble_batch(
        payload=b"",
        attributes=0,
        records_count=count,
        last_offset_delta=-1,
        base_timestamp=0,
        max_timestamp=0,
    )
    _expect(raw, InvalidRecordError, 87)


def test_control_batch_from_client() -> None:
    raw = build_control_batch(
        ControlType.COMMIT, producer_id=1, producer_epoch=0, coordinator_epoch=0, timestamp=1
    )
    _expect(raw, InvalidRecordError, 87)


def test_producer_id_without_sequence() -> None:
    _expect(_good(producer_id=5, producer_epoch=0, base_sequence=-1), InvalidRecordError, 87)


@pytest.mark.parametrize("magic", [0, 1, 3])
def test_wrong_magic(magic: int) -> None:
    _expect(_edit(_good(), 16, ">b", magic, fix_crc=False), InvalidRecordError, 87)


def test_trailing_bytes_and_two_batches() -> None:
    _expect(_good() + b"\0", InvalidRecordError, 87)
    _expect(_good() + _good(), InvalidRecordError, 87)


def test_partial_batch() -> None:
    raw = _good()
    _expect(raw[:-1], InvalidRecordError, 87)
    _expect(raw[:30], InvalidRecordError, 87)  # magic present, header cut
    _expect(raw[:16], InvalidRecordError, 87)  # no magic byte
    _expect(raw[:10], InvalidRecordError, 87)
    _expect(b"", InvalidRecordError, 87)


def test_batch_length_smaller_than_header() -> None:
    _expect(_edit(_good(), 8, ">i", 20, fix_crc=False), CorruptRecordError, 2)


def test_too_large() -> None:
    raw = _good()
    _expect(raw, RecordTooLargeError, 10, max_batch_size=len(raw) - 1)
    assert validate_client_batch(raw, max_batch_size=len(raw)).records_count == 2


def test_zstd_gate_and_unknown_codec() -> None:
    _expect(_good(4), UnsupportedCompressionError, 76, allow_zstd=False)
    assert validate_client_batch(_good(3), allow_zstd=False).compression == 3
    raw = _good()
    attrs = struct.unpack_from(">h", raw, 21)[0]
    _expect(_edit(raw, 21, ">h", attrs | 6), UnsupportedCompressionError, 76)


def test_uncompressed_count_cannot_fit() -> None:
    b = BatchBuilder()
    b.append(1, None, None)
    raw = b.build(last_offset_delta=9)  # claims 10 records in 7 bytes
    raw = _edit(raw, 57, ">i", 10)
    _expect(raw, InvalidRecordError, 87)


def test_does_not_look_at_records() -> None:
    # Garbage inside the compressed section passes: the hot path checks header + CRC only.
    raw = assemble_batch(
        payload=b"not gzip at all",
        attributes=1,
        records_count=1,
        last_offset_delta=0,
        base_timestamp=0,
        max_timestamp=0,
    )
    assert validate_client_batch(raw).compression == 1
