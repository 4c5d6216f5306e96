"""Compression of a record batch's records section (everything after the 61-byte header).

Codec ids are the low three bits of the batch attributes: 0 none, 1 gzip, 2 snappy, 3 lz4,
4 zstd. The compressed payload is one stream holding all records back to back.

Formats written (what the Java client writes, so every consumer can read our batches):

- gzip: one gzip member (RFC 1952). Reading accepts several concatenated members.
- snappy: the "xerial" framing of snappy-java's SnappyOutputStream:
      8 bytes  magic  82 'S' 'N' 'A' 'P' 'P' 'Y' 00
      int32    version (1), int32 minimum compatible version (1), both big-endian
      then blocks of [int32 big-endian compressed length][raw snappy block]
  each block holding at most 32 KiB of input. Reading also accepts a bare raw snappy block
  (what some non-Java clients write), recognised by the missing magic.
- lz4: the LZ4 frame format with Kafka's descriptor: version 1, independent blocks, no block
  or content checksum, no content size, 64 KiB maximum block:
      04 22 4D 18 | 60 40 82 | blocks [uint32 LE size, high bit = stored uncompressed][data]
      | 00 00 00 00 (end mark)
  Reading accepts any valid LZ4 frame (linked blocks, checksums, content size).
- zstd: one standard zstd frame.

Decompression bombs: every decoder writes into a buffer of bounded size and fails when the
output would not fit, so a few hundred hostile bytes can never make us allocate more than
`max_size` (the caller's limit). The buffer starts near the size the stream announces (gzip
ISIZE, zstd frame content size, lz4 content size, snappy preamble) when that is plausible,
else a small multiple of the input, and grows fourfold up to the limit.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from enum import IntEnum

import cramjam

from moldau.protocol.records.errors import (
    CorruptRecordError,
    RecordTooLargeError,
    UnsupportedCompressionError,
)


class Codec(IntEnum):
    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4


CODEC_NAMES = {"none": 0, "uncompressed": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def codec_from_config(compression_type: str) -> int | None:
    """The codec a topic's `compression.type` asks for; None for "producer" (keep the batch's).

    Kafka's values: producer (default), uncompressed, gzip, snappy, lz4, zstd; "none" is
    accepted too, as the producer-side name of the same thing.
    """
    value = compression_type.strip().lower()
    if value == "producer":
        return None
    try:
        return CODEC_NAMES[value]
    except KeyError:
        raise ValueError(f"unknown compression.type {compression_type!r}") from None


# A batch is at most a few MiB compressed; 64 MiB decompressed is far beyond anything a real
# producer sends yet bounded. Callers pass their own limit where they know better.
DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024

# Levels: Kafka's defaults (compression.gzip.level -1 = zlib's 6, compression.zstd.level 3).
GZIP_LEVEL = 6
ZSTD_LEVEL = 3

XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER = XERIAL_MAGIC + struct.pack(">ii", 1, 1)
_XERIAL_BLOCK = 32 * 1024

# Kafka's LZ4 frame descriptor: FLG 0x60 (version 01, independent blocks), BD 0x40 (64 KiB
# blocks), header checksum 0x82 = (xxh32(b"\x60\x40") >> 8) & 0xFF, fixed for this descriptor.
_LZ4_MAGIC = b"\x04\x22\x4d\x18"
_LZ4_HEADER = _LZ4_MAGIC + b"\x60\x40\x82"
_LZ4_BLOCK = 64 * 1024
_LZ4_END = b"\x00\x00\x00\x00"
_LZ4_STORED = 0x80000000

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

_I32 = struct.Struct(">i")
_U32LE = struct.Struct("<I")

_MIN_GUESS = 64 * 1024

Buffer = bytes | bytearray | memoryview


# -- compress --------------------------------------------------------------------------------


def compress(codec: int, data: Buffer) -> bytes:
    """The records section `data` compressed with `codec` in the format described above."""
    if codec == Codec.NONE:
        return bytes(data)
    if codec == Codec.GZIP:
        return bytes(cramjam.gzip.compress(data, level=GZIP_LEVEL))
    if codec == Codec.SNAPPY:
        return _xerial_compress(data)
    if codec == Codec.LZ4:
        return _lz4_compress(data)
    if codec == Codec.ZSTD:
        return bytes(cramjam.zstd.compress(data, level=ZSTD_LEVEL))
    raise UnsupportedCompressionError(f"unknown compression codec id {codec}")


def _xerial_compress(data: Buffer) -> bytes:
    mv = memoryview(data)
    out = [_XERIAL_HEADER]
    for start in range(0, len(mv), _XERIAL_BLOCK):
        block = bytes(cramjam.snappy.compress_raw(mv[start : start + _XERIAL_BLOCK]))
        out.append(_I32.pack(len(block)))
        out.append(block)
    return b"".join(out)


def _lz4_compress(data: Buffer) -> bytes:
    mv = memoryview(data)
    out = [_LZ4_HEADER]
    for start in range(0, len(mv), _LZ4_BLOCK):
        chunk = mv[start : start + _LZ4_BLOCK]
        block = bytes(cramjam.lz4.compress_block(chunk, store_size=False))
        if len(block) >= len(chunk):
            out.append(_U32LE.pack(len(chunk) | _LZ4_STORED))
            out.append(bytes(chunk))
        else:
            out.append(_U32LE.pack(len(block)))
            out.append(block)
    out.append(_LZ4_END)
    return b"".join(out)


# -- decompress ------------------------------------------------------------------------------


def decompress(
    codec: int, data: Buffer, max_size: int = DEFAULT_MAX_DECOMPRESSED
) -> memoryview | bytes:
    """The records section of a batch compressed with `codec`, at most `max_size` bytes.

    Raises `CorruptRecordError` for undecodable input, `RecordTooLargeError` when the output
    would pass `max_size`, `UnsupportedCompressionError` for an unknown codec id.
    """
    if codec == Codec.NONE:
        if len(data) > max_size:
            raise RecordTooLargeError(f"records section of {len(data)} bytes exceeds {max_size}")
        return data if isinstance(data, memoryview) else memoryview(data)
    if codec == Codec.GZIP:
        return _bounded(cramjam.gzip.decompress_into, data, _gzip_hint(data), max_size, "gzip")
    if codec == Codec.SNAPPY:
        return _snappy_decompress(data, max_size)
    if codec == Codec.LZ4:
        return _bounded(cramjam.lz4.decompress_into, data, _lz4_hint(data), max_size, "lz4")
    if codec == Codec.ZSTD:
        return _bounded(cramjam.zstd.decompress_into, data, _zstd_hint(data), max_size, "zstd")
    raise UnsupportedCompressionError(f"unknown compression codec id {codec}")


def _short_output(exc: Exception) -> bool:
    # cramjam reports an output buffer that is too small with this text (2.8 - 2.11 at least);
    # anything else is corrupt input. If the wording ever changes we only retry more often.
    msg = str(exc)
    return "failed to write whole buffer" in msg or "smaller than required" in msg


def _bounded(
    into: Callable[[Buffer, bytearray], int],
    data: Buffer,
    hint: int | None,
    max_size: int,
    name: str,
) -> memoryview:
    n_in = len(data)
    if n_in == 0:
        raise CorruptRecordError(f"empty {name} stream")
    if hint is not None and hint <= 1024 * n_in + _MIN_GUESS:
        size = hint
    else:
        size = max(4 * n_in, _MIN_GUESS)
    size = max(0, min(size, max_size))
    while True:
        out = bytearray(size)
        try:
            n = into(data, out)
        except cramjam.DecompressionError as exc:
            if not _short_output(exc):
                raise CorruptRecordError(f"invalid {name} data: {exc}") from None
            if size >= max_size:
                raise RecordTooLargeError(
                    f"{name} data decompresses to more than {max_size} bytes"
                ) from None
            size = min(max(size * 4, _MIN_GUESS), max_size)
            continue
        except (ValueError, OverflowError, TypeError) as exc:  # defensive: foreign buffers
            raise CorruptRecordError(f"invalid {name} data: {exc}") from None
        return memoryview(out)[:n]


def _gzip_hint(data: Buffer) -> int | None:
    # ISIZE: the last 4 bytes of a gzip member, the input size modulo 2**32.
    if len(data) < 18:
        return None
    return int(_U32LE.unpack_from(data, len(data) - 4)[0])


def _lz4_hint(data: Buffer) -> int | None:
    if len(data) < 15 or bytes(data[:4]) != _LZ4_MAGIC:
        return None
    flg = data[4]
    if not flg & 0x08:  # no content size field
        return None
    return int.from_bytes(bytes(data[6:14]), "little")


def _zstd_hint(data: Buffer) -> int | None:
    if len(data) < 6 or bytes(data[:4]) != _ZSTD_MAGIC:
        return None
    fhd = data[4]
    fcs_flag = fhd >> 6
    single_segment = (fhd >> 5) & 1
    dict_size = (0, 1, 2, 4)[fhd & 3]
    pos = 5 + (0 if single_segment else 1) + dict_size
    fcs_size = (1 if single_segment else 0, 2, 4, 8)[fcs_flag]
    if fcs_size == 0 or pos + fcs_size > len(data):
        return None
    value = int.from_bytes(bytes(data[pos : pos + fcs_size]), "little")
    return value + 256 if fcs_size == 2 else value


def _snappy_decompress(data: Buffer, max_size: int) -> memoryview:
    mv = data if isinstance(data, memoryview) else memoryview(data)
    if len(mv) >= 16 and bytes(mv[:8]) == XERIAL_MAGIC:
        blocks = _xerial_blocks(mv)
    else:
        blocks = [mv]
    # First pass: the uncompressed size of every block, from its varint preamble, checked
    # against the limit before any output is allocated.
    sizes = []
    total = 0
    for block in blocks:
        try:
            size = int(cramjam.snappy.decompress_raw_len(block))
        except cramjam.DecompressionError as exc:
            raise CorruptRecordError(f"invalid snappy data: {exc}") from None
        total += size
        if total > max_size:
            raise RecordTooLargeError(f"snappy data decompresses to more than {max_size} bytes")
        sizes.append(size)
    out = bytearray(total)
    view = memoryview(out)
    pos = 0
    for block, size in zip(blocks, sizes):
        try:
            n = cramjam.snappy.decompress_raw_into(block, view[pos : pos + size])
        except cramjam.DecompressionError as exc:
            raise CorruptRecordError(f"invalid snappy data: {exc}") from None
        if n != size:
            raise CorruptRecordError("snappy block shorter than its announced length")
        pos += size
    return view


def _xerial_blocks(mv: memoryview) -> list[memoryview]:
    blocks = []
    pos = 16
    end = len(mv)
    while pos < end:
        if pos + 4 > end:
            raise CorruptRecordError("xerial snappy block length truncated")
        (n,) = _I32.unpack_from(mv, pos)
        pos += 4
        if n < 0 or n > end - pos:
            raise CorruptRecordError(f"xerial snappy block length {n} out of range")
        if n:
            blocks.append(mv[pos : pos + n])
        pos += n
    return blocks
