"""The few Kafka requests the raw load generators need, encoded by hand.

Why hand-written: the raw generators must spend as little CPU as possible per byte so that
the broker, not the client, is the bottleneck, and they must not depend on moldau's own
codec (that would let a codec bug hide on both sides). Only non-flexible versions are used
(ApiVersions v0, Produce v7, Fetch v11, ListOffsets v1), which every broker under test
accepts and which need no tagged fields.

Wire layout reminders (all big-endian):
- request frame: int32 size, then header v1 = int16 api_key, int16 api_version,
  int32 correlation_id, nullable string client_id (int16 length, -1 for null), then body.
- response frame: int32 size, int32 correlation_id, then body (header v0 for all APIs here).

Decoders raise ``WireError`` on anything short or inconsistent instead of letting
``struct.error``/``IndexError`` escape.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

API_PRODUCE = 0
API_FETCH = 1
API_LIST_OFFSETS = 2
API_VERSIONS = 18

CLIENT_ID = b"moldau-bench"

_HDR = struct.Struct(">hhih")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_I32I32 = struct.Struct(">ii")


class WireError(Exception):
    """A response that is truncated or does not match the request."""


def _string(s: str) -> bytes:
    b = s.encode()
    return _I16.pack(len(b)) + b


def frame(api_key: int, api_version: int, correlation_id: int, body: bytes) -> bytes:
    """Size-prefixed request with header v1."""
    header = _HDR.pack(api_key, api_version, correlation_id, len(CLIENT_ID)) + CLIENT_ID
    return _I32.pack(len(header) + len(body)) + header + body


def api_versions_v0(correlation_id: int) -> bytes:
    return frame(API_VERSIONS, 0, correlation_id, b"")


def produce_v7_head(
    correlation_id: int, topic: str, partition: int, acks: int, timeout_ms: int, batch_len: int
) -> bytes:
    """Everything of a one-partition Produce v7 request up to the record batch bytes.

    The batch itself is pre-built and sent as a separate buffer, so a 1 MiB request costs
    one small header build and no copy of the batch in Python.
    """
    body_prefix = (
        _I16.pack(-1)  # transactional_id = null
        + _I16.pack(acks)
        + _I32.pack(timeout_ms)
        + _I32.pack(1)
        + _string(topic)
        + _I32.pack(1)
        + _I32.pack(partition)
        + _I32.pack(batch_len)
    )
    header = _HDR.pack(API_PRODUCE, 7, correlation_id, len(CLIENT_ID)) + CLIENT_ID
    return _I32.pack(len(header) + len(body_prefix) + batch_len) + header + body_prefix


def fetch_v11(
    correlation_id: int,
    topic: str,
    partition_offsets: list[tuple[int, int]],
    *,
    max_wait_ms: int = 500,
    min_bytes: int = 1,
    max_bytes: int = 64 << 20,
    partition_max_bytes: int = 8 << 20,
) -> bytes:
    """A sessionless (session id 0, epoch -1) read_uncommitted Fetch v11."""
    parts = b"".join(
        _I32.pack(p)
        + _I32.pack(-1)
        + _I64.pack(off)
        + _I64.pack(-1)
        + _I32.pack(partition_max_bytes)
        for p, off in partition_offsets
    )
    body = (
        _I32.pack(-1)  # replica_id
        + _I32.pack(max_wait_ms)
        + _I32.pack(min_bytes)
        + _I32.pack(max_bytes)
        + b"\x00"  # isolation level: read_uncommitted
        + _I32.pack(0)  # session id
        + _I32.pack(-1)  # session epoch: no session
        + _I32.pack(1)
        + _string(topic)
        + _I32.pack(len(partition_offsets))
        + parts
        + _I32.pack(0)  # forgotten topics
        + _string("")  # rack id
    )
    return frame(API_FETCH, 11, correlation_id, body)


def list_offsets_v1(
    correlation_id: int, topic: str, partitions: list[int], timestamp: int
) -> bytes:
    """timestamp -1 = latest, -2 = earliest."""
    parts = b"".join(_I32.pack(p) + _I64.pack(timestamp) for p in partitions)
    body = _I32.pack(-1) + _I32.pack(1) + _string(topic) + _I32.pack(len(partitions)) + parts
    return frame(API_LIST_OFFSETS, 1, correlation_id, body)


class Reader:
    """Bounds-checked cursor over a response body."""

    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes | memoryview, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos

    def _take(self, n: int) -> int:
        p = self.pos
        if n < 0 or p + n > len(self.buf):
            raise WireError(f"truncated response: need {n} bytes at {p}, have {len(self.buf) - p}")
        self.pos = p + n
        return p

    def i8(self) -> int:
        return self.buf[self._take(1)]

    def i16(self) -> int:
        return int(_I16.unpack_from(self.buf, self._take(2))[0])

    def i32(self) -> int:
        return int(_I32.unpack_from(self.buf, self._take(4))[0])

    def i64(self) -> int:
        return int(_I64.unpack_from(self.buf, self._take(8))[0])

    def string(self) -> str | None:
        n = self.i16()
        if n < 0:
            return None
        p = self._take(n)
        return bytes(self.buf[p : p + n]).decode()

    def bytes_view(self) -> memoryview | None:
        n = self.i32()
        if n < 0:
            return None
        p = self._take(n)
        return memoryview(self.buf)[p : p + n]

    def array_len(self) -> int:
        n = self.i32()
        if n > len(self.buf) - self.pos:
            raise WireError(f"array length {n} exceeds the remaining response")
        return n


@dataclass(slots=True)
class ProducePartitionResult:
    partition: int
    error_code: int
    base_offset: int


def parse_produce_v7(body: bytes | memoryview) -> list[ProducePartitionResult]:
    r = Reader(body)
    out: list[ProducePartitionResult] = []
    for _ in range(r.array_len()):
        r.string()
        for _ in range(r.array_len()):
            p = r.i32()
            err = r.i16()
            base = r.i64()
            r.i64()  # log append time
            r.i64()  # log start offset
            out.append(ProducePartitionResult(p, err, base))
    r.i32()  # throttle
    return out


@dataclass(slots=True)
class FetchPartitionResult:
    partition: int
    error_code: int
    high_watermark: int
    records: memoryview | None


def parse_fetch_v11(body: bytes | memoryview) -> tuple[int, list[FetchPartitionResult]]:
    """Return (top-level error code, partitions)."""
    r = Reader(body)
    r.i32()  # throttle
    top_err = r.i16()
    r.i32()  # session id
    out: list[FetchPartitionResult] = []
    for _ in range(r.array_len()):
        r.string()
        for _ in range(r.array_len()):
            p = r.i32()
            err = r.i16()
            hw = r.i64()
            r.i64()  # last stable offset
            r.i64()  # log start offset
            n_aborted = r.i32()
            for _ in range(max(n_aborted, 0)):
                r.i64()
                r.i64()
            r.i32()  # preferred read replica
            out.append(FetchPartitionResult(p, err, hw, r.bytes_view()))
    return top_err, out


def batches_end(records: memoryview) -> tuple[int, int, int]:
    """Walk whole record batches; return (next offset, complete bytes, record count).

    next offset is -1 when no complete batch is present. A partial trailing batch (allowed
    by the protocol when partition max bytes cuts it) is ignored. Layout used: base offset
    int64 at 0, batch length int32 at 8 (bytes after this field), last offset delta int32
    at 23, record count int32 at 57.
    """
    pos = 0
    n = len(records)
    next_offset = -1
    count = 0
    while pos + 61 <= n:
        base = _I64.unpack_from(records, pos)[0]
        length = _I32.unpack_from(records, pos + 8)[0]
        end = pos + 12 + length
        if length <= 0 or end > n:
            break
        last_delta = _I32.unpack_from(records, pos + 23)[0]
        count += _I32.unpack_from(records, pos + 57)[0]
        next_offset = base + last_delta + 1
        pos = end
    return next_offset, pos, count


def parse_list_offsets_v1(body: bytes | memoryview) -> dict[int, tuple[int, int]]:
    """Return {partition: (error_code, offset)}."""
    r = Reader(body)
    out: dict[int, tuple[int, int]] = {}
    for _ in range(r.array_len()):
        r.string()
        for _ in range(r.array_len()):
            p = r.i32()
            err = r.i16()
            r.i64()  # timestamp
            out[p] = (err, r.i64())
    return out


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        c = sock.recv(n)
        if not c:
            raise WireError("connection closed by broker")
        chunks.append(c)
        n -= len(c)
    return b"".join(chunks)


def request_blocking(host: str, port: int, frame_bytes: bytes, timeout: float) -> bytes:
    """Send one request on a fresh connection and return the response body."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(frame_bytes)
        size = _I32.unpack(_recv_exact(s, 4))[0]
        if size < 4 or size > 256 << 20:
            raise WireError(f"implausible response size {size}")
        data = _recv_exact(s, size)
    return data[4:]


def probe_api_versions(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when the broker answers ApiVersions v0 with error code 0."""
    try:
        body = request_blocking(host, port, api_versions_v0(1), timeout)
    except (OSError, WireError):
        return False
    return len(body) >= 2 and _I16.unpack_from(body, 0)[0] == 0


def wait_until_serving(host: str, port: int, deadline: float, alive=lambda: True) -> bool:
    """Poll ApiVersions every 10 ms until answered, the deadline passes or ``alive()`` fails."""
    while time.monotonic() < deadline:
        if not alive():
            return False
        if probe_api_versions(host, port, timeout=1.0):
            return True
        time.sleep(0.01)
    return False
