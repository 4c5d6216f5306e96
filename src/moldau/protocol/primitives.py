"""Primitive Kafka wire types: a `Reader` over a memoryview and a `Writer` over a bytearray.

Every integer is big-endian. Varints are protobuf-style (7 bits a byte, least significant
group first); signed varints/varlongs are zig-zag encoded. "Compact" strings, bytes and arrays
(flexible versions) carry an unsigned varint of length + 1, with 0 meaning null; the classic
forms carry an int16 (strings) or int32 (bytes, arrays) length with -1 meaning null.

Safety rules that the generated code relies on:
- every length or count is checked against the bytes actually left *before* anything is
  allocated, so a hostile prefix cannot make us allocate gigabytes;
- running off the end raises `TruncatedError`, never `struct.error` or `IndexError`;
- `records` and `bytes` values are returned as memoryview slices of the input: no copy.

The `Writer` keeps small values in one bytearray and keeps large buffers (record batches,
possibly memoryviews of mmapped segment files) by reference, spliced in by `chunks()`, so a
Fetch response can be written to a socket with `writelines()` without copying the records.

The generated codec (protocol/_generated) does not call the Reader/Writer methods on its hot
path: it works on `buf`/`pos`/`end` directly and falls back to the flat `read_*`/`write_*`
helpers at the end of this module for the less common cases.
"""

from __future__ import annotations

import builtins
import struct
import uuid
from typing import Any

from moldau.protocol.errors import (
    InvalidLengthError,
    InvalidVarintError,
    ProtocolError,
    TruncatedError,
)

_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_U16 = struct.Struct(">H")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
_I64 = struct.Struct(">q")
_F64 = struct.Struct(">d")

ZERO_UUID = uuid.UUID(int=0)

# Buffers at least this large are appended to a Writer as their own chunk instead of copied.
ZERO_COPY_THRESHOLD = 4096


