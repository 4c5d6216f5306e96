"""Compaction run by the broker's cleaner, read back by real consumers.

Two idempotent producers write the same keys; the second overwrites every key of the
first. Once the cleaner has run, the first producer's batch survives only as an empty batch
(its producer's newest, kept for producer state, as Kafka keeps it). Consumers must read
past it from the beginning and see the newest value of each key and nothing else: a client
that stalled on a batch with no records would never reach the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.support.broker import BrokerProcess, make_broker

WAIT = 45.0
KEYS = [b"k%d" % i for i in range(10)]


@pytest.fixture(scope="module")
def compacted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BrokerProcess, str]]:
    b = make_broker(tmp_path_factory.mktemp("compaction"), {"log.cleaner.backoff.ms": "100"})
    b.start()
    topic = "compacted-clients"
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    config = {
        "cleanup.policy": "compact",
        "segment.ms": "100",  # every produce after a pause starts a new segment
        "min.cleanable.dirty.ratio": "0.01",
        "delete.retention.ms": "86400000",
    }
    admin.create_topics([NewTopic(topic, 1, 1, config=config)])[topic].result(10)
    for writer, pause in (("first", 0.3), ("second", 0.3), ("tail", 0.0)):
        p = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True})
        keys = [b"tail"] if writer == "tail" else KEYS
        for k in keys:
            p.produce(topic, key=k, value=writer.encode() + b"-" + k, partition=0)
        assert p.flush(15) == 0
        time.sleep(pause)
    _wait_until_compacted(b.bootstrap, topic)
    yield b, topic
    b.stop()


def _read_all_confluent(bootstrap: str, topic: str) -> list[tuple[int, bytes, bytes]]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "compaction-reader"})
    try:
        _, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        c.assign([TopicPartition(topic, 0, 0)])
        out: list[tuple[int, bytes, bytes]] = []
        deadline = time.monotonic() + WAIT
        position = 0
        while position < high:
            assert time.monotonic() < deadline, f"stuck at offset {position} of {high}"
            m = c.poll(0.2)
            if m is None or m.error() is not None:
                continue
            out.append((m.offset(), m.key(), m.value()))
            position = m.offset() + 1
        return out
    finally:
        c.close()


def _wait_until_compacted(bootstrap: str, topic: str) -> None:
    deadline = time.monotonic() + WAIT
    while any(v.startswith(b"first") for _, _, v in _read_all_confluent(bootstrap, topic)):
        assert time.monotonic() < deadline, "the cleaner did not compact the topic"
        time.sleep(0.3)


def _expected() -> list[tuple[int, bytes, bytes]]:
    return [(10 + i, k, b"second-" + k) for i, k in enumerate(KEYS)] + [(20, b"tail", b"tail-tail")]


def test_confluent_reads_past_the_emptied_batch(compacted: tuple[BrokerProcess, str]) -> None:
    b, topic = compacted
    assert _read_all_confluent(b.bootstrap, topic) == _expected()


def test_kafka_python_reads_past_the_emptied_batch(compacted: tuple[BrokerProcess, str]) -> None:
    from kafka import KafkaConsumer
    from kafka import TopicPartition as KTopicPartition

    b, topic = compacted
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, enable_auto_commit=False)
    try:
        tp = KTopicPartition(topic, 0)
        c.assign([tp])
        c.seek(tp, 0)
        got: list[tuple[int, bytes, bytes]] = []
        deadline = time.monotonic() + WAIT
        while len(got) < len(_expected()):
            assert time.monotonic() < deadline, f"only {got}"
            for records in c.poll(timeout_ms=500).values():
                got.extend((r.offset, r.key, r.value) for r in records)
        assert got == _expected()
    finally:
        c.close()


def test_the_log_keeps_the_first_producers_batch_without_records(
    compacted: tuple[BrokerProcess, str],
) -> None:
    from moldau.protocol.records.batch import iter_batches

    b, topic = compacted
    headers = []
    for seg in sorted(Path(b.data_dir, "kafka-logs", f"{topic}-0").glob("*.log")):
        data = seg.read_bytes()
        headers += [(h.base_offset, h.last_offset, h.records_count) for h in iter_batches(data)]
    # the first producer's records (offsets 0-9) are gone; its newest batch, ending at
    # offset 9, stays without records (an older one of its batches, if any, is dropped)
    first = [h for h in headers if h[0] < 10]
    assert first and first[-1][1] == 9
    assert all(count == 0 for _, _, count in first)
