"""Checks on a Produce request's records blob, and recompression to another codec.

`validate_client_batch` is on the produce hot path. It parses the 61-byte header, checks the
sizes and the CRC, and walks the records' length varints; it never builds record objects
(DESIGN.md, "bytes stay bytes"). The rules are the ones Kafka applies to a client's magic-2
batch:

- the blob is exactly one batch of magic 2 (nothing before, after, or partial);
- batch length at least a v2 header, and not above `max_batch_size` (message.max.bytes);
- CRC-32C over [attributes, end) matches                            -> CORRUPT_MESSAGE (2)
- a known codec, and zstd only where the request version allows it  -> UNSUPPORTED_COMPRESSION_TYPE
- not a control batch (only the broker writes those);
- records count > 0 and equal to lastOffsetDelta + 1;
- a producer id >= 0 comes with a base sequence >= 0;
- the records section holds exactly `records count` records: each record's length varint
  is a plausible length (>= 6, the smallest record body) and the lengths, walked one after
  the other, land exactly on the end of the section (a record running past it, bytes left
  over, or too few records are rejected)                            -> INVALID_RECORD (87)

Compressed batches are decompressed for that walk (Kafka decompresses and iterates them too),
into a buffer bounded by `max_decompressed` (the decompression-bomb guard of compression.py):
undecodable data is CORRUPT_MESSAGE, a section decompressing past the bound MESSAGE_TOO_LARGE.
Measured in bench/validate_bench.py (docs/idempotence.md has the figures): the walk costs
about 0.15-0.2 us a record in CPython, decompressing a 16 KiB section 8-50 us by codec.

`keyless_records` decodes the records fully; the broker calls it only for compacted topics,
where Kafka refuses records without a key.

Each failure raises a `RecordBatchError` subclass whose `error_code` is the Kafka error code.
"""

from __future__ import annotations

import struct

from moldau.protocol.errors import ProtocolError
from moldau.protocol.primitives import read_uvarint
from moldau.protocol.records.batch import (
    ATTR_COMPRESSION_MASK,
    ATTR_CONTROL,
    CRC_START,
    HEADER_SIZE,
    LOG_OVERHEAD,
    MAGIC_V2,
    BatchHeader,
    as_byte_view,
    crc32c,
    parse_header,
)
from moldau.protocol.records.builder import assemble_batch
from moldau.protocol.records.compression import (
    DEFAULT_MAX_DECOMPRESSED,
    Codec,
    compress,
)
from moldau.protocol.records.errors import (
    CorruptRecordError,
    InvalidRecordError,
    RecordTooLargeError,
    UnsupportedCompressionError,
)
from moldau.protocol.records.record import MIN_RECORD_SIZE, decode_records, records_payload

# A record body is at least attributes, timestamp delta, offset delta, key and value lengths
# and header count (one byte each); its zig-zag encoded length is twice that.
_MIN_BODY_ZIGZAG = 2 * (MIN_RECORD_SIZE - 1)

_MAGIC_OFFSET = 16
_I32 = struct.Struct(">i")


def validate_client_batch(
    buf: bytes | bytearray | memoryview,
    *,
    max_batch_size: int | None = None,
    allow_zstd: bool = True,
    walk_records: bool = True,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
) -> BatchHeader:
    """The header of the single batch in a client's records blob, after Kafka's checks.

    `max_batch_size` is the topic's message.max.bytes (None: no limit); `allow_zstd` is False
    for Produce versions below 7. `walk_records=False` skips the record-length walk, for a
    caller that decodes every record next anyway (`keyless_records` checks all the walk does).
    `max_decompressed` bounds the decompressed records section of a compressed batch.
    """
    mv = as_byte_view(buf)
    size = len(mv)
    if size <= _MAGIC_OFFSET:
        raise InvalidRecordError(f"records of {size} bytes hold no record batch")
    (batch_length,) = _I32.unpack_from(mv, 8)
    if batch_length < HEADER_SIZE - LOG_OVERHEAD:
        raise CorruptRecordError(f"batch length {batch_length} is smaller than the v2 header")
    total = batch_length + LOG_OVERHEAD
    if total > size:
        raise InvalidRecordError(f"record batch of {total} bytes but only {size} bytes sent")
    magic = mv[_MAGIC_OFFSET]
    if magic != MAGIC_V2:
        raise InvalidRecordError(f"record batch magic {magic}; produce needs magic 2")
    if total < size:
        raise InvalidRecordError(
            f"{size - total} bytes after the record batch; produce takes exactly one batch"
        )
    header = BatchHeader(mv, 0)
    if max_batch_size is not None and total > max_batch_size:
        raise RecordTooLargeError(
            f"record batch of {total} bytes is larger than the maximum {max_batch_size}"
        )
    if crc32c(mv[CRC_START:total]) != header.crc:
        raise CorruptRecordError("record batch CRC-32C mismatch")
    codec = header.attributes & ATTR_COMPRESSION_MASK
    if codec > Codec.ZSTD:
        raise UnsupportedCompressionError(f"unknown compression codec id {codec}")
    if codec == Codec.ZSTD and not allow_zstd:
        raise UnsupportedCompressionError("zstd needs Produce version 7 or later")
    if header.attributes & ATTR_CONTROL:
        raise InvalidRecordError("clients may not write control batches")
    count = header.records_count
    if count <= 0:
        raise InvalidRecordError(f"record count {count} must be positive")
    if header.last_offset_delta + 1 != count:
        raise InvalidRecordError(
            f"record count {count} does not match last offset delta {header.last_offset_delta}"
        )
    if header.producer_id >= 0 and header.base_sequence < 0:
        raise InvalidRecordError(
            f"producer id {header.producer_id} with invalid base sequence {header.base_sequence}"
        )
    if codec == Codec.NONE:
        section, start, end = mv, HEADER_SIZE, total
    elif walk_records:
        section = records_payload(header, max_decompressed)
        start, end = 0, len(section)
    else:
        return header  # nothing to look at without decompressing
    if count * MIN_RECORD_SIZE > end - start:
        raise InvalidRecordError(f"{count} records cannot fit in {end - start} bytes of records")
    if walk_records:
        walk_record_lengths(section, start, end, count)
    return header


