"""BrokerConfig: typed access, validation, unknown keys, describe_broker sources/synonyms."""

from __future__ import annotations

import pytest

from moldau.common.configs import (
    BROKER_CONFIGS,
    BrokerConfig,
    ConfigError,
    ConfigSource,
    ConfigType,
    InvalidConfigError,
    describe_broker,
    load_properties,
    validate_broker_alter,
)

BASE = {"node.id": "1", "log.dirs": "/tmp/x"}


def cfg(**kv: str) -> BrokerConfig:
    props = dict(BASE)
    props.update({k.replace("__", "."): v for k, v in kv.items()})
    return BrokerConfig(props)


def make(extra: dict[str, str]) -> BrokerConfig:
    return BrokerConfig({**BASE, **extra})


def test_defaults_are_kafkas() -> None:
    c = BrokerConfig(BASE).validate()
    assert c.get_int("num.partitions") == 1
    assert c.get_int("default.replication.factor") == 1
    assert c.get_bool("auto.create.topics.enable") is True
    assert c.get_int("message.max.bytes") == 1048588
    assert c.get_int("socket.request.max.bytes") == 104857600
    assert c.get_int("offsets.topic.num.partitions") == 50
    assert c.get_int("offsets.topic.replication.factor") == 3
    assert c.get_int("offsets.retention.minutes") == 10080
    assert c.get_int("group.initial.rebalance.delay.ms") == 3000
    assert c.get_int("group.min.session.timeout.ms") == 6000
    assert c.get_int("group.max.session.timeout.ms") == 1800000
    assert c.get_int("producer.id.expiration.ms") == 86400000
    assert c.get_int("log.segment.bytes") == 1073741824
    assert c.get_string("compression.type") == "producer"
    assert c.get_double("log.cleaner.min.cleanable.ratio") == 0.5
    assert c.get_list("listeners") == ["PLAINTEXT://:9092"]
    assert c.get("zookeeper.connect") is None
    assert c.get_int("zookeeper.session.timeout.ms") == 18000
    assert c.log_retention_ms == 7 * 24 * 3600 * 1000


def test_attribute_access() -> None:
    c = make({"num.partitions": "3"})
    assert c.num_partitions == 3
    assert c.log_retention_check_interval_ms == 300000
    with pytest.raises(AttributeError):
        _ = c.no_such_thing


def test_shipped_server_properties_is_valid_and_has_no_unknown_keys() -> None:
    c = BrokerConfig(load_properties("config/server.properties")).validate()
    assert c.warnings == []
    assert c.node_id == 0
    assert c.get_int("group.initial.rebalance.delay.ms") == 0
    assert [str(lst) for lst in c.listeners] == ["PLAINTEXT://:9092"]


def test_kafka_kraft_sample_keys_are_known() -> None:
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": "localhost:9093",
        "listeners": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "inter.broker.listener.name": "PLAINTEXT",
        "advertised.listeners": "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL",
        "log.dirs": "/tmp/kraft-combined-logs",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
    }
    c = BrokerConfig(props).validate()
    assert c.warnings == []


def test_zookeeper_mode_sample() -> None:
    c = BrokerConfig(
        {"broker.id": "2", "zookeeper.connect": "localhost:2181", "zookeeper.connection.timeout.ms": "18000"}
    ).validate()
    assert c.zookeeper_mode and c.node_id == 2
    assert c.log_dirs == ["/tmp/kafka-logs"]  # log.dir's default


