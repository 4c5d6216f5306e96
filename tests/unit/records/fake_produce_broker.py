"""A throw-away fake broker that accepts Produce requests and keeps their record batches.

Only for capturing what real clients (librdkafka via confluent-kafka and kcat) write into a
batch, so the record-batch tests can decode genuine client output. It speaks just enough of
the protocol, hand-encoded and independent of moldau's codec: ApiVersions v0 (answering any
newer version with UNSUPPORTED_VERSION and the v0 body, as Kafka does), Metadata v1 for one
topic with one partition led by itself, and Produce v3-v7 (acks >= 1 answered with offset 0).
Everything runs in daemon threads on 127.0.0.1.
"""

from __future__ import annotations

import socket
import struct
import threading

# (api key, min, max) advertised. Fetch and FindCoordinator are listed (never served) because
# librdkafka derives its features from the ranges: magic-2 batches need Produce 3 and Fetch 4,
# LZ4 needs FindCoordinator 0 (!), zstd Produce 7 and Fetch 10. Without them librdkafka
# silently sends such batches uncompressed.
ADVERTISED = [(0, 0, 7), (1, 0, 10), (3, 0, 1), (10, 0, 0), (18, 0, 0)]


def _string(s: str) -> bytes:
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> int:
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(v)

    def string(self) -> str | None:
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos : self.pos + n].decode()
        self.pos += n
        return s

    def blob(self) -> bytes | None:
        n = self.take(">i")
        if n < 0:
            return None
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b


class FakeProduceBroker:
    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.batches: list[bytes] = []
        self.unknown: list[tuple[int, int]] = []
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port = int(self._sock.getsockname()[1])
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._closed = True
        self._sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_exact(conn: socket.socket, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = conn.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                while True:
                    (size,) = struct.unpack(">i", self._read_exact(conn, 4))
                    frame = self._read_exact(conn, size)
                    reply = self._handle(frame)
                    if reply is not None:
                        conn.sendall(struct.pack(">i", len(reply)) + reply)
            except (ConnectionError, OSError, struct.error):
                return

    def _handle(self, frame: bytes) -> bytes | None:
        r = _Reader(frame)
        api_key, version, correlation = r.take(">h"), r.take(">h"), r.take(">i")
        r.string()  # client id
        head = struct.pack(">i", correlation)  # response header v0 everywhere we answer
        if api_key == 18:
            error = 0 if version == 0 else 35
            body = struct.pack(">hi", error, len(ADVERTISED))
            body += b"".join(struct.pack(">hhh", *a) for a in ADVERTISED)
            return head + body
        if api_key == 3 and version <= 1:
            body = struct.pack(">i", 1) + struct.pack(">i", 0) + _string("127.0.0.1")
            body += struct.pack(">i", self.port)
            if version >= 1:
                body += struct.pack(">h", -1) + struct.pack(">i", 0)  # rack null, controller
            body += struct.pack(">i", 1) + struct.pack(">h", 0) + _string(self.topic)
            if version >= 1:
                body += b"\x00"  # is_internal
            body += struct.pack(">i", 1) + struct.pack(">hii", 0, 0, 0)
            body += struct.pack(">ii", 1, 0) + struct.pack(">ii", 1, 0)  # replicas, isr
            return head + body
        if api_key == 0 and 3 <= version <= 7:
            r.string()  # transactional id
            acks = r.take(">h")
            r.take(">i")  # timeout
            out = b""
            topics = r.take(">i")
            out += struct.pack(">i", topics)
            for _ in range(topics):
                name = r.string() or ""
                parts = r.take(">i")
                out += _string(name) + struct.pack(">i", parts)
                for _ in range(parts):
                    index = r.take(">i")
                    records = r.blob()
                    if records is not None:
                        with self._lock:
                            self.batches.append(records)
                    out += struct.pack(">ihqq", index, 0, 0, -1)
                    if version >= 5:
                        out += struct.pack(">q", 0)
            out += struct.pack(">i", 0)  # throttle time
            return None if acks == 0 else head + out
        with self._lock:
            self.unknown.append((api_key, version))
        return None
