"""kafka-producer-perf-test: send N records of a fixed size as fast as allowed and report
throughput and latency the way Kafka's tool does, so moldau can be measured like Kafka.

Every 5 seconds: `N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency.`
At the end the same for the whole run plus `P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.`
Latency is from the call that queued a record to its acknowledgement. At most 500,000
latencies are kept (an evenly spaced sample), so memory stays bounded for long runs.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections.abc import Sequence
from typing import Any

from moldau.tools import _clientconf
from moldau.tools._common import (
    ToolError,
    bootstrap_from,
    ensure_reachable,
    kafka_error_text,
    load_properties,
    new_parser,
    parse_key_values,
    run_tool,
)

REPORT_INTERVAL_S = 5.0
MAX_SAMPLES = 500_000


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-producer-perf-test", "Measure producer throughput and latency.")
    p.add_argument("--bootstrap-server", help="the broker(s); or bootstrap.servers in --producer-props")
    p.add_argument("--topic", required=True, help="the topic to produce to")
    p.add_argument("--num-records", type=int, required=True, metavar="N", help="records to send")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--record-size", type=int, metavar="BYTES", help="size of each record")
    size.add_argument("--payload-file", metavar="FILE", help="send records taken from this file")
    p.add_argument("--payload-delimiter", default="\\n", help="record delimiter in --payload-file (default \\n)")
    p.add_argument("--payload-monotonic", action="store_true", help="payload is the record number")
    p.add_argument("--throughput", type=float, required=True, metavar="N",
                   help="records/second to aim for; -1 for no limit")
    p.add_argument("--producer-props", nargs="+", metavar="K=V", help="producer settings")
    p.add_argument("--producer.config", "--command-config", dest="producer_config", metavar="FILE",
                   help="producer settings file")
    p.add_argument("--print-metrics", action="store_true", help="print client statistics at the end")
    p.add_argument("--transactional-id", help="send within transactions under this id")
    p.add_argument("--transaction-duration-ms", type=int, default=None, metavar="MS",
                   help="commit a transaction every MS (default 3000 when transactional)")
    return p


class Stats:
    """Totals, the current reporting window, and a bounded latency sample."""

    def __init__(self, num_records: int) -> None:
        self.start = time.monotonic()
        self.count = 0
        self.bytes = 0
        self.max_latency = 0.0
        self.total_latency = 0.0
        self.errors = 0
        self.sampling = max(1, num_records // MAX_SAMPLES)
        self.samples: list[float] = []
        self.window_start = self.start
        self.window_count = self.window_bytes = 0
        self.window_max = self.window_total = 0.0

    def record(self, latency_ms: float, size: int) -> None:
        self.count += 1
        self.bytes += size
        self.total_latency += latency_ms
        self.max_latency = max(self.max_latency, latency_ms)
        self.window_count += 1
        self.window_bytes += size
        self.window_total += latency_ms
        self.window_max = max(self.window_max, latency_ms)
        if self.count % self.sampling == 0 and len(self.samples) < MAX_SAMPLES:
            self.samples.append(latency_ms)
        if time.monotonic() - self.window_start >= REPORT_INTERVAL_S:
            self.print_window()

    def print_window(self) -> None:
        elapsed = max(time.monotonic() - self.window_start, 1e-9)
        n = self.window_count
        print(f"{n} records sent, {n / elapsed:.1f} records/sec "
              f"({self.window_bytes / elapsed / 1024 / 1024:.2f} MB/sec), "
              f"{(self.window_total / n if n else 0):.1f} ms avg latency, "
              f"{self.window_max:.1f} ms max latency.", flush=True)
        self.window_start = time.monotonic()
        self.window_count = self.window_bytes = 0
        self.window_total = self.window_max = 0.0

    def print_total(self) -> None:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        n = self.count
        s = sorted(self.samples)

        def pct(q: float) -> int:
            return int(s[min(len(s) - 1, int(q * len(s)))]) if s else 0

        print(f"{n} records sent, {n / elapsed:.1f} records/sec "
              f"({self.bytes / elapsed / 1024 / 1024:.2f} MB/sec), "
              f"{(self.total_latency / n if n else 0):.2f} ms avg latency, "
              f"{self.max_latency:.2f} ms max latency, {pct(0.5)} ms 50th, {pct(0.95)} ms 95th, "
              f"{pct(0.99)} ms 99th, {pct(0.999)} ms 99.9th.", flush=True)


def payloads(args: argparse.Namespace) -> list[bytes]:
    if args.payload_file:
        try:
            with open(args.payload_file, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ToolError(f"cannot read {args.payload_file}: {e.strerror}") from None
        delim = args.payload_delimiter.encode().decode("unicode_escape").encode()
        items = [x for x in data.split(delim) if x]
        if not items:
            raise ToolError(f"File is empty: {args.payload_file}")
        print(f"Reading payloads from: {args.payload_file}")
        print(f"Number of messages read: {len(items)}")
        return items
    if args.record_size is not None and args.record_size < 0:
        raise ToolError("--record-size must not be negative")
    rng = random.Random()
    return [bytes(rng.choice(string.ascii_uppercase.encode()) for _ in range(args.record_size or 0))]


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(_main, argv)


def _main(argv: Sequence[str]) -> int:
    from confluent_kafka import KafkaException, Producer

    args = build_parser().parse_args(argv)
    if args.num_records < 0:
        raise ToolError("--num-records must not be negative")
    props = load_properties(args.producer_config)
    props.update(parse_key_values(args.producer_props, "--producer-props"))
    if args.bootstrap_server:
        props["bootstrap.servers"] = args.bootstrap_server
    bootstrap = props.get("bootstrap.servers") or bootstrap_from(args)
    if args.transactional_id:
        props["transactional.id"] = args.transactional_id
    conf = _clientconf.translate(props)
    conf.setdefault("log_level", 0)
    conf.setdefault("partitioner", "murmur2_random")
    if args.print_metrics:
        conf.setdefault("statistics.interval.ms", 1000)
    data = payloads(args)
    ensure_reachable(bootstrap)
    last_stats: list[str] = []
    if args.print_metrics:
        conf["stats_cb"] = lambda s: last_stats.append(s) if not last_stats else last_stats.__setitem__(0, s)
    producer = _clientconf.build(Producer, conf)
    transactional = "transactional.id" in conf
    tx_every = (args.transaction_duration_ms or 3000) / 1000.0
    stats = Stats(args.num_records)

    def on_delivery(err: Any, msg: Any) -> None:
        if err is not None:
            stats.errors += 1
            if stats.errors <= 10:
                print(f"ERROR when sending: {err.str()}", file=sys.stderr)
            return
        stats.record((msg.latency() or 0.0) * 1000.0, len(msg.value() or b""))

    try:
        if transactional:
            try:
                producer.init_transactions(30)
            except KafkaException as e:
                raise ToolError("cannot start transactions (does the broker support them?): "
                                f"{kafka_error_text(e)}") from None
            producer.begin_transaction()
        tx_start = time.monotonic()
        start = time.monotonic()
        for i in range(args.num_records):
            value = str(i).encode() if args.payload_monotonic else data[i % len(data)]
            while True:
                try:
                    producer.produce(args.topic, value=value, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.005)
            producer.poll(0)
            if args.throughput > 0:
                ahead = (i + 1) / args.throughput - (time.monotonic() - start)
                if ahead > 0:
                    producer.poll(ahead)
            if transactional and time.monotonic() - tx_start >= tx_every:
                producer.commit_transaction(60)
                producer.begin_transaction()
                tx_start = time.monotonic()
        if transactional:
            producer.commit_transaction(60)
        remaining = producer.flush(120)
    except KafkaException as e:
        raise ToolError(kafka_error_text(e)) from None
    except KeyboardInterrupt:
        producer.flush(10)
        stats.print_total()
        return 130
    stats.print_total()
    if args.print_metrics:
        deadline = time.monotonic() + 3.0
        while not last_stats and time.monotonic() < deadline:
            producer.poll(0.1)  # statistics arrive once per statistics.interval.ms
        if last_stats:
            print(last_stats[0])
    if remaining or stats.errors:
        print(f"ERROR {stats.errors + remaining} record(s) were not acknowledged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