def test_unknown_keys_warn_not_fail() -> None:
    c = make({"ssl.keystore.location": "/x", "my.custom": "1"})
    c.validate()
    assert len(c.warnings) == 2
    assert any("my.custom" in w for w in c.warnings)


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("num.partitions", "0", "Value must be at least 1"),
        ("num.partitions", "two", "Not a number of type INT"),
        ("auto.create.topics.enable", "yes", "Expected value to be either true or false"),
        ("log.segment.bytes", "1000", "Value must be at least 1048576"),
        ("log.cleanup.policy", "remove", "String must be one of: compact, delete"),
        ("compression.type", "brotli", "String must be one of"),
        ("offsets.topic.replication.factor", "70000", "Not a number of type SHORT"),
        ("log.cleaner.min.cleanable.ratio", "1.5", "Value must be no more than 1"),
        ("log.message.timestamp.type", "createtime", "String must be one of: CreateTime, LogAppendTime"),
        ("listeners", "", "must not be empty"),
        ("log.dirs", "/a,/a", "twice"),
        ("log.dirs", "/a,,/b", "must not be empty"),
        ("group.coordinator.rebalance.protocols", "", "must not be empty"),
        ("group.coordinator.rebalance.protocols", "classic,magic", "String must be one of"),
    ],
)
def test_invalid_values_name_the_key(key: str, value: str, why: str) -> None:
    c = make({key: value})
    with pytest.raises(ConfigError) as e:
        c.validate()
    assert e.value.key == key
    assert key in str(e.value) and why in str(e.value)
    with pytest.raises(ConfigError):
        c.get(key)


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"node.id": "1", "broker.id": "2"}, "node.id"),
        ({"node.id": "-1"}, "node.id"),
        ({"log.dirs": "", "log.dir": ""}, "log.dirs"),
        ({"log.retention.ms": "0"}, "log.retention.ms"),
        ({"log.retention.hours": "0"}, "log.retention.ms"),
        ({"replica.fetch.wait.max.ms": "40000"}, "replica.socket.timeout.ms"),
        ({"queued.max.request.bytes": "10"}, "queued.max.request.bytes"),
        ({"group.min.session.timeout.ms": "2000000"}, "group.min.session.timeout.ms"),
        ({"listeners": "PLAINTEXT://:9092,PLAINTEXT://:9093"}, "listeners"),
        ({"listeners": "PLAINTEXT://:99999"}, "listeners"),
        ({"listeners": "PLAINTEXT//:9092"}, "listeners"),
        ({"listeners": "FOO://:9092"}, "listeners"),
        ({"advertised.listeners": "PLAINTEXT://0.0.0.0:9092"}, "advertised.listeners"),
        ({"advertised.listeners": "OTHER://h:1", "listener.security.protocol.map": "OTHER:PLAINTEXT,PLAINTEXT:PLAINTEXT"},
         "advertised.listeners"),
        ({"inter.broker.listener.name": "INTERNAL"}, "inter.broker.listener.name"),
        ({"listener.security.protocol.map": "PLAINTEXT:TLS"}, "listener.security.protocol.map"),
        ({"log.cleaner.dedupe.buffer.size": "1000"}, "log.cleaner.dedupe.buffer.size"),
    ],
)
def test_cross_key_checks(extra: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as e:
        make(extra).validate()
    assert e.value.key == key, str(e.value)


def test_node_id_falls_back_to_broker_id() -> None:
    c = BrokerConfig({"broker.id": "5"}).validate()
    assert c.node_id == 5


def test_listeners_parse_hosts_and_ipv6() -> None:
    c = make({
        "listeners": "PLAINTEXT://127.0.0.1:9092,INTERNAL://[::1]:9093",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
    }).validate()
    ls = c.listeners
    assert [(x.name, x.host, x.port) for x in ls] == [("PLAINTEXT", "127.0.0.1", 9092), ("INTERNAL", "::1", 9093)]
    assert str(ls[1]) == "INTERNAL://[::1]:9093"
    assert c.advertised_listeners == ls


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, 168 * 3600_000),
        ({"log.retention.hours": "1"}, 3600_000),
        ({"log.retention.minutes": "2", "log.retention.hours": "1"}, 120_000),
        ({"log.retention.ms": "5000", "log.retention.minutes": "2", "log.retention.hours": "1"}, 5000),
        ({"log.retention.ms": "-5"}, -1),
        ({"log.retention.hours": "-1"}, -1),
    ],
)
def test_retention_precedence_ms_over_minutes_over_hours(extra: dict[str, str], expected: int) -> None:
    assert make(extra).log_retention_ms == expected


def test_roll_and_flush_synonyms() -> None:
    assert make({}).log_roll_ms == 168 * 3600_000
    assert make({"log.roll.hours": "2"}).log_roll_ms == 7200_000
    assert make({"log.roll.ms": "10", "log.roll.hours": "2"}).log_roll_ms == 10
    assert make({}).log_flush_interval_ms == 2**63 - 1
    assert make({"log.flush.scheduler.interval.ms": "7"}).log_flush_interval_ms == 7
    assert make({"log.roll.jitter.hours": "1"}).log_roll_jitter_ms == 3600_000


def entry(entries, name):
    return next(e for e in entries if e.name == name)


