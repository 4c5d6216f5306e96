"""End-to-end latency at a fixed rate: produce time -> consumer receive time.

A confluent-kafka Producer (linger.ms=0, acks as given) sends ``--rate`` msg/s of
``--record-size`` byte values to a one-partition topic for ``--seconds``; each value starts
with the send time (CLOCK_MONOTONIC ns, one machine so one clock). A Consumer assigned to
the partition at its end (no group needed), fetch.wait.max.ms=5, receives them in a thread
(librdkafka's poll releases the GIL) and records receive - send. The first ``--warmup``
seconds are dropped, and the clock starts only after a probe message has made the round
trip. p50/p99/p99.9 are over the remaining samples; ``received`` vs
``sent`` shows losses.

Pacing: message i is due at t0 + i/rate; the loop sleeps while ahead and never bursts to
catch up by more than what is due, so the offered rate is steady.

Run: python -m bench.loadgen.latency --bootstrap 127.0.0.1:9092 --topic t --rate 10000
"""

from __future__ import annotations

import argparse
import struct
import threading
import time
from typing import Any

from bench.loadgen.common import base_parser, ensure_topic, run_main

_TS = struct.Struct(">q")


def percentile(sorted_vals: list[float], q: float) -> float:
    if not sorted_vals:
        return float("nan")
    idx = min(len(sorted_vals) - 1, max(0, int(round(q * (len(sorted_vals) - 1)))))
    return sorted_vals[idx]


def main_fn(args: argparse.Namespace) -> dict[str, Any]:
    from confluent_kafka import Consumer, Producer, TopicPartition

    ensure_topic(args.bootstrap, args.topic, 1)
    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": f"lat-{time.time_ns()}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 5,
            "fetch.min.bytes": 1,
            "fetch.error.backoff.ms": 5,
        }
    )
    consumer.assign([TopicPartition(args.topic, 0, -1)])  # -1 = end
    samples: list[float] = []
    received = [0]
    stop = threading.Event()
    measure_from_ns = [0]

    def consume() -> None:
        # poll() returns as soon as one message is there; consume(n) would wait for n
        while not stop.is_set():
            m = consumer.poll(0.05)
            if m is None or m.error() is not None or m.value() is None:
                continue
            now = time.monotonic_ns()
            sent = _TS.unpack_from(m.value() or b"", 0)[0]
            if sent >= measure_from_ns[0]:
                received[0] += 1
                samples.append((now - sent) / 1e6)

    producer = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "acks": args.acks,
            "linger.ms": 0,
            "delivery.report.only.error": True,
        }
    )
    # The clock starts only once the whole path is live: probes are produced until the
    # consumer has received one (its start offset, leader and fetch loop are all settled).
    # Without this a broker that is slow to serve a brand-new topic would be charged
    # seconds of start-up as "latency".
    ready_by = time.monotonic() + 60
    while True:
        producer.produce(args.topic, _TS.pack(0), partition=0)
        producer.flush(10)
        m = consumer.poll(1.0)
        if m is not None and m.error() is None:
            break
        if time.monotonic() > ready_by:
            raise RuntimeError("the consumer received no probe message within 60 s")
    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    pad = bytes(max(0, args.record_size - 8))
    t0 = time.monotonic()
    measure_from_ns[0] = int((t0 + args.warmup) * 1e9)
    total = int(args.rate * (args.seconds + args.warmup))
    sent_measured = 0
    for i in range(total):
        due = t0 + i / args.rate
        delay = due - time.monotonic()
        if delay > 0.0002:
            time.sleep(delay)
        ts = time.monotonic_ns()
        if ts >= measure_from_ns[0]:
            sent_measured += 1
        while True:
            try:
                producer.produce(args.topic, _TS.pack(ts) + pad, partition=0)
                break
            except BufferError:
                producer.poll(0.001)
        if i % 100 == 0:
            producer.poll(0)
    offered = total / (time.monotonic() - t0)
    producer.flush(30)
    # let the tail arrive
    deadline = time.monotonic() + 10
    while received[0] < sent_measured and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    consumer.close()
    vals = sorted(samples)
    if not vals:
        raise RuntimeError("no message came back to the consumer")
    return {
        "p50_ms": percentile(vals, 0.50),
        "p99_ms": percentile(vals, 0.99),
        "p999_ms": percentile(vals, 0.999),
        "max_ms": vals[-1],
        "sent": sent_measured,
        "received": received[0],
        "offered_rate": offered,
    }


def parser() -> argparse.ArgumentParser:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=1000.0, help="messages per second")
    p.add_argument("--seconds", type=float, default=5.0, help="measured time")
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--record-size", type=int, default=100)
    p.add_argument("--acks", default="all")
    return p


if __name__ == "__main__":
    run_main(main_fn, parser())
