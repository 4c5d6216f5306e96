"""Connections: frames in, handlers run, responses out strictly in request order.

One `Connection` (an asyncio.BufferedProtocol reading straight into request buffers, see
frames.py) per client socket. Each complete frame is decoded and its handler started at
once, so pipelined requests run concurrently (a long-polling Fetch does not hold up a
Metadata behind it in the handler), but responses leave in the order the requests arrived: a slot per request is queued, and the queue is flushed from its head as
slots complete. A request answered with "no response" (Produce acks=0) keeps its slot so
the order of the others is unaffected.

Limits (Kafka's names): a frame over socket.request.max.bytes closes the connection before
it is buffered; max.connections refuses new sockets; connections.max.idle.ms closes idle
ones; at most `queued.max.requests` requests and about socket.request.max.bytes of request
bytes in flight per connection, after which reading pauses (TCP backpressure) until answers
drain. A client that does not read its answers also stops being read from.

Handlers run eagerly: `_dispatch` steps the handler's coroutine at once, inside the read
callback, and most requests (a Produce, a Fetch with data, Metadata) finish there without an
asyncio Task; only a handler that really waits (long poll, acks=all on a cluster, a group
join) is handed to a Task from the point where it waits (`_resume`). Answers completed while
one read is processed are written with one `writelines` (one send for a pipeline of
answers). Both cut the per-request cost that sets latency on a loaded machine.

Bad input never takes the broker down: a frame that does not decode gets a WARN line and the
connection is closed, as Kafka does; other connections carry on.
"""

from __future__ import annotations

import asyncio
import logging
import types
from collections import deque
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any

from moldau.broker import registry
from moldau.broker.frames import FrameReceiver
from moldau.broker.registry import RequestContext
from moldau.protocol import quirks
from moldau.protocol._generated import APIS, ApiKey, request_class
from moldau.protocol.errors import ProtocolError

if TYPE_CHECKING:
    from moldau.broker.server import Broker

log = logging.getLogger("moldau.network")


class _Slot:
    __slots__ = ("api_key", "api_version", "correlation_id", "done", "response", "size")

    def __init__(self, api_key: int, api_version: int, correlation_id: int, size: int = 0) -> None:
        self.size = size  # request bytes held until the answer is out
        self.api_key = api_key
        self.api_version = api_version
        self.correlation_id = correlation_id
        self.done = False
        self.response: Any = None


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], yielded: Any) -> Generator[Any, Any, Any]:
    """Drive `coro` on from its first suspension, where it yielded `yielded` (it ran eagerly
    up to there). Does what `yield from` does, minus the first send: the Task wrapping this
    sees each future `coro` waits on, and a cancellation is thrown into `coro`."""
    while True:
        try:
            value = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(value)
            except StopIteration as stop:
                return stop.value


