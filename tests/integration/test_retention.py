"""The broker's retention timer deletes closed segments past retention.ms and moves the log
start offset; consumers see it through ListOffsets earliest."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec


def test_retention_timer_deletes_old_segments(own_broker, topic_name):
    if own_broker.external:
        pytest.skip("needs its own broker configuration")
    own_broker.stop()
    own_broker.overrides["log.retention.check.interval.ms"] = "200"
    own_broker.overrides["log.segment.delete.delay.ms"] = "0"
    own_broker.start()
    admin = AdminClient({"bootstrap.servers": own_broker.bootstrap})
    admin.create_topics(
        [NewTopic(topic_name, 1, 1, config={"segment.bytes": "1048576", "retention.ms": "500"})]
    )[topic_name].result(10)
    p = Producer({"bootstrap.servers": own_broker.bootstrap, "linger.ms": 20})
    for i in range(3000):
        p.produce(topic_name, b"x" * 1000, str(i).encode())
    assert p.flush(20) == 0
    tp = TopicPartition(topic_name, 0)
    deadline = time.monotonic() + 30
    earliest = 0
    while time.monotonic() < deadline:
        earliest = admin.list_offsets({tp: OffsetSpec.earliest()})[tp].result(10).offset
        if earliest > 0:
            break
        time.sleep(0.2)
    latest = admin.list_offsets({tp: OffsetSpec.latest()})[tp].result(10).offset
    assert latest == 3000
    assert 0 < earliest <= 3000
    seg_files = list((own_broker.data_dir / "kafka-logs" / f"{topic_name}-0").glob("*.log"))
    # the log now starts at its first remaining segment
    assert min(int(f.stem) for f in seg_files) == earliest
