"""DescribeConfigs and error answers compared with a real Apache Kafka 4.3.1 broker.

The expected data was captured once from Kafka 4.3.1 (KRaft, one node) started with
SERVER_PROPERTIES below, through confluent-kafka's AdminClient: a topic created with
cleanup.policy=compact and max.message.bytes=5000, then DescribeConfigs on the topic and
on broker 1. Each entry is (value, source, read_only, synonyms). librdkafka hands synonyms
back keyed by name, so two synonyms with one name (e.g. STATIC and DEFAULT
log.segment.bytes) arrive as the last one only; ours are collapsed the same way here.
min.insync.replicas is left out: KRaft stores it as a dynamic cluster default at
formatting time, which a ZooKeeper or local broker does not do.
"""

from __future__ import annotations

import pytest

from moldau.common.configs import (
    AlterOp,
    BrokerConfig,
    InvalidConfigError,
    apply_incremental,
    describe_broker,
    describe_topic,
    internal_topic_spec,
    parse_properties,
    validate_topic_configs,
)

SERVER_PROPERTIES = """
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:39093
listeners=PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093
advertised.listeners=PLAINTEXT://127.0.0.1:39092
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=/tmp/kdump/kafka/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
log.retention.hours=24
log.segment.bytes=2097152
log.roll.hours=2
num.partitions=3
"""

TOPIC_OVERRIDES = {"cleanup.policy": "compact", "max.message.bytes": "5000"}

KAFKA_TOPIC = {
    "cleanup.policy": (
        "compact",
        1,
        False,
        [("cleanup.policy", "compact", 1), ("log.cleanup.policy", "delete", 5)],
    ),
    "compression.gzip.level": ("-1", 5, False, [("compression.gzip.level", "-1", 5)]),
    "compression.lz4.level": ("9", 5, False, [("compression.lz4.level", "9", 5)]),
    "compression.type": ("producer", 5, False, [("compression.type", "producer", 5)]),
    "compression.zstd.level": ("3", 5, False, [("compression.zstd.level", "3", 5)]),
    "delete.retention.ms": ("86400000", 5, False, [("log.cleaner.delete.retention.ms", "86400000", 5)]),
    "file.delete.delay.ms": ("60000", 5, False, [("log.segment.delete.delay.ms", "60000", 5)]),
    "flush.messages": (
        "9223372036854775807",
        5,
        False,
        [("log.flush.interval.messages", "9223372036854775807", 5)],
    ),
    "flush.ms": ("9223372036854775807", 5, False, []),
    "follower.replication.throttled.replicas": ("", 5, False, []),
    "index.interval.bytes": ("4096", 5, False, [("log.index.interval.bytes", "4096", 5)]),
    "leader.replication.throttled.replicas": ("", 5, False, []),
    "local.retention.bytes": ("-2", 5, False, [("log.local.retention.bytes", "-2", 5)]),
    "local.retention.ms": ("-2", 5, False, [("log.local.retention.ms", "-2", 5)]),
    "max.compaction.lag.ms": (
        "9223372036854775807",
        5,
        False,
        [("log.cleaner.max.compaction.lag.ms", "9223372036854775807", 5)],
    ),
    "max.message.bytes": (
        "5000",
        1,
        False,
        [("max.message.bytes", "5000", 1), ("message.max.bytes", "1048588", 5)],
    ),
    "message.timestamp.after.max.ms": (
        "3600000",
        5,
        False,
        [("log.message.timestamp.after.max.ms", "3600000", 5)],
    ),
    "message.timestamp.before.max.ms": (
        "9223372036854775807",
        5,
        False,
        [("log.message.timestamp.before.max.ms", "9223372036854775807", 5)],
    ),
    "message.timestamp.type": ("CreateTime", 5, False, [("log.message.timestamp.type", "CreateTime", 5)]),
    "min.cleanable.dirty.ratio": ("0.5", 5, False, [("log.cleaner.min.cleanable.ratio", "0.5", 5)]),
    "min.compaction.lag.ms": ("0", 5, False, [("log.cleaner.min.compaction.lag.ms", "0", 5)]),
    "preallocate": ("false", 5, False, [("log.preallocate", "false", 5)]),
    "remote.log.copy.disable": ("false", 5, False, []),
    "remote.log.delete.on.disable": ("false", 5, False, []),
    "remote.storage.enable": ("false", 5, False, []),
    "retention.bytes": ("-1", 5, False, [("log.retention.bytes", "-1", 5)]),
    "retention.ms": ("86400000", 5, False, []),
    "segment.bytes": ("2097152", 4, False, [("log.segment.bytes", "1073741824", 5)]),
    "segment.index.bytes": ("10485760", 5, False, [("log.index.size.max.bytes", "10485760", 5)]),
    "segment.jitter.ms": ("0", 5, False, []),
    "segment.ms": ("7200000", 5, False, []),
    "unclean.leader.election.enable": ("false", 5, False, [("unclean.leader.election.enable", "false", 5)]),
}

