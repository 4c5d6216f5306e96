"""A fault-injecting TCP proxy for Kafka connections (this kernel has no tc netem).

The proxy listens on 127.0.0.1, forwards every client connection to the broker and reads
the Kafka framing in both directions (4-byte size, then the header), so it knows which
response answers which request. Faults apply to responses of chosen APIs (Produce by
default), which is what makes an idempotent producer retry a request the broker already
appended:

- `drop_rate`: with this probability a response is withheld and both sides of the
  connection are closed, i.e. the request was processed but its answer lost;
- `delay_rate` / `delay_s`: with this probability a response (and so every later response on
  that connection, keeping their order) is held back for `delay_s` seconds.

Faults are bounded so a test always ends: at most `max_faults` in all (None = unbounded)
and none after `stop_faults()`. Decisions come from a seeded `random.Random`, so a failing
run can be repeated. The broker must advertise the proxy's address (advertised.listeners),
or clients would connect to the broker directly after bootstrapping.

The proxy runs its own asyncio loop in a daemon thread, so synchronous tests (confluent-kafka,
kafka-python) can use it as well as asyncio ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import struct
import threading
from dataclasses import dataclass, field

_SIZE = struct.Struct(">i")
_REQ_HEADER = struct.Struct(">hhi")  # api key, api version, correlation id
MAX_FRAME_BYTES = 128 * 1024 * 1024
PRODUCE = 0


@dataclass
class ProxyStats:
    connections: int = 0
    requests: dict[int, int] = field(default_factory=dict)  # api key -> count
    dropped: int = 0
    delayed: int = 0
    max_in_flight: int = 0  # most requests awaiting an answer on one connection


class FaultProxy:
    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        seed: int = 0,
        fault_api_keys: frozenset[int] = frozenset({PRODUCE}),
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = "127.0.0.1"
        self.port = 0
        self.fault_api_keys = fault_api_keys
        self.drop_rate = 0.0
        self.delay_rate = 0.0
        self.delay_s = 0.0
        self.max_faults: int | None = None
        self.stats = ProxyStats()
        self._rng = random.Random(seed)
        self._faults_on = False
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    # ------------------------------------------------------------------ control (any thread)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> FaultProxy:
        ready = threading.Event()
        error: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._on_client, self.host, 0)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # pragma: no cover - reported to start()
                error.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise TimeoutError("fault proxy did not start")
        if error:
            raise error[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for w in list(self._writers):
                w.close()
            self._writers.clear()

        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start_faults(
        self,
        *,
        drop_rate: float = 0.0,
        delay_rate: float = 0.0,
        delay_s: float = 0.0,
        max_faults: int | None = None,
    ) -> None:
        if not (0 <= drop_rate <= 1 and 0 <= delay_rate <= 1 and delay_s >= 0):
            raise ValueError("rates must be within [0, 1] and the delay >= 0")
        with self._lock:
            self.drop_rate, self.delay_rate, self.delay_s = drop_rate, delay_rate, delay_s
            self.max_faults = max_faults
            self._faults_on = True

    def stop_faults(self) -> None:
        with self._lock:
            self._faults_on = False

    def drop_all_connections(self) -> None:
        """Close every proxied connection now (both sides)."""
        loop = self._loop
        if loop is None:
            return

        def close_all() -> None:
            for w in list(self._writers):
                w.close()

        loop.call_soon_threadsafe(close_all)

    # ------------------------------------------------------------------ the proxy (its loop)

    def _decide(self, api_key: int | None) -> str:
        """'drop', 'delay' or 'pass' for one response."""
        with self._lock:
            if not self._faults_on or api_key not in self.fault_api_keys:
                return "pass"
            if self.max_faults is not None and (
                self.stats.dropped + self.stats.delayed >= self.max_faults
            ):
                return "pass"
            r = self._rng.random()
            if r < self.drop_rate:
                self.stats.dropped += 1
                return "drop"
            if r < self.drop_rate + self.delay_rate:
                self.stats.delayed += 1
                return "delay"
            return "pass"

    async def _on_client(
        self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter
    ) -> None:
        self.stats.connections += 1
        try:
            b_reader, b_writer = await asyncio.wait_for(
                asyncio.open_connection(self.target_host, self.target_port), 10
            )
        except (OSError, TimeoutError):
            c_writer.close()  # broker down (e.g. restarting): the client reconnects later
            return
        self._writers.update((c_writer, b_writer))
        in_flight: dict[int, int] = {}  # correlation id -> api key

        def close_both() -> None:
            for w in (c_writer, b_writer):
                w.close()
                self._writers.discard(w)

        async def upstream() -> None:
            while True:
                frame = await _read_frame(c_reader)
                if frame is None:
                    return
                if len(frame) >= 4 + _REQ_HEADER.size:
                    api_key, _version, corr = _REQ_HEADER.unpack_from(frame, 4)
                    in_flight[corr] = api_key
                    with self._lock:
                        self.stats.requests[api_key] = self.stats.requests.get(api_key, 0) + 1
                        self.stats.max_in_flight = max(self.stats.max_in_flight, len(in_flight))
                b_writer.write(frame)
                await b_writer.drain()

        async def downstream() -> None:
            while True:
                frame = await _read_frame(b_reader)
                if frame is None:
                    return
                api_key = None
                if len(frame) >= 8:
                    (corr,) = _SIZE.unpack_from(frame, 4)
                    api_key = in_flight.pop(corr, None)
                action = self._decide(api_key)
                if action == "drop":
                    return
                if action == "delay":
                    await asyncio.sleep(self.delay_s)
                c_writer.write(frame)
                await c_writer.drain()

        tasks = [asyncio.ensure_future(upstream()), asyncio.ensure_future(downstream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            close_both()


async def _read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """One size-prefixed frame (prefix included), or None at EOF / a broken connection."""
    try:
        prefix = await reader.readexactly(4)
        (size,) = _SIZE.unpack(prefix)
        if size < 0 or size > MAX_FRAME_BYTES:
            return None
        return prefix + await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        return None
