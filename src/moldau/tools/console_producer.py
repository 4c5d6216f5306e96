"""kafka-console-producer: read lines from stdin and send each as one record.

Line format (Kafka's LineMessageReader properties, given with --property k=v):
  parse.key=true          the line is KEY<key.separator>VALUE (key.separator defaults to TAB)
  parse.headers=true      the line starts with HEADERS<headers.delimiter> (TAB), where HEADERS
                          is k1:v1,k2:v2 (headers.separator ',', headers.key.separator ':')
  null.marker=S           a key, value or header value equal to S is sent as null
  ignore.error=true       a line without the key separator is sent whole as the value
A line that cannot be parsed stops the tool with status 1 (the lines before it are sent).
Keyed records are partitioned with murmur2, as Kafka's Java producer does, so a key lands
on the same partition whichever of the two wrote it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

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

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-console-producer", "Read lines from standard input and send them to a topic.")
    add_bootstrap(p, broker_list=True)
    p.add_argument("--topic", required=True, help="the topic to produce to")
    p.add_argument("--producer-property", action="append", metavar="KEY=VALUE",
                   help="a producer setting (repeatable); overrides --producer.config")
    p.add_argument("--producer.config", "--command-config", dest="producer_config", metavar="FILE",
                   help="producer settings file")
    p.add_argument("--property", "--reader-property", dest="property", action="append",
                   metavar="KEY=VALUE", help="line parsing setting: parse.key, key.separator, ...")
    p.add_argument("--reader-config", metavar="FILE", help="line parsing settings file")
    p.add_argument("--request-required-acks", metavar="ACKS", help="acks (default: -1)")
    p.add_argument("--compression-codec", nargs="?", const="gzip", choices=CODECS,
                   help="compression: none, gzip (when given without value), snappy, lz4, zstd")
    p.add_argument("--sync", action="store_true", help="send each line and wait for it")
    p.add_argument("--batch-size", type=int, metavar="BYTES", help="batch.size (default: 16384)")
    p.add_argument("--timeout", type=int, metavar="MS", help="linger.ms (default: 1000)")
    p.add_argument("--message-send-max-retries", type=int, metavar="N", help="retries (default: 3)")
    p.add_argument("--retry-backoff-ms", type=int, metavar="MS", help="retry.backoff.ms (default: 100)")
    p.add_argument("--request-timeout-ms", type=int, metavar="MS", help="request.timeout.ms (default: 1500)")
    p.add_argument("--metadata-expiry-ms", type=int, metavar="MS", help="metadata.max.age.ms")
    p.add_argument("--max-memory-bytes", type=int, metavar="BYTES", help="buffer.memory")
    p.add_argument("--max-block-ms", type=int, metavar="MS", help=argparse.SUPPRESS)
    p.add_argument("--socket-buffer-size", type=int, metavar="BYTES", help="send.buffer.bytes")
    return p


# flag -> (producer property, Kafka's default for the flag)
_FLAG_PROPS: list[tuple[str, str, Any]] = [
    ("request_required_acks", "acks", "-1"),
    ("batch_size", "batch.size", 16384),
    ("timeout", "linger.ms", 1000),
    ("message_send_max_retries", "retries", 3),
    ("retry_backoff_ms", "retry.backoff.ms", 100),
    ("request_timeout_ms", "request.timeout.ms", 1500),
    ("metadata_expiry_ms", "metadata.max.age.ms", None),
    ("max_memory_bytes", "buffer.memory", None),
    ("socket_buffer_size", "send.buffer.bytes", None),
]


def producer_properties(args: argparse.Namespace) -> dict[str, str]:
    """Java-named producer properties with Kafka's precedence: a flag given on the command
    line wins, then --producer-property, then --producer.config, then the flag's default."""
    props = load_properties(args.producer_config)
    props.update(parse_key_values(args.producer_property, "--producer-property"))
    props.setdefault("client.id", "console-producer")
    for attr, key, default in _FLAG_PROPS:
        given = getattr(args, attr)
        if given is not None:
            props[key] = str(given)
        elif default is not None and key not in props:
            props[key] = str(default)
    if args.compression_codec is not None:
        props["compression.type"] = args.compression_codec
    return props