KAFKA_BROKER = {
    "advertised.listeners": (
        "PLAINTEXT://127.0.0.1:39092",
        4,
        True,
        [("advertised.listeners", "PLAINTEXT://127.0.0.1:39092", 4)],
    ),
    "auto.create.topics.enable": ("true", 5, True, [("auto.create.topics.enable", "true", 5)]),
    "broker.id": ("1", 4, True, [("broker.id", "-1", 5)]),
    "compression.type": ("producer", 5, False, [("compression.type", "producer", 5)]),
    "group.initial.rebalance.delay.ms": ("3000", 5, True, [("group.initial.rebalance.delay.ms", "3000", 5)]),
    "listeners": (
        "PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093",
        4,
        False,
        [("listeners", "PLAINTEXT://:9092", 5)],
    ),
    "log.cleaner.min.cleanable.ratio": ("0.5", 5, False, [("log.cleaner.min.cleanable.ratio", "0.5", 5)]),
    "log.cleanup.policy": ("delete", 5, False, [("log.cleanup.policy", "delete", 5)]),
    "log.dir": ("/tmp/kafka-logs", 5, True, [("log.dir", "/tmp/kafka-logs", 5)]),
    "log.dirs": ("/tmp/kdump/kafka/data", 4, True, [("log.dirs", "/tmp/kdump/kafka/data", 4)]),
    "log.flush.interval.ms": (None, 5, False, []),
    "log.flush.scheduler.interval.ms": (
        "9223372036854775807",
        5,
        True,
        [("log.flush.scheduler.interval.ms", "9223372036854775807", 5)],
    ),
    "log.message.timestamp.after.max.ms": (
        "3600000",
        5,
        False,
        [("log.message.timestamp.after.max.ms", "3600000", 5)],
    ),
    "log.retention.hours": ("24", 4, True, [("log.retention.hours", "168", 5)]),
    "log.retention.minutes": (None, 5, True, []),
    "log.retention.ms": (None, 5, False, []),
    "log.roll.hours": ("2", 4, True, [("log.roll.hours", "168", 5)]),
    "log.roll.ms": (None, 5, False, []),
    "log.segment.bytes": ("2097152", 4, False, [("log.segment.bytes", "1073741824", 5)]),
    "message.max.bytes": ("1048588", 5, False, [("message.max.bytes", "1048588", 5)]),
    "node.id": ("1", 4, True, [("node.id", "1", 4)]),
    "num.partitions": ("3", 4, True, [("num.partitions", "1", 5)]),
    "offsets.topic.num.partitions": ("50", 5, True, [("offsets.topic.num.partitions", "50", 5)]),
    "offsets.topic.replication.factor": ("1", 4, True, [("offsets.topic.replication.factor", "3", 5)]),
    "process.roles": ("broker,controller", 4, True, [("process.roles", "broker,controller", 4)]),
    "socket.request.max.bytes": ("104857600", 5, True, [("socket.request.max.bytes", "104857600", 5)]),
    "transaction.state.log.min.isr": ("1", 4, True, [("transaction.state.log.min.isr", "2", 5)]),
}


