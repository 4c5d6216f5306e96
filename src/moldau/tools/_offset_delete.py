"""OffsetDelete (API key 47) over a plain socket, for `kafka-consumer-groups --delete-offsets`.

confluent-kafka has no call for this API, so the tool speaks it directly: FindCoordinator v1
to learn which broker coordinates the group, then OffsetDelete v0 to that broker. Both are
non-flexible versions, so the encoding is plain big-endian fields:
  request header v1: api_key int16, api_version int16, correlation_id int32, client_id string
  string: int16 length + UTF-8 bytes (length -1 = null); array: int32 count + items
  response header v0: correlation_id int32
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from moldau.tools._common import ToolError, split_host_port

FIND_COORDINATOR = 10
OFFSET_DELETE = 47
CLIENT_ID = b"kafka-consumer-groups"
MAX_RESPONSE = 64 * 1024 * 1024


def _string(s: str) -> bytes:
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ToolError("malformed response from the broker")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def int8(self) -> int:
        return int(struct.unpack(">b", self.take(1))[0])

    def int16(self) -> int:
        return int(struct.unpack(">h", self.take(2))[0])

    def int32(self) -> int:
        return int(struct.unpack(">i", self.take(4))[0])

    def string(self) -> str | None:
        n = self.int16()
        return None if n < 0 else self.take(n).decode("utf-8", "replace")

    def count(self) -> int:
        n = self.int32()
        if n < 0 or n > len(self.data) - self.pos:
            raise ToolError("malformed response from the broker")
        return n


def _call(host: str, port: int, api_key: int, version: int, body: bytes, timeout: float) -> _Reader:
    header = struct.pack(">hhih", api_key, version, 1, len(CLIENT_ID)) + CLIENT_ID
    frame = header + body
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(struct.pack(">i", len(frame)) + frame)
            size = struct.unpack(">i", _recv(s, 4))[0]
            if size < 4 or size > MAX_RESPONSE:
                raise ToolError("malformed response from the broker")
            data = _recv(s, size)
    except OSError as e:
        raise ToolError(f"cannot talk to broker {host}:{port}: {e.strerror or e}") from None
    r = _Reader(data)
    if r.int32() != 1:
        raise ToolError("the broker answered another request")
    return r


def _recv(s: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ToolError("the broker closed the connection")
        buf += chunk
    return bytes(buf)


@dataclass
class OffsetDeleteResult:
    error_code: int
    partitions: dict[tuple[str, int], int]  # (topic, partition) -> error code


def find_coordinator(bootstrap: str, group: str, timeout: float) -> tuple[str, int]:
    host, port = split_host_port(bootstrap.split(",")[0])
    body = _string(group) + struct.pack(">b", 0)
    r = _call(host, port, FIND_COORDINATOR, 1, body, timeout)
    r.int32()  # throttle time
    error = r.int16()
    message = r.string()
    node_host_port = (r.int32(), r.string(), r.int32())
    if error:
        raise ToolError(message or f"FindCoordinator failed with error code {error}")
    _node, chost, cport = node_host_port
    return chost or host, cport


def delete_offsets(bootstrap: str, group: str, topics: dict[str, list[int]], timeout: float = 30.0) -> OffsetDeleteResult:
    host, port = find_coordinator(bootstrap, group, timeout)
    body = _string(group) + struct.pack(">i", len(topics))
    for name, parts in topics.items():
        body += _string(name) + struct.pack(">i", len(parts))
        body += b"".join(struct.pack(">i", p) for p in parts)
    r = _call(host, port, OFFSET_DELETE, 0, body, timeout)
    error = r.int16()
    r.int32()  # throttle time
    result: dict[tuple[str, int], int] = {}
    for _ in range(r.count()):
        name = r.string() or ""
        for _ in range(r.count()):
            partition = r.int32()
            result[(name, partition)] = r.int16()
    return OffsetDeleteResult(error, result)
