"""kafka-python: producer, assigned consumer and admin client."""

from __future__ import annotations

import pytest

kafka = pytest.importorskip("kafka")
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic  # noqa: E402
from kafka.errors import TopicAlreadyExistsError  # noqa: E402

from moldau.common.murmur2 import murmur2  # noqa: E402


def _consume(bootstrap: str, topic: str, partitions: int, n: int) -> list:
    c = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=10000
    )
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        out = []
        for m in c:
            out.append(m)
            if len(out) >= n:
                break
        return out
    finally:
        c.close()


@pytest.mark.parametrize("acks", [0, 1, "all"])
def test_kafka_python_round_trip(broker, topic_name, acks):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        admin.create_topics([NewTopic(topic_name, 3, 1)])
    finally:
        admin.close()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, acks=acks)
    futures = []
    for i in range(30):
        key = f"k{i % 5}".encode()
        futures.append(p.send(topic_name, key=key, value=f"v{i}".encode(), headers=[("h", b"x")]))
    futures.append(p.send(topic_name, key=b"tomb", value=None))
    futures.append(p.send(topic_name, key=None, value=b""))
    p.flush()
    for f in futures:
        f.get(10)
    p.close()
    got = _consume(broker.bootstrap, topic_name, 3, 32)
    assert len(got) == 32
    for m in got:
        if m.key is not None and m.key.startswith(b"k"):
            assert m.partition == (murmur2(m.key) & 0x7FFFFFFF) % 3
            assert m.headers == [("h", b"x")]
    assert any(m.key == b"tomb" and m.value is None for m in got)
    assert any(m.key is None and m.value == b"" for m in got)
    for part in range(3):
        offs = [m.offset for m in got if m.partition == part]
        assert offs == list(range(len(offs)))


def _topic_configs(admin: KafkaAdminClient, topic: str) -> dict:
    # kafka-python 3: {resource type: {resource name: {config name: {value, source, ...}}}}
    res = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all"
    )
    return res["topic"][topic]


def test_kafka_python_admin(broker, topic_name):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        admin.create_topics(
            [NewTopic(topic_name, 2, 1, topic_configs={"cleanup.policy": "compact"})]
        )
        with pytest.raises(TopicAlreadyExistsError):
            admin.create_topics([NewTopic(topic_name, 2, 1)])
        assert topic_name in admin.list_topics()
        admin.create_partitions({topic_name: NewPartitions(4)})
        desc = admin.describe_topics([topic_name])
        assert len(desc[0]["partitions"]) == 4
        configs = _topic_configs(admin, topic_name)
        assert configs["cleanup.policy"]["value"] == "compact"
        assert configs["cleanup.policy"]["config_source"] == "DYNAMIC_TOPIC_CONFIG"
        assert configs["segment.bytes"]["value"] == "1073741824"
        assert configs["segment.bytes"]["config_source"] == "STATIC_BROKER_CONFIG"
        admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC, topic_name, configs={"retention.ms": "12345"}
                )
            ]
        )
        assert _topic_configs(admin, topic_name)["retention.ms"]["value"] == "12345"
        admin.delete_topics([topic_name])
        assert topic_name not in admin.list_topics()
    finally:
        admin.close()


def test_kafka_python_offsets(broker, topic_name):
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    base = 1_700_000_000_000
    for i in range(5):
        p.send(topic_name, value=b"x", timestamp_ms=base + i * 10)
    p.flush()
    p.close()
    c = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
    try:
        tp = TopicPartition(topic_name, 0)
        assert c.beginning_offsets([tp])[tp] == 0
        assert c.end_offsets([tp])[tp] == 5
        found = c.offsets_for_times({tp: base + 15})
        assert found[tp].offset == 2
    finally:
        c.close()
