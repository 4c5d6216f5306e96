"""Records inside a v2 batch: decoding (this module) and encoding (`encode_record`).

After the 61-byte header (decompressed first when the batch has a codec) come `records count`
records back to back, each:

    length          varint   bytes that follow in this record
    attributes      int8     unused, 0
    timestampDelta  varlong  record timestamp - batch base timestamp
    offsetDelta     varint   record offset - batch base offset
    keyLength       varint   -1 = null key
    key             bytes
    valueLength     varint   -1 = null value
    value           bytes
    headerCount     varint
    headers         headerCount x [keyLength varint >= 0, key UTF-8,
                                   valueLength varint (-1 = null), value]

Varints are zig-zag encoded, 7 bits a byte, least significant group first: at most 5 bytes
for a varint, 10 for a varlong.

Every length is checked against the bytes of its record before anything is sliced or
allocated; a record must use exactly its `length` bytes, and the batch exactly `records count`
records. Any violation raises `InvalidRecordError` (INVALID_RECORD), a `ProtocolError`.
Keys and values come back as memoryview slices (no copy); header values as bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from moldau.protocol.records.batch import (
    ATTR_COMPRESSION_MASK,
    ATTR_TIMESTAMP_TYPE,
    HEADER_SIZE,
    BatchHeader,
    parse_header,
)
from moldau.protocol.records.compression import DEFAULT_MAX_DECOMPRESSED, decompress
from moldau.protocol.records.errors import InvalidRecordError

Header = tuple[str, bytes | None]

# length(1) + attributes(1) + timestampDelta(1) + offsetDelta(1) + key len(1) + value len(1)
# + header count(1): the smallest possible record.
MIN_RECORD_SIZE = 7


@dataclass(slots=True)
class Record:
    """One decoded record; `offset` and `timestamp` are absolute (base + delta)."""

    offset: int
    timestamp: int
    key: memoryview | bytes | None
    value: memoryview | bytes | None
    headers: list[Header] = field(default_factory=list)


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    """A zig-zag varint (<= 5 bytes) at `pos`, bounded by `end`: (value, next position)."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise InvalidRecordError("varint runs past the end of its record")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            result &= 0xFFFFFFFF
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 28:
            raise InvalidRecordError("varint longer than 5 bytes")


def _varlong(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    """A zig-zag varlong (<= 10 bytes) at `pos`, bounded by `end`."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise InvalidRecordError("varlong runs past the end of its record")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            result &= 0xFFFFFFFFFFFFFFFF
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise InvalidRecordError("varlong longer than 10 bytes")


def decode_records(
    payload: memoryview,
    count: int,
    base_offset: int = 0,
    base_timestamp: int = 0,
    log_append_time: int | None = None,
) -> Iterator[Record]:
    """Records from an uncompressed records section holding exactly `count` of them.

    `log_append_time`, when given, replaces every record's timestamp (a LogAppendTime batch
    reports its max timestamp for all records, as Kafka does).
    """
    buf = payload
    end = len(buf)
    if count < 0:
        raise InvalidRecordError(f"negative record count {count}")
    if count * MIN_RECORD_SIZE > end:
        raise InvalidRecordError(f"{count} records cannot fit in {end} bytes")
    pos = 0
    varint = _varint
    index = 0
    try:
        for index in range(count):
            # Single-byte varints (the common case) are decoded inline. A read past the end
            # of the record is caught by the bounds checks below or by the final
            # `pos != rec_end` check; one past the buffer raises IndexError, turned into
            # InvalidRecordError at the bottom.
            b = buf[pos]
            if b < 0x80:
                length = (b >> 1) ^ -(b & 1)
                pos += 1
            else:
                length, pos = varint(buf, pos, end)
            if length < MIN_RECORD_SIZE - 1 or length > end - pos:
                raise InvalidRecordError(
                    f"record {index}: length {length} invalid with {end - pos} bytes left"
                )
            rec_end = pos + length
            # attributes (length >= 6 so this byte exists), then the timestamp delta
            b = buf[pos + 1]
            if b < 0x80:
                ts_delta = (b >> 1) ^ -(b & 1)
                pos += 2
            else:
                ts_delta, pos = _varlong(buf, pos + 1, rec_end)
            b = buf[pos]
            if b < 0x80:
                offset_delta = (b >> 1) ^ -(b & 1)
                pos += 1
            else:
                offset_delta, pos = varint(buf, pos, rec_end)

            b = buf[pos]
            if b < 0x80:
                n = (b >> 1) ^ -(b & 1)
                pos += 1
            else:
                n, pos = varint(buf, pos, rec_end)
            if n < 0:
                if n != -1:
                    raise InvalidRecordError(f"record {index}: key length {n}")
                key = None
            else:
                if n > rec_end - pos:
                    raise InvalidRecordError(f"record {index}: key length {n} past record end")
                key = buf[pos : pos + n]
                pos += n

            n, pos = varint(buf, pos, rec_end)
            if n < 0:
                if n != -1:
                    raise InvalidRecordError(f"record {index}: value length {n}")
                value = None
            else:
                if n > rec_end - pos:
                    raise InvalidRecordError(f"record {index}: value length {n} past record end")
                value = buf[pos : pos + n]
                pos += n

            headers: list[Header] = []
            b = buf[pos]
            if b == 0:
                pos += 1
            else:
                n_headers, pos = varint(buf, pos, rec_end)
                if n_headers < 0 or 2 * n_headers > rec_end - pos:
                    raise InvalidRecordError(f"record {index}: header count {n_headers} invalid")
                for _ in range(n_headers):
                    n, pos = varint(buf, pos, rec_end)
                    if n < 0 or n > rec_end - pos:
                        raise InvalidRecordError(f"record {index}: header key length {n}")
                    try:
                        hkey = str(buf[pos : pos + n], "utf-8")
                    except UnicodeDecodeError:
                        raise InvalidRecordError(f"record {index}: header key not UTF-8") from None
                    pos += n
                    n, pos = varint(buf, pos, rec_end)
                    if n < 0:
                        if n != -1:
                            raise InvalidRecordError(f"record {index}: header value length {n}")
                        headers.append((hkey, None))
                    else:
                        if n > rec_end - pos:
                            raise InvalidRecordError(f"record {index}: header value length {n}")
                        headers.append((hkey, bytes(buf[pos : pos + n])))
                        pos += n
            if pos != rec_end:
                raise InvalidRecordError(
                    f"record {index}: {rec_end - pos} bytes left over inside the record"
                    if pos < rec_end
                    else f"record {index}: fields run {pos - rec_end} bytes past the record"
                )
            yield Record(
                base_offset + offset_delta,
                base_timestamp + ts_delta if log_append_time is None else log_append_time,
                key,
                value,
                headers,
            )
    except IndexError:
        raise InvalidRecordError(f"record {index} runs past the end of the records") from None
    if pos != end:
        raise InvalidRecordError(f"{end - pos} bytes after the last of {count} records")


def records_payload(
    header: BatchHeader, max_decompressed: int = DEFAULT_MAX_DECOMPRESSED
) -> memoryview:
    """The batch's records section, decompressed when needed (bounded by `max_decompressed`)."""
    start = header.offset + HEADER_SIZE
    raw = memoryview(header.buf)[start : header.offset + header.total_size]
    codec = header.attributes & ATTR_COMPRESSION_MASK
    if codec == 0:
        return raw
    out = decompress(codec, raw, max_decompressed)
    return out if isinstance(out, memoryview) else memoryview(out)


