"""The less common flags of each tool, so every flag the tools document runs at least once."""

from __future__ import annotations

import re

from tests.integration.tools.toolrun import run


def create(broker, topic, partitions=1):
    r = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic,
            "--partitions", str(partitions))
    assert r.code == 0, r.err


def node_id(broker) -> str:
    from confluent_kafka.admin import AdminClient

    return str(min(AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=30).brokers))


def test_topics_alter_with_replica_assignment(broker, topic_name):
    create(broker, topic_name)
    node = node_id(broker)
    r = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--alter", "--topic", topic_name,
            "--partitions", "2", "--replica-assignment", f"{node},{node}")
    assert r.code == 0, r.err
    lines = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--describe", "--topic", topic_name).lines
    assert "\tPartitionCount: 2\t" in lines[0]


def test_consumer_groups_all_groups_offsets_and_types(broker, topic_name, group_name):
    create(broker, topic_name)
    assert run("kafka-console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
               input="a\n").code == 0
    r = run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--group", group_name, "--from-beginning", "--max-messages", "1")
    assert r.code == 0
    r = run("kafka-consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe", "--all-groups", "--offsets")
    assert r.code == 0
    assert any(line.split()[:2] == [group_name, topic_name] for line in r.lines if line.strip())
    r = run("kafka-consumer-groups", "--bootstrap-server", broker.bootstrap, "--list", "--type")
    rows = [line.split() for line in r.lines]
    assert rows[0] == ["GROUP", "TYPE"]
    assert any(row[0] == group_name and row[1] in ("Classic", "Consumer") for row in rows[1:])
    r = run("kafka-consumer-groups", "--bootstrap-server", broker.bootstrap, "--list", "--type", "--state")
    assert r.lines[0].split() == ["GROUP", "TYPE", "STATE"]


def test_consumer_groups_reset_and_delete_all_groups_dry_run(broker, topic_name, group_name):
    create(broker, topic_name)
    assert run("kafka-console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
               input="a\nb\n").code == 0
    assert run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
               "--group", group_name, "--from-beginning", "--max-messages", "2").code == 0
    r = run("kafka-consumer-groups", "--bootstrap-server", broker.bootstrap, "--reset-offsets", "--group",
            group_name, "--all-topics", "--to-earliest", "--dry-run")
    assert r.code == 0, r.err
    rows = [line.split() for line in r.lines if line.strip()]
    assert rows[1:] == [[group_name, topic_name, "0", "0"]]


def test_configs_file_and_shortcuts(broker, topic_name, tmp_path):
    create(broker, topic_name)
    cfg = tmp_path / "topic.properties"
    cfg.write_text("retention.ms=7200000\nmax.message.bytes=2000000\n")
    r = run("kafka-configs", "--bootstrap-server", broker.bootstrap, "--topic", topic_name, "--alter",
            "--add-config-file", str(cfg))
    assert r.code == 0, r.err
    r = run("kafka-configs", "--bootstrap-server", broker.bootstrap, "--topic", topic_name, "--describe")
    assert any(line.startswith("  retention.ms=7200000 ") for line in r.lines)
    assert any(line.startswith("  max.message.bytes=2000000 ") for line in r.lines)
    node = node_id(broker)
    r = run("kafka-configs", "--bootstrap-server", broker.bootstrap, "--broker", node, "--describe")
    assert r.code == 0 and r.lines[0] == f"Dynamic configs for broker {node} are:"
    r = run("kafka-configs", "--bootstrap-server", broker.bootstrap, "--broker-defaults", "--describe")
    assert r.code == 0 and r.lines[0] == "Default configs for brokers in the cluster are:"


def test_get_offsets_exclude_internal(broker, topic_name):
    create(broker, topic_name)
    r = run("kafka-get-offsets", "--bootstrap-server", broker.bootstrap, "--exclude-internal-topics")
    assert r.code == 0
    assert f"{topic_name}:0:0" in r.lines
    assert not [line for line in r.lines if line.startswith("__")]


def test_perf_tools_optional_flags(broker, topic_name):
    create(broker, topic_name)
    r = run("kafka-consumer-perf-test", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--messages", "5", "--from-latest", "--timeout", "1000", "--hide-header")
    assert r.code == 0 and len(r.lines) == 1
    r = run("kafka-producer-perf-test", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--num-records", "50", "--record-size", "10", "--payload-monotonic", "--throughput", "-1",
            "--print-metrics")
    assert r.code == 0, r.err
    assert any(line.startswith("50 records sent") for line in r.lines)
    assert r.lines[-1].startswith("{")  # librdkafka's statistics (JSON)
    r = run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--from-beginning", "--max-messages", "3")
    assert r.lines == ["0", "1", "2"]
    r = run("kafka-consumer-perf-test", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--messages", "50", "--show-detailed-stats", "--reporting-interval", "1", "--timeout", "20000")
    assert r.code == 0, r.err
    assert r.lines[0].startswith("time, threadId, data.consumed.in.MB")
    assert all(re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, 0, ", line) for line in r.lines[1:])


def test_topics_describe_by_topic_id(broker, topic_name):
    create(broker, topic_name)
    header = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--describe", "--topic", topic_name).lines[0]
    topic_id = header.split("\t")[1].removeprefix("TopicId: ")
    r = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--describe", "--topic-id", topic_id)
    assert r.code == 0 and r.lines[0] == header
    r = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--describe", "--topic-id", "AAAAAAAAAAAAAAAAAAAAAB")
    assert r.code == 1 and "does not exist" in r.err


def test_consumer_refuses_other_deserializers(broker, topic_name):
    r = run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--value-deserializer", "org.apache.kafka.common.serialization.LongDeserializer")
    assert r.code == 1 and "LongDeserializer" in r.err
