"""Scale scenarios: group join, many partitions, many idle connections.

group: ``--members`` confluent-kafka consumers (classic protocol, range assignor) subscribe
to one topic with as many partitions as members; each polls in its own thread. Reported:
seconds from the first subscribe until every member holds at least one partition and the
assignments cover every partition once.

partitions: creates a ``--partitions`` topic (seconds until CreateTopics answered and
every partition has a leader), then produces ``--messages`` 100 B messages round robin
(explicit partition i % n) with acks=1 and reports msg/s and the broker's RSS afterwards.

connections: opens ``--connections`` TCP connections, sends ApiVersions v0 on each and
reads the answer (so the broker has really set each one up), then, holding them all open
and idle, reports the broker's RSS and its growth over the RSS before connecting.

The broker pid (``--pid``) is read from /proc on this same machine.

Run: python -m bench.loadgen.scale connections --bootstrap 127.0.0.1:9092 --topic x --pid N
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import threading
import time
from typing import Any

from bench import procs
from bench.loadgen import wire
from bench.loadgen.common import MB, base_parser, ensure_topic, run_main


def _group(args: argparse.Namespace) -> dict[str, Any]:
    from confluent_kafka import Consumer

    ensure_topic(args.bootstrap, args.topic, args.members)
    group = f"join-{time.time_ns()}"
    assigned: dict[int, set[int]] = {i: set() for i in range(args.members)}
    lock = threading.Lock()
    done = threading.Event()
    stop = threading.Event()
    errors: list[str] = []

    def check() -> None:
        with lock:
            parts = [p for s in assigned.values() for p in s]
            if all(assigned.values()) and len(parts) == args.members == len(set(parts)):
                done.set()

    def member(i: int) -> None:
        def on_assign(c: Any, tps: list[Any]) -> None:
            with lock:
                assigned[i] = {tp.partition for tp in tps}
            check()

        def on_revoke(c: Any, tps: list[Any]) -> None:
            with lock:
                assigned[i] = set()

        c = Consumer(
            {
                "bootstrap.servers": args.bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "session.timeout.ms": 30000,
                "heartbeat.interval.ms": 1000,
                "partition.assignment.strategy": "range",
            }
        )
        try:
            c.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke)
            while not stop.is_set():
                m = c.poll(0.05)
                if m is not None and m.error() is not None and len(errors) < 3:
                    errors.append(str(m.error()))
        finally:
            c.close()

    threads = [threading.Thread(target=member, args=(i,), daemon=True) for i in range(args.members)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    ok = done.wait(args.timeout)
    elapsed = time.monotonic() - t0
    stop.set()
    for t in threads:
        t.join(10)
    if not ok:
        with lock:
            have = sum(1 for s in assigned.values() if s)
        raise RuntimeError(
            f"only {have}/{args.members} members assigned after {args.timeout:.0f} s; {errors}"
        )
    return {"join_s": elapsed, "members": args.members}


def _partitions(args: argparse.Namespace) -> dict[str, Any]:
    from confluent_kafka import Producer

    rss_before = procs.rss_bytes(args.pid)
    create_s = ensure_topic(args.bootstrap, args.topic, args.partitions, timeout=args.timeout)
    p = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "acks": "1",
            "linger.ms": 5,
            "queue.buffering.max.messages": 1_000_000,
            "delivery.report.only.error": True,
        }
    )
    errs = [0]

    def on_delivery(err: Any, msg: Any) -> None:
        if err is not None:
            errs[0] += 1

    value = bytes(100)
    n = args.partitions
    t0 = time.monotonic()
    for i in range(args.messages):
        while True:
            try:
                p.produce(args.topic, value, partition=i % n, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.01)
        if i % 1000 == 0:
            p.poll(0)
    left = p.flush(args.timeout)
    elapsed = time.monotonic() - t0
    delivered = args.messages - errs[0] - left
    return {
        "create_s": create_s,
        "produce_msgs_per_s": delivered / elapsed,
        "delivered": delivered,
        "rss_mb": procs.rss_bytes(args.pid) / MB,
        "rss_growth_mb": (procs.rss_bytes(args.pid) - rss_before) / MB,
    }


async def _connections(args: argparse.Namespace) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.connections + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    host, port = args.bootstrap.rsplit(":", 1)
    rss_before = procs.rss_bytes(args.pid)
    conns: list[asyncio.StreamWriter] = []
    sem = asyncio.Semaphore(50)

    async def one(i: int) -> None:
        async with sem:
            reader, writer = await asyncio.open_connection(host, int(port))
            conns.append(writer)
            writer.write(wire.api_versions_v0(i))
            size = int.from_bytes(await reader.readexactly(4), "big")
            await reader.readexactly(size)

    t0 = time.monotonic()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(one(i) for i in range(args.connections))), args.timeout
        )
        setup_s = time.monotonic() - t0
        await asyncio.sleep(args.hold)
        rss = procs.rss_bytes(args.pid)
    finally:
        for w in conns:
            w.close()
    return {
        "connections": len(conns),
        "setup_s": setup_s,
        "rss_mb": rss / MB,
        "rss_growth_mb": (rss - rss_before) / MB,
    }


def main_fn(args: argparse.Namespace) -> dict[str, Any]:
    if args.mode == "group":
        return _group(args)
    if args.mode == "partitions":
        return _partitions(args)
    return asyncio.run(_connections(args))


def parser() -> argparse.ArgumentParser:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("mode", choices=["group", "partitions", "connections"])
    p.add_argument("--pid", type=int, default=0, help="broker pid for RSS")
    p.add_argument("--members", type=int, default=10)
    p.add_argument("--partitions", type=int, default=1000)
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--hold", type=float, default=2.0, help="idle seconds before measuring RSS")
    p.add_argument("--timeout", type=float, default=60.0)
    return p


if __name__ == "__main__":
    run_main(main_fn, parser())