def test_describe_broker_sources_and_types() -> None:
    c = make({"num.partitions": "3"})
    entries = describe_broker(c)
    assert [e.name for e in entries] == sorted(BROKER_CONFIGS)
    e = entry(entries, "num.partitions")
    assert (e.value, e.source, e.read_only, e.type) == ("3", ConfigSource.STATIC_BROKER_CONFIG, True, ConfigType.INT)
    assert [(s.name, s.value, s.source) for s in e.synonyms] == [
        ("num.partitions", "3", ConfigSource.STATIC_BROKER_CONFIG),
        ("num.partitions", "1", ConfigSource.DEFAULT_CONFIG),
    ]
    d = entry(entries, "default.replication.factor")
    assert (d.value, d.source) == ("1", ConfigSource.DEFAULT_CONFIG)
    m = entry(entries, "message.max.bytes")
    assert m.read_only is False  # cluster-wide dynamic in Kafka
    z = entry(entries, "zookeeper.connect")
    assert z.value is None and z.synonyms == []
    assert int(ConfigSource.STATIC_BROKER_CONFIG) == 4 and int(ConfigType.LIST) == 7


def test_describe_broker_retention_synonyms_drop_higher_ranked_unset() -> None:
    c = make({"log.retention.hours": "24"})
    ms = entry(describe_broker(c), "log.retention.ms")
    assert (ms.value, ms.source, ms.synonyms) == (None, ConfigSource.DEFAULT_CONFIG, [])
    hours = entry(describe_broker(c), "log.retention.hours")
    assert [(s.name, s.value, s.source) for s in hours.synonyms] == [
        ("log.retention.hours", "24", ConfigSource.STATIC_BROKER_CONFIG),
        ("log.retention.hours", "168", ConfigSource.DEFAULT_CONFIG),
    ]
    c2 = make({"log.retention.ms": "1000", "log.retention.hours": "24"})
    ms2 = entry(describe_broker(c2), "log.retention.ms")
    assert [(s.name, s.source) for s in ms2.synonyms] == [
        ("log.retention.ms", ConfigSource.STATIC_BROKER_CONFIG),
        ("log.retention.hours", ConfigSource.STATIC_BROKER_CONFIG),
        ("log.retention.hours", ConfigSource.DEFAULT_CONFIG),
    ]


def test_describe_broker_dynamic_layers() -> None:
    c = BrokerConfig(
        {**BASE, "message.max.bytes": "2000"},
        dynamic_default={"message.max.bytes": "3000"},
        dynamic_broker={"message.max.bytes": "4000"},
    )
    e = entry(describe_broker(c), "message.max.bytes")
    assert e.value == "4000" and e.source == ConfigSource.DYNAMIC_BROKER_CONFIG
    assert [s.source for s in e.synonyms] == [
        ConfigSource.DYNAMIC_BROKER_CONFIG,
        ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
        ConfigSource.STATIC_BROKER_CONFIG,
        ConfigSource.DEFAULT_CONFIG,
    ]
    assert c.get_int("message.max.bytes") == 4000
    c2 = c.with_dynamic(dynamic_broker={})
    assert c2.get_int("message.max.bytes") == 3000
    assert c2.source_of("message.max.bytes") == ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG


def test_describe_broker_subset_and_no_synonyms() -> None:
    entries = describe_broker(make({}), include_synonyms=False, names=["num.io.threads", "nope"])
    assert [e.name for e in entries] == ["num.io.threads"]
    assert entries[0].synonyms == [] and entries[0].source == ConfigSource.DEFAULT_CONFIG


def test_validate_broker_alter() -> None:
    assert validate_broker_alter({"message.max.bytes": " 2000 "}, per_broker=True) == {"message.max.bytes": "2000"}
    assert validate_broker_alter({"log.cleanup.policy": None}, per_broker=False) == {}
    with pytest.raises(InvalidConfigError, match="dynamically"):
        validate_broker_alter({"log.dirs": "/x"}, per_broker=True)
    with pytest.raises(InvalidConfigError, match="broker id must be specified"):
        validate_broker_alter({"listeners": "PLAINTEXT://:1"}, per_broker=False)
    with pytest.raises(InvalidConfigError) as e:
        validate_broker_alter({"message.max.bytes": "x"}, per_broker=True)
    assert e.value.key == "message.max.bytes"
    with pytest.raises(InvalidConfigError, match="Unknown broker config"):
        validate_broker_alter({"nope": "1"}, per_broker=True)


def test_plugin_classes_warn_that_they_are_ignored() -> None:
    c = make({"create.topic.policy.class.name": "com.example.Policy", "alter.config.policy.class.name": ""})
    c.validate()
    assert c.warnings == ["create.topic.policy.class.name=com.example.Policy ignored: moldau cannot load Java plugin classes"]


def test_banner_lines() -> None:
    lines = make({"num.partitions": "4"}).banner_lines()
    assert len(lines) == len(BROKER_CONFIGS)
    assert "num.partitions = 4" in lines
    assert "zookeeper.connect = null" in lines
    assert "log.cleanup.policy = delete" in lines
    assert lines == sorted(lines)
