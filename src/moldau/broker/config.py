"""Broker configuration: server.properties in Apache Kafka's format, names and defaults.

`load_config(path, overrides)` reads a Java-properties file, applies `--override key=value`
pairs on top, and returns a `BrokerConfig`. Unknown keys are kept and reported (the caller
logs a WARN for each); a value that does not parse or is out of range raises `ConfigError`
naming the key, which stops start-up.

The key table below covers what a single broker uses. When `moldau.common.configs` (the full
set of Kafka's definitions) is available, its knowledge of keys is used to decide which keys
are unknown, so a valid Kafka key that moldau does not act on is not reported as a typo.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HOUR_MS = 3_600_000


class ConfigError(ValueError):
    """An invalid broker configuration; the message names the key."""


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    type: str  # int, long, bool, string, list, double, password, class
    default: Any
    min: float | None = None
    choices: tuple[str, ...] | None = None


def _k(name: str, type_: str, default: Any, min_: float | None = None, choices: Any = None) -> Key:
    return Key(name, type_, default, min_, choices)


_KEYS: list[Key] = [
    _k("node.id", "int", -1, -1),
    _k("broker.id", "int", -1, -1),
    _k("process.roles", "list", ""),
    _k("listeners", "list", "PLAINTEXT://:9092"),
    _k("advertised.listeners", "list", None),
    _k(
        "listener.security.protocol.map",
        "list",
        "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
    ),
    _k("inter.broker.listener.name", "string", None),
    _k("controller.listener.names", "list", None),
    _k("controller.quorum.voters", "list", ""),
    _k("controller.quorum.bootstrap.servers", "list", ""),
    _k("num.network.threads", "int", 3, 1),
    _k("num.io.threads", "int", 8, 1),
    _k("socket.send.buffer.bytes", "int", 102400),
    _k("socket.receive.buffer.bytes", "int", 102400),
    _k("socket.request.max.bytes", "int", 104857600, 1),
    _k("max.connections", "int", 2147483647, 0),
    _k("max.connections.per.ip", "int", 2147483647, 0),
    _k("connections.max.idle.ms", "long", 600000),
    _k("queued.max.requests", "int", 500, 1),
    _k("log.dirs", "list", None),
    _k("log.dir", "string", "/tmp/kafka-logs"),
    _k("num.partitions", "int", 1, 1),
    _k("default.replication.factor", "int", 1, 1),
    _k("auto.create.topics.enable", "bool", True),
    _k("delete.topic.enable", "bool", True),
    _k("message.max.bytes", "int", 1048588, 0),
    _k("num.recovery.threads.per.data.dir", "int", 2, 1),
    _k("log.retention.hours", "int", 168),
    _k("log.retention.minutes", "int", None),
    _k("log.retention.ms", "long", None, -1),
    _k("log.retention.bytes", "long", -1),
    _k("log.segment.bytes", "int", 1073741824, 14),
    _k("log.roll.hours", "int", 168, 1),
    _k("log.roll.ms", "long", None, 1),
    _k("log.index.size.max.bytes", "int", 10485760, 4),
    _k("log.index.interval.bytes", "int", 4096, 0),
    _k("log.retention.check.interval.ms", "long", 300000, 1),
    _k("log.cleanup.policy", "list", "delete"),
    _k("log.cleaner.enable", "bool", True),
    _k("log.cleaner.backoff.ms", "long", 15000, 0),
    _k("log.cleaner.threads", "int", 1, 0),
    _k("log.cleaner.delete.retention.ms", "long", 86400000, 0),
    _k("log.cleaner.min.compaction.lag.ms", "long", 0, 0),
    _k("log.cleaner.max.compaction.lag.ms", "long", 9223372036854775807, 1),
    _k("log.cleaner.min.cleanable.ratio", "double", 0.5, 0),
    _k("log.flush.interval.messages", "long", 9223372036854775807, 1),
    _k("log.flush.interval.ms", "long", None),
    _k("log.flush.scheduler.interval.ms", "long", 9223372036854775807),
    _k("log.flush.offset.checkpoint.interval.ms", "int", 60000, 0),
    _k("log.flush.start.offset.checkpoint.interval.ms", "int", 60000, 0),
    _k("log.segment.delete.delay.ms", "long", 60000, 0),
    _k(
        "log.message.timestamp.type",
        "string",
        "CreateTime",
        choices=("CreateTime", "LogAppendTime"),
    ),
    _k(
        "compression.type",
        "string",
        "producer",
        choices=("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
    ),
    _k("min.insync.replicas", "int", 1, 1),
    _k("unclean.leader.election.enable", "bool", False),
    _k("offsets.topic.replication.factor", "int", 3, 1),
    _k("offsets.topic.num.partitions", "int", 50, 1),
    _k("offsets.topic.segment.bytes", "int", 104857600, 1),
    _k("offsets.retention.minutes", "int", 10080, 1),
    _k("offsets.retention.check.interval.ms", "long", 600000, 1),
    _k("offsets.commit.timeout.ms", "int", 5000, 1),
    _k("offsets.load.buffer.size", "int", 5242880, 1),
    _k("offset.metadata.max.bytes", "int", 4096),
    _k("transaction.state.log.replication.factor", "int", 3, 1),
    _k("transaction.state.log.min.isr", "int", 2, 1),
    _k("transaction.state.log.num.partitions", "int", 50, 1),
    _k("transaction.state.log.segment.bytes", "int", 104857600, 1),
    _k("transaction.max.timeout.ms", "int", 900000, 1),
    _k("transactional.id.expiration.ms", "int", 604800000, 1),
    _k("producer.id.expiration.ms", "int", 86400000, 1),
    _k("group.initial.rebalance.delay.ms", "int", 3000, 0),
    _k("group.min.session.timeout.ms", "int", 6000),
    _k("group.max.session.timeout.ms", "int", 1800000),
    _k("group.max.size", "int", 2147483647, 1),
    _k("zookeeper.connect", "string", None),
    _k("zookeeper.connection.timeout.ms", "int", None),
    _k("zookeeper.session.timeout.ms", "int", 18000),
    _k("broker.rack", "string", None),
    _k("replica.lag.time.max.ms", "long", 30000),
    _k("replica.fetch.max.bytes", "int", 1048576, 0),
    _k("replica.fetch.wait.max.ms", "int", 500),
    _k("num.replica.fetchers", "int", 1),
    _k("controlled.shutdown.enable", "bool", True),
    _k("auto.leader.rebalance.enable", "bool", True),
    _k("cluster.id", "string", None),
    _k("fetch.max.bytes", "int", 57671680, 1024),
    _k("request.timeout.ms", "int", 30000),
    _k("sasl.enabled.mechanisms", "list", "GSSAPI"),
    _k("sasl.mechanism.inter.broker.protocol", "string", "GSSAPI"),
    _k("security.inter.broker.protocol", "string", "PLAINTEXT"),
    _k("authorizer.class.name", "string", ""),
    _k("allow.everyone.if.no.acl.found", "bool", False),
    _k("super.users", "string", None),
]
KEYS: dict[str, Key] = {k.name: k for k in _KEYS}

# Broker-level defaults that become the topic configs of topics that do not override them:
# topic key -> broker key (Kafka's "synonyms"). Time keys are resolved separately.
TOPIC_DEFAULTS_FROM_BROKER = {
    "retention.bytes": "log.retention.bytes",
    "segment.bytes": "log.segment.bytes",
    "segment.index.bytes": "log.index.size.max.bytes",
    "index.interval.bytes": "log.index.interval.bytes",
    "cleanup.policy": "log.cleanup.policy",
    "delete.retention.ms": "log.cleaner.delete.retention.ms",
    "min.compaction.lag.ms": "log.cleaner.min.compaction.lag.ms",
    "max.compaction.lag.ms": "log.cleaner.max.compaction.lag.ms",
    "min.cleanable.dirty.ratio": "log.cleaner.min.cleanable.ratio",
    "flush.messages": "log.flush.interval.messages",
    "file.delete.delay.ms": "log.segment.delete.delay.ms",
    "message.timestamp.type": "log.message.timestamp.type",
    "max.message.bytes": "message.max.bytes",
    "compression.type": "compression.type",
    "min.insync.replicas": "min.insync.replicas",
    "unclean.leader.election.enable": "unclean.leader.election.enable",
}

_PROPS_LINE_CONT = re.compile(r"(\\+)$")


def parse_properties(text: str) -> dict[str, str]:
    """Parse Java .properties text: '#'/'!' comments, '=' or ':' or whitespace separators,
    backslash line continuations and the usual escapes. Later keys win, as in Java."""
    out: dict[str, str] = {}
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip() if pending == "" else raw.lstrip()
        if not pending and (not line or line[0] in "#!"):
            continue
        m = _PROPS_LINE_CONT.search(line)
        if m and len(m.group(1)) % 2 == 1:
            pending += line[:-1]
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    for line in logical:
        key_chars: list[str] = []
        i = 0
        while i < len(line):
            c = line[i]
            if c == "\\" and i + 1 < len(line):
                key_chars.append(_unescape(line[i + 1]))
                i += 2
                continue
            if c in "=: \t":
                break
            key_chars.append(c)
            i += 1
        rest = line[i:].lstrip(" \t")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t")
        value = re.sub(r"\\(.)", lambda mm: _unescape(mm.group(1)), rest)
        out["".join(key_chars)] = value
    return out


def _unescape(c: str) -> str:
    return {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(c, c)


def _convert(key: Key, raw: str) -> Any:
    value = raw.strip()
    t = key.type
    try:
        if t in ("int", "long", "short"):
            v: Any = int(value)
            if t == "int" and not -(2**31) <= v < 2**31:
                raise ValueError
        elif t == "double":
            v = float(value)
        elif t == "bool":
            low = value.lower()
            if low not in ("true", "false"):
                raise ValueError
            v = low == "true"
        elif t == "list":
            v = [p.strip() for p in value.split(",") if p.strip()]
        else:
            v = value
    except ValueError:
        raise ConfigError(
            f"Invalid value {raw!r} for configuration {key.name}: expected a {t}"
        ) from None
    if key.min is not None and isinstance(v, int | float) and v < key.min:
        raise ConfigError(
            f"Invalid value {raw!r} for configuration {key.name}: must be at least {key.min:g}"
        )
    if key.choices is not None and v not in key.choices:
        raise ConfigError(
            f"Invalid value {raw!r} for configuration {key.name}: "
            f"must be one of {', '.join(key.choices)}"
        )
    return v


@dataclass(frozen=True, slots=True)
class Listener:
    name: str
    host: str  # "" = every interface
    port: int

    def __str__(self) -> str:
        return f"{self.name}://{self.host}:{self.port}"


def parse_listeners(key: str, entries: Iterable[str]) -> list[Listener]:
    out = []
    for entry in entries:
        m = re.fullmatch(r"([A-Za-z0-9_]+)://(\[[^\]]*\]|[^:]*):(-?\d+)", entry)
        if not m:
            raise ConfigError(
                f"Invalid value {entry!r} for configuration {key}: expected NAME://host:port"
            )
        port = int(m.group(3))
        if not 0 <= port <= 65535:
            raise ConfigError(f"Invalid value {entry!r} for configuration {key}: bad port")
        out.append(Listener(m.group(1).upper(), m.group(2).strip("[]"), port))
    names = [li.name for li in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"Invalid value for configuration {key}: listener names must be unique")
    return out


class BrokerConfig:
    """Typed broker settings. `raw` holds the strings as given (for DescribeConfigs)."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = dict(raw)
        self.unknown = sorted(k for k in self.raw if k not in KEYS and not _known_elsewhere(k))
        self.values: dict[str, Any] = {}
        for name, key in KEYS.items():
            if name in self.raw:
                self.values[name] = _convert(key, self.raw[name])
            else:
                self.values[name] = (
                    _convert(key, key.default) if isinstance(key.default, str) else key.default
                )
        node, broker = self.raw.get("node.id"), self.raw.get("broker.id")
        if node is not None and broker is not None and int(node) != int(broker):
            raise ConfigError(
                f"Invalid configuration: node.id={node} and broker.id={broker} must be equal"
            )
        self.node_id: int = self.values["node.id"] if node is not None else self.values["broker.id"]
        if self.node_id < 0:
            self.node_id = 0 if broker is None and node is None else self.node_id
        if self.node_id < 0:
            raise ConfigError("Invalid configuration: node.id must be set to a value >= 0")
        self.listeners = parse_listeners("listeners", self.values["listeners"])
        if not self.listeners:
            raise ConfigError("Invalid value for configuration listeners: at least one is needed")
        adv = self.values["advertised.listeners"]
        self.advertised_listeners = (
            parse_listeners("advertised.listeners", adv) if adv else list(self.listeners)
        )
        dirs = self.values["log.dirs"] or [self.values["log.dir"]]
        self.log_dirs: list[Path] = [Path(d) for d in dirs]
        if len(self.log_dirs) != 1:
            raise ConfigError(
                "Invalid value for configuration log.dirs: moldau supports exactly one directory"
            )

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def log_dir(self) -> Path:
        return self.log_dirs[0]

    @property
    def retention_ms(self) -> int:
        """log.retention.ms, else .minutes, else .hours (Kafka's precedence)."""
        if self.values["log.retention.ms"] is not None:
            return int(self.values["log.retention.ms"])
        if self.values["log.retention.minutes"] is not None:
            return int(self.values["log.retention.minutes"]) * 60_000
        hours = int(self.values["log.retention.hours"])
        return -1 if hours < 0 else hours * _HOUR_MS

    @property
    def roll_ms(self) -> int:
        if self.values["log.roll.ms"] is not None:
            return int(self.values["log.roll.ms"])
        return int(self.values["log.roll.hours"]) * _HOUR_MS

    def topic_defaults(self) -> dict[str, str]:
        """The broker's defaults for topic configs, as topic-config strings."""
        out: dict[str, str] = {}
        for topic_key, broker_key in TOPIC_DEFAULTS_FROM_BROKER.items():
            v = self.values[broker_key]
            if isinstance(v, list):
                v = ",".join(v)
            elif isinstance(v, bool):
                v = str(v).lower()
            out[topic_key] = str(v)
        out["retention.ms"] = str(self.retention_ms)
        out["segment.ms"] = str(self.roll_ms)
        out["flush.ms"] = str(
            self.values["log.flush.interval.ms"]
            if self.values["log.flush.interval.ms"] is not None
            else self.values["log.flush.scheduler.interval.ms"]
        )
        return out

    def as_strings(self) -> dict[str, str | None]:
        """Every known key with its effective value as a string (None = unset), for logs."""
        out: dict[str, str | None] = {}
        for name in sorted(KEYS):
            v = self.values[name]
            if v is None:
                out[name] = None
            elif isinstance(v, list):
                out[name] = ",".join(v)
            elif isinstance(v, bool):
                out[name] = str(v).lower()
            else:
                out[name] = str(v)
        return out


def _known_elsewhere(key: str) -> bool:
    """True when the full config definitions (moldau.common.configs) know the key."""
    try:
        from moldau.common import configs  # type: ignore[attr-defined]
    except ImportError:
        return False
    for attr in ("BROKER_CONFIGS", "BROKER", "broker_configs"):
        table = getattr(configs, attr, None)
        if table is not None:
            try:
                return key in table
            except TypeError:
                return False
    return False


def parse_override(arg: str) -> tuple[str, str]:
    key, sep, value = arg.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--override expects key=value, got {arg!r}")
    return key.strip(), value


def load_config(path: str | Path | None, overrides: Iterable[str] = ()) -> BrokerConfig:
    raw: dict[str, str] = {}
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        raw.update(parse_properties(text))
    for arg in overrides:
        k, v = parse_override(arg)
        raw[k] = v
    return BrokerConfig(raw)
