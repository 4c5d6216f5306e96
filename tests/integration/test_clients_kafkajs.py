"""kafkajs 2.2.4 (npm, tests/js): admin calls and produce, checked by reading back with
confluent-kafka; a group consumer once the broker serves the group APIs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from moldau.common.murmur2 import murmur2
from moldau.protocol._generated.api_versions_request import ApiVersionsRequest
from tests.integration.rawclient import RawClient

JS = Path(__file__).resolve().parents[1] / "js"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "kafkajs").is_dir(),
    reason="node or kafkajs missing (run `npm install` in tests/js)",
)


def _node(script: str, *args: str, timeout: float = 60) -> object:
    proc = subprocess.run(
        ["node", str(JS / script), *args], capture_output=True, timeout=timeout, cwd=JS
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return json.loads(proc.stdout)


def _read_back(bootstrap: str, topic: str, partitions: int, n: int) -> list:
    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "readback", "enable.auto.commit": False}
    )
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    out = []
    try:
        for _ in range(100):
            for m in c.consume(100, 0.5):
                if not m.error():
                    out.append(m)
            if len(out) >= n:
                break
    finally:
        c.close()
    return out


@pytest.mark.parametrize("acks", ["1", "-1", "0"])
def test_kafkajs_admin_and_produce(broker, topic_name, acks):
    out = _node("produce_admin.js", broker.bootstrap, topic_name, acks)
    assert out["created"] is True
    assert out["partitions"] == 3
    assert (out["retention"], out["retention2"]) == ("3600000", "7200000")
    assert out["tooBig"] == "MESSAGE_TOO_LARGE"
    assert sum(int(o["high"]) for o in out["offsets"]) == 34
    got = _read_back(broker.bootstrap, topic_name, 3, 34)
    assert len(got) == 34
    for m in got:
        key = m.key()
        if key is not None and key.startswith(b"key-"):
            assert m.partition() == (murmur2(key) & 0x7FFFFFFF) % 3
            i = int(m.value().decode().split("-")[1])
            assert m.headers() == [("h", f"x{i}".encode())]
    assert any(m.key() == b"tomb" and m.value() is None for m in got)
    assert any(m.key() == b"empty" and m.value() == b"" for m in got)
    assert any(m.key() is None and m.value() == b"no-key" for m in got)
    assert any(m.key() == b"big" and m.value() == b"b" * 1_000_000 for m in got)
    for p in range(3):
        offs = sorted(m.offset() for m in got if m.partition() == p)
        assert offs == list(range(len(offs)))
    # by timestamp: the first record at or after base+10 in each partition holding one
    by_time = {int(o["partition"]): int(o["offset"]) for o in out["byTime"]}
    for p in range(3):
        stamps = [(m.offset(), m.timestamp()[1]) for m in got if m.partition() == p]
        later = [off for off, ts in stamps if ts >= 1_700_000_000_010]
        assert by_time[p] == (min(later) if later else int(out["offsets"][p]["high"]))


def test_kafkajs_delete_topic(broker, topic_name):
    _node("produce_admin.js", broker.bootstrap, topic_name, "1")
    topics = _node("delete_topic.js", broker.bootstrap, topic_name)
    assert topic_name not in topics


def _serves_groups(broker) -> bool:
    with RawClient(broker.host, broker.port) as c:
        keys = {k.api_key for k in c.request(18, 0, ApiVersionsRequest()).api_keys}
    return {10, 11, 12, 13, 14}.issubset(keys)


def test_kafkajs_group_consumer(broker, topic_name, group_name):
    if not _serves_groups(broker):
        pytest.skip("the broker does not serve the consumer-group APIs yet")
    _node("produce_admin.js", broker.bootstrap, topic_name, "1")
    rows = _node("consume_group.js", broker.bootstrap, topic_name, group_name, "34", timeout=90)
    assert len(rows) == 34
    assert any(r["key"] == "tomb" and r["value"] is None for r in rows)
    assert any(r["value"] == "len:1000000" for r in rows)
