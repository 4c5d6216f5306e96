"""kafka-console-consumer: print records of a topic to stdout, one line each.

Line format (Kafka's DefaultMessageFormatter, set with --property k=v): the enabled fields
in this order, each followed by key.separator (TAB) except the value, which ends the line:
  print.timestamp   CreateTime:MS | LogAppendTime:MS | NO_TIMESTAMP
  print.partition   Partition:N
  print.offset      Offset:N
  print.headers     k1:v1,k2:v2 | NO_HEADERS   (headers.separator, headers.key.separator)
  print.key         the key, or null.literal ("null") for a null key
  print.value       the value (default true), or null.literal
"Processed a total of N messages" goes to stderr when the consumer stops (--max-messages,
--timeout-ms, Ctrl-C or SIGTERM).

Without --group the consumer joins a fresh group `console-consumer-NNNNN` and commits
nothing, as Kafka's does; with --group it commits what it printed, so the next run with
the same group continues where this one stopped.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moldau.tools import _clientconf
from moldau.tools._common import (
    ToolError,
    add_bootstrap,
    bootstrap_from,
    ensure_reachable,
    kafka_error_text,
    load_properties,
    new_parser,
    parse_key_values,
    run_tool,
)


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-console-consumer", "Consume records from a topic and print them.")
    add_bootstrap(p)
    p.add_argument("--topic", help="the topic to consume")
    p.add_argument("--include", "--whitelist", dest="include", metavar="REGEX",
                   help="consume every topic whose name matches this regular expression")
    p.add_argument("--partition", type=int, help="consume only this partition (no group)")
    p.add_argument("--offset", default=None,
                   help="with --partition: earliest, latest (default) or an offset")
    p.add_argument("--from-beginning", action="store_true",
                   help="start at the earliest offset when the group has no committed offset")
    p.add_argument("--group", help="the consumer group id (default: a fresh console-consumer-NNNNN)")
    p.add_argument("--max-messages", type=int, metavar="N", help="stop after N records")
    p.add_argument("--timeout-ms", type=int, metavar="MS", help="stop when no record arrives for MS")
    p.add_argument("--isolation-level", choices=("read_uncommitted", "read_committed"),
                   default=None, help="read_uncommitted (default) or read_committed")
    p.add_argument("--consumer-property", action="append", metavar="KEY=VALUE",
                   help="a consumer setting (repeatable)")
    p.add_argument("--consumer.config", "--command-config", dest="consumer_config", metavar="FILE",
                   help="consumer settings file")
    p.add_argument("--property", "--formatter-property", dest="property", action="append",
                   metavar="KEY=VALUE", help="output setting: print.key, key.separator, ...")
    p.add_argument("--formatter-config", metavar="FILE", help="output settings file")
    p.add_argument("--formatter", default=None, help="only the default formatter is available")
    p.add_argument("--skip-message-on-error", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--key-deserializer", help=argparse.SUPPRESS)
    p.add_argument("--value-deserializer", help=argparse.SUPPRESS)
    p.add_argument("--enable-systest-events", action="store_true", help=argparse.SUPPRESS)
    return p


def _bool(value: str) -> bool:
    return value.strip().lower() == "true"


@dataclass
class Formatter:
    """Kafka's default message formatter (see the module docstring)."""

    print_timestamp: bool = False
    print_partition: bool = False
    print_offset: bool = False
    print_headers: bool = False
    print_key: bool = False
    print_value: bool = True
    key_separator: bytes = b"\t"
    line_separator: bytes = b"\n"
    headers_separator: bytes = b","
    headers_key_separator: bytes = b":"
    null_literal: bytes = b"null"

    @classmethod
    def from_properties(cls, props: dict[str, str]) -> Formatter:
        f = cls()
        flags = {"print.timestamp", "print.partition", "print.offset", "print.headers",
                 "print.key", "print.value"}
        texts = {"key.separator", "line.separator", "headers.separator",
                 "headers.key.separator", "null.literal"}
        for key, value in props.items():
            if key in flags:
                setattr(f, key.replace(".", "_"), _bool(value))
            elif key in texts:
                setattr(f, key.replace(".", "_"), value.encode())
        return f

    def format(self, msg: Any) -> bytes:
        out: list[bytes] = []
        sep = self.key_separator
        if self.print_timestamp:
            kind, ts = msg.timestamp()
            if kind == 1:
                out += [b"CreateTime:%d" % ts, sep]
            elif kind == 2:
                out += [b"LogAppendTime:%d" % ts, sep]
            else:
                out += [b"NO_TIMESTAMP", sep]
        if self.print_partition:
            out += [b"Partition:%d" % msg.partition(), sep]
        if self.print_offset:
            out += [b"Offset:%d" % msg.offset(), sep]
        if self.print_headers:
            headers = msg.headers() or []
            if headers:
                out.append(self.headers_separator.join(
                    k.encode() + self.headers_key_separator + (self.null_literal if v is None else v)
                    for k, v in headers
                ))
            else:
                out.append(b"NO_HEADERS")
            out.append(sep)
        if self.print_key:
            key = msg.key()
            out += [self.null_literal if key is None else key, sep]
        if self.print_value:
            value = msg.value()
            out.append(self.null_literal if value is None else value)
        out.append(self.line_separator)
        return b"".join(out)