@dataclass
class LineFormat:
    """How a line becomes key, value and headers (see the module docstring)."""

    parse_key: bool = False
    key_separator: bytes = b"\t"
    parse_headers: bool = False
    headers_delimiter: bytes = b"\t"
    headers_separator: bytes = b","
    headers_key_separator: bytes = b":"
    ignore_error: bool = False
    null_marker: bytes | None = None
    unknown: list[str] = field(default_factory=list)

    @classmethod
    def from_properties(cls, props: dict[str, str]) -> LineFormat:
        f = cls()
        for key, value in props.items():
            raw = value.encode()
            if key == "parse.key":
                f.parse_key = value.strip().lower() == "true"
            elif key == "key.separator":
                f.key_separator = raw
            elif key == "parse.headers":
                f.parse_headers = value.strip().lower() == "true"
            elif key == "headers.delimiter":
                f.headers_delimiter = raw
            elif key == "headers.separator":
                f.headers_separator = raw
            elif key == "headers.key.separator":
                f.headers_key_separator = raw
            elif key == "ignore.error":
                f.ignore_error = value.strip().lower() == "true"
            elif key == "null.marker":
                f.null_marker = raw
            else:
                f.unknown.append(key)
        for sep in ("key_separator", "headers_delimiter", "headers_separator", "headers_key_separator"):
            if not getattr(f, sep):
                raise ToolError(f"{sep.replace('_', '.')} must not be empty")
        return f

    def _null(self, b: bytes) -> bytes | None:
        return None if self.null_marker is not None and b == self.null_marker else b

    def parse(self, line: bytes, number: int) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]:
        headers: list[tuple[str, bytes | None]] = []
        rest = line
        if self.parse_headers:
            head, sep, rest = line.partition(self.headers_delimiter)
            if not sep:
                raise ToolError(f"No headers delimiter found on line number {number}: '{_show(line)}'")
            for pair in head.split(self.headers_separator):
                k, ksep, v = pair.partition(self.headers_key_separator)
                if not ksep:
                    raise ToolError(
                        f"No header key separator found in pair '{_show(pair)}' on line number {number}"
                    )
                headers.append((k.decode("utf-8", "replace"), self._null(v)))
        key: bytes | None = None
        if self.parse_key:
            k, sep, value = rest.partition(self.key_separator)
            if not sep:
                if not self.ignore_error:
                    raise ToolError(f"No key separator found on line number {number}: '{_show(line)}'")
                return None, self._null(rest), headers
            return self._null(k), self._null(value), headers
        return key, self._null(rest), headers


def _show(b: bytes) -> str:
    return b.decode("utf-8", "replace")


# The longest line read: far above any record size a broker accepts (message.max.bytes is
# about 1 MiB by default), and a bound on memory when stdin is not line-structured at all.
MAX_LINE_BYTES = 64 * 1024 * 1024


def read_lines(stream: BinaryIO, prompt: bool) -> Iterator[bytes]:
    """Lines without their line ending; a prompt '>' before each when talking to a terminal."""
    number = 0
    while True:
        if prompt:
            sys.stdout.write(">")
            sys.stdout.flush()
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ToolError(f"line number {number} is longer than {MAX_LINE_BYTES} bytes")
        yield raw.rstrip(b"\n").rstrip(b"\r")


class _Terminated(Exception):
    """SIGTERM arrived: stop reading, deliver what was read, exit with 143 like Kafka."""


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(_main, argv)


