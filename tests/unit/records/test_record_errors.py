"""Malformed records inside a batch raise InvalidRecordError, never anything else."""

from __future__ import annotations

import pytest

from moldau.protocol.errors import ProtocolError, TruncatedError
from moldau.protocol.records.builder import assemble_batch
from moldau.protocol.records.errors import CorruptRecordError, InvalidRecordError
from moldau.protocol.records.record import (
    decode_records,
    encode_record,
    iter_records,
    put_varint,
    put_varlong,
)


def _batch(payload: bytes, count: int, codec: int = 0) -> bytes:
    return assemble_batch(
        payload=payload,
        attributes=codec,
        records_count=count,
        last_offset_delta=max(count - 1, 0),
        base_timestamp=0,
        max_timestamp=0,
    )


def _record(
    key: bytes | None = b"k",
    value: bytes | None = b"v",
    headers: list[tuple[str, bytes | None]] | None = None,
) -> bytes:
    out = bytearray()
    encode_record(out, 0, 0, key, value, headers or [])
    return bytes(out)


def _raw_record(body: bytes) -> bytes:
    out = bytearray()
    put_varint(out, len(body))
    return bytes(out) + body


def _varint(v: int) -> bytes:
    out = bytearray()
    put_varint(out, v)
    return bytes(out)


def _body(*parts: bytes) -> bytes:
    return b"".join(parts)


GOOD = _record()

CASES = {
    "count_too_high": (GOOD, 2),
    "count_too_low_trailing_bytes": (GOOD + GOOD, 1),
    "negative_count": (GOOD, -1),
    "negative_length": (_varint(-5) + GOOD[1:], 1),
    "length_past_end": (_varint(200) + GOOD[1:], 1),
    "length_too_small": (_varint(3) + b"\0\0\0", 1),
    "varint_too_long": (b"\xff\xff\xff\xff\xff\xff\x01" + b"\0" * 10, 1),
    "key_length_past_record": (_raw_record(_body(b"\0\0\0", _varint(50), b"\0\0\0")), 1),
    "key_length_minus_two": (_raw_record(_body(b"\0\0\0", _varint(-2), b"\0\0\0")), 1),
    "value_length_past_record": (_raw_record(_body(b"\0\0\0\x01", _varint(9), b"ab\0")), 1),
    "negative_header_count": (_raw_record(_body(b"\0\0\0\x01\x01", _varint(-1))), 1),
    "header_count_too_big": (_raw_record(_body(b"\0\0\0\x01\x01", _varint(1000), b"\0\0")), 1),
    "negative_header_key_length": (
        _raw_record(_body(b"\0\0\0\x01\x01", _varint(1), _varint(-1), b"\x01")),
        1,
    ),
    "header_key_not_utf8": (
        _raw_record(_body(b"\0\0\0\x01\x01", _varint(1), _varint(1), b"\xff", b"\x01")),
        1,
    ),
    "header_value_past_record": (
        _raw_record(_body(b"\0\0\0\x01\x01", _varint(1), _varint(1), b"a", _varint(7))),
        1,
    ),
    "bytes_left_inside_record": (_raw_record(_body(b"\0\0\0\x01\x01\0", b"extra")), 1),
    "varint_runs_past_record": (_raw_record(b"\0\0\0\x01\x01\x80"), 1),
}


@pytest.mark.parametrize("name", CASES)
def test_malformed_records(name: str) -> None:
    payload, count = CASES[name]
    with pytest.raises(InvalidRecordError) as info:
        list(iter_records(_batch(payload, count)))
    assert info.value.error_code == 87


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
def test_malformed_records_inside_compression(codec: int) -> None:
    from moldau.protocol.records.compression import compress

    payload = compress(codec, GOOD + b"junk")
    with pytest.raises(InvalidRecordError):
        list(iter_records(_batch(payload, 1, codec)))


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
def test_undecodable_compressed_section(codec: int) -> None:
    with pytest.raises(CorruptRecordError):
        list(iter_records(_batch(b"this is not compressed at all", 1, codec)))


def test_five_byte_varint_and_ten_byte_varlong_are_fine() -> None:
    body = bytearray(b"\0")
    put_varlong(body, -(2**62))  # 10 bytes
    body += b"\x00"  # offset delta 0
    body += b"\x01\x01\x00"  # null key, null value, no headers
    payload = _raw_record(bytes(body))
    (rec,) = decode_records(memoryview(payload), 1, 0, 2**62)
    assert rec.timestamp == 0 and rec.key is None and rec.value is None
    five = bytearray()
    put_varint(five, -(2**31))
    assert len(five) == 5


def test_short_or_wrong_magic_batches() -> None:
    good = _batch(GOOD, 1)
    with pytest.raises(TruncatedError):
        list(iter_records(good[:40]))
    with pytest.raises(CorruptRecordError):
        list(iter_records(good[:-1]))
    bad = bytearray(good)
    bad[16] = 1
    with pytest.raises(InvalidRecordError):
        list(iter_records(bytes(bad)))
    for cut in range(len(good)):
        with pytest.raises(ProtocolError):
            list(iter_records(good[:cut]))


def test_decoded_key_value_are_views_of_the_batch() -> None:
    raw = _batch(_record(b"key", b"value", [("a", b"1"), ("b", None)]), 1)
    (rec,) = iter_records(raw)
    assert isinstance(rec.key, memoryview) and rec.key.obj is raw
    assert rec.key == b"key" and rec.value == b"value"
    assert rec.headers == [("a", b"1"), ("b", None)]