def validate(args: argparse.Namespace) -> None:
    if bool(args.topic) == bool(args.include):
        raise ToolError("Exactly one of --include/--topic is required.")
    if args.partition is not None and not args.topic:
        raise ToolError("The topic is required when partition is specified.")
    if args.offset is not None and args.partition is None:
        raise ToolError("The partition is required when offset is specified.")
    if args.offset is not None and args.from_beginning:
        raise ToolError("Options from-beginning and offset cannot be specified together.")
    if args.offset is not None and args.offset not in ("earliest", "latest"):
        try:
            if int(args.offset) < 0:
                raise ValueError
        except ValueError:
            raise ToolError(
                f"The provided offset value '{args.offset}' is incorrect. Valid values are "
                "'earliest', 'latest', or a non-negative long."
            ) from None
    if args.formatter not in (None, "kafka.tools.DefaultMessageFormatter",
                              "org.apache.kafka.tools.consumer.DefaultMessageFormatter"):
        raise ToolError(f"formatter {args.formatter} is not available; only the default formatter is")
    for flag in ("key_deserializer", "value_deserializer"):
        value = getattr(args, flag)
        if value and value.rsplit(".", 1)[-1] not in ("StringDeserializer", "ByteArrayDeserializer"):
            raise ToolError(f"--{flag.replace('_', '-')} {value} is not available: records are printed "
                            "as their bytes (String/ByteArray deserializers only)")
    if args.max_messages is not None and args.max_messages < 0:
        raise ToolError("--max-messages must not be negative")


def consumer_config(args: argparse.Namespace, bootstrap: str) -> tuple[dict[str, Any], bool]:
    """The librdkafka configuration, and whether the group is the user's (not made up)."""
    props = load_properties(args.consumer_config)
    props.update(parse_key_values(args.consumer_property, "--consumer-property"))
    if args.group:
        if "group.id" in props and props["group.id"] != args.group:
            raise ToolError(
                f"The group ids provided in different places (directly using '--group': {args.group}, "
                f"via '--consumer-property': {props['group.id']}) do not match."
            )
        props["group.id"] = args.group
    own_group = "group.id" in props
    if not own_group:
        props["group.id"] = f"console-consumer-{random.randint(0, 99999):05d}"
        # A group made up for this run is never used again: do not fill the broker with
        # its offsets (Kafka's console consumer does the same).
        props.setdefault("enable.auto.commit", "false")
    props.setdefault("client.id", "console-consumer")
    if args.from_beginning:
        props["auto.offset.reset"] = "earliest"
    props.setdefault("auto.offset.reset", "latest")
    if args.isolation_level:
        props["isolation.level"] = args.isolation_level
    conf = _clientconf.translate(props)
    conf.update({"bootstrap.servers": bootstrap, "log_level": 0})
    return conf, own_group


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(_main, argv)