def _main(argv: Sequence[str]) -> int:
    from confluent_kafka import Producer

    args = build_parser().parse_args(argv)
    bootstrap = bootstrap_from(args)
    reader_props = load_properties(args.reader_config)
    reader_props.update(parse_key_values(args.property, "--property"))
    fmt = LineFormat.from_properties(reader_props)
    conf = _clientconf.translate(producer_properties(args))
    conf.update({"bootstrap.servers": bootstrap, "log_level": 0})
    conf.setdefault("partitioner", "murmur2_random")
    conf.setdefault("message.timeout.ms", 120000)
    ensure_reachable(bootstrap)
    producer = _clientconf.build(Producer, conf)
    _warn_if_missing(producer, args.topic, conf.get("client.id", "console-producer"))

    failures = 0

    def on_delivery(err: Any, msg: Any) -> None:
        nonlocal failures
        if err is not None:
            failures += 1
            key = msg.key()
            key_text = "null" if key is None else f"{len(key)} bytes"
            value = msg.value()
            value_text = "null" if value is None else f"{len(value)} bytes"
            print(
                f"ERROR Error when sending message to topic {args.topic} with key: {key_text}, "
                f"value: {value_text} with error: {err.str()}",
                file=sys.stderr,
            )

    def on_term(signum: int, frame: Any) -> None:
        raise _Terminated()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    status = 0
    try:
        lines = read_lines(sys.stdin.buffer, prompt=sys.stdin.isatty())
        for number, line in enumerate(lines, start=1):
            key, value, headers = fmt.parse(line, number)
            if not _send(producer, args.topic, key, value, headers, on_delivery):
                failures += 1
            if args.sync:
                producer.flush()
            else:
                producer.poll(0)
    except KeyboardInterrupt:
        status = 130
    except _Terminated:
        status = 143
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        remaining = producer.flush(150)
        if remaining:
            print(f"ERROR {remaining} message(s) could not be delivered", file=sys.stderr)
            failures += remaining
    if status:
        return status
    return 1 if failures else 0


def _send(producer: Any, topic: str, key: bytes | None, value: bytes | None,
          headers: list[tuple[str, bytes | None]], on_delivery: Any) -> bool:
    """Produce one record, waiting for room when the local queue is full. A record the client
    refuses (too large) is reported like a failed delivery and the tool goes on, as Kafka's."""
    from confluent_kafka import KafkaError, KafkaException

    while True:
        try:
            producer.produce(topic, value=value, key=key, headers=headers or None, on_delivery=on_delivery)
            return True
        except BufferError:
            producer.poll(0.1)
        except KafkaException as e:
            err = e.args[0] if e.args else None
            if isinstance(err, KafkaError) and err.code() == KafkaError.MSG_SIZE_TOO_LARGE:
                print(f"ERROR Error when sending message to topic {topic} with key: "
                      f"{'null' if key is None else f'{len(key)} bytes'}, value: "
                      f"{0 if value is None else len(value)} bytes with error: {kafka_error_text(e)}",
                      file=sys.stderr)
                return False
            raise ToolError(kafka_error_text(e)) from None


def _warn_if_missing(producer: Any, topic: str, client_id: str) -> None:
    """Kafka's producer logs a warning when the topic is missing; the broker then creates it
    (auto.create.topics.enable) with the default partition count. Asking for all topics
    reads metadata without triggering the creation itself."""
    from confluent_kafka import KafkaError, KafkaException

    try:
        md = producer.list_topics(timeout=10)
    except KafkaException:
        return
    t = md.topics.get(topic)
    if t is not None and t.error is not None and t.error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
        raise ToolError(f"Not authorized to access topics: [{topic}]")
    if t is None:
        print(
            f"WARN [Producer clientId={client_id}] Error while fetching metadata: "
            f"{{{topic}=UNKNOWN_TOPIC_OR_PARTITION}} (the broker creates the topic when "
            "auto.create.topics.enable is true)",
            file=sys.stderr,
        )


if __name__ == "__main__":
    sys.exit(main())
