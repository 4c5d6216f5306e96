"""Topic configs: validation in Kafka's INVALID_CONFIG words, effective values, describe."""

from __future__ import annotations

import pytest

from moldau.common.configs import (
    TOPIC_CONFIGS,
    TOPIC_SYNONYMS,
    BrokerConfig,
    ConfigSource,
    ConfigType,
    InvalidConfigError,
    describe_topic,
    effective_topic_config,
    effective_topic_values,
    validate_topic_configs,
)

BASE = {"node.id": "1", "log.dirs": "/tmp/x"}

KAFKA_4_TOPIC_CONFIGS = {
    "cleanup.policy", "compression.gzip.level", "compression.lz4.level", "compression.type",
    "compression.zstd.level", "delete.retention.ms", "file.delete.delay.ms", "flush.messages",
    "flush.ms", "follower.replication.throttled.replicas", "index.interval.bytes",
    "leader.replication.throttled.replicas", "local.retention.bytes", "local.retention.ms",
    "max.compaction.lag.ms", "max.message.bytes", "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms", "message.timestamp.type", "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms", "min.insync.replicas", "preallocate", "remote.log.copy.disable",
    "remote.log.delete.on.disable", "remote.storage.enable", "retention.bytes", "retention.ms",
    "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
    "unclean.leader.election.enable",
}


def broker(**extra: str) -> BrokerConfig:
    return BrokerConfig({**BASE, **{k.replace("__", "."): v for k, v in extra.items()}})


def test_the_topic_config_list_is_kafka_4s() -> None:
    assert set(TOPIC_CONFIGS) == KAFKA_4_TOPIC_CONFIGS


def test_every_synonym_is_a_known_broker_config() -> None:
    from moldau.common.configs import BROKER_CONFIGS

    for topic_name, synonyms in TOPIC_SYNONYMS.items():
        assert topic_name in TOPIC_CONFIGS
        for name, _ in synonyms:
            assert name in BROKER_CONFIGS, name


def test_validate_returns_canonical_strings() -> None:
    out = validate_topic_configs(
        {"retention.ms": " 1000 ", "cleanup.policy": "compact , delete", "preallocate": "TRUE",
         "min.cleanable.dirty.ratio": "0.10"}
    )
    assert out == {"retention.ms": "1000", "cleanup.policy": "compact,delete", "preallocate": "true",
                   "min.cleanable.dirty.ratio": "0.1"}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("retention.ms", "abc", "Invalid value abc for configuration retention.ms: Not a number of type LONG"),
        ("retention.ms", "-2", "Invalid value -2 for configuration retention.ms: Value must be at least -1"),
        ("segment.bytes", "1000", "Invalid value 1000 for configuration segment.bytes: Value must be at least 1048576"),
        ("segment.ms", "0", "Invalid value 0 for configuration segment.ms: Value must be at least 1"),
        ("cleanup.policy", "forever", "Invalid value forever for configuration cleanup.policy: String must be one of: compact, delete"),
        ("compression.type", "brotli", "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"),
        ("min.insync.replicas", "0", "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"),
        ("max.message.bytes", "-1", "Invalid value -1 for configuration max.message.bytes: Value must be at least 0"),
        ("min.cleanable.dirty.ratio", "1.5", "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"),
        ("message.timestamp.type", "Now", "Invalid value Now for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime"),
        ("unclean.leader.election.enable", "maybe", "Invalid value maybe for configuration unclean.leader.election.enable: Expected value to be either true or false"),
        ("compression.gzip.level", "10", "Invalid value 10 for configuration compression.gzip.level"),
        ("compression.lz4.level", "18", "Value must be no more than 17"),
        ("compression.zstd.level", "23", "Value must be no more than 22"),
        ("segment.index.bytes", "3", "Value must be at least 4"),
        ("local.retention.ms", "-3", "Value must be at least -2"),
        ("flush.messages", "0", "Value must be at least 1"),
        ("max.compaction.lag.ms", "0", "Value must be at least 1"),
        ("delete.retention.ms", "-1", "Value must be at least 0"),
        ("message.timestamp.after.max.ms", "-1", "Value must be at least 0"),
        ("leader.replication.throttled.replicas", "0:1,x", "[partitionId]:[brokerId]"),
    ],
)
def test_bad_values_raise_invalid_config(key: str, value: str, message: str) -> None:
    with pytest.raises(InvalidConfigError) as e:
        validate_topic_configs({key: value})
    assert e.value.key == key
    assert message in e.value.message


def test_good_special_values() -> None:
    validate_topic_configs({"compression.gzip.level": "-1", "retention.ms": "-1", "retention.bytes": "-5"})
    validate_topic_configs({"leader.replication.throttled.replicas": "*"})
    validate_topic_configs({"follower.replication.throttled.replicas": "0:1, 1:2"})
    validate_topic_configs({"cleanup.policy": ""})


def test_unknown_and_removed_names() -> None:
    for name in ("retention.hours", "message.format.version", "message.downconversion.enable"):
        with pytest.raises(InvalidConfigError, match=f"Unknown topic config name: {name}"):
            validate_topic_configs({name: "1"})


def test_null_value() -> None:
    with pytest.raises(InvalidConfigError, match="Null value"):
        validate_topic_configs({"retention.ms": None})


def test_compaction_lag_conflict_uses_broker_defaults() -> None:
    with pytest.raises(InvalidConfigError, match="conflict topic config setting"):
        validate_topic_configs({"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"})
    b = broker(log__cleaner__max__compaction__lag__ms="100")
    with pytest.raises(InvalidConfigError) as e:
        validate_topic_configs({"min.compaction.lag.ms": "200"}, b)
    assert e.value.key == "min.compaction.lag.ms"


