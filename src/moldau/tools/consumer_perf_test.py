"""kafka-consumer-perf-test: consume N records as fast as possible and report throughput in
Kafka's CSV-like lines:

  start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec

rebalance.time.ms is the time until the group assigned partitions; fetch.* is the rest.
MB are 2^20 bytes of keys plus values. --show-detailed-stats prints one line per
--reporting-interval instead (time, threadId, then the same columns).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from moldau.tools import _clientconf
from moldau.tools._common import (
    ToolError,
    add_bootstrap,
    bootstrap_from,
    ensure_reachable,
    load_properties,
    new_parser,
    parse_key_values,
    run_tool,
)

HEADER = ("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
          "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
DETAIL_HEADER = ("time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                 "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-consumer-perf-test", "Measure consumer throughput.")
    add_bootstrap(p, broker_list=True)
    p.add_argument("--topic", required=True, help="the topic to consume")
    p.add_argument("--messages", type=int, required=True, metavar="N", help="records to consume")
    p.add_argument("--group", help="consumer group (default: perf-consumer-NNNNN)")
    p.add_argument("--fetch-size", type=int, metavar="BYTES", help="max.partition.fetch.bytes")
    p.add_argument("--from-latest", action="store_true", help="start at the log end, not the start")
    p.add_argument("--timeout", type=int, default=10000, metavar="MS",
                   help="give up when no record arrives for MS (default 10000)")
    p.add_argument("--show-detailed-stats", action="store_true", help="one line per reporting interval")
    p.add_argument("--reporting-interval", type=int, default=5000, metavar="MS")
    p.add_argument("--hide-header", action="store_true", help="do not print the header line")
    p.add_argument("--date-format", default=None, help="strftime format of the time columns")
    p.add_argument("--print-metrics", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--num-fetch-threads", type=int, help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    p.add_argument("--socket-buffer-size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--consumer.config", "--command-config", dest="consumer_config", metavar="FILE",
                   help="consumer settings file")
    p.add_argument("--consumer-property", action="append", metavar="K=V", help=argparse.SUPPRESS)
    return p


def _fmt_time(t: float, fmt: str | None) -> str:
    dt = datetime.fromtimestamp(t)
    if fmt:
        return dt.strftime(fmt)
    return dt.strftime("%Y-%m-%d %H:%M:%S:") + f"{dt.microsecond // 1000:03d}"


def _row(first: str, second: str, nbytes: int, n: int, elapsed_ms: float, rebalance_ms: float,
         fetch_ms: float) -> str:
    mb = nbytes / 1024 / 1024
    sec = max(elapsed_ms / 1000.0, 1e-9)
    fetch_sec = fetch_ms / 1000.0
    fetch_mb = mb / fetch_sec if fetch_sec > 0 else 0.0
    fetch_n = n / fetch_sec if fetch_sec > 0 else 0.0
    return (f"{first}, {second}, {mb:.4f}, {mb / sec:.4f}, {n}, {n / sec:.4f}, "
            f"{int(rebalance_ms)}, {int(fetch_ms)}, {fetch_mb:.4f}, {fetch_n:.4f}")


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(_main, argv)


def _main(argv: Sequence[str]) -> int:
    from confluent_kafka import Consumer

    args = build_parser().parse_args(argv)
    if args.messages <= 0:
        raise ToolError("--messages must be positive")
    bootstrap = bootstrap_from(args)
    props = load_properties(args.consumer_config)
    props.update(parse_key_values(args.consumer_property, "--consumer-property"))
    props["group.id"] = args.group or props.get("group.id") or f"perf-consumer-{random.randint(0, 99999):05d}"
    props.setdefault("auto.offset.reset", "latest" if args.from_latest else "earliest")
    props.setdefault("enable.auto.commit", "true")
    props.setdefault("client.id", "perf-consumer-client")
    if args.fetch_size:
        props["max.partition.fetch.bytes"] = str(args.fetch_size)
    conf: dict[str, Any] = _clientconf.translate(props)
    conf.update({"bootstrap.servers": bootstrap, "log_level": 0})
    ensure_reachable(bootstrap)
    consumer = _clientconf.build(Consumer, conf)
    md = consumer.list_topics(args.topic, timeout=15)
    t = md.topics.get(args.topic)
    if t is None or t.error is not None:
        consumer.close()
        raise ToolError(f"Topic '{args.topic}' does not exist")

    start = time.time()
    assigned_at: list[float] = []

    def on_assign(c: Any, partitions: Any) -> None:
        if not assigned_at:
            assigned_at.append(time.time())

    consumer.subscribe([args.topic], on_assign=on_assign)
    n = nbytes = 0
    last_record = time.monotonic()
    if args.show_detailed_stats and not args.hide_header:
        print(DETAIL_HEADER)
    last_report = time.time()
    last_n = last_bytes = 0
    timed_out = False
    try:
        while n < args.messages:
            batch = consumer.consume(num_messages=min(1000, args.messages - n), timeout=0.2)
            now_mono = time.monotonic()
            got = 0
            for msg in batch:
                if msg.error():
                    continue
                got += 1
                nbytes += len(msg.value() or b"") + len(msg.key() or b"")
            n += got
            if got:
                last_record = now_mono
            elif (now_mono - last_record) * 1000 >= args.timeout:
                timed_out = True
                break
            if args.show_detailed_stats and (time.time() - last_report) * 1000 >= args.reporting_interval:
                now = time.time()
                rebalance_ms = ((assigned_at[0] - start) * 1000) if assigned_at and last_n == 0 else 0
                elapsed_ms = (now - last_report) * 1000
                print(_row(_fmt_time(now, args.date_format), "0", nbytes - last_bytes, n - last_n,
                           elapsed_ms, rebalance_ms, elapsed_ms - rebalance_ms), flush=True)
                last_report, last_n, last_bytes = now, n, nbytes
    except KeyboardInterrupt:
        pass
    end = time.time()
    consumer.close()
    if timed_out:
        print(f"WARNING: Exiting before consuming the expected number of messages: timeout "
              f"({args.timeout} ms) exceeded. You can use the --timeout option to increase the timeout.",
              file=sys.stderr)
    if not args.show_detailed_stats:
        elapsed_ms = (end - start) * 1000
        rebalance_ms = (assigned_at[0] - start) * 1000 if assigned_at else 0.0
        if not args.hide_header:
            print(HEADER)
        print(_row(_fmt_time(start, args.date_format), _fmt_time(end, args.date_format), nbytes, n,
                   elapsed_ms, rebalance_ms, elapsed_ms - rebalance_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
