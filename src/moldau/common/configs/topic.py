"""Topic configs in requests: validation (CreateTopics, AlterConfigs), effective values and
DescribeConfigs entries with Kafka's sources and synonyms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moldau.common.configs.broker import BrokerConfig, _broker_synonyms
from moldau.common.configs.entries import ConfigEntry, ConfigSynonym
from moldau.common.configs.errors import ConfigError, InvalidConfigError
from moldau.common.configs.topic_defs import TOPIC_CONFIGS, TOPIC_SYNONYMS
from moldau.common.configs.types import ConfigSource, format_value

__all__ = [
    "INTERNAL_TOPICS",
    "broker_topic_defaults",
    "internal_topic_spec",
    "describe_topic",
    "effective_topic_config",
    "effective_topic_values",
    "validate_topic_configs",
]


def _broker_value(name: str, broker_cfg: BrokerConfig | None) -> Any:
    """The value the broker supplies for topic config ``name`` (Kafka's extractLogConfigMap)."""
    key = TOPIC_CONFIGS[name]
    synonyms = TOPIC_SYNONYMS.get(name)
    if broker_cfg is None or not synonyms:
        return key.default
    if name == "retention.ms":
        return broker_cfg.log_retention_ms
    v = broker_cfg._first_set(synonyms)
    return key.default if v is None else v


def broker_topic_defaults(broker_cfg: BrokerConfig | None) -> dict[str, Any]:
    """Parsed value of every topic config for a topic with no overrides."""
    return {name: _broker_value(name, broker_cfg) for name in TOPIC_CONFIGS}


def validate_topic_configs(
    configs: Mapping[str, str | None], broker_cfg: BrokerConfig | None = None
) -> dict[str, str]:
    """Validate topic config overrides; return them in canonical form (e.g. ``TRUE`` -> ``true``).

    Raises InvalidConfigError(key, message) — Kafka's INVALID_CONFIG — for an unknown name,
    a null value, a value of the wrong type or out of range, or a conflicting pair.
    """
    parsed: dict[str, Any] = {}
    for name, raw in configs.items():
        key = TOPIC_CONFIGS.get(name)
        if key is None:
            raise InvalidConfigError(name, f"Unknown topic config name: {name}")
        if raw is None:
            raise InvalidConfigError(name, f"Null value not supported for topic configs: {name}")
        try:
            parsed[name] = key.parse(raw)
        except ConfigError as e:
            raise InvalidConfigError(name, e.message) from e
    merged = broker_topic_defaults(broker_cfg)
    merged.update(parsed)
    lo, hi = merged["min.compaction.lag.ms"], merged["max.compaction.lag.ms"]
    if lo > hi:
        culprit = "min.compaction.lag.ms" if "min.compaction.lag.ms" in parsed else "max.compaction.lag.ms"
        raise InvalidConfigError(
            culprit,
            f"conflict topic config setting min.compaction.lag.ms ({lo}) > max.compaction.lag.ms ({hi})",
        )
    if parsed.get("remote.storage.enable") is True and not (
        broker_cfg is not None and broker_cfg.get_bool("remote.log.storage.system.enable")
    ):
        raise InvalidConfigError(
            "remote.storage.enable",
            "Tiered storage is not enabled on this broker (remote.log.storage.system.enable=false), "
            "so a topic cannot set remote.storage.enable=true",
        )
    return {name: format_value(value) for name, value in parsed.items()}


def effective_topic_values(
    topic_overrides: Mapping[str, str], broker_cfg: BrokerConfig | None
) -> dict[str, Any]:
    """Parsed value of every topic config: override, else broker synonym, else default.

    Overrides are expected to be valid (stored after validate_topic_configs); an unknown
    name is ignored and an invalid value falls back to the broker's value.
    """
    values = broker_topic_defaults(broker_cfg)
    for name, raw in topic_overrides.items():
        key = TOPIC_CONFIGS.get(name)
        if key is None or raw is None:
            continue
        try:
            values[name] = key.parse(raw)
        except ConfigError:
            continue
    return values


def effective_topic_config(
    topic_overrides: Mapping[str, str], broker_cfg: BrokerConfig | None
) -> dict[str, str]:
    """Every topic config as a string, resolved through overrides, synonyms and defaults."""
    return {n: format_value(v) for n, v in effective_topic_values(topic_overrides, broker_cfg).items()}


def describe_topic(
    topic_overrides: Mapping[str, str],
    broker_cfg: BrokerConfig | None,
    include_synonyms: bool = False,
    names: list[str] | None = None,
) -> list[ConfigEntry]:
    """DescribeConfigs entries for a topic resource, sorted by name.

    Source and synonyms follow Kafka: the topic's own override (TOPIC_CONFIG) comes first,
    then the values of the first broker synonym and the broker configs that follow it
    (dynamic per-broker, dynamic default, static, default). As in Kafka, broker synonyms
    that rank above the first set one are dropped, so ``retention.ms`` with only
    ``log.retention.hours`` in server.properties reports DEFAULT_CONFIG: the value is
    still resolved from ``log.retention.hours``.
    """
    broker = broker_cfg if broker_cfg is not None else _empty_broker()
    values = effective_topic_values(topic_overrides, broker)
    wanted = sorted(TOPIC_CONFIGS) if names is None else [n for n in names if n in TOPIC_CONFIGS]
    out: list[ConfigEntry] = []
    for name in wanted:
        key = TOPIC_CONFIGS[name]
        value = format_value(values[name])
        synonyms: list[ConfigSynonym] = []
        if name in topic_overrides and topic_overrides[name] is not None:
            synonyms.append(ConfigSynonym(name, value, ConfigSource.TOPIC_CONFIG))
        broker_syns = TOPIC_SYNONYMS.get(name)
        if broker_syns:
            synonyms.extend(_broker_synonyms(broker, broker_syns[0][0], key.sensitive))
        out.append(
            ConfigEntry(
                name=name,
                value=None if key.sensitive else value,
                source=synonyms[0].source if synonyms else ConfigSource.DEFAULT_CONFIG,
                is_sensitive=key.sensitive,
                read_only=False,
                synonyms=synonyms if include_synonyms else [],
                type=key.type,
                documentation=key.doc,
            )
        )
    return out


_EMPTY_BROKER: list[BrokerConfig] = []


def _empty_broker() -> BrokerConfig:
    """A broker with nothing configured (built once), for callers that pass no BrokerConfig."""
    if not _EMPTY_BROKER:
        _EMPTY_BROKER.append(BrokerConfig())
    return _EMPTY_BROKER[0]


INTERNAL_TOPICS = ("__consumer_offsets", "__transaction_state")


def internal_topic_spec(topic: str, broker_cfg: BrokerConfig) -> tuple[int, int, dict[str, str]]:
    """(partitions, replication factor, topic config overrides) Kafka creates an internal
    topic with; checked against Kafka 4.3.1's __consumer_offsets and __transaction_state."""
    if topic == "__consumer_offsets":
        return (
            broker_cfg.get_int("offsets.topic.num.partitions"),
            broker_cfg.get_int("offsets.topic.replication.factor"),
            {
                "cleanup.policy": "compact",
                "compression.type": "producer",
                "segment.bytes": str(broker_cfg.get_int("offsets.topic.segment.bytes")),
            },
        )
    if topic == "__transaction_state":
        return (
            broker_cfg.get_int("transaction.state.log.num.partitions"),
            broker_cfg.get_int("transaction.state.log.replication.factor"),
            {
                "cleanup.policy": "compact",
                "compression.type": "uncompressed",
                "min.insync.replicas": str(broker_cfg.get_int("transaction.state.log.min.isr")),
                "segment.bytes": str(broker_cfg.get_int("transaction.state.log.segment.bytes")),
                "unclean.leader.election.enable": "false",
            },
        )
    raise KeyError(f"{topic} is not an internal topic")