def test_remote_storage_needs_broker_support() -> None:
    with pytest.raises(InvalidConfigError) as e:
        validate_topic_configs({"remote.storage.enable": "true"}, broker())
    assert e.value.key == "remote.storage.enable"
    validate_topic_configs({"remote.storage.enable": "false"}, broker())


def test_effective_config_defaults_without_broker() -> None:
    eff = effective_topic_config({}, None)
    assert set(eff) == KAFKA_4_TOPIC_CONFIGS
    assert eff["retention.ms"] == "604800000"
    assert eff["max.message.bytes"] == "1048588"
    assert eff["message.timestamp.after.max.ms"] == "3600000"
    assert eff["cleanup.policy"] == "delete"
    assert eff["min.cleanable.dirty.ratio"] == "0.5"


@pytest.mark.parametrize(
    ("extra", "retention"),
    [
        ({}, 604800000),
        ({"log.retention.hours": "1"}, 3600000),
        ({"log.retention.minutes": "3", "log.retention.hours": "1"}, 180000),
        ({"log.retention.ms": "42", "log.retention.minutes": "3", "log.retention.hours": "1"}, 42),
        ({"log.retention.hours": "-1"}, -1),
    ],
)
def test_effective_retention_through_synonyms(extra: dict[str, str], retention: int) -> None:
    b = BrokerConfig({**BASE, **extra})
    assert effective_topic_values({}, b)["retention.ms"] == retention
    assert effective_topic_values({"retention.ms": "7"}, b)["retention.ms"] == 7


def test_effective_values_from_single_synonyms() -> None:
    b = BrokerConfig({**BASE, "log.segment.bytes": "2097152", "message.max.bytes": "5000",
                      "log.cleanup.policy": "compact", "log.roll.hours": "2",
                      "compression.type": "zstd", "log.cleaner.min.cleanable.ratio": "0.25"})
    eff = effective_topic_config({"compression.type": "gzip"}, b)
    assert eff["segment.bytes"] == "2097152"
    assert eff["max.message.bytes"] == "5000"
    assert eff["cleanup.policy"] == "compact"
    assert eff["segment.ms"] == "7200000"
    assert eff["compression.type"] == "gzip"
    assert eff["min.cleanable.dirty.ratio"] == "0.25"


def entry(entries, name):
    return next(e for e in entries if e.name == name)


def test_describe_topic_sources() -> None:
    b = BrokerConfig({**BASE, "log.segment.bytes": "2097152", "log.retention.hours": "24"})
    entries = describe_topic({"cleanup.policy": "compact"}, b, include_synonyms=True)
    assert [e.name for e in entries] == sorted(KAFKA_4_TOPIC_CONFIGS)
    cp = entry(entries, "cleanup.policy")
    assert (cp.value, cp.source, cp.read_only, cp.is_sensitive, cp.type) == (
        "compact", ConfigSource.TOPIC_CONFIG, False, False, ConfigType.LIST)
    assert [(s.name, s.value, s.source) for s in cp.synonyms] == [
        ("cleanup.policy", "compact", ConfigSource.TOPIC_CONFIG),
        ("log.cleanup.policy", "delete", ConfigSource.DEFAULT_CONFIG),
    ]
    sb = entry(entries, "segment.bytes")
    assert (sb.value, sb.source) == ("2097152", ConfigSource.STATIC_BROKER_CONFIG)
    assert [(s.name, s.value, s.source) for s in sb.synonyms] == [
        ("log.segment.bytes", "2097152", ConfigSource.STATIC_BROKER_CONFIG),
        ("log.segment.bytes", "1073741824", ConfigSource.DEFAULT_CONFIG),
    ]
    mi = entry(entries, "min.insync.replicas")
    assert (mi.value, mi.source) == ("1", ConfigSource.DEFAULT_CONFIG)
    # Kafka reports only synonyms from the first broker name on: with log.retention.ms
    # unset, retention.ms shows DEFAULT_CONFIG and no synonyms, yet the value follows hours.
    rm = entry(entries, "retention.ms")
    assert (rm.value, rm.source, rm.synonyms) == ("86400000", ConfigSource.DEFAULT_CONFIG, [])
    th = entry(entries, "leader.replication.throttled.replicas")
    assert (th.value, th.source, th.synonyms) == ("", ConfigSource.DEFAULT_CONFIG, [])


def test_describe_topic_retention_ms_set_in_server_properties() -> None:
    b = BrokerConfig({**BASE, "log.retention.ms": "1000", "log.retention.hours": "24"})
    rm = entry(describe_topic({}, b, include_synonyms=True), "retention.ms")
    assert (rm.value, rm.source) == ("1000", ConfigSource.STATIC_BROKER_CONFIG)
    assert [(s.name, s.value, s.source) for s in rm.synonyms] == [
        ("log.retention.ms", "1000", ConfigSource.STATIC_BROKER_CONFIG),
        ("log.retention.hours", "24", ConfigSource.STATIC_BROKER_CONFIG),
        ("log.retention.hours", "168", ConfigSource.DEFAULT_CONFIG),
    ]


def test_describe_topic_without_synonyms_and_dynamic_broker_default() -> None:
    b = BrokerConfig(BASE, dynamic_default={"log.segment.bytes": "3145728"})
    sb = entry(describe_topic({}, b), "segment.bytes")
    assert (sb.value, sb.source, sb.synonyms) == ("3145728", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, [])
    no_broker = entry(describe_topic({"segment.bytes": "2097152"}, None, include_synonyms=True), "segment.bytes")
    assert no_broker.source == ConfigSource.TOPIC_CONFIG
    assert [s.source for s in no_broker.synonyms] == [ConfigSource.TOPIC_CONFIG, ConfigSource.DEFAULT_CONFIG]
