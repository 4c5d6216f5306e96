"""validate_client_batch: one test per rule, with the Kafka error code each maps to."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moldau.protocol.records.batch import parse_header, rewrite_crc
from moldau.protocol.records.builder import BatchBuilder, assemble_batch, build_batch
from moldau.protocol.records.compression import compress
from moldau.protocol.records.control import ControlType, build_control_batch
from moldau.protocol.records.errors import (
    CorruptRecordError,
    InvalidRecordError,
    RecordBatchError,
    RecordTooLargeError,
    UnsupportedCompressionError,
)
from moldau.protocol.records.record import decode_records, encode_record
from moldau.protocol.records.validate import (
    keyless_records,
    validate_client_batch,
    walk_record_lengths,
)


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


def test_garbage_compressed_section_is_corrupt_message() -> None:
    # Compressed batches are decompressed to walk their records: undecodable data is refused.
    raw = assemble_batch(
        payload=b"not gzip at all",
        attributes=1,
        records_count=1,
        last_offset_delta=0,
        base_timestamp=0,
        max_timestamp=0,
    )
    _expect(raw, CorruptRecordError, 2)
    # ...unless the caller decodes the records itself (walk_records=False).
    assert validate_client_batch(raw, walk_records=False).compression == 1


# ---------------------------------------------------------------- the record-length walk


def _records(*values: bytes | None, keys: tuple[bytes | None, ...] | None = None) -> bytes:
    """A records section (no header) of records with these values."""
    out = bytearray()
    for i, value in enumerate(values):
        key = keys[i] if keys is not None else b"k"
        encode_record(out, i, 0, key, value)
    return bytes(out)


def _batch_of_section(section: bytes, count: int, codec: int = 0) -> bytes:
    """A batch around a records section as given (right or wrong), with a valid CRC."""
    return assemble_batch(
        payload=compress(codec, section) if codec else section,
        attributes=codec,
        records_count=count,
        last_offset_delta=count - 1,
        base_timestamp=0,
        max_timestamp=0,
    )


@pytest.mark.parametrize("codec", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("size", [0, 50, 100, 9000, 70_000])
def test_walk_accepts_every_length_varint_size(codec: int, size: int) -> None:
    # 1-byte (< 64), 2-byte (< 8192) and 3-byte record lengths, null values too
    section = _records(b"x" * size, None, b"y" * size, b"")
    assert validate_client_batch(_batch_of_section(section, 4, codec)).records_count == 4


def _lengths_edited(section: bytes, index: int, delta: int) -> bytes:
    """The section with record `index`'s single-byte length varint moved by `delta` bytes."""
    buf = bytearray(section)
    pos = 0
    for _ in range(index):
        assert buf[pos] < 0x80
        pos += 1 + (buf[pos] >> 1)
    assert buf[pos] < 0x80
    buf[pos] += 2 * delta  # zig-zag: +2 is one byte longer
    return bytes(buf)


@pytest.mark.parametrize("codec", [0, 1, 3])
@pytest.mark.parametrize(
    ("index", "delta"),
    [(0, 1), (0, -1), (1, 1), (1, -1), (2, 1), (2, -1), (2, 20)],
    ids=["first+1", "first-1", "mid+1", "mid-1", "last+1", "last-1", "last-past-end"],
)
def test_a_record_length_off_by_any_bytes_is_invalid_record(
    codec: int, index: int, delta: int
) -> None:
    section = _lengths_edited(_records(b"a" * 10, b"b" * 12, b"c" * 14), index, delta)
    _expect(_batch_of_section(section, 3, codec), InvalidRecordError, 87)


def test_negative_and_too_short_lengths_are_invalid_record() -> None:
    section = bytearray(_records(b"a" * 10, b"b" * 10))
    for bad in (0x01, 0x03, 0x00, 0x0A):  # -1, -2, 0, 5: no record body is that short
        section[0] = bad
        _expect(_batch_of_section(bytes(section), 2), InvalidRecordError, 87)