def _collapse(synonyms) -> list[tuple[str, str | None, int]]:
    by_name: dict[str, tuple[str, str | None, int]] = {}
    for s in synonyms:
        by_name[s.name] = (s.name, s.value, int(s.source))
    return sorted(by_name.values())


@pytest.fixture(scope="module")
def broker() -> BrokerConfig:
    cfg = BrokerConfig(parse_properties(SERVER_PROPERTIES))
    assert cfg.warnings == []
    return cfg.validate()


def test_topic_describe_matches_kafka(broker: BrokerConfig) -> None:
    ours = {e.name: e for e in describe_topic(TOPIC_OVERRIDES, broker, include_synonyms=True)}
    assert set(ours) == set(KAFKA_TOPIC) | {"min.insync.replicas"}
    for name, (value, source, read_only, synonyms) in KAFKA_TOPIC.items():
        e = ours[name]
        assert (e.value, int(e.source), e.read_only) == (value, source, read_only), name
        assert _collapse(e.synonyms) == sorted(synonyms), name


def test_broker_describe_matches_kafka(broker: BrokerConfig) -> None:
    ours = {e.name: e for e in describe_broker(broker)}
    for name, (value, source, read_only, synonyms) in KAFKA_BROKER.items():
        e = ours[name]
        assert (e.value, int(e.source), e.read_only) == (value, source, read_only), name
        assert _collapse(e.synonyms) == sorted(synonyms), name


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        (
            {"retention.ms": "abc"},
            "Invalid value abc for configuration retention.ms: Not a number of type LONG",
        ),
        (
            {"segment.bytes": "1000"},
            "Invalid value 1000 for configuration segment.bytes: Value must be at least 1048576",
        ),
        ({"foo.bar": "1"}, "Unknown topic config name: foo.bar"),
        (
            {"cleanup.policy": "forever"},
            "Invalid value forever for configuration cleanup.policy: String must be one of: compact, delete",
        ),
        (
            {"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"},
            "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)",
        ),
    ],
)
def test_create_topics_invalid_config_messages_match_kafka(broker: BrokerConfig, configs, message) -> None:
    with pytest.raises(InvalidConfigError) as e:
        validate_topic_configs(configs, broker)
    assert e.value.message == message


def test_incremental_append_matches_kafka() -> None:
    out = apply_incremental(
        TOPIC_OVERRIDES,
        [
            ("cleanup.policy", AlterOp.APPEND, "delete"),
            ("leader.replication.throttled.replicas", AlterOp.APPEND, "0:1"),
        ],
    )
    assert out["cleanup.policy"] == "compact,delete"
    assert out["leader.replication.throttled.replicas"] == "0:1"
    with pytest.raises(InvalidConfigError):
        apply_incremental(TOPIC_OVERRIDES, [("retention.ms", AlterOp.APPEND, "1")])


def test_internal_topics_as_kafka_creates_them(broker: BrokerConfig) -> None:
    # Captured from the same Kafka 4.3.1 broker after a group commit and InitProducerId.
    assert internal_topic_spec("__consumer_offsets", broker) == (
        50, 1, {"compression.type": "producer", "cleanup.policy": "compact", "segment.bytes": "104857600"})
    assert internal_topic_spec("__transaction_state", broker) == (
        50, 1, {"compression.type": "uncompressed", "min.insync.replicas": "1", "cleanup.policy": "compact",
                "segment.bytes": "104857600", "unclean.leader.election.enable": "false"})
    with pytest.raises(KeyError):
        internal_topic_spec("orders", broker)
