"""Raw pre-encoded produce and fetch: the broker, not the client, is the bottleneck.

produce: one record batch (v2, uncompressed, ``--record-size`` byte values, as many records
as fit in ``--batch-bytes``) is built once; every Produce v7 request carries that same
batch to one partition. ``--connections`` asyncio connections each keep up to
``--inflight`` requests outstanding (like a client's max.in.flight of 5) for ``--seconds``.
Throughput counts only acknowledged bytes of batches that got error code 0, after a
``--warmup`` period (the JVM's JIT makes Kafka's first second unrepresentative).

fetch: reads every partition back from offset 0 to the end offset known at the start, one
connection (and thread, blocking socket, recv_into one reused buffer) per partition group,
one Fetch v11 in flight per connection (the next offset depends on the answer). Throughput counts complete record batches received.

Run: python -m bench.loadgen.raw produce --bootstrap 127.0.0.1:9092 --topic t
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import socket
import struct
import threading
import time
from typing import Any

from bench.loadgen import wire
from bench.loadgen.common import MB, base_parser, ensure_topic, run_main

_SIZE = struct.Struct(">i")
_CORR = struct.Struct(">i")


def build_batch(record_size: int, batch_bytes: int) -> tuple[bytes, int]:
    """Return (batch bytes, record count) of the largest batch not over batch_bytes."""
    from kafka.record.default_records import DefaultRecordBatchBuilder

    value = bytes(range(256)) * (record_size // 256) + bytes(record_size % 256)
    n = max(1, batch_bytes // (record_size + 12))
    while True:
        b = DefaultRecordBatchBuilder(
            magic=2,
            compression_type=0,
            is_transactional=0,
            producer_id=-1,
            producer_epoch=-1,
            base_sequence=-1,
            batch_size=batch_bytes * 2,
        )
        ts = int(time.time() * 1000)
        for i in range(n):
            b.append(i, timestamp=ts, key=None, value=value, headers=[])
        data = bytes(b.build())
        if len(data) <= batch_bytes or n == 1:
            return data, n
        n -= max(1, (len(data) - batch_bytes) // (record_size + 12))


def _split(bootstrap: str) -> tuple[str, int]:
    host, port = bootstrap.rsplit(":", 1)
    return host, int(port)


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    size = _SIZE.unpack(await reader.readexactly(4))[0]
    if size < 4 or size > 4 << 30:
        raise wire.WireError(f"implausible response size {size}")
    data = await reader.readexactly(size)
    return _CORR.unpack_from(data, 0)[0], data[4:]


async def _produce_conn(
    args: argparse.Namespace, partition: int, batch: bytes, stop_at: float, stats: dict[str, Any]
) -> None:
    host, port = _split(args.bootstrap)
    reader, writer = await asyncio.open_connection(host, port)
    slots = asyncio.Semaphore(args.inflight)
    pending: asyncio.Queue[int | None] = asyncio.Queue()

    async def responses() -> None:
        try:
            await _responses()
        finally:
            # never leave the sender blocked on a slot if reading failed
            for _ in range(args.inflight):
                slots.release()

    async def _responses() -> None:
        while True:
            corr = await pending.get()
            if corr is None:
                return
            got, body = await _read_frame(reader)
            if got != corr:
                raise wire.WireError(f"correlation id {got}, expected {corr}")
            counted = time.monotonic() >= stats["measure_from"]
            for res in wire.parse_produce_v7(body):
                if res.error_code == 0:
                    stats["all_bytes"] += len(batch)
                if res.error_code == 0 and not counted:
                    continue
                if res.error_code == 0:
                    stats["acked_bytes"] += len(batch)
                    stats["acked_records"] += stats["records_per_batch"]
                else:
                    stats["errors"][res.error_code] = stats["errors"].get(res.error_code, 0) + 1
            stats["last_ack"] = time.monotonic()
            slots.release()

    rtask = asyncio.create_task(responses())
    corr = 0
    try:
        while time.monotonic() < stop_at and stats["acked_bytes"] < args.max_bytes:
            await slots.acquire()
            if rtask.done():
                break
            corr += 1
            writer.write(
                wire.produce_v7_head(corr, args.topic, partition, args.acks, 30000, len(batch))
            )
            writer.write(batch)
            await pending.put(corr)
            await writer.drain()
        await pending.put(None)
        await asyncio.wait_for(rtask, 60)
    finally:
        rtask.cancel()
        writer.close()


async def _produce(args: argparse.Namespace) -> dict[str, Any]:
    batch, records = build_batch(args.record_size, args.batch_bytes)
    stats: dict[str, Any] = {
        "acked_bytes": 0,
        "all_bytes": 0,
        "acked_records": 0,
        "errors": {},
        "records_per_batch": records,
        "last_ack": 0.0,
        "measure_from": time.monotonic() + args.warmup,
    }
    t0 = stats["measure_from"]
    cpu0 = time.process_time()
    await asyncio.gather(
        *(
            _produce_conn(args, c % args.partitions, batch, t0 + args.seconds, stats)
            for c in range(args.connections)
        )
    )
    elapsed = max(stats["last_ack"] - t0, 1e-9)
    if stats["acked_bytes"] == 0:
        raise RuntimeError(f"no batch acknowledged; error codes {stats['errors']}")
    return {
        "mb_per_s": stats["acked_bytes"] / elapsed / MB,
        "records_per_s": stats["acked_records"] / elapsed,
        "bytes": stats["acked_bytes"],
        "bytes_incl_warmup": stats["all_bytes"],
        "seconds": elapsed,
        "batch_bytes": len(batch),
        "records_per_batch": records,
        "error_codes": stats["errors"],
        "warmup_s": args.warmup,
        "client_cpu_s": time.process_time() - cpu0,
    }


def _end_offsets(args: argparse.Namespace) -> dict[int, int]:
    host, port = _split(args.bootstrap)
    req = wire.list_offsets_v1(1, args.topic, list(range(args.partitions)), -1)
    body = wire.request_blocking(host, port, req, timeout=10.0)
    out = {}
    for p, (err, off) in wire.parse_list_offsets_v1(body).items():
        if err:
            raise RuntimeError(f"ListOffsets partition {p}: error {err}")
        out[p] = off
    return out


class _FrameReader:
    """Reads whole response frames into one reused buffer with recv_into.

    A blocking socket in a thread: recv_into releases the GIL and copies each byte once
    (kernel to this buffer), which keeps the client's cost per fetched GB low; asyncio's
    StreamReader would copy every response two more times.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray(16 << 20)

    def _fill(self, view: memoryview) -> None:
        pos = 0
        while pos < len(view):
            n = self.sock.recv_into(view[pos:])
            if n == 0:
                raise wire.WireError("connection closed by broker")
            pos += n

    def read(self) -> tuple[int, memoryview]:
        head = memoryview(bytearray(4))
        self._fill(head)
        size = _SIZE.unpack(head)[0]
        if size < 4 or size > 4 << 30:
            raise wire.WireError(f"implausible response size {size}")
        if size > len(self.buf):
            self.buf = bytearray(size)
        view = memoryview(self.buf)[:size]
        self._fill(view)
        return _CORR.unpack_from(view, 0)[0], view[4:]


