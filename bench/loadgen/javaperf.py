"""Kafka's own perf tools (kafka-producer-perf-test / kafka-consumer-perf-test).

Runs org.apache.kafka.tools.ProducerPerformance and ConsumerPerformance from the kafka-tools
jar that the Kafka driver fetched (same class path), against any broker. The tools time
themselves; their figures are parsed from their output. MB/s is recomputed from
records/s x record size in 10^6-byte MB, because the tools print MiB.

Producer settings: acks as given, linger.ms=5, batch.size=256 KiB, everything else the Java
client's defaults. ConsumerPerformance subscribes with a consumer group, so it needs the
broker's group coordinator.

Run: python -m bench.loadgen.javaperf produce --bootstrap 127.0.0.1:9092 --topic t
"""

from __future__ import annotations

import argparse
import re
import subprocess
from typing import Any

from bench.brokers.base import BrokerMissing
from bench.brokers.kafka import KafkaBroker, java_argv
from bench.loadgen.common import MB, base_parser, ensure_topic, run_main

_FINAL = re.compile(
    r"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th"
)
_PERIODIC = re.compile(r"^(\d+) records sent, ([\d.]+) records/sec")


def _why(output: str) -> str:
    """The first exception/error lines of a Java tool's output, else its tail."""
    hits = [ln.strip() for ln in output.splitlines() if re.search(r"Exception|ERROR|Error:", ln)]
    return " | ".join(hits[:3])[:500] if hits else output[-300:]


# The tools' JVM heap (also its direct-buffer limit). 2 GiB because noida-db 0.2.0 ignores
# fetch.max.bytes and sends fetch responses of hundreds of MB, which a 512 MiB client
# cannot even receive; the same heap is used against every broker.
TOOL_HEAP = "2g"


def _produce(args: argparse.Namespace) -> dict[str, Any]:
    ensure_topic(args.bootstrap, args.topic, args.partitions)
    argv = java_argv(
        "org.apache.kafka.tools.ProducerPerformance",
        "--bootstrap-server",
        args.bootstrap,
        "--topic",
        args.topic,
        "--num-records",
        str(args.num_records),
        "--record-size",
        str(args.record_size),
        "--throughput",
        "-1",
        "--reporting-interval",
        "1000",
        "--command-property",
        f"acks={args.acks}",
        "linger.ms=5",
        "batch.size=262144",
        f"compression.type={args.compression}",
        heap=TOOL_HEAP,
    )
    partial = False
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=args.timeout)
        out = res.stdout
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        partial = True
    for line in out.splitlines()[::-1]:
        m = _FINAL.match(line.strip())
        if m:
            rps = float(m.group(2))
            return {
                "msgs_per_s": rps,
                "mb_per_s": rps * args.record_size / MB,
                "records": int(m.group(1)),
                "avg_latency_ms": float(m.group(4)),
                "p99_latency_ms": float(m.group(8)),
            }
    periodic = [float(m.group(2)) for ln in out.splitlines() if (m := _PERIODIC.match(ln.strip()))]
    if partial and periodic:
        rps = sum(periodic) / len(periodic)
        return {"msgs_per_s": rps, "mb_per_s": rps * args.record_size / MB, "partial": True}
    raise RuntimeError(f"ProducerPerformance gave no result: {_why(out)}")


def _consume(args: argparse.Namespace) -> dict[str, Any]:
    argv = java_argv(
        "org.apache.kafka.tools.ConsumerPerformance",
        "--bootstrap-server",
        args.bootstrap,
        "--topic",
        args.topic,
        "--num-records",
        str(args.num_records),
        "--timeout",  # the longest gap between records before the tool gives up
        "40000",  # Tansu 0.6.0 takes ~24 s to settle the tool's one-member group
        "--command-property",
        "auto.offset.reset=earliest",
        heap=TOOL_HEAP,
    )
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(
            f"ConsumerPerformance did not finish within {args.timeout:.0f} s"
        ) from exc
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if not line.startswith("start.time"):
            continue
        names = [n.strip() for n in line.split(",")]
        for data in lines[i + 1 :]:
            cells = [v.strip() for v in data.split(",")]
            if len(cells) != len(names):
                continue  # e.g. a warning printed between header and figures
            vals = dict(zip(names, cells))
            n = int(float(vals["data.consumed.in.nMsg"]))
            if n == 0:
                raise RuntimeError("ConsumerPerformance consumed nothing")
            rps = float(vals["fetch.nMsg.sec"])
            return {
                "msgs_per_s": rps,
                "mb_per_s": rps * args.record_size / MB,
                "records": n,
                "complete": n >= args.num_records,
                "rebalance_ms": float(vals.get("rebalance.time.ms", "nan")),
            }
    raise RuntimeError(f"ConsumerPerformance gave no result: {_why(res.stdout + res.stderr)}")


def main_fn(args: argparse.Namespace) -> dict[str, Any]:
    # the tools come from the Kafka driver's cache; fetch it even when Kafka is not compared
    try:
        KafkaBroker().ensure()
    except BrokerMissing as exc:
        raise RuntimeError(f"Kafka's perf tools are not available: {exc}") from exc
    return _produce(args) if args.mode == "produce" else _consume(args)


def parser() -> argparse.ArgumentParser:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("mode", choices=["produce", "consume"])
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--record-size", type=int, default=1024)
    p.add_argument("--num-records", type=int, default=1_000_000)
    p.add_argument("--acks", default="1")
    p.add_argument("--compression", default="none")
    p.add_argument("--timeout", type=float, default=60.0)
    return p


if __name__ == "__main__":
    run_main(main_fn, parser())
