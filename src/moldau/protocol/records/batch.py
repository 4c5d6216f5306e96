"""Record batch v2 (magic 2): a zero-copy view of the 61-byte header, and in-place edits.

Layout of the header (big-endian), as written on the wire and stored in segment files:

    off size field
      0   8  base offset              assigned by the broker's log on append
      8   4  batch length             bytes after this field; whole batch = length + 12
     12   4  partition leader epoch   set by the broker; NOT covered by the CRC
     16   1  magic                    2
     17   4  crc                      CRC-32C of bytes [21, end of batch)
     21   2  attributes               bits 0-2 codec, 3 timestamp type (1 = LogAppendTime),
                                      4 transactional, 5 control, 6 delete horizon set
     23   4  last offset delta
     27   8  base timestamp
     35   8  max timestamp
     43   8  producer id              -1 when not idempotent
     51   2  producer epoch
     53   4  base sequence
     57   4  records count
     61   .. records (compressed as one stream when the codec is not 0)

The broker only ever parses this header on the hot path; records are decoded only where Kafka
must (compaction, recompression).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import crc32c as _crc32c

from moldau.protocol.errors import TruncatedError
from moldau.protocol.records.errors import CorruptRecordError, InvalidRecordError

HEADER_SIZE = 61
LOG_OVERHEAD = 12  # base offset + batch length: the part not counted in batch length
MAGIC_V2 = 2
CRC_START = 21

ATTR_COMPRESSION_MASK = 0x07
ATTR_TIMESTAMP_TYPE = 0x08
ATTR_TRANSACTIONAL = 0x10
ATTR_CONTROL = 0x20
ATTR_DELETE_HORIZON = 0x40

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1

_HEADER = struct.Struct(">qiibIhiqqqhii")
_I64 = struct.Struct(">q")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
_I16 = struct.Struct(">h")


def crc32c(data: bytes | bytearray | memoryview) -> int:
    """CRC-32C (Castagnoli), hardware accelerated where the CPU has it."""
    return _crc32c.crc32c(data)  # type: ignore[no-any-return]


class BatchHeader:
    """The decoded header of one batch at `offset` in `buf` (a tuple unpack; no record bytes)."""

    __slots__ = (
        "buf",
        "offset",
        "base_offset",
        "batch_length",
        "partition_leader_epoch",
        "magic",
        "crc",
        "attributes",
        "last_offset_delta",
        "base_timestamp",
        "max_timestamp",
        "producer_id",
        "producer_epoch",
        "base_sequence",
        "records_count",
    )

    def __init__(self, buf: memoryview, offset: int = 0) -> None:
        self.buf = buf
        self.offset = offset
        (
            self.base_offset,
            self.batch_length,
            self.partition_leader_epoch,
            self.magic,
            self.crc,
            self.attributes,
            self.last_offset_delta,
            self.base_timestamp,
            self.max_timestamp,
            self.producer_id,
            self.producer_epoch,
            self.base_sequence,
            self.records_count,
        ) = _HEADER.unpack_from(buf, offset)

    @property
    def total_size(self) -> int:
        return self.batch_length + LOG_OVERHEAD

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def compression(self) -> int:
        return self.attributes & ATTR_COMPRESSION_MASK

    @property
    def is_log_append_time(self) -> bool:
        return bool(self.attributes & ATTR_TIMESTAMP_TYPE)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & ATTR_TRANSACTIONAL)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & ATTR_CONTROL)

    @property
    def last_sequence(self) -> int:
        if self.base_sequence == NO_SEQUENCE:
            return NO_SEQUENCE
        seq = self.base_sequence + self.last_offset_delta
        return seq - 0x80000000 if seq > 0x7FFFFFFF else seq

    def view(self) -> memoryview:
        """The whole batch, header included (no copy)."""
        return self.buf[self.offset : self.offset + self.total_size]

    def crc_ok(self) -> bool:
        start = self.offset + CRC_START
        end = self.offset + self.total_size
        if end > len(self.buf):
            return False
        return crc32c(self.buf[start:end]) == self.crc


def as_byte_view(buf: bytes | bytearray | memoryview) -> memoryview:
    """A flat unsigned-byte memoryview of `buf` (no copy), whatever its original format."""
    mv = buf if isinstance(buf, memoryview) else memoryview(buf)
    if mv.format != "B" or mv.ndim != 1:
        mv = mv.cast("B")
    return mv


def parse_header(buf: bytes | bytearray | memoryview, offset: int = 0) -> BatchHeader:
    """The header of the batch at `offset`, checked to be a whole magic-2 batch in `buf`.

    Unlike the bare `BatchHeader(...)` (the hot path, for callers that already know the bytes
    are there), this raises `ProtocolError`s: `TruncatedError` for fewer than 61 bytes,
    `InvalidRecordError` for another magic, `CorruptRecordError` for a batch length smaller
    than a header or running past the buffer.
    """
    mv = as_byte_view(buf)
    if offset < 0 or len(mv) - offset < HEADER_SIZE:
        raise TruncatedError(
            f"record batch header needs {HEADER_SIZE} bytes, {max(0, len(mv) - offset)} present"
        )
    header = BatchHeader(mv, offset)
    if header.magic != MAGIC_V2:
        raise InvalidRecordError(f"record batch magic {header.magic}, only 2 is supported")
    if header.batch_length < HEADER_SIZE - LOG_OVERHEAD:
        raise CorruptRecordError(
            f"batch length {header.batch_length} is smaller than the v2 header"
        )
    if header.batch_length + LOG_OVERHEAD > len(mv) - offset:
        raise CorruptRecordError(
            f"batch of {header.batch_length + LOG_OVERHEAD} bytes runs past the "
            f"{len(mv) - offset} bytes present"
        )
    return header


def iter_batches(buf: memoryview, offset: int = 0, end: int | None = None) -> Iterator[BatchHeader]:
    """Headers of consecutive complete batches; stops at a partial or implausible tail.

    Only sizes are checked here (callers that need integrity call `crc_ok`). A batch whose
    length field is smaller than a v2 header, or runs past `end`, ends the iteration.
    """
    if end is None:
        end = len(buf)
    while offset + HEADER_SIZE <= end:
        header = BatchHeader(buf, offset)
        size = header.batch_length + LOG_OVERHEAD
        if header.batch_length < HEADER_SIZE - LOG_OVERHEAD or offset + size > end:
            return
        yield header
        offset += size


def set_base_offset(buf: bytearray | memoryview, offset: int, base_offset: int) -> None:
    """Assign the batch's base offset in place (outside the CRC, so no recompute)."""
    _I64.pack_into(buf, offset, base_offset)


def set_partition_leader_epoch(buf: bytearray | memoryview, offset: int, epoch: int) -> None:
    """Stamp the leader epoch in place (outside the CRC, so no recompute)."""
    _I32.pack_into(buf, offset + 12, epoch)


def set_log_append_time(buf: bytearray | memoryview, offset: int, timestamp_ms: int) -> None:
    """Switch a batch to LogAppendTime: max timestamp and attribute bit 3, then a fresh CRC."""
    (attrs,) = _I16.unpack_from(buf, offset + 21)
    _I16.pack_into(buf, offset + 21, attrs | ATTR_TIMESTAMP_TYPE)
    _I64.pack_into(buf, offset + 35, timestamp_ms)
    rewrite_crc(buf, offset)


def rewrite_crc(buf: bytearray | memoryview, offset: int) -> None:
    (length,) = _I32.unpack_from(buf, offset + 8)
    end = offset + length + LOG_OVERHEAD
    mv = memoryview(buf)
    _U32.pack_into(buf, offset + 17, crc32c(mv[offset + CRC_START : end]))
