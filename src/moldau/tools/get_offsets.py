"""kafka-get-offsets: print offsets of topic partitions, one `topic:partition:offset` line each.

--time picks which offset: -1/latest (the default, the log end), -2/earliest (the log start),
-3/max-timestamp (the record with the highest timestamp), or a timestamp in epoch ms (the
first record at or after it). Partitions with no such offset (an empty partition for
max-timestamp, a time after the last record) are left out, as Kafka does.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any

from moldau.tools._common import (
    ToolError,
    add_bootstrap,
    admin_client,
    bootstrap_from,
    kafka_error_text,
    new_parser,
    run_tool,
    wait,
)

INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state", "__share_group_state"})
TIME_NAMES = {"latest": -1, "earliest": -2, "max-timestamp": -3}


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-get-offsets", "Print offsets of topic partitions.")
    add_bootstrap(p, broker_list=True)
    p.add_argument("--command-config", metavar="FILE", help="properties file for the admin client")
    p.add_argument("--topic", metavar="REGEX", help="topics to include (a regular expression)")
    p.add_argument("--partitions", metavar="P,P,...", help="partitions to include (with --topic)")
    p.add_argument("--topic-partitions", metavar="T:P,T:P-Q,...",
                   help="topic regex with a partition, a range P-Q or an open range P-")
    p.add_argument("--time", default="-1", metavar="TIME",
                   help="-1/latest (default), -2/earliest, -3/max-timestamp or a timestamp in ms")
    p.add_argument("--exclude-internal-topics", action="store_true", help="leave out internal topics")
    return p


def parse_time(text: str) -> int:
    t = text.strip().lower()
    if t in TIME_NAMES:
        return TIME_NAMES[t]
    try:
        value = int(t)
    except ValueError:
        value = -100
    if value < -3:
        raise ToolError(f"Malformed time argument {text}. Please use -1 or latest / -2 or earliest / "
                        "-3 or max-timestamp, or a timestamp in milliseconds")
    return value


def _partition_filter(spec: str | None) -> Any:
    """A predicate for a partition spec: `3`, `1-4` (end exclusive, as Kafka's), `2-`."""
    if spec is None or spec == "":
        return lambda p: True
    m = re.fullmatch(r"(\d+)(-(\d*))?", spec.strip())
    if not m:
        raise ToolError(f"Invalid partition specification: {spec}")
    low = int(m[1])
    if m[2] is None:
        return lambda p: p == low
    high = int(m[3]) if m[3] else None
    return lambda p: p >= low and (high is None or p < high)


def selectors(args: argparse.Namespace) -> list[tuple[re.Pattern[str], Any]]:
    if args.topic_partitions:
        if args.topic or args.partitions:
            raise ToolError("--topic-partitions cannot be used with --topic or --partitions")
        out = []
        for item in args.topic_partitions.split(","):
            topic, _, part = item.partition(":")
            out.append((_compile(topic or ".*"), _partition_filter(part)))
        return out
    partitions = None
    if args.partitions:
        try:
            wanted = {int(p) for p in args.partitions.split(",") if p.strip()}
        except ValueError:
            raise ToolError(f"Invalid --partitions '{args.partitions}': expected comma-separated numbers") from None
        partitions = wanted
    pattern = _compile(args.topic or ".*")
    return [(pattern, (lambda p: p in partitions) if partitions is not None else (lambda p: True))]


def _compile(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as e:
        raise ToolError(f"invalid topic regular expression '{text}': {e}") from None


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(_main, argv)


def _main(argv: Sequence[str]) -> int:
    from confluent_kafka import KafkaException, TopicPartition
    from confluent_kafka.admin import OffsetSpec

    args = build_parser().parse_args(argv)
    time_value = parse_time(args.time)
    sel = selectors(args)
    admin = admin_client(bootstrap_from(args), args.command_config)
    md = admin.list_topics(timeout=30)
    chosen: list[tuple[str, int]] = []
    for name, t in sorted(md.topics.items()):
        if args.exclude_internal_topics and name in INTERNAL_TOPICS:
            continue
        for p in sorted(t.partitions):
            if any(pattern.fullmatch(name) and accept(p) for pattern, accept in sel):
                chosen.append((name, p))
    if not chosen:
        raise ToolError("Could not match any topic-partitions with the specified filters")
    spec = {-1: OffsetSpec.latest(), -2: OffsetSpec.earliest(), -3: OffsetSpec.max_timestamp()}.get(
        time_value) or OffsetSpec.for_timestamp(time_value)
    futures = admin.list_offsets({TopicPartition(t, p): spec for t, p in chosen}, request_timeout=30)
    results: dict[tuple[str, int], int] = {}
    for tp, fut in futures.items():
        try:
            results[(tp.topic, tp.partition)] = wait(fut).offset
        except KafkaException as e:
            raise ToolError(kafka_error_text(e)) from None
    for t, p in chosen:
        offset = results.get((t, p), -1)
        if offset >= 0:
            print(f"{t}:{p}:{offset}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