def iter_records(
    batch: BatchHeader | bytes | bytearray | memoryview,
    *,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
) -> Iterator[Record]:
    """The records of one batch (a parsed header, or the batch's bytes).

    Does not check the CRC (call `BatchHeader.crc_ok` or `validate_client_batch` for that);
    every structural problem raises a `ProtocolError` subclass.
    """
    header = batch if isinstance(batch, BatchHeader) else parse_header(batch)
    if header.records_count < 0:
        raise InvalidRecordError(f"negative record count {header.records_count}")
    payload = records_payload(header, max_decompressed)
    lat = header.max_timestamp if header.attributes & ATTR_TIMESTAMP_TYPE else None
    return decode_records(
        payload, header.records_count, header.base_offset, header.base_timestamp, lat
    )


# -- encoding ------------------------------------------------------------------------------


def _put_uvarint(out: bytearray, v: int) -> None:
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def put_varint(out: bytearray, v: int) -> None:
    """Append a zig-zag varint (32-bit)."""
    _put_uvarint(out, ((v << 1) ^ (v >> 31)) & 0xFFFFFFFF)


def put_varlong(out: bytearray, v: int) -> None:
    """Append a zig-zag varlong (64-bit)."""
    _put_uvarint(out, ((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF)


def encode_record(
    out: bytearray,
    offset_delta: int,
    timestamp_delta: int,
    key: bytes | bytearray | memoryview | None,
    value: bytes | bytearray | memoryview | None,
    headers: Sequence[tuple[str, bytes | bytearray | memoryview | None]] = (),
) -> None:
    """Append one record (length prefix included) to `out`."""
    body = bytearray(b"\x00")  # attributes
    put_varlong(body, timestamp_delta)
    put_varint(body, offset_delta)
    if key is None:
        body.append(1)  # zig-zag(-1)
    else:
        put_varint(body, len(key))
        body += key
    if value is None:
        body.append(1)
    else:
        put_varint(body, len(value))
        body += value
    put_varint(body, len(headers))
    for hkey, hvalue in headers:
        kb = hkey.encode("utf-8")
        put_varint(body, len(kb))
        body += kb
        if hvalue is None:
            body.append(1)
        else:
            put_varint(body, len(hvalue))
            body += hvalue
    put_varint(out, len(body))
    out += body
