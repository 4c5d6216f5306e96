"""The fault proxy itself, against a fake broker that answers every frame in order."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

import pytest

from tests.support.fault_proxy import FaultProxy

_HDR = struct.Struct(">ihhi")  # size, api key, version, correlation id


class _Echo(socketserver.BaseRequestHandler):
    """Answers each request frame with [size][correlation id][b"ok"]."""

    def handle(self) -> None:
        sock = self.request
        while True:
            head = _recv(sock, 4)
            if head is None:
                return
            (size,) = struct.unpack(">i", head)
            body = _recv(sock, size)
            if body is None:
                return
            self.server.received.append(struct.unpack_from(">hhi", body))  # type: ignore[attr-defined]
            corr = body[4:8]
            sock.sendall(struct.pack(">i", 6) + corr + b"ok")


def _recv(sock: socket.socket, n: int) -> bytes | None:
    out = b""
    while len(out) < n:
        try:
            chunk = sock.recv(n - len(out))
        except OSError:
            return None
        if not chunk:
            return None
        out += chunk
    return out


@pytest.fixture
def fake_broker():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    server.received = []  # type: ignore[attr-defined]
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(fake_broker):
    p = FaultProxy("127.0.0.1", fake_broker.server_address[1], seed=1).start()
    yield p
    p.stop()


def request(api_key: int, corr: int) -> bytes:
    return _HDR.pack(8 + 2, api_key, 0, corr) + b"\0\0"  # + empty client id


def connect(proxy: FaultProxy) -> socket.socket:
    return socket.create_connection((proxy.host, proxy.port), timeout=10)


def test_requests_and_responses_pass_in_order(proxy, fake_broker):
    with connect(proxy) as s:
        for corr in (1, 2, 3):
            s.sendall(request(0, corr))
        for corr in (1, 2, 3):
            assert _recv(s, 10) == struct.pack(">ii", 6, corr) + b"ok"
    assert [r[2] for r in fake_broker.received] == [1, 2, 3]
    assert proxy.stats.requests == {0: 3}


def test_dropped_response_closes_the_connection_after_the_broker_got_the_request(
    proxy, fake_broker
):
    proxy.start_faults(drop_rate=1.0, max_faults=1)
    with connect(proxy) as s:
        s.sendall(request(0, 7))
        assert _recv(s, 10) is None  # closed, no answer
    assert (0, 0, 7) in fake_broker.received
    # the fault budget is spent: the next produce goes through
    with connect(proxy) as s:
        s.sendall(request(0, 8))
        assert _recv(s, 10) == struct.pack(">ii", 6, 8) + b"ok"
    assert proxy.stats.dropped == 1


def test_only_the_chosen_apis_are_faulted(proxy):
    proxy.start_faults(drop_rate=1.0)
    with connect(proxy) as s:
        s.sendall(request(3, 1))  # Metadata
        assert _recv(s, 10) == struct.pack(">ii", 6, 1) + b"ok"
    proxy.stop_faults()
    with connect(proxy) as s:
        s.sendall(request(0, 2))  # Produce, faults off
        assert _recv(s, 10) == struct.pack(">ii", 6, 2) + b"ok"
    assert proxy.stats.dropped == 0


def test_delayed_responses_keep_their_order(proxy):
    proxy.start_faults(delay_rate=1.0, delay_s=0.05, max_faults=2)
    with connect(proxy) as s:
        for corr in range(4):
            s.sendall(request(0, corr))
        got = [_recv(s, 10) for _ in range(4)]
    assert got == [struct.pack(">ii", 6, c) + b"ok" for c in range(4)]
    assert proxy.stats.delayed == 2


def test_a_broker_that_is_down_closes_the_client_connection():
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]  # nothing listens here once closed
    with FaultProxy("127.0.0.1", port) as p, connect(p) as s:
        assert _recv(s, 1) is None
