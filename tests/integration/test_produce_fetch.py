"""Produce and consume round trips with confluent-kafka (librdkafka 2.x)."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from moldau.common.murmur2 import murmur2


def _producer(bootstrap: str, **extra: object) -> Producer:
    conf = {"bootstrap.servers": bootstrap, "linger.ms": 5, "partitioner": "murmur2_random"}
    conf.update(extra)
    return Producer(conf)


def _consume_all(
    bootstrap: str, topic: str, partitions: int, expected: int, timeout: float = 20.0
) -> list:
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"unused-{topic}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 100,
        }
    )
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    out = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < expected and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            out.append(m)
    finally:
        c.close()
    return out


def _create(bootstrap: str, topic: str, partitions: int = 1, config: dict | None = None) -> None:
    a = AdminClient({"bootstrap.servers": bootstrap})
    a.create_topics([NewTopic(topic, partitions, 1, config=config or {})])[topic].result(10)


def test_keys_values_headers_round_trip(broker, topic_name):
    _create(broker.bootstrap, topic_name, 3)
    p = _producer(broker.bootstrap)
    sent = []
    for i in range(30):
        key = f"key-{i % 7}".encode()
        value = f"value-{i}".encode()
        headers = [("h1", f"x{i}".encode()), ("h2", None)]
        p.produce(topic_name, value, key, headers=headers)
        sent.append((key, value))
    p.produce(topic_name, b"no key")  # null key
    p.produce(topic_name, None, b"tombstone-key")  # tombstone
    p.produce(topic_name, b"", b"empty")  # empty value
    assert p.flush(10) == 0
    got = _consume_all(broker.bootstrap, topic_name, 3, 33)
    assert len(got) == 33
    by_value = {m.value(): m for m in got}
    for i, (key, value) in enumerate(sent):
        m = by_value[value]
        assert m.key() == key
        assert m.partition() == (murmur2(key) & 0x7FFFFFFF) % 3
        assert m.headers() == [("h1", f"x{i}".encode()), ("h2", None)]
    assert by_value[b"no key"].key() is None
    tomb = [m for m in got if m.key() == b"tombstone-key"]
    assert len(tomb) == 1 and tomb[0].value() is None
    empty = [m for m in got if m.key() == b"empty"]
    assert empty[0].value() == b""
    # offsets are 0..n-1 in each partition, in send order
    for part in range(3):
        offs = [m.offset() for m in got if m.partition() == part]
        assert offs == list(range(len(offs)))


def test_large_value_and_limit(broker, topic_name):
    _create(broker.bootstrap, topic_name, 1)
    p = _producer(broker.bootstrap, **{"message.max.bytes": 4_000_000, "compression.type": "none"})
    # 1 MB: a record batch holding it stays under message.max.bytes (1048588).
    big = bytes(range(250)) * 4000
    ok = []
    p.produce(topic_name, big, b"big", on_delivery=lambda err, msg: ok.append(err))
    assert p.flush(20) == 0
    assert ok == [None]
    errors = []
    p.produce(
        topic_name, b"x" * 1_100_000, b"too-big", on_delivery=lambda err, msg: errors.append(err)
    )
    p.flush(20)
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() == KafkaError.MSG_SIZE_TOO_LARGE
    got = _consume_all(broker.bootstrap, topic_name, 1, 1)
    assert got[0].value() == big


def test_topic_max_message_bytes(broker, topic_name):
    _create(broker.bootstrap, topic_name, 1, {"max.message.bytes": "2000"})
    p = _producer(broker.bootstrap, **{"compression.type": "none"})
    errors = []
    # Flushed one by one: a batch holding both would be refused as a whole.
    p.produce(topic_name, b"y" * 5000, on_delivery=lambda err, msg: errors.append(err))
    p.flush(20)
    p.produce(topic_name, b"small", on_delivery=lambda err, msg: errors.append(err))
    p.flush(20)
    codes = sorted(e.code() if e else 0 for e in errors)
    assert codes == sorted([0, KafkaError.MSG_SIZE_TOO_LARGE])


@pytest.mark.parametrize("acks", [0, 1, -1])
def test_acks(broker, topic_name, acks):
    p = _producer(broker.bootstrap, acks=acks)
    delivered = []
    for i in range(20):
        p.produce(topic_name, f"m{i}".encode(), on_delivery=lambda err, msg: delivered.append(err))
    assert p.flush(20) == 0
    assert delivered == [None] * 20
    got = _consume_all(broker.bootstrap, topic_name, 1, 20)
    assert [m.value() for m in got] == [f"m{i}".encode() for i in range(20)]


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compression(broker, topic_name, codec):
    p = _producer(broker.bootstrap, **{"compression.type": codec})
    for i in range(100):
        p.produce(topic_name, f"compressed-{i}".encode() * 10, f"k{i}".encode())
    assert p.flush(20) == 0
    got = _consume_all(broker.bootstrap, topic_name, 1, 100)
    assert [m.value() for m in got] == [f"compressed-{i}".encode() * 10 for i in range(100)]
    assert [m.offset() for m in got] == list(range(100))


def test_auto_created_topic_uses_num_partitions(broker, topic_name):
    p = _producer(broker.bootstrap)
    p.produce(topic_name, b"hello")
    assert p.flush(10) == 0
    md = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(topic_name, timeout=10)
    assert len(md.topics[topic_name].partitions) == 1
    assert md.topics[topic_name].error is None


def test_auto_create_disabled(own_broker, topic_name):
    own_broker.stop()
    own_broker.overrides["auto.create.topics.enable"] = "false"
    own_broker.start()
    p = _producer(own_broker.bootstrap, **{"message.timeout.ms": 2000})
    errors = []
    p.produce(topic_name, b"x", on_delivery=lambda err, msg: errors.append(err))
    p.flush(10)
    assert errors and errors[0] is not None
    md = AdminClient({"bootstrap.servers": own_broker.bootstrap}).list_topics(timeout=10)
    assert topic_name not in md.topics


def test_offsets_lookup_earliest_latest_timestamp(broker, topic_name):
    _create(broker.bootstrap, topic_name, 1)
    p = _producer(broker.bootstrap)
    base = 1_700_000_000_000
    for i in range(10):
        p.produce(topic_name, f"v{i}".encode(), timestamp=base + i * 1000)
    assert p.flush(10) == 0
    c = Consumer(
        {"bootstrap.servers": broker.bootstrap, "group.id": "lookup", "enable.auto.commit": False}
    )
    try:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic_name, 0), timeout=10)
        assert (lo, hi) == (0, 10)
        found = c.offsets_for_times([TopicPartition(topic_name, 0, base + 4500)], timeout=10)
        assert found[0].offset == 5
        found = c.offsets_for_times([TopicPartition(topic_name, 0, base + 99_000)], timeout=10)
        assert found[0].offset == -1
    finally:
        c.close()


def test_log_append_time(broker, topic_name):
    _create(broker.bootstrap, topic_name, 1, {"message.timestamp.type": "LogAppendTime"})
    p = _producer(broker.bootstrap)
    p.produce(topic_name, b"v", timestamp=1_000)
    assert p.flush(10) == 0
    got = _consume_all(broker.bootstrap, topic_name, 1, 1)
    ts_type, ts = got[0].timestamp()
    from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME

    assert ts_type == TIMESTAMP_LOG_APPEND_TIME
    assert ts > 1_600_000_000_000


def test_waiting_consumer_wakes_on_new_message(broker, topic_name):
    _create(broker.bootstrap, topic_name, 1)
    c = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "wait",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 5000,
            "enable.partition.eof": True,
        }
    )
    c.assign([TopicPartition(topic_name, 0, OFFSET_BEGINNING)])
    try:
        # Reach the (empty) end first so the consumer is long-polling.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() and m.error().code() == KafkaError._PARTITION_EOF:
                break
        p = _producer(broker.bootstrap)
        p.produce(topic_name, b"wake up")
        assert p.flush(10) == 0
        got = None
        deadline = time.monotonic() + 15
        while got is None and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got = m
        assert got is not None and got.value() == b"wake up"
    finally:
        c.close()
