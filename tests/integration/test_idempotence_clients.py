"""Real idempotent producers through a fault-injecting proxy and a broker restart: every
message arrives exactly once and in per-key order (the issue's "done when")."""

from __future__ import annotations

import os
import time
from collections import defaultdict

import pytest

from tests.support.broker import make_broker
from tests.support.fault_proxy import FaultProxy

N_MESSAGES = 10_000
N_KEYS = 50
PARTITIONS = 4


@pytest.fixture
def proxied(tmp_path):
    """A broker of its own that advertises a fault proxy in front of it."""
    if os.environ.get("MOLDAU_TEST_BOOTSTRAP"):
        pytest.skip("needs its own broker advertising the proxy's address")
    broker = make_broker(tmp_path)
    proxy = FaultProxy(broker.host, broker.port, seed=6).start()
    broker.overrides["advertised.listeners"] = f"PLAINTEXT://{proxy.address}"
    broker.start()
    yield broker, proxy
    proxy.stop()
    broker.stop()


def create_topic(bootstrap: str, name: str) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, PARTITIONS, 1)])[name].result(30)


def message(i: int) -> tuple[bytes, bytes]:
    key = f"key-{i % N_KEYS}"
    return key.encode(), f"{key}:{i // N_KEYS}".encode()


def read_all(bootstrap: str, topic: str) -> list[tuple[int, bytes, bytes]]:
    """Every record of the topic as (partition, key, value), in log order per partition."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False}
    )
    try:
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), 30)[1]
            for p in range(PARTITIONS)
        }
        consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        out: list[tuple[int, bytes, bytes]] = []
        positions = dict.fromkeys(range(PARTITIONS), 0)
        deadline = time.monotonic() + 120
        while any(positions[p] < ends[p] for p in ends) and time.monotonic() < deadline:
            for msg in consumer.consume(1000, 1.0):
                if msg.error():
                    continue
                out.append((msg.partition(), msg.key(), msg.value()))
                positions[msg.partition()] = msg.offset() + 1
        assert positions == ends, f"could not read up to the end: {positions} vs {ends}"
        return out
    finally:
        consumer.close()


def check_exactly_once_in_order(records: list[tuple[int, bytes, bytes]]) -> None:
    per_key: dict[bytes, list[int]] = defaultdict(list)
    partition_of: dict[bytes, int] = {}
    for partition, key, value in records:
        assert partition_of.setdefault(key, partition) == partition, "a key moved partitions"
        k, _, n = value.partition(b":")
        assert k == key
        per_key[key].append(int(n))
    expected = list(range(N_MESSAGES // N_KEYS))
    assert len(records) == N_MESSAGES, f"{len(records)} records for {N_MESSAGES} sent"
    for key, seen in per_key.items():
        assert seen == expected, f"{key!r}: duplicates, gaps or reordering"
    assert len(per_key) == N_KEYS


@pytest.mark.slow
def test_confluent_kafka_idempotent_producer_through_faults_and_restart(proxied, topic_name):
    from confluent_kafka import Producer

    broker, proxy = proxied
    create_topic(proxy.address, topic_name)
    errors: list[str] = []
    delivered = 0

    def on_delivery(err, msg) -> None:
        nonlocal delivered
        if err is not None:
            errors.append(str(err))
        else:
            delivered += 1

    producer = Producer(
        {
            "bootstrap.servers": proxy.address,
            "enable.idempotence": True,
            "linger.ms": 2,
            "batch.num.messages": 20,
            "request.timeout.ms": 3000,
            "message.timeout.ms": 180_000,
            "retry.backoff.ms": 20,
            "reconnect.backoff.ms": 20,
            "reconnect.backoff.max.ms": 200,
            "partitioner": "murmur2_random",
        }
    )
    proxy.start_faults(drop_rate=0.1, delay_rate=0.05, delay_s=0.2, max_faults=100)
    for i in range(N_MESSAGES):
        key, value = message(i)
        while True:
            try:
                producer.produce(topic_name, key=key, value=value, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
        if i == N_MESSAGES // 2:
            broker.restart(clean=True)
    assert producer.flush(180) == 0
    proxy.stop_faults()
    assert errors == []
    assert delivered == N_MESSAGES
    assert proxy.stats.dropped > 0  # the faults did happen
    print(proxy.stats)
    check_exactly_once_in_order(read_all(proxy.address, topic_name))


@pytest.mark.slow
def test_kafka_python_idempotent_producer_through_faults_and_restart(proxied, topic_name):
    from kafka import KafkaProducer

    broker, proxy = proxied
    create_topic(proxy.address, topic_name)
    producer = KafkaProducer(
        bootstrap_servers=proxy.address,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        batch_size=1024,
        request_timeout_ms=3000,
        delivery_timeout_ms=180_000,
        retry_backoff_ms=20,
        reconnect_backoff_ms=20,
        reconnect_backoff_max_ms=200,
    )
    try:
        proxy.start_faults(drop_rate=0.1, delay_rate=0.05, delay_s=0.2, max_faults=100)
        futures = []
        for i in range(N_MESSAGES):
            key, value = message(i)
            futures.append(producer.send(topic_name, key=key, value=value))
            if i == N_MESSAGES // 2:
                broker.restart(clean=False)  # kill -9
        producer.flush(180)
        proxy.stop_faults()
        for f in futures:
            f.get(timeout=60)  # raises the delivery error, if any
        assert proxy.stats.dropped > 0
    finally:
        producer.close(10)
    print(proxy.stats)
    check_exactly_once_in_order(read_all(proxy.address, topic_name))
