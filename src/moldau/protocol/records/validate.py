"""Checks on a Produce request's records blob, and recompression to another codec.

`validate_client_batch` is on the produce hot path, so it looks only at the 61-byte header,
the sizes and the CRC: it never decompresses or walks the records (DESIGN.md, "bytes stay
bytes"). The rules are the ones Kafka applies to a client's magic-2 batch:

- the blob is exactly one batch of magic 2 (nothing before, after, or partial);
- batch length at least a v2 header, and not above `max_batch_size` (message.max.bytes);
- CRC-32C over [attributes, end) matches                            -> CORRUPT_MESSAGE (2)
- a known codec, and zstd only where the request version allows it  -> UNSUPPORTED_COMPRESSION_TYPE
- not a control batch (only the broker writes those);
- records count > 0 and equal to lastOffsetDelta + 1;
- a producer id >= 0 comes with a base sequence >= 0;
- an uncompressed batch has room for `records count` minimal records. -> INVALID_RECORD (87)

Each failure raises a `RecordBatchError` subclass whose `error_code` is the Kafka error code.
"""

from __future__ import annotations

import struct

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

_MAGIC_OFFSET = 16
_I32 = struct.Struct(">i")


def validate_client_batch(
    buf: bytes | bytearray | memoryview,
    *,
    max_batch_size: int | None = None,
    allow_zstd: bool = True,
) -> BatchHeader:
    """The header of the single batch in a client's records blob, after Kafka's checks.

    `max_batch_size` is the topic's message.max.bytes (None: no limit); `allow_zstd` is False
    for Produce versions below 7.
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
    if codec == Codec.NONE and count * MIN_RECORD_SIZE > total - HEADER_SIZE:
        raise InvalidRecordError(
            f"{count} records cannot fit in {total - HEADER_SIZE} bytes of records"
        )
    return header


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