def _main(argv: Sequence[str]) -> int:
    from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, TopicPartition

    args = build_parser().parse_args(argv)
    validate(args)
    bootstrap = bootstrap_from(args)
    fmt_props = load_properties(args.formatter_config)
    fmt_props.update(parse_key_values(args.property, "--property"))
    formatter = Formatter.from_properties(fmt_props)
    conf, own_group = consumer_config(args, bootstrap)
    ensure_reachable(bootstrap)
    consumer = _clientconf.build(Consumer, conf)

    processed = 0

    # Signals only set a flag that the loop checks between records, so a record is either
    # printed and counted or neither, whenever Ctrl-C or SIGTERM arrives.
    stop_signal: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        stop_signal.append(signum)

    if args.topic:
        try:
            _check_topic(consumer, args.topic, args.partition)
        except ToolError:
            consumer.close()
            raise
    signal.signal(signal.SIGTERM, on_signal)
    # Ctrl-C must work even when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, on_signal)
    out = sys.stdout.buffer
    starts = StartOffsets(str(conf.get("auto.offset.reset", "latest")))
    try:
        if args.partition is not None:
            if args.offset in (None, "latest"):
                start = OFFSET_BEGINNING if args.from_beginning else OFFSET_END
            elif args.offset == "earliest":
                start = OFFSET_BEGINNING
            else:
                start = int(args.offset)
            consumer.assign([TopicPartition(args.topic, args.partition, start)])
        elif args.topic:
            consumer.subscribe([args.topic], on_assign=starts.on_assign)
        else:
            pattern = args.include if args.include.startswith("^") else "^" + args.include
            consumer.subscribe([pattern], on_assign=starts.on_assign)

        last = time.monotonic()
        while (args.max_messages is None or processed < args.max_messages) and not stop_signal:
            msg = consumer.poll(0.2)
            if msg is None:
                if args.timeout_ms is not None and (time.monotonic() - last) * 1000 >= args.timeout_ms:
                    print("ERROR Error processing message, terminating consumer process: "
                          "TimeoutException", file=sys.stderr)
                    break
                continue
            if msg.error():
                _handle_error(msg.error())
                continue
            last = time.monotonic()
            out.write(formatter.format(msg))
            out.flush()
            processed += 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if own_group and str(conf.get("enable.auto.commit", "true")).lower() != "false":
                commit_positions(consumer, starts)
            consumer.close()
        finally:
            print(f"Processed a total of {processed} messages", file=sys.stderr)
    if stop_signal:
        return 128 + stop_signal[0]  # 130 for Ctrl-C, 143 for SIGTERM, as Kafka's JVM exits
    return 0


class StartOffsets:
    """Where this consumer started in each assigned partition that had no committed offset,
    so that close() can commit it even if no record was read there (see commit_positions)."""

    def __init__(self, reset: str) -> None:
        self.reset = reset
        self.latest: dict[tuple[str, int], int] = {}

    def on_assign(self, consumer: Any, partitions: Any) -> None:
        if self.reset != "latest":
            return
        for tp in partitions:
            try:
                _low, high = consumer.get_watermark_offsets(tp, timeout=5, cached=False)
            except Exception:  # noqa: BLE001 - only a missed commit later, never fatal
                continue
            self.latest[(tp.topic, tp.partition)] = high

    def start_of(self, consumer: Any, tp: Any) -> int:
        if self.reset == "latest":
            return self.latest.get((tp.topic, tp.partition), -1)
        low, _high = consumer.get_watermark_offsets(tp, timeout=5, cached=False)
        return int(low)


def commit_positions(consumer: Any, starts: StartOffsets) -> None:
    """Commit a position for every assigned partition, as the Java consumer's auto-commit does
    on close. librdkafka commits only partitions a record was read from, which would leave an
    empty partition without a committed offset: records produced there while the group is
    away would then be skipped (auto.offset.reset=latest) and never shown as lag."""
    from confluent_kafka import KafkaException, TopicPartition

    try:
        assigned = consumer.assignment()
        if not assigned:
            return
        read = {(tp.topic, tp.partition): tp.offset for tp in consumer.position(assigned)}
        committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(assigned, timeout=10)}
        offsets = []
        for tp in assigned:
            key = (tp.topic, tp.partition)
            if read.get(key, -1) >= 0:
                offsets.append(TopicPartition(tp.topic, tp.partition, read[key]))
            elif committed.get(key, -1) < 0:
                start = starts.start_of(consumer, tp)
                if start >= 0:
                    offsets.append(TopicPartition(tp.topic, tp.partition, start))
        if offsets:
            consumer.commit(offsets=offsets, asynchronous=False)
    except KafkaException as e:
        print(f"WARN could not commit the group's positions: {kafka_error_text(e)}", file=sys.stderr)


def _check_topic(consumer: Any, topic: str, partition: int | None) -> None:
    """A missing topic (or partition) is an error rather than an endless wait."""
    from confluent_kafka import KafkaError, KafkaException

    try:
        md = consumer.list_topics(topic, timeout=15)
    except KafkaException as e:
        raise ToolError(kafka_error_text(e)) from None
    t = md.topics.get(topic)
    if t is None or (t.error is not None and t.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART):
        raise ToolError(f"Topic '{topic}' does not exist")
    if partition is not None and partition not in t.partitions:
        raise ToolError(f"Partition {partition} of topic '{topic}' does not exist "
                        f"(it has {len(t.partitions)} partitions)")


def _handle_error(err: Any) -> None:
    from confluent_kafka import KafkaError

    if err.code() == KafkaError._PARTITION_EOF:
        return
    if err.fatal() or err.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.GROUP_AUTHORIZATION_FAILED,
                                      KafkaError.TOPIC_AUTHORIZATION_FAILED):
        raise ToolError(err.str())
    print(f"WARN {err.str()}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