def test_bytes_left_over_or_records_missing_are_invalid_record() -> None:
    three = _records(b"a" * 10, b"b" * 10, b"c" * 10)
    _expect(_batch_of_section(three, 2), InvalidRecordError, 87)  # one record too many
    _expect(_batch_of_section(three + b"\0" * 7, 3), InvalidRecordError, 87)  # trailing zeros
    _expect(_batch_of_section(three, 4), InvalidRecordError, 87)  # one too few
    _expect(_batch_of_section(three + b"\0" * 7, 3, codec=3), InvalidRecordError, 87)


def test_length_varint_of_more_than_five_bytes_is_invalid_record() -> None:
    section = b"\xff\xff\xff\xff\xff\x01" + b"\0" * 20
    _expect(_batch_of_section(section, 1), InvalidRecordError, 87)


def test_compressed_section_past_the_bound_is_message_too_large() -> None:
    raw = _batch_of_section(_records(b"z" * 100_000), 1, codec=4)
    _expect(raw, RecordTooLargeError, 10, max_decompressed=50_000)
    assert validate_client_batch(raw, max_decompressed=200_000).records_count == 1


def test_walk_records_false_skips_the_walk() -> None:
    raw = _batch_of_section(_records(b"a" * 10, b"b" * 10) + b"\0" * 9, 2)
    _expect(raw, InvalidRecordError, 87)
    assert validate_client_batch(raw, walk_records=False).records_count == 2


@settings(max_examples=300, deadline=None)
@given(
    section=st.one_of(
        st.binary(max_size=200),
        st.lists(st.binary(max_size=120), min_size=1, max_size=8).map(lambda vs: _records(*vs)),
    ),
    count=st.integers(1, 10),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=3),
)
def test_walk_rejects_only_what_a_full_decode_rejects_too(
    section: bytes, count: int, flips: list[tuple[int, int]]
) -> None:
    """The walk is a cheaper subset of `decode_records`: whatever decodes passes the walk,
    and on any bytes the walk either returns or raises InvalidRecordError."""
    buf = bytearray(section)
    for pos, value in flips:
        if buf:
            buf[pos % len(buf)] = value
    mv = memoryview(bytes(buf))
    try:
        for _ in decode_records(mv, count):
            pass
        decoded = True
    except InvalidRecordError:
        decoded = False
    try:
        walk_record_lengths(mv, 0, len(mv), count)
        walked = True
    except InvalidRecordError:
        walked = False
    assert walked or not decoded


def test_walk_of_a_buffer_longer_than_the_section() -> None:
    # A view that goes on past `end`: overruns are caught by the final position check.
    section = _lengths_edited(_records(b"a" * 10, b"b" * 10), 1, 3)
    mv = memoryview(section + b"\0" * 100)
    with pytest.raises(InvalidRecordError):
        walk_record_lengths(mv, 0, len(section), 2)
    good = _records(b"a" * 10, b"b" * 10)
    walk_record_lengths(memoryview(good + b"\0" * 100), 0, len(good), 2)


# ---------------------------------------------------------------- keys (compacted topics)


@pytest.mark.parametrize("codec", [0, 1, 2, 3, 4])
def test_keyless_records_names_each_record_without_a_key(codec: int) -> None:
    section = _records(b"v", b"v", b"v", None, keys=(b"k", None, b"", None))
    header = parse_header(_batch_of_section(section, 4, codec))
    assert keyless_records(header) == [1, 3]  # an empty key is a key
    keyed = _records(b"v", None, keys=(b"a", b"b"))
    assert keyless_records(parse_header(_batch_of_section(keyed, 2, codec))) == []


def test_keyless_records_checks_the_records_too() -> None:
    section = _records(b"a" * 10, b"b" * 10) + b"\0" * 7
    with pytest.raises(InvalidRecordError):
        keyless_records(parse_header(_batch_of_section(section, 2)))