class Connection(asyncio.BufferedProtocol):
    def __init__(self, broker: Broker, listener_name: str) -> None:
        self.broker = broker
        self.listener_name = listener_name
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.client_host = ""
        self._frames = FrameReceiver(broker.config["socket.request.max.bytes"])
        self._slots: deque[_Slot] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._reading_paused = False
        self._writing_paused = False
        self._max_in_flight = max(int(broker.config["queued.max.requests"]), 1)
        # Per-connection state handlers share (RequestContext.connection_state): the listener
        # it came in on, and whatever e.g. SASL authentication records.
        self._state: dict[str, Any] = {"listener": listener_name}
        self._idle_ms = int(broker.config["connections.max.idle.ms"])
        self._last_active = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._loop = broker.loop
        self._eof = False
        # Request bytes received but not yet answered; reading pauses above this, so one
        # connection holds at most about one maximum-size request beyond it.
        self._inflight_bytes = 0
        self._max_inflight_bytes = int(broker.config["socket.request.max.bytes"])
        # Answer chunks held while a read is processed (None: write at once); see _flush.
        self._out: list[Any] | None = None

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            self.client_host = str(peer[0])
            self.peer = f"{peer[0]}:{peer[1]}"
        if not self.broker.connection_opened(self):
            if self.broker.stopping:
                log.info("Rejecting connection from %s: shutting down", self.peer)
            else:
                log.warning(
                    "Rejecting connection from %s: max.connections=%s reached",
                    self.peer,
                    self.broker.config["max.connections"],
                )
            self._closing = True
            transport.abort()  # type: ignore[attr-defined]
            return
        self._last_active = self._loop.time()
        if self._idle_ms > 0:
            self._idle_timer = self._loop.call_later(self._idle_ms / 1000, self._check_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._slots.clear()
        for t in list(self._tasks):
            t.cancel()
        self.broker.connection_closed(self)

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._update_reading()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._frames.get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        if self._closing:
            return
        self._last_active = self._loop.time()
        try:
            frames = self._frames.buffer_updated(nbytes)
        except ProtocolError as exc:
            self._bad_input(f"{exc}")
            return
        self._out = []
        try:
            for frame in frames:
                if self._closing:
                    return
                self._dispatch(frame)
        finally:
            self._flush()
        self._update_reading()

    def eof_received(self) -> bool | None:
        # The client half-closed: let in-flight answers go out, then close.
        self._eof = True
        return True if self._slots else None

    # -- requests ------------------------------------------------------------------------
    def _dispatch(self, frame: memoryview) -> None:
        try:
            header = quirks.parse_request_header(frame)
        except ProtocolError as exc:
            self._bad_input(f"unreadable request header ({exc})")
            return
        key, version = header.api_key, header.api_version
        spec = registry.lookup(key)
        if key == ApiKey.API_VERSIONS and (spec is None or not spec.min_version <= version):
            self._bad_input(f"ApiVersions v{version} is not valid")
            return
        if key == ApiKey.API_VERSIONS and version > spec.max_version:  # type: ignore[union-attr]
            # Quirk 3: answer in v0 with UNSUPPORTED_VERSION and our range.
            slot = _Slot(key, 0, header.correlation_id)
            self._slots.append(slot)
            self._complete(slot, self.broker.api_versions_error_response())
            return
        if spec is None:
            name = APIS[key].name if key in APIS else f"api key {key}"
            self._bad_input(f"{name} is not supported by this broker")
            return
        if not spec.min_version <= version <= spec.max_version:
            self._bad_input(
                f"{APIS[key].name} v{version} is not supported "
                f"(served: v{spec.min_version}-v{spec.max_version})"
            )
            return
        try:
            body = request_class(key).read_from(frame, header.body_offset, version)
        except ProtocolError as exc:
            self._bad_input(f"malformed {APIS[key].name} v{version} request ({exc})")
            return
        except Exception as exc:  # the codec promises ProtocolError; be safe anyway
            self._bad_input(f"malformed {APIS[key].name} v{version} request ({exc!r})")
            return
        ctx = RequestContext(
            header,
            version,
            header.client_id,
            self.client_host,
            self.broker,
            self._loop,
            self._state,
        )
        slot = _Slot(key, version, header.correlation_id, len(frame))
        self._inflight_bytes += slot.size
        self._slots.append(slot)
        coro = spec.fn(ctx, body)
        try:
            yielded = coro.send(None)  # run eagerly up to the first real wait
        except StopIteration as stop:
            self._complete(slot, stop.value)
            return
        except Exception:
            self._handler_failed(slot)
            return
        task = self._loop.create_task(self._run(slot, _resume(coro, yielded)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, slot: _Slot, coro: Any) -> None:
        try:
            response = await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            self._handler_failed(slot)
            return
        self._complete(slot, response)

    def _handler_failed(self, slot: _Slot) -> None:
        log.exception(
            "Error while handling %s v%d from %s; closing the connection",
            APIS[slot.api_key].name,
            slot.api_version,
            self.peer,
        )
        self.close()

    def _complete(self, slot: _Slot, response: Any) -> None:
        slot.response = response
        slot.done = True
        if self._closing:
            return
        slots = self._slots
        transport = self.transport
        assert transport is not None
        while slots and slots[0].done:
            s = slots.popleft()
            self._inflight_bytes -= s.size
            if s.response is None:
                continue
            if s.response is registry.CLOSE_CONNECTION:
                log.warning(
                    "Closing connection from %s after a failed %s with acks=0",
                    self.peer,
                    APIS[s.api_key].name,
                )
                self.close()
                return
            try:
                chunks = quirks.encode_response(
                    s.api_key, s.api_version, s.correlation_id, s.response
                )
            except ProtocolError:
                log.exception(
                    "Cannot encode the %s v%d response for %s; closing the connection",
                    APIS[s.api_key].name,
                    s.api_version,
                    self.peer,
                )
                self.close()
                return
            if self._out is not None:
                self._out += chunks
            else:
                transport.writelines(chunks)
        self._update_reading()
        if self._eof and not slots:
            self.close()

    def _flush(self) -> None:
        """Write the answers held while a read was processed, in one call, and stop holding."""
        out, self._out = self._out, None
        if out and self.transport is not None and not self.transport.is_closing():
            self.transport.writelines(out)

    def _update_reading(self) -> None:
        if self.transport is None or self._closing:
            return
        should_pause = (
            self._writing_paused
            or len(self._slots) >= self._max_in_flight
            or self._inflight_bytes >= self._max_inflight_bytes
        )
        if should_pause and not self._reading_paused:
            self.transport.pause_reading()
            self._reading_paused = True
        elif not should_pause and self._reading_paused:
            self.transport.resume_reading()
            self._reading_paused = False

    def _check_idle(self) -> None:
        if self._closing:
            return
        idle_s = self._loop.time() - self._last_active
        limit_s = self._idle_ms / 1000
        if idle_s >= limit_s and not self._slots:
            log.debug("Closing connection from %s idle for %d ms", self.peer, int(idle_s * 1000))
            self.close()
            return
        self._idle_timer = self._loop.call_later(max(limit_s - idle_s, 0.05), self._check_idle)

    def trim_if_idle(self, now: float, idle_s: float) -> None:
        """Shrink the receive buffers of a connection that has read nothing for idle_s."""
        if not self._closing and now - self._last_active >= idle_s:
            self._frames.trim()

    def _bad_input(self, reason: str) -> None:
        log.warning("Closing connection from %s: %s", self.peer, reason)
        self.close()

    def close(self) -> None:
        if self._closing:
            return
        self._flush()  # answers already due go out before the close
        self._closing = True
        if self.transport is not None:
            self.transport.close()

    # -- shutdown ------------------------------------------------------------------------
    async def drain(self) -> None:
        """Wait for the requests already received to be answered."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def stop_reading(self) -> None:
        self._max_in_flight = 0  # from now on reading stays paused
        self._update_reading()
