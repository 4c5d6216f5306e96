"""kafka-get-offsets and kafka-delete-records against a real broker."""

from __future__ import annotations

import json
import time

from tests.integration.tools.toolrun import DEAD_BOOTSTRAP, run


def prepare(broker, topic, per_partition):
    """A topic with partitions holding the given numbers of records (keyed to land apart)."""
    r = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic,
            "--partitions", str(len(per_partition)))
    assert r.code == 0, r.err
    for p, n in enumerate(per_partition):
        if n:
            from confluent_kafka import Producer

            prod = Producer({"bootstrap.servers": broker.bootstrap})
            for i in range(n):
                prod.produce(topic, value=f"v{i}".encode(), partition=p)
            assert prod.flush(30) == 0


def offsets(broker, *args):
    return run("kafka-get-offsets", "--bootstrap-server", broker.bootstrap, *args)


def test_latest_earliest_and_filters(broker, topic_name):
    prepare(broker, topic_name, [3, 0, 5])
    r = offsets(broker, "--topic", topic_name)
    assert r.code == 0, r.err
    assert r.lines == [f"{topic_name}:0:3", f"{topic_name}:1:0", f"{topic_name}:2:5"]
    r = offsets(broker, "--topic", topic_name, "--time", "-2")
    assert r.lines == [f"{topic_name}:0:0", f"{topic_name}:1:0", f"{topic_name}:2:0"]
    r = offsets(broker, "--topic", topic_name, "--time", "earliest", "--partitions", "0,2")
    assert r.lines == [f"{topic_name}:0:0", f"{topic_name}:2:0"]
    r = offsets(broker, "--topic-partitions", f"{topic_name}:1-")
    assert r.lines == [f"{topic_name}:1:0", f"{topic_name}:2:5"]
    r = offsets(broker, "--topic", topic_name, "--time", "max-timestamp")
    assert [line.rsplit(":", 1)[0] for line in r.lines] == [f"{topic_name}:0", f"{topic_name}:2"]


def test_by_timestamp(broker, topic_name):
    prepare(broker, topic_name, [4])
    past = str(int(time.time() * 1000) - 3_600_000)
    future = str(int(time.time() * 1000) + 3_600_000)
    assert offsets(broker, "--topic", topic_name, "--time", past).lines == [f"{topic_name}:0:0"]
    r = offsets(broker, "--topic", topic_name, "--time", future)
    assert r.code == 0 and r.lines == []


def test_get_offsets_errors(broker, topic_name):
    r = offsets(broker, "--topic", topic_name)
    assert r.code == 1 and "Could not match any topic-partitions" in r.err
    r = offsets(broker, "--time", "yesterday")
    assert r.code == 1 and "Malformed time argument" in r.err
    r = run("kafka-get-offsets", "--bootstrap-server", DEAD_BOOTSTRAP)
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1


def test_delete_records(broker, topic_name, tmp_path):
    prepare(broker, topic_name, [5, 2])
    plan = tmp_path / "delete.json"
    plan.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": topic_name, "partition": 0, "offset": 3},
        {"topic": topic_name, "partition": 1, "offset": -1},
    ]}))
    r = run("kafka-delete-records", "--bootstrap-server", broker.bootstrap, "--offset-json-file", str(plan))
    assert r.code == 0, r.err
    assert r.lines == [
        "Executing records delete operation",
        "Records delete operation completed:",
        f"partition: {topic_name}-0\tlow_watermark: 3",
        f"partition: {topic_name}-1\tlow_watermark: 2",
    ]
    r = offsets(broker, "--topic", topic_name, "--time", "earliest")
    assert r.lines == [f"{topic_name}:0:3", f"{topic_name}:1:2"]
    r = run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--partition", "0", "--offset", "earliest", "--max-messages", "2")
    assert r.lines == ["v3", "v4"]


def test_delete_records_errors(broker, topic_name, tmp_path):
    prepare(broker, topic_name, [1])
    plan = tmp_path / "delete.json"
    plan.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": topic_name, "partition": 0, "offset": 100},
        {"topic": topic_name + "-missing", "partition": 0, "offset": 1},
    ]}))
    r = run("kafka-delete-records", "--bootstrap-server", broker.bootstrap, "--offset-json-file", str(plan))
    assert r.code == 1
    assert r.lines[2].startswith(f"partition: {topic_name}-0\terror: ")
    assert r.lines[3].startswith(f"partition: {topic_name}-missing-0\terror: ")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = run("kafka-delete-records", "--bootstrap-server", broker.bootstrap, "--offset-json-file", str(bad))
    assert r.code == 1 and "not valid JSON" in r.err
    r = run("kafka-delete-records", "--bootstrap-server", broker.bootstrap, "--offset-json-file",
            str(tmp_path / "absent.json"))
    assert r.code == 1 and "Unable to read file" in r.err