def walk_record_lengths(buf: memoryview, pos: int, end: int, count: int) -> None:
    """Check that `count` records, each a zig-zag varint length and then that many bytes,
    fill `buf[pos:end]` exactly. Raises `InvalidRecordError` (INVALID_RECORD).

    The produce hot path runs this for every batch, so it is one loop over the length
    varints that allocates nothing per record; the fields inside a record are not decoded
    (`decode_records` does that where records are needed). Lengths are never negative here,
    so `pos` only grows: a record running past `end` is caught by the final comparison, or
    as an IndexError when `buf` ends at `end`. The caller bounds `count` (at most one record
    per MIN_RECORD_SIZE bytes), so the loop is bounded by the bytes received.
    """
    start = pos
    index = 0
    try:
        for index in range(count):
            n = buf[pos]
            if n < 0x80:  # lengths below 64: one byte
                pos += 1
            else:
                n = (n & 0x7F) | (buf[pos + 1] << 7)
                if n < 0x4000:  # lengths below 8192: two bytes
                    pos += 2
                else:
                    try:
                        n, pos = read_uvarint(buf, pos, end)
                    except ProtocolError as exc:  # truncated, or longer than 5 bytes
                        raise InvalidRecordError(f"record {index}: length {exc}") from None
            # odd: a negative length (zig-zag); below the minimum: no room for the fields
            if n & 1 or n < _MIN_BODY_ZIGZAG:
                length = (n >> 1) ^ -(n & 1)
                raise InvalidRecordError(f"record {index} has an invalid length {length}")
            pos += n >> 1
    except IndexError:
        raise InvalidRecordError(
            f"record {index} runs past the end of the {end - start} bytes of records"
        ) from None
    if pos != end:
        raise InvalidRecordError(
            f"{end - pos} bytes left after the last of {count} records"
            if pos < end
            else f"the {count} records run {pos - end} bytes past the end of the batch"
        )


def keyless_records(
    header: BatchHeader, max_decompressed: int = DEFAULT_MAX_DECOMPRESSED
) -> list[int]:
    """Positions in the batch (0-based) of the records with a null key.

    Decodes every record (decompressing first when needed, bounded by `max_decompressed`),
    so it also raises `InvalidRecordError` for everything `walk_record_lengths` would catch
    and for malformed fields inside a record. Only compacted topics need it: there Kafka
    refuses a batch holding a record without a key (INVALID_RECORD, one record error each).
    """
    payload = records_payload(header, max_decompressed)
    return [
        i
        for i, record in enumerate(decode_records(payload, header.records_count))
        if record.key is None
    ]


def recompress_batch(
    buf: bytes | bytearray | memoryview | BatchHeader,
    codec: int,
    *,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
) -> bytes:
    """The same batch with its records section in `codec` (a topic's compression.type).

    Offsets, timestamps, producer fields, leader epoch and the other attribute bits stay as
    they are; the records are decoded once to check they match the header before being
    written out again. Raises `ProtocolError`s for malformed input.
    """
    header = buf if isinstance(buf, BatchHeader) else parse_header(buf)
    if not 0 <= codec <= Codec.ZSTD:
        raise UnsupportedCompressionError(f"unknown compression codec id {codec}")
    old_codec = header.attributes & ATTR_COMPRESSION_MASK
    if old_codec > Codec.ZSTD:
        raise UnsupportedCompressionError(f"unknown compression codec id {old_codec}")
    payload = records_payload(header, max_decompressed)
    for _ in decode_records(payload, header.records_count):
        pass
    new_payload = compress(codec, payload) if codec != Codec.NONE else payload
    return assemble_batch(
        payload=new_payload,
        attributes=(header.attributes & ~ATTR_COMPRESSION_MASK) | codec,
        records_count=header.records_count,
        last_offset_delta=header.last_offset_delta,
        base_timestamp=header.base_timestamp,
        max_timestamp=header.max_timestamp,
        base_offset=header.base_offset,
        partition_leader_epoch=header.partition_leader_epoch,
        producer_id=header.producer_id,
        producer_epoch=header.producer_epoch,
        base_sequence=header.base_sequence,
    )