def _fetch_conn(
    args: argparse.Namespace,
    parts: list[int],
    ends: dict[int, int],
    deadline: float,
    stats: dict[str, Any],
    lock: threading.Lock,
) -> None:
    host, port = _split(args.bootstrap)
    offsets = {p: 0 for p in parts}
    corr = 0
    with socket.create_connection((host, port), timeout=60) as sock:
        reader = _FrameReader(sock)
        while any(offsets[p] < ends[p] for p in parts) and time.monotonic() < deadline:
            corr += 1
            want = [(p, o) for p, o in offsets.items() if o < ends[p]]
            sock.sendall(
                wire.fetch_v11(
                    corr,
                    args.topic,
                    want,
                    max_wait_ms=100,
                    partition_max_bytes=args.partition_max_bytes,
                )
            )
            got, body = reader.read()
            if got != corr:
                raise wire.WireError(f"correlation id {got}, expected {corr}")
            top_err, results = wire.parse_fetch_v11(body)
            if top_err:
                raise RuntimeError(f"Fetch error {top_err}")
            nbytes_total = count_total = 0
            for res in results:
                if res.error_code:
                    raise RuntimeError(f"Fetch partition {res.partition}: error {res.error_code}")
                if res.records is None or len(res.records) == 0:
                    continue
                nxt, nbytes, count = wire.batches_end(res.records)
                if nxt > offsets[res.partition]:
                    offsets[res.partition] = nxt
                    nbytes_total += nbytes
                    count_total += count
            with lock:
                stats["largest_response"] = max(stats["largest_response"], len(body))
                stats["bytes"] += nbytes_total
                stats["records"] += count_total
                stats["last"] = time.monotonic()
    with lock:
        stats["complete"] &= all(offsets[p] >= ends[p] for p in parts)


def _fetch(args: argparse.Namespace) -> dict[str, Any]:
    """One thread per connection; errors in any thread fail the run."""
    ends = _end_offsets(args)
    if not any(ends.values()):
        raise RuntimeError("topic is empty; run the produce scenario first")
    stats: dict[str, Any] = {
        "bytes": 0,
        "records": 0,
        "last": 0.0,
        "complete": True,
        "largest_response": 0,
    }
    lock = threading.Lock()
    groups = [list(range(c, args.partitions, args.connections)) for c in range(args.connections)]
    t0 = time.monotonic()
    cpu0 = time.process_time()
    with concurrent.futures.ThreadPoolExecutor(len(groups)) as pool:
        futs = [
            pool.submit(_fetch_conn, args, g, ends, t0 + args.seconds, stats, lock)
            for g in groups
            if g
        ]
        for f in futs:
            f.result()
    elapsed = max(stats["last"] - t0, 1e-9)
    return {
        "mb_per_s": stats["bytes"] / elapsed / MB,
        "records_per_s": stats["records"] / elapsed,
        "bytes": stats["bytes"],
        "seconds": elapsed,
        "complete": stats["complete"],
        # noted because some brokers ignore max_bytes / partition_max_bytes
        "largest_response_bytes": stats["largest_response"],
        "client_cpu_s": time.process_time() - cpu0,
        "end_offsets": ends,
    }


def main_fn(args: argparse.Namespace) -> dict[str, Any]:
    runner: Any = asyncio.run
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        pass
    if args.mode == "produce":
        if args.create:
            ensure_topic(args.bootstrap, args.topic, args.partitions)
        return runner(_produce(args))
    return _fetch(args)


def parser() -> argparse.ArgumentParser:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("mode", choices=["produce", "fetch"])
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--acks", type=int, default=1, choices=[1, -1])
    p.add_argument("--record-size", type=int, default=1024)
    p.add_argument("--batch-bytes", type=int, default=1 << 20)
    p.add_argument("--inflight", type=int, default=5)
    p.add_argument("--seconds", type=float, default=5.0, help="measured time")
    p.add_argument(
        "--warmup", type=float, default=1.0, help="produce before measuring (JIT, caches)"
    )
    p.add_argument("--max-bytes", type=int, default=4 << 30, help="stop producing after this many")
    p.add_argument("--partition-max-bytes", type=int, default=8 << 20)
    p.add_argument("--no-create", dest="create", action="store_false")
    return p


if __name__ == "__main__":
    run_main(main_fn, parser())