class Reader:
    """Sequential reader over a buffer. `pos` is public so generated code can inline reads."""

    __slots__ = ("buf", "pos", "end")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0, end: int | None = None):
        buf = self.buf = data if data.__class__ is memoryview else memoryview(data)
        self.pos = pos
        self.end = len(buf) if end is None else end

    def remaining(self) -> int:
        return self.end - self.pos

    def _take(self, n: int) -> int:
        p = self.pos
        if n < 0:
            raise InvalidLengthError(f"negative length {n}")
        if p + n > self.end:
            raise TruncatedError(f"need {n} bytes at offset {p}, only {self.end - p} left")
        self.pos = p + n
        return p

    # -- fixed width --------------------------------------------------------------------
    def int8(self) -> int:
        return _I8.unpack_from(self.buf, self._take(1))[0]  # type: ignore[no-any-return]

    def bool(self) -> builtins.bool:
        return self.buf[self._take(1)] != 0

    def int16(self) -> int:
        return _I16.unpack_from(self.buf, self._take(2))[0]  # type: ignore[no-any-return]

    def uint16(self) -> int:
        return _U16.unpack_from(self.buf, self._take(2))[0]  # type: ignore[no-any-return]

    def int32(self) -> int:
        return _I32.unpack_from(self.buf, self._take(4))[0]  # type: ignore[no-any-return]

    def uint32(self) -> int:
        return _U32.unpack_from(self.buf, self._take(4))[0]  # type: ignore[no-any-return]

    def int64(self) -> int:
        return _I64.unpack_from(self.buf, self._take(8))[0]  # type: ignore[no-any-return]

    def float64(self) -> float:
        return _F64.unpack_from(self.buf, self._take(8))[0]  # type: ignore[no-any-return]

    def uuid(self) -> uuid.UUID:
        p = self._take(16)
        return uuid.UUID(bytes=bytes(self.buf[p : p + 16]))

    # -- varints ------------------------------------------------------------------------
    def uvarint(self) -> int:
        """Unsigned varint of at most 5 bytes (32 bits)."""
        buf, p, end = self.buf, self.pos, self.end
        result = 0
        shift = 0
        while True:
            if p >= end:
                raise TruncatedError("varint runs past the end of the buffer")
            b = buf[p]
            p += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 28:
                raise InvalidVarintError("unsigned varint longer than 5 bytes")
        self.pos = p
        return result & 0xFFFFFFFF

    def uvarlong(self) -> int:
        buf, p, end = self.buf, self.pos, self.end
        result = 0
        shift = 0
        while True:
            if p >= end:
                raise TruncatedError("varlong runs past the end of the buffer")
            b = buf[p]
            p += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 63:
                raise InvalidVarintError("varlong longer than 10 bytes")
        self.pos = p
        return result & 0xFFFFFFFFFFFFFFFF

    def varint(self) -> int:
        u = self.uvarint()
        return (u >> 1) ^ -(u & 1)

    def varlong(self) -> int:
        u = self.uvarlong()
        return (u >> 1) ^ -(u & 1)

    # -- length-prefixed ----------------------------------------------------------------
    def _length(
        self, flex: builtins.bool, nullable: builtins.bool, wide: builtins.bool
    ) -> int | None:
        n = (self.uvarint() - 1) if flex else (self.int32() if wide else self.int16())
        if n < 0:
            if n == -1 and nullable:
                return None
            raise InvalidLengthError(f"length {n} is not allowed here")
        if n > self.end - self.pos:
            raise InvalidLengthError(
                f"length {n} exceeds the {self.end - self.pos} bytes left at offset {self.pos}"
            )
        return n

    def string(self, flex: builtins.bool, nullable: builtins.bool) -> str | None:
        n = self._length(flex, nullable, False)
        if n is None:
            return None
        p = self.pos
        self.pos = p + n
        try:
            return str(self.buf[p : p + n], "utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"string at offset {p} is not valid UTF-8") from exc

    def bytes(self, flex: builtins.bool, nullable: builtins.bool) -> memoryview | None:
        n = self._length(flex, nullable, True)
        if n is None:
            return None
        p = self.pos
        self.pos = p + n
        return self.buf[p : p + n]

    records = bytes

    def array_len(
        self, flex: builtins.bool, nullable: builtins.bool, min_elem_size: int = 1
    ) -> int | None:
        """Element count of an array; checked against the bytes left before any allocation."""
        n = (self.uvarint() - 1) if flex else self.int32()
        if n < 0:
            if n == -1 and nullable:
                return None
            raise InvalidLengthError(f"array length {n} is not allowed here")
        if n * max(min_elem_size, 1) > self.end - self.pos:
            raise InvalidLengthError(
                f"array of {n} elements cannot fit in the {self.end - self.pos} bytes left"
            )
        return n

    def sub(self, size: int) -> Reader:
        """A reader over the next `size` bytes (a tagged field's payload)."""
        p = self._take(size)
        return Reader(self.buf, p, p + size)

    def skip(self, n: int) -> None:
        self._take(n)


class Writer:
    """Appends encoded values; `chunks()` returns the buffers to send, in order.

    Small values go into `buf`, one bytearray that is never replaced (so generated code may
    keep it in a local variable). A large buffer (>= ZERO_COPY_THRESHOLD bytes: record
    batches, possibly memoryviews of mmapped segment files) is not copied: `_chunks` records
    it with the length `buf` had when it was written, and `chunks()` splices it back in.
    """

    __slots__ = ("buf", "_chunks")

    def __init__(self) -> None:
        self.buf = bytearray()
        # (offset in buf, big buffer) in write order; the generated code appends here too
        self._chunks: list[tuple[int, Any]] = []

    def int8(self, v: int) -> None:
        self.buf += _I8.pack(v)

    def bool(self, v: builtins.bool) -> None:
        self.buf.append(1 if v else 0)

    def int16(self, v: int) -> None:
        self.buf += _I16.pack(v)

    def uint16(self, v: int) -> None:
        self.buf += _U16.pack(v)

    def int32(self, v: int) -> None:
        self.buf += _I32.pack(v)

    def uint32(self, v: int) -> None:
        self.buf += _U32.pack(v)

    def int64(self, v: int) -> None:
        self.buf += _I64.pack(v)

    def float64(self, v: float) -> None:
        self.buf += _F64.pack(v)

    def uuid(self, v: uuid.UUID) -> None:
        self.buf += v.bytes

    def uvarint(self, v: int) -> None:
        v &= 0xFFFFFFFF
        buf = self.buf
        while v >= 0x80:
            buf.append((v & 0x7F) | 0x80)
            v >>= 7
        buf.append(v)

    def uvarlong(self, v: int) -> None:
        v &= 0xFFFFFFFFFFFFFFFF
        buf = self.buf
        while v >= 0x80:
            buf.append((v & 0x7F) | 0x80)
            v >>= 7
        buf.append(v)

    def varint(self, v: int) -> None:
        self.uvarint((v << 1) ^ (v >> 31))

    def varlong(self, v: int) -> None:
        self.uvarlong((v << 1) ^ (v >> 63))

    def _length(
        self, n: int | None, flex: builtins.bool, nullable: builtins.bool, wide: builtins.bool
    ) -> None:
        if n is None:
            if not nullable:
                raise ProtocolError("null value in a non-nullable field")
            if flex:
                self.buf.append(0)
            elif wide:
                self.buf += _I32.pack(-1)
            else:
                self.buf += _I16.pack(-1)
        elif flex:
            self.uvarint(n + 1)
        elif wide:
            self.buf += _I32.pack(n)
        else:
            if n > 0x7FFF:
                raise ProtocolError(f"string of {n} bytes does not fit an int16 length")
            self.buf += _I16.pack(n)

    def string(self, v: str | None, flex: builtins.bool, nullable: builtins.bool) -> None:
        if v is None:
            self._length(None, flex, nullable, False)
            return
        data = v.encode("utf-8")
        self._length(len(data), flex, nullable, False)
        self.buf += data

    def bytes(self, v: Any, flex: builtins.bool, nullable: builtins.bool) -> None:
        write_bytes_field(self, v, flex, nullable)

    records = bytes

    def array_len(self, n: int | None, flex: builtins.bool, nullable: builtins.bool) -> None:
        self._length(n, flex, nullable, True)

    def raw(self, v: Any, n: int | None = None) -> None:
        """Append a buffer; large ones are kept by reference (no copy)."""
        if n is None:
            n = v.nbytes if isinstance(v, memoryview) else len(v)
        if n >= ZERO_COPY_THRESHOLD:
            self._chunks.append((len(self.buf), v))
        else:
            self.buf += v

    def size(self) -> int:
        """Total bytes written (the big buffers are counted here, not on every append)."""
        return len(self.buf) + sum(
            b.nbytes if isinstance(b, memoryview) else len(b) for _, b in self._chunks
        )

    def chunks(self) -> list[Any]:
        """The buffers in order: pieces of `buf` (copies once big buffers split it), big ones."""
        buf = self.buf
        if not self._chunks:
            return [buf] if buf else []
        out: list[Any] = []
        prev = 0
        for at, big in self._chunks:
            if at > prev:
                out.append(buf[prev:at])
                prev = at
            out.append(big)
        if prev < len(buf):
            out.append(buf[prev:])
        return out

    def getvalue(self) -> builtins.bytes:
        """All chunks joined (copies; for tests and small messages)."""
        return b"".join(bytes(c) for c in self.chunks())


# -- flat helpers for the generated code ------------------------------------------------
# The generated per-version functions keep `buf`, `pos` and `end` in local variables and
# inline the common cases (fixed-width runs, one-byte compact lengths). These helpers are the
# general paths they fall back to; each returns the value and the new position, and applies
# the same checks as the Reader methods (bounds, lengths checked before allocation).
_UUID_SETATTR = object.__setattr__
_SAFE_UNKNOWN = uuid.SafeUUID.unknown


def truncated(pos: int, n: int, end: int) -> None:
    """Raise the error for a read of `n` bytes at `pos` past `end`."""
    raise TruncatedError(f"need {n} bytes at offset {pos}, only {max(end - pos, 0)} left")


def too_long(n: int, left: int) -> None:
    raise InvalidLengthError(f"array of {n} elements cannot fit in the {left} bytes left")


def read_uvarint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    """Unsigned varint of at most 5 bytes (32 bits) at `pos`: (value, new pos)."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise TruncatedError("varint runs past the end of the buffer")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result & 0xFFFFFFFF, pos
        shift += 7
        if shift > 28:
            raise InvalidVarintError("unsigned varint longer than 5 bytes")


def read_uuid(buf: memoryview, pos: int) -> uuid.UUID:
    """The 16 bytes at `pos` (already bounds-checked) as a UUID, without UUID.__init__."""
    i = int.from_bytes(buf[pos : pos + 16], "big")
    if not i:
        return ZERO_UUID
    u = object.__new__(uuid.UUID)
    _UUID_SETATTR(u, "int", i)
    _UUID_SETATTR(u, "is_safe", _SAFE_UNKNOWN)
    return u


def _checked_length(n: int, pos: int, end: int, nullable: builtins.bool) -> int | None:
    if n < 0:
        if n == -1 and nullable:
            return None
        raise InvalidLengthError(f"length {n} is not allowed here")
    if n > end - pos:
        raise InvalidLengthError(f"length {n} exceeds the {end - pos} bytes left at offset {pos}")
    return n


def _decode_str(buf: memoryview, pos: int, n: int) -> str:
    try:
        return str(buf[pos : pos + n], "utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"string at offset {pos} is not valid UTF-8") from exc


def read_compact_string(
    buf: memoryview, pos: int, end: int, nullable: builtins.bool
) -> tuple[str | None, int]:
    u, pos = read_uvarint(buf, pos, end)
    n = _checked_length(u - 1, pos, end, nullable)
    if n is None:
        return None, pos
    return _decode_str(buf, pos, n), pos + n


def read_string16(
    buf: memoryview, pos: int, end: int, nullable: builtins.bool
) -> tuple[str | None, int]:
    if pos + 2 > end:
        truncated(pos, 2, end)
    n = _checked_length(_I16.unpack_from(buf, pos)[0], pos + 2, end, nullable)
    pos += 2
    if n is None:
        return None, pos
    return _decode_str(buf, pos, n), pos + n


def read_compact_bytes(
    buf: memoryview, pos: int, end: int, nullable: builtins.bool
) -> tuple[memoryview | None, int]:
    """Compact bytes/records at `pos` as a memoryview slice (no copy): (value, new pos).

    One- and two-byte length varints (values below 16 KiB) are decoded inline.
    """
    if pos >= end:
        truncated(pos, 1, end)
    b = buf[pos]
    if b < 0x80:
        n = b - 1
        pos += 1
    elif pos + 1 < end and buf[pos + 1] < 0x80:
        n = ((b & 0x7F) | (buf[pos + 1] << 7)) - 1
        pos += 2
    else:
        u, pos = read_uvarint(buf, pos, end)
        n = u - 1
    if (n < 0 or n > end - pos) and _checked_length(n, pos, end, nullable) is None:
        return None, pos  # null; any other bad length raised in _checked_length
    return buf[pos : pos + n], pos + n


def read_bytes32(
    buf: memoryview, pos: int, end: int, nullable: builtins.bool
) -> tuple[memoryview | None, int]:
    if pos + 4 > end:
        truncated(pos, 4, end)
    n = _checked_length(_I32.unpack_from(buf, pos)[0], pos + 4, end, nullable)
    pos += 4
    if n is None:
        return None, pos
    return buf[pos : pos + n], pos + n


def _checked_count(
    n: int, pos: int, end: int, nullable: builtins.bool, min_size: int
) -> int | None:
    if n < 0:
        if n == -1 and nullable:
            return None
        raise InvalidLengthError(f"array length {n} is not allowed here")
    if n * min_size > end - pos:
        too_long(n, end - pos)
    return n


def read_compact_count(
    buf: memoryview, pos: int, end: int, nullable: builtins.bool, min_size: int
) -> tuple[int | None, int]:
    """Element count of a compact array, checked against the bytes left (no allocation yet)."""
    u, pos = read_uvarint(buf, pos, end)
    return _checked_count(u - 1, pos, end, nullable, min_size), pos


def read_count32(
    buf: memoryview, pos: int, end: int, nullable: builtins.bool, min_size: int
) -> tuple[int | None, int]:
    """Element count of a classic (int32-prefixed) array, checked against the bytes left."""
    if pos + 4 > end:
        truncated(pos, 4, end)
    return _checked_count(_I32.unpack_from(buf, pos)[0], pos + 4, end, nullable, min_size), pos + 4


def read_tagged_fields(
    buf: memoryview, pos: int, end: int
) -> tuple[list[tuple[int, builtins.bytes]], int]:
    """A tagged-field section none of whose tags is known here: [(tag, payload)], new pos."""
    count, pos = read_uvarint(buf, pos, end)
    out = []
    for _ in range(count):
        tag, pos = read_uvarint(buf, pos, end)
        size, pos = read_uvarint(buf, pos, end)
        if pos + size > end:
            truncated(pos, size, end)
        out.append((tag, builtins.bytes(buf[pos : pos + size])))
        pos += size
    return out, pos


def write_uvarint(buf: bytearray, v: int) -> None:
    v &= 0xFFFFFFFF
    while v >= 0x80:
        buf.append((v & 0x7F) | 0x80)
        v >>= 7
    buf.append(v)


def _null(nullable: builtins.bool) -> None:
    if not nullable:
        raise ProtocolError("null value in a non-nullable field")


def write_compact_string(buf: bytearray, v: str | None, nullable: builtins.bool) -> None:
    if v is None:
        _null(nullable)
        buf.append(0)
        return
    data = v.encode("utf-8")
    write_uvarint(buf, len(data) + 1)
    buf += data


def write_string16(buf: bytearray, v: str | None, nullable: builtins.bool) -> None:
    if v is None:
        _null(nullable)
        buf += _I16.pack(-1)
        return
    data = v.encode("utf-8")
    if len(data) > 0x7FFF:
        raise ProtocolError(f"string of {len(data)} bytes does not fit an int16 length")
    buf += _I16.pack(len(data))
    buf += data


def write_bytes_field(w: Writer, v: Any, flex: builtins.bool, nullable: builtins.bool) -> None:
    """A bytes/records value with its length prefix; big buffers are kept by reference."""
    buf = w.buf
    if v is None:
        _null(nullable)
        if flex:
            buf.append(0)
        else:
            buf += b"\xff\xff\xff\xff"
        return
    n = v.nbytes if isinstance(v, memoryview) else len(v)
    if flex:
        write_uvarint(buf, n + 1)
    else:
        buf += _I32.pack(n)
    if n >= ZERO_COPY_THRESHOLD:
        w._chunks.append((len(buf), v))
    else:
        buf += v


def write_null_array(buf: bytearray, flex: builtins.bool, nullable: builtins.bool) -> None:
    _null(nullable)
    if flex:
        buf.append(0)
    else:
        buf += _I32.pack(-1)


def write_tagged_fields(w: Writer, fields: list[tuple[int, builtins.bytes | bytearray]]) -> None:
    """Write a tagged-field section: count, then (tag, size, payload) in ascending tag order."""
    w.uvarint(len(fields))
    for tag, payload in sorted(fields, key=lambda f: f[0]):
        w.uvarint(tag)
        w.uvarint(len(payload))
        w.buf += payload
