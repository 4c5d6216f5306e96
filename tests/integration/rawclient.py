"""A minimal blocking Kafka client over a raw socket, on moldau's own codec (tests only)."""

from __future__ import annotations

import socket
import struct

from moldau.protocol.quirks import decode_response, encode_request


class RawClient:
    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.correlation_id = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, api_key: int, version: int, body: object) -> int:
        self.correlation_id += 1
        self.sock.sendall(encode_request(api_key, version, self.correlation_id, "raw-test", body))
        return self.correlation_id

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed by the broker")
            buf += chunk
        return bytes(buf)

    def receive(self, api_key: int, version: int) -> tuple[int, object]:
        (size,) = struct.unpack(">i", self._read_exact(4))
        frame = self._read_exact(size)
        return decode_response(api_key, version, memoryview(frame))

    def request(self, api_key: int, version: int, body: object) -> object:
        cid = self.send(api_key, version, body)
        got_cid, resp = self.receive(api_key, version)
        assert got_cid == cid
        return resp

    def is_closed_by_peer(self, timeout: float = 10.0) -> bool:
        """True when the broker closes the connection (EOF or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
        return data == b""
