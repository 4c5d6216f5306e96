"""aiokafka: producer, assigned consumer, offset lookups and the admin client."""

from __future__ import annotations

import asyncio

import pytest

aiokafka = pytest.importorskip("aiokafka")
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic  # noqa: E402

from moldau.common.murmur2 import murmur2  # noqa: E402


async def _produce_consume(bootstrap: str, topic: str, acks: object) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=acks)
    await producer.start()
    try:
        for i in range(20):
            await producer.send(
                topic, key=f"k{i}".encode(), value=f"v{i}".encode(), headers=[("h", b"1")]
            )
        await producer.send(topic, key=b"tomb", value=None)
        await producer.send(topic, key=None, value=b"")
        await producer.send_and_wait(topic, key=b"big", value=b"b" * 1_000_000)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=2_000_000,
        fetch_max_bytes=4_000_000,
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        got = []

        async def collect() -> None:
            async for m in consumer:
                got.append(m)
                if len(got) == 23:
                    return

        await asyncio.wait_for(collect(), 20)
    finally:
        await consumer.stop()
    for m in got:
        if m.key and m.key.startswith(b"k"):
            assert m.partition == (murmur2(m.key) & 0x7FFFFFFF) % 2
            assert m.value == b"v" + m.key[1:]
            assert list(m.headers) == [("h", b"1")]
    assert any(m.key == b"tomb" and m.value is None for m in got)
    assert any(m.key is None and m.value == b"" for m in got)
    assert any(m.key == b"big" and m.value == b"b" * 1_000_000 for m in got)
    for p in (0, 1):
        offs = [m.offset for m in got if m.partition == p]
        assert offs == list(range(len(offs)))


@pytest.mark.parametrize("acks", [0, 1, "all"])
def test_aiokafka_round_trip(broker, topic_name, acks):
    asyncio.run(_produce_consume(broker.bootstrap, topic_name, acks))


async def _offsets(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    base = 1_700_000_000_000
    try:
        for i in range(6):
            await producer.send_and_wait(topic, b"x", timestamp_ms=base + i * 100)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        assert (await consumer.beginning_offsets([tp]))[tp] == 0
        assert (await consumer.end_offsets([tp]))[tp] == 6
        found = await consumer.offsets_for_times({tp: base + 250})
        assert found[tp].offset == 3
    finally:
        await consumer.stop()


def test_aiokafka_offsets(broker, topic_name):
    asyncio.run(_offsets(broker.bootstrap, topic_name))


async def _admin(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
        await admin.create_partitions({topic: NewPartitions(3)})
        desc = await admin.describe_topics([topic])
        assert len(desc[0]["partitions"]) == 3
        assert topic in await admin.list_topics()
        await admin.delete_topics([topic])
        assert topic not in await admin.list_topics()
    finally:
        await admin.close()


def test_aiokafka_admin(broker, topic_name):
    asyncio.run(_admin(broker.bootstrap, topic_name))
