"""Topic and broker config values as DescribeConfigs reports them, and topic-config checks.

Definitions (names, types, defaults, validators, broker synonyms) come from
`moldau.common.configs` when it is installed in this tree; otherwise a fallback built from
the broker's own key table and the storage layer's LogConfig is used, so the broker works
either way. A topic config's value comes from the topic's override (source TOPIC_CONFIG),
else the first broker synonym set in server.properties (STATIC_BROKER_CONFIG, converted to
the topic's unit), else the default (DEFAULT_CONFIG), as in Kafka.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# DescribeConfigs ConfigSource numbers.
TOPIC_CONFIG = 1
STATIC_BROKER_CONFIG = 4
DEFAULT_CONFIG = 5
# DescribeConfigs ConfigType numbers.
_TYPE_NUMBERS = {
    "bool": 1,
    "string": 2,
    "int": 3,
    "short": 4,
    "long": 5,
    "double": 6,
    "list": 7,
    "class": 8,
    "password": 9,
}


class InvalidTopicConfig(ValueError):
    """A topic config that is unknown or has an invalid value; the message says which."""


@dataclass(slots=True)
class Entry:
    name: str
    value: str | None
    source: int
    read_only: bool = False
    sensitive: bool = False
    config_type: int = 0
    doc: str | None = None
    synonyms: list[tuple[str, str | None, int]] = field(default_factory=list)


def _defs() -> tuple[Any, Any, Any] | None:
    try:
        from moldau.common.configs.broker_defs import BROKER_CONFIGS
        from moldau.common.configs.topic_defs import TOPIC_CONFIGS, TOPIC_SYNONYMS
        from moldau.common.configs.types import format_value
    except ImportError:
        return None
    return TOPIC_CONFIGS, TOPIC_SYNONYMS, (BROKER_CONFIGS, format_value)


def validate_topic_configs(configs: Mapping[str, str | None]) -> None:
    """Raise InvalidTopicConfig for an unknown key or a value Kafka would refuse."""
    from moldau.storage.config import LogConfig

    defs = _defs()
    for name, value in configs.items():
        if defs is not None:
            key = defs[0].get(name)
            if key is None:
                raise InvalidTopicConfig(f"Unknown topic config name: {name}")
            if value is None:
                continue
            try:
                key.parse(value)
            except ValueError as exc:
                raise InvalidTopicConfig(str(exc)) from None
        elif name not in _FALLBACK_TOPIC_KEYS:
            raise InvalidTopicConfig(f"Unknown topic config name: {name}")
    # The storage layer's own checks (ranges, cleanup.policy, timestamp type).
    try:
        LogConfig.from_topic_configs({k: v for k, v in configs.items() if v is not None})
    except ValueError as exc:
        raise InvalidTopicConfig(str(exc)) from None
    mmb = configs.get("max.message.bytes")
    if mmb is not None:
        try:
            if int(mmb) < 0:
                raise ValueError
        except ValueError:
            raise InvalidTopicConfig(
                f"Invalid value {mmb} for configuration max.message.bytes"
            ) from None


_FALLBACK_TOPIC_KEYS = {
    "cleanup.policy",
    "compression.type",
    "delete.retention.ms",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "index.interval.bytes",
    "max.compaction.lag.ms",
    "max.message.bytes",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "min.insync.replicas",
    "preallocate",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.index.bytes",
    "segment.jitter.ms",
    "segment.ms",
    "unclean.leader.election.enable",
    "message.timestamp.before.max.ms",
    "message.timestamp.after.max.ms",
}


def _scaled(raw: str, factor: int) -> str:
    if factor == 1:
        return raw
    try:
        n = int(raw.strip())
    except ValueError:
        return raw
    return str(n * factor if n >= 0 else n)


def describe_topic(
    overrides: Mapping[str, str], broker_raw: Mapping[str, str], fallback: Mapping[str, str]
) -> list[Entry]:
    """Every topic config with its effective value, source and synonyms."""
    defs = _defs()
    out: list[Entry] = []
    if defs is None:
        for name in sorted(set(fallback) | set(overrides)):
            if name in overrides:
                out.append(
                    Entry(
                        name,
                        overrides[name],
                        TOPIC_CONFIG,
                        synonyms=[(name, overrides[name], TOPIC_CONFIG)],
                    )
                )
            else:
                out.append(
                    Entry(
                        name,
                        fallback.get(name),
                        DEFAULT_CONFIG,
                        synonyms=[(name, fallback.get(name), DEFAULT_CONFIG)],
                    )
                )
        return out
    topic_keys, synonyms, (_, format_value) = defs
    for name in sorted(topic_keys):
        key = topic_keys[name]
        if getattr(key, "internal", False):
            continue
        syn: list[tuple[str, str | None, int]] = []
        if name in overrides:
            syn.append((name, overrides[name], TOPIC_CONFIG))
        for broker_key, factor in synonyms.get(name, ()):
            if broker_key in broker_raw:
                syn.append(
                    (broker_key, _scaled(broker_raw[broker_key], factor), STATIC_BROKER_CONFIG)
                )
        default = key.default_string()
        syn.append((name, default, DEFAULT_CONFIG))
        value, source = syn[0][1], syn[0][2]
        if source == STATIC_BROKER_CONFIG and value is not None:
            with contextlib.suppress(ValueError):
                value = format_value(key.parse(value))
        out.append(
            Entry(
                name,
                value,
                source,
                False,
                key.sensitive,
                int(key.type),
                key.doc,
                syn,
            )
        )
    return out


def describe_broker(
    broker_raw: Mapping[str, str], own_values: Mapping[str, str | None]
) -> list[Entry]:
    """Every broker config with its value and source (static file/override or default)."""
    defs = _defs()
    out: list[Entry] = []
    if defs is None:
        from moldau.broker.config import KEYS

        for name, own in sorted(own_values.items()):
            source = STATIC_BROKER_CONFIG if name in broker_raw else DEFAULT_CONFIG
            k = KEYS.get(name)
            out.append(
                Entry(
                    name,
                    own,
                    source,
                    True,
                    False,
                    _TYPE_NUMBERS.get(k.type if k else "", 0),
                    None,
                    [(name, own, source)],
                )
            )
        return out
    broker_keys, format_value = defs[2]
    for name in sorted(broker_keys):
        key = broker_keys[name]
        if getattr(key, "internal", False):
            continue
        if name in broker_raw:
            value: str | None = broker_raw[name]
            source = STATIC_BROKER_CONFIG
        else:
            value = key.default_string()
            source = DEFAULT_CONFIG
        if key.sensitive:
            value = None
        syn = [(name, value, source)]
        if source == STATIC_BROKER_CONFIG and key.default_string() is not None:
            syn.append((name, None if key.sensitive else key.default_string(), DEFAULT_CONFIG))
        out.append(Entry(name, value, source, True, key.sensitive, int(key.type), key.doc, syn))
    return out
