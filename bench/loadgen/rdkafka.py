"""librdkafka (confluent-kafka) producer and consumer throughput.

produce: one Producer sends ``--record-size`` byte values (no key) to a ``--partitions``
topic for ``--seconds``, then flushes; msg/s and MB/s count only messages whose delivery
report had no error (reports come only for failures, delivery.report.only.error), over the time from the first produce() to the end of the flush.
Settings: acks, compression.type as given, linger.ms=5, batch.size=1 MB, 5 in flight
(librdkafka's default), a deep local queue so the Python loop does not block.

consume: one Consumer assigned (no group, so it works before consumer groups do) to every
partition from the beginning reads ``--expect`` messages (what produce delivered).

Run: python -m bench.loadgen.rdkafka produce --bootstrap 127.0.0.1:9092 --topic t
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.loadgen.common import MB, base_parser, ensure_topic, run_main


def _produce(args: argparse.Namespace) -> dict[str, Any]:
    from confluent_kafka import Producer

    ensure_topic(args.bootstrap, args.topic, args.partitions)
    p = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "acks": args.acks,
            "compression.type": args.compression,
            "linger.ms": 5,
            "batch.size": 1_000_000,
            "queue.buffering.max.messages": 1_000_000,
            "queue.buffering.max.kbytes": 1_048_576,
            "message.max.bytes": 1_000_000,
            # the callback runs only for failures: no Python call per delivered message
            "delivery.report.only.error": True,
        }
    )
    value = (bytes(range(256)) * (args.record_size // 256 + 1))[: args.record_size]
    if args.compression != "none":
        # repetitive but not trivially so: a realistic ratio, same bytes for every broker
        value = (b"moldau-bench record %08d " * (args.record_size // 28 + 1))[: args.record_size]
    failures: list[str] = []

    def on_delivery(err: Any, msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    produce = p.produce
    topic = args.topic
    cpu0 = time.process_time()
    t0 = time.monotonic()
    stop_at = t0 + args.seconds
    sent = 0
    while True:
        for _ in range(1000):
            try:
                produce(topic, value, on_delivery=on_delivery)
                sent += 1
            except BufferError:
                p.poll(0.01)
        p.poll(0)
        if time.monotonic() >= stop_at:
            break
    left = p.flush(60)
    elapsed = time.monotonic() - t0
    ok = sent - len(failures) - left
    first_error = failures[0] if failures else ""
    if ok <= 0:
        raise RuntimeError(f"no message delivered: {first_error or 'flush timed out'}")
    return {
        "msgs_per_s": ok / elapsed,
        "mb_per_s": ok * args.record_size / elapsed / MB,
        "delivered": ok,
        "failed": len(failures) + left,
        "first_error": first_error,
        "seconds": elapsed,
        # all client threads (Python loop + librdkafka); near 1 s per s means client-bound
        "client_cpu_s": time.process_time() - cpu0,
    }


def _consume(args: argparse.Namespace) -> dict[str, Any]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": f"bench-{time.time_ns()}",
            "enable.auto.commit": False,
            "fetch.max.bytes": 52_428_800,
            "max.partition.fetch.bytes": 8_388_608,
            "queued.max.messages.kbytes": 1_048_576,
            "fetch.wait.max.ms": 100,
            # noida-db 0.2.0 ignores fetch.max.bytes and answers with responses of hundreds
            # of MB; librdkafka's default 100 MB limit would make it fail outright
            "receive.message.max.bytes": 1_000_000_000,
        }
    )
    md = c.list_topics(args.topic, timeout=10)
    parts = sorted(md.topics[args.topic].partitions)
    c.assign([TopicPartition(args.topic, p, -2) for p in parts])  # -2 = beginning
    got = 0
    nbytes = 0
    cpu0 = time.process_time()
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    last = t0
    while got < args.expect and time.monotonic() < deadline:
        for m in c.consume(num_messages=10000, timeout=0.5):
            if m.error() is None:
                got += 1
                nbytes += len(m.value() or b"")
                last = time.monotonic()
    c.close()
    elapsed = max(last - t0, 1e-9)
    if got == 0:
        raise RuntimeError("consumed nothing")
    return {
        "msgs_per_s": got / elapsed,
        "mb_per_s": nbytes / elapsed / MB,
        "consumed": got,
        "expected": args.expect,
        "complete": got >= args.expect,
        "seconds": elapsed,
        "client_cpu_s": time.process_time() - cpu0,
    }


def main_fn(args: argparse.Namespace) -> dict[str, Any]:
    return _produce(args) if args.mode == "produce" else _consume(args)


def parser() -> argparse.ArgumentParser:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("mode", choices=["produce", "consume"])
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--record-size", type=int, default=1024)
    p.add_argument("--acks", default="1", choices=["1", "all", "-1"])
    p.add_argument("--compression", default="none", choices=["none", "lz4"])
    p.add_argument("--seconds", type=float, default=5.0, help="produce time / consume limit")
    p.add_argument("--expect", type=int, default=0, help="messages to consume")
    return p


if __name__ == "__main__":
    run_main(main_fn, parser())
