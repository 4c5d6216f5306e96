"""Admin APIs through confluent-kafka's AdminClient: create / describe / delete topics, add
partitions, describe and alter configs, describe cluster, delete records, log dirs."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaException, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
)
from confluent_kafka.error import KafkaError


@pytest.fixture
def admin(broker):
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def _error_code(fut) -> int:
    try:
        fut.result(10)
    except KafkaException as exc:
        return exc.args[0].code()
    return 0


def test_create_describe_delete(admin, topic_name):
    assert _error_code(admin.create_topics([NewTopic(topic_name, 4, 1)])[topic_name]) == 0
    assert (
        _error_code(admin.create_topics([NewTopic(topic_name, 4, 1)])[topic_name])
        == KafkaError.TOPIC_ALREADY_EXISTS
    )
    md = admin.list_topics(timeout=10)
    assert len(md.topics[topic_name].partitions) == 4
    assert all(
        p.leader == 0 and p.replicas == [0] for p in md.topics[topic_name].partitions.values()
    )
    desc = admin.describe_topics(TopicCollection([topic_name]))[topic_name].result(10)
    assert desc.name == topic_name and len(desc.partitions) == 4
    assert str(desc.topic_id) not in ("", "AAAAAAAAAAAAAAAAAAAAAA")
    assert _error_code(admin.delete_topics([topic_name])[topic_name]) == 0
    assert topic_name not in admin.list_topics(timeout=10).topics
    assert (
        _error_code(admin.delete_topics([topic_name])[topic_name])
        == KafkaError.UNKNOWN_TOPIC_OR_PART
    )


@pytest.mark.parametrize(
    ("name", "partitions", "rf", "config", "code"),
    [
        ("bad/name", 1, 1, {}, KafkaError.TOPIC_EXCEPTION),
        (".", 1, 1, {}, KafkaError.TOPIC_EXCEPTION),
        ("x" * 250, 1, 1, {}, KafkaError.TOPIC_EXCEPTION),
        (None, 0, 1, {}, KafkaError.INVALID_PARTITIONS),
        (None, 1, 2, {}, KafkaError.INVALID_REPLICATION_FACTOR),
        (None, 1, 1, {"cleanup.policy": "shred"}, KafkaError.INVALID_CONFIG),
        (None, 1, 1, {"no.such.config": "1"}, KafkaError.INVALID_CONFIG),
        (None, 1, 1, {"segment.bytes": "1"}, KafkaError.INVALID_CONFIG),
    ],
)
def test_create_errors(admin, topic_name, name, partitions, rf, config, code):
    name = name or topic_name
    fut = admin.create_topics([NewTopic(name, partitions, rf, config=config)])[name]
    assert _error_code(fut) == code
    assert name not in admin.list_topics(timeout=10).topics


def test_validate_only_creates_nothing(admin, topic_name):
    fut = admin.create_topics([NewTopic(topic_name, 2, 1)], validate_only=True)[topic_name]
    assert _error_code(fut) == 0
    assert topic_name not in admin.list_topics(timeout=10).topics


def test_add_partitions(admin, topic_name):
    admin.create_topics([NewTopic(topic_name, 2, 1)])[topic_name].result(10)
    assert _error_code(admin.create_partitions([NewPartitions(topic_name, 5)])[topic_name]) == 0
    assert len(admin.list_topics(timeout=10).topics[topic_name].partitions) == 5
    code = _error_code(admin.create_partitions([NewPartitions(topic_name, 3)])[topic_name])
    assert code == KafkaError.INVALID_PARTITIONS
    code = _error_code(
        admin.create_partitions([NewPartitions("no-such-" + topic_name, 3)])[
            "no-such-" + topic_name
        ]
    )
    assert code == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_describe_and_alter_configs(admin, topic_name):
    admin.create_topics([NewTopic(topic_name, 1, 1, config={"retention.ms": "60000"})])[
        topic_name
    ].result(10)
    res = ConfigResource("topic", topic_name)
    cfg = admin.describe_configs([res])[res].result(10)
    assert cfg["retention.ms"].value == "60000"
    assert cfg["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert cfg["cleanup.policy"].value == "delete"
    assert cfg["max.message.bytes"].value == "1048588"
    for name in (
        "segment.bytes",
        "min.insync.replicas",
        "compression.type",
        "message.timestamp.type",
    ):
        assert name in cfg
    inc = ConfigResource(
        "topic",
        topic_name,
        incremental_configs=[
            ConfigEntry("retention.ms", "120000", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry(
                "cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND
            ),
        ],
    )
    admin.incremental_alter_configs([inc])[inc].result(10)
    cfg = admin.describe_configs([res])[res].result(10)
    assert cfg["retention.ms"].value == "120000"
    assert set(cfg["cleanup.policy"].value.split(",")) == {"delete", "compact"}
    bad = ConfigResource(
        "topic",
        topic_name,
        incremental_configs=[
            ConfigEntry("retention.ms", "soon", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    assert _error_code(admin.incremental_alter_configs([bad])[bad]) == KafkaError.INVALID_CONFIG
    delete = ConfigResource(
        "topic",
        topic_name,
        incremental_configs=[
            ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE)
        ],
    )
    admin.incremental_alter_configs([delete])[delete].result(10)
    cfg = admin.describe_configs([res])[res].result(10)
    assert cfg["retention.ms"].value == "604800000"
    assert cfg["retention.ms"].source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value


def test_describe_broker_configs(admin):
    res = ConfigResource("broker", "0")
    cfg = admin.describe_configs([res])[res].result(10)
    assert cfg["num.partitions"].value == "1"
    assert cfg["log.retention.hours"].value == "168"
    assert cfg["log.retention.hours"].source == ConfigSource.STATIC_BROKER_CONFIG.value
    assert cfg["message.max.bytes"].value == "1048588"


def test_describe_cluster(admin, broker):
    desc = admin.describe_cluster().result(10)
    assert desc.cluster_id
    assert [n.id for n in desc.nodes] == [0]
    assert desc.nodes[0].port == broker.port
    assert desc.controller.id == 0


def test_delete_records_and_offsets(admin, broker, topic_name):
    admin.create_topics([NewTopic(topic_name, 1, 1)])[topic_name].result(10)
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(10):
        p.produce(topic_name, f"v{i}".encode(), timestamp=1_700_000_000_000 + i)
    assert p.flush(10) == 0
    tp = TopicPartition(topic_name, 0, 4)
    res = admin.delete_records([tp])[tp].result(10)
    assert res.low_watermark == 4
    offs = admin.list_offsets({TopicPartition(topic_name, 0): OffsetSpec.earliest()})[
        TopicPartition(topic_name, 0)
    ].result(10)
    assert offs.offset == 4
    latest = admin.list_offsets({TopicPartition(topic_name, 0): OffsetSpec.latest()})
    assert latest[TopicPartition(topic_name, 0)].result(10).offset == 10
    maxts = admin.list_offsets({TopicPartition(topic_name, 0): OffsetSpec.max_timestamp()})
    assert maxts[TopicPartition(topic_name, 0)].result(10).offset == 9
    too_far = TopicPartition(topic_name, 0, 99)
    with pytest.raises(KafkaException):
        admin.delete_records([too_far])[too_far].result(10)


def test_names_differing_only_by_dot_and_underscore_collide(admin, topic_name):
    dotted = topic_name + ".x"
    admin.create_topics([NewTopic(dotted, 1, 1)])[dotted].result(10)
    underscored = topic_name + "_x"
    fut = admin.create_topics([NewTopic(underscored, 1, 1)])[underscored]
    assert _error_code(fut) == KafkaError.TOPIC_EXCEPTION


def test_too_many_partitions_in_one_request(admin, topic_name):
    fut = admin.create_topics([NewTopic(topic_name, 10_001, 1)])[topic_name]
    assert _error_code(fut) == KafkaError.POLICY_VIOLATION
    admin.create_topics([NewTopic(topic_name, 1, 1)])[topic_name].result(10)
    fut = admin.create_partitions([NewPartitions(topic_name, 20_000)])[topic_name]
    assert _error_code(fut) == KafkaError.POLICY_VIOLATION
    assert len(admin.list_topics(timeout=10).topics[topic_name].partitions) == 1
