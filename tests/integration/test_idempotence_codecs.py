"""Compression end to end: every codec from every client is stored as received (topic
compression.type=producer) and read back by every other client; another compression.type makes
the broker recompress. Clients: confluent-kafka (librdkafka 2.x), kafka-python, aiokafka and
kcat (librdkafka 2.0.2); each supports gzip, snappy, lz4 and zstd."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from moldau.protocol.records.batch import iter_batches

CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CLIENTS = ["confluent", "kafka-python", "aiokafka", "kcat"]
COUNT = 20


def expected(producer: str, codec: str) -> list[tuple[bytes, bytes]]:
    # compressible values, so that every client really compresses
    return [
        (f"k{i}".encode(), f"{producer}/{codec}/{i}/".encode() + b"abcdefgh" * 30)
        for i in range(COUNT)
    ]


# ------------------------------------------------------------------ producers


def produce_confluent(bootstrap: str, topic: str, codec: str, msgs) -> None:
    from confluent_kafka import Producer

    p = Producer(
        {
            "bootstrap.servers": bootstrap,
            "compression.type": codec,
            "linger.ms": 50,
            "enable.idempotence": True,
        }
    )
    errors = []
    for k, v in msgs:
        p.produce(
            topic, key=k, value=v, partition=0, on_delivery=lambda e, m: e and errors.append(e)
        )
    assert p.flush(30) == 0 and errors == []


def produce_kafka_python(bootstrap: str, topic: str, codec: str, msgs) -> None:
    from kafka import KafkaProducer

    p = KafkaProducer(
        bootstrap_servers=bootstrap, compression_type=codec, linger_ms=50, enable_idempotence=True
    )
    try:
        futures = [p.send(topic, key=k, value=v, partition=0) for k, v in msgs]
        p.flush(30)
        for f in futures:
            f.get(10)
    finally:
        p.close(10)


def produce_aiokafka(bootstrap: str, topic: str, codec: str, msgs) -> None:
    from aiokafka import AIOKafkaProducer

    async def run() -> None:
        p = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            compression_type=codec,
            linger_ms=50,
            enable_idempotence=True,
        )
        await p.start()
        try:
            futures = [await p.send(topic, key=k, value=v, partition=0) for k, v in msgs]
            for f in futures:
                await f
        finally:
            await p.stop()

    asyncio.run(run())


def produce_kcat(bootstrap: str, topic: str, codec: str, msgs) -> None:
    data = b"".join(k + b"\t" + v + b"\n" for k, v in msgs)
    subprocess.run(
        [
            "kcat",
            "-P",
            "-b",
            bootstrap,
            "-t",
            topic,
            "-p",
            "0",
            "-z",
            codec,
            "-K",
            "\t",
            "-X",
            "linger.ms=50",
            "-X",
            "enable.idempotence=true",
        ],
        input=data,
        check=True,
        timeout=60,
        capture_output=True,
    )


PRODUCERS = {
    "confluent": produce_confluent,
    "kafka-python": produce_kafka_python,
    "aiokafka": produce_aiokafka,
    "kcat": produce_kcat,
}


# ------------------------------------------------------------------ consumers
# Each returns {topic: [(key, value), ...]} for partition 0 of every topic, from offset 0.


def consume_confluent(bootstrap: str, topics: list[str]) -> dict[str, list[tuple[bytes, bytes]]]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False}
    )
    out: dict[str, list[tuple[bytes, bytes]]] = {t: [] for t in topics}
    try:
        c.assign([TopicPartition(t, 0, 0) for t in topics])
        deadline = time.monotonic() + 60
        while any(len(v) < COUNT for v in out.values()) and time.monotonic() < deadline:
            for m in c.consume(500, 0.5):
                if not m.error():
                    out[m.topic()].append((m.key(), m.value()))
    finally:
        c.close()
    return out


def consume_kafka_python(bootstrap: str, topics: list[str]) -> dict[str, list[tuple[bytes, bytes]]]:
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    out: dict[str, list[tuple[bytes, bytes]]] = {t: [] for t in topics}
    try:
        tps = [TopicPartition(t, 0) for t in topics]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        deadline = time.monotonic() + 60
        while any(len(v) < COUNT for v in out.values()) and time.monotonic() < deadline:
            for tp, records in c.poll(500).items():
                out[tp.topic].extend((r.key, r.value) for r in records)
    finally:
        c.close()
    return out


def consume_aiokafka(bootstrap: str, topics: list[str]) -> dict[str, list[tuple[bytes, bytes]]]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    out: dict[str, list[tuple[bytes, bytes]]] = {t: [] for t in topics}

    async def run() -> None:
        c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await c.start()
        try:
            tps = [TopicPartition(t, 0) for t in topics]
            c.assign(tps)
            await c.seek_to_beginning(*tps)
            deadline = time.monotonic() + 60
            while any(len(v) < COUNT for v in out.values()) and time.monotonic() < deadline:
                for tp, records in (await c.getmany(timeout_ms=500)).items():
                    out[tp.topic].extend((r.key, r.value) for r in records)
        finally:
            await c.stop()

    asyncio.run(run())
    return out


def consume_kcat(bootstrap: str, topics: list[str]) -> dict[str, list[tuple[bytes, bytes]]]:
    out = {}
    for t in topics:
        res = subprocess.run(
            [
                "kcat",
                "-C",
                "-b",
                bootstrap,
                "-t",
                t,
                "-p",
                "0",
                "-o",
                "beginning",
                "-e",
                "-c",
                str(COUNT),
                "-f",
                "%k\t%s\n",
            ],
            check=True,
            timeout=60,
            capture_output=True,
        )
        lines = [line for line in res.stdout.split(b"\n") if line]
        out[t] = [tuple(line.split(b"\t", 1)) for line in lines]  # type: ignore[misc]
    return out


CONSUMERS = {
    "confluent": consume_confluent,
    "kafka-python": consume_kafka_python,
    "aiokafka": consume_aiokafka,
    "kcat": consume_kcat,
}


# ------------------------------------------------------------------ tests


def stored_batches(broker, topic: str) -> list[tuple[int, int, int]] | None:
    """(codec, producer id, base sequence) of every batch in the topic's partition 0 on
    disk (None: the broker is not ours, its files are elsewhere)."""
    if broker.external:
        return None
    part = Path(broker.data_dir) / "kafka-logs" / f"{topic}-0"
    out = []
    for seg in sorted(part.glob("*.log")):
        data = memoryview(seg.read_bytes())
        out += [(h.compression, h.producer_id, h.base_sequence) for h in iter_batches(data)]
    return out


def stored_codecs(broker, topic: str) -> set[int] | None:
    batches = stored_batches(broker, topic)
    return None if batches is None else {codec for codec, _, _ in batches}


@pytest.fixture(scope="module")
def produced(broker):
    """One topic per (producer, codec), filled by that client with that codec."""
    if shutil.which("kcat") is None:
        pytest.skip("kcat is not installed")
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topics = {(p, c): f"codec-{p}-{c}-{time.time_ns() % 10**9}" for p in CLIENTS for c in CODECS}
    for f in admin.create_topics([NewTopic(t, 1, 1) for t in topics.values()]).values():
        f.result(30)
    for (p, c), topic in topics.items():
        PRODUCERS[p](broker.bootstrap, topic, c, expected(p, c))
    return topics


@pytest.mark.parametrize("producer", CLIENTS)
def test_batches_are_stored_with_the_producers_codec(broker, produced, producer):
    for codec, codec_id in CODECS.items():
        codecs = stored_codecs(broker, produced[(producer, codec)])
        if codecs is None:
            pytest.skip("the broker's files are not local")
        assert codecs == {codec_id}, f"{producer}/{codec}"
        # every client wrote idempotent batches, sequences starting at 0
        batches = stored_batches(broker, produced[(producer, codec)]) or []
        assert all(pid >= 0 for _, pid, _ in batches), f"{producer}/{codec}"
        assert batches[0][2] == 0


@pytest.mark.parametrize("consumer", CLIENTS)
def test_every_client_reads_every_codec_from_every_client(broker, produced, consumer):
    got = CONSUMERS[consumer](broker.bootstrap, list(produced.values()))
    for (producer, codec), topic in produced.items():
        assert got[topic] == expected(producer, codec), f"{producer} -> {consumer} with {codec}"


@pytest.mark.parametrize(
    ("topic_codec", "client_codec"),
    [
        ("zstd", "gzip"),
        ("gzip", "lz4"),
        ("snappy", "zstd"),
        ("lz4", "snappy"),
        ("uncompressed", "zstd"),
    ],
)
def test_topic_compression_type_makes_the_broker_recompress(
    broker, topic_name, topic_codec, client_codec
):
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    new = NewTopic(topic_name, 1, 1, config={"compression.type": topic_codec})
    admin.create_topics([new])[topic_name].result(30)
    msgs = expected("kafka-python", client_codec)
    produce_kafka_python(broker.bootstrap, topic_name, client_codec, msgs)
    codecs = stored_codecs(broker, topic_name)
    if codecs is not None:
        assert codecs == {CODECS.get(topic_codec, 0)}
    for consumer in ("confluent", "kafka-python"):
        assert CONSUMERS[consumer](broker.bootstrap, [topic_name])[topic_name] == msgs, consumer
