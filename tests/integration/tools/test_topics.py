"""kafka-topics against a real broker: Kafka's output lines and exit codes."""

from __future__ import annotations

import re

from tests.integration.tools.toolrun import DEAD_BOOTSTRAP, eventually, run

HEADER = re.compile(
    r"^Topic: (?P<topic>\S+)\tTopicId: \S{22}\tPartitionCount: (?P<count>\d+)\t"
    r"ReplicationFactor: (?P<rf>\d+)\tConfigs: (?P<configs>.*)$"
)
PARTITION = re.compile(
    r"^\tTopic: (?P<topic>\S+)\tPartition: (?P<p>\d+)\tLeader: (?P<leader>\d+|none)\t"
    r"Replicas: (?P<replicas>[\d,]*)\tIsr: (?P<isr>[\d,]*)\tElr: [\d,]*\tLastKnownElr: [\d,]*$"
)


def topics(broker, *args: str, **kw):
    return run("kafka-topics", "--bootstrap-server", broker.bootstrap, *args, **kw)


def test_create_list_describe(broker, topic_name):
    r = topics(broker, "--create", "--topic", topic_name, "--partitions", "3", "--replication-factor", "1")
    assert r.code == 0, r.err
    assert r.lines == [f"Created topic {topic_name}."]

    r = topics(broker, "--list")
    assert r.code == 0
    assert topic_name in r.lines
    assert r.lines == sorted(r.lines)

    r = topics(broker, "--describe", "--topic", topic_name)
    assert r.code == 0, r.err
    header = HEADER.match(r.lines[0])
    assert header, r.lines[0]
    assert header["topic"] == topic_name and header["count"] == "3" and header["rf"] == "1"
    parts = [PARTITION.match(line) for line in r.lines[1:]]
    assert all(parts), r.lines
    assert sorted(int(m["p"]) for m in parts if m) == [0, 1, 2]
    for m in parts:
        assert m is not None and m["leader"] != "none" and m["replicas"] == m["leader"] == m["isr"]


def test_metric_collision_warning_for_underscore(broker, topic_name):
    name = topic_name.replace("-", "_")
    r = topics(broker, "--create", "--topic", name)
    assert r.code == 0, r.err
    assert r.lines[0].startswith("WARNING: Due to limitations in metric names")
    assert r.lines[1] == f"Created topic {name}."


def test_create_existing_fails_unless_if_not_exists(broker, topic_name):
    assert topics(broker, "--create", "--topic", topic_name).code == 0
    r = topics(broker, "--create", "--topic", topic_name)
    assert r.code == 1
    assert f"Error while executing topic command : Topic '{topic_name}' already exists." in r.err
    r = topics(broker, "--create", "--topic", topic_name, "--if-not-exists")
    assert r.code == 0 and r.out == ""


def test_default_partition_count_comes_from_broker(broker, topic_name):
    assert topics(broker, "--create", "--topic", topic_name).code == 0
    r = topics(broker, "--describe", "--topic", topic_name)
    header = HEADER.match(r.lines[0])
    assert header and header["count"] == "1"


def test_config_override_shown_and_filtered(broker, topic_name):
    r = topics(broker, "--create", "--topic", topic_name, "--config", "retention.ms=123456",
               "--config", "cleanup.policy=compact")
    assert r.code == 0, r.err
    r = topics(broker, "--describe", "--topic", topic_name)
    header = HEADER.match(r.lines[0])
    assert header, r.out
    configs = dict(kv.split("=", 1) for kv in header["configs"].split(","))
    assert configs["retention.ms"] == "123456"
    assert configs["cleanup.policy"] == "compact"

    r = topics(broker, "--describe", "--topics-with-overrides", "--topic", topic_name)
    assert r.code == 0
    assert len(r.lines) == 1 and HEADER.match(r.lines[0])


def test_describe_regex_and_missing(broker, topic_name):
    for suffix in ("a", "b"):
        assert topics(broker, "--create", "--topic", f"{topic_name}{suffix}").code == 0
    r = topics(broker, "--describe", "--topic", f"{topic_name}.*")
    names = [m["topic"] for m in map(HEADER.match, r.lines) if m]
    assert names == [f"{topic_name}a", f"{topic_name}b"]

    r = topics(broker, "--describe", "--topic", f"{topic_name}-missing")
    assert r.code == 1
    assert f"Topic '{topic_name}-missing' does not exist as expected" in r.err
    r = topics(broker, "--describe", "--topic", f"{topic_name}-missing", "--if-exists")
    assert r.code == 0 and r.out == ""


def test_describe_filters_on_healthy_single_broker(broker, topic_name):
    assert topics(broker, "--create", "--topic", topic_name, "--partitions", "2").code == 0
    for flag in ("--under-replicated-partitions", "--unavailable-partitions",
                 "--under-min-isr-partitions"):
        r = topics(broker, "--describe", "--topic", topic_name, flag)
        assert r.code == 0 and r.out == "", (flag, r.out)
    r = topics(broker, "--describe", "--topic", topic_name, "--at-min-isr-partitions")
    assert len(r.lines) == 2 and all(PARTITION.match(line) for line in r.lines)


def test_alter_partitions(broker, topic_name):
    assert topics(broker, "--create", "--topic", topic_name, "--partitions", "2").code == 0
    r = topics(broker, "--alter", "--topic", topic_name, "--partitions", "4")
    assert r.code == 0, r.err

    def has_four() -> bool:
        m = HEADER.match(topics(broker, "--describe", "--topic", topic_name).lines[0])
        return bool(m and m["count"] == "4")

    assert eventually(has_four)
    r = topics(broker, "--alter", "--topic", topic_name, "--partitions", "3")
    assert r.code == 1
    assert r.err.startswith("Error while executing topic command : ")


def test_replica_assignment(broker, topic_name):
    assert topics(broker, "--create", "--topic", topic_name).code == 0
    node = PARTITION.match(topics(broker, "--describe", "--topic", topic_name).lines[1])
    assert node
    leader = node["leader"]
    other = f"{topic_name}-assigned"
    r = topics(broker, "--create", "--topic", other, "--replica-assignment", f"{leader},{leader}")
    assert r.code == 0, r.err
    lines = topics(broker, "--describe", "--topic", other).lines
    assert [PARTITION.match(line)["replicas"] for line in lines[1:]] == [leader, leader]  # type: ignore[index]


def test_delete(broker, topic_name):
    assert topics(broker, "--create", "--topic", topic_name).code == 0
    r = topics(broker, "--delete", "--topic", topic_name)
    assert r.code == 0 and r.out == "", r.err
    assert eventually(lambda: topic_name not in topics(broker, "--list").lines)
    r = topics(broker, "--delete", "--topic", topic_name)
    assert r.code == 1
    assert f"Topic '{topic_name}' does not exist as expected" in r.err
    assert topics(broker, "--delete", "--topic", topic_name, "--if-exists").code == 0


def test_exclude_internal(broker, topic_name):
    assert topics(broker, "--create", "--topic", topic_name).code == 0
    r = topics(broker, "--list", "--exclude-internal")
    assert topic_name in r.lines
    assert not [t for t in r.lines if t in ("__consumer_offsets", "__transaction_state")]


def test_zookeeper_flag_explains_bootstrap_server():
    r = run("kafka-topics", "--zookeeper", "127.0.0.1:2181", "--topic", "first_topic", "--create",
            "--partitions", "3", "--replication-factor", "1")
    assert r.code == 1
    assert r.out == ""
    assert len(r.err.strip().splitlines()) == 1
    assert "--bootstrap-server" in r.err and "ZooKeeper" in r.err


def test_bad_flag_and_missing_action(broker):
    r = topics(broker, "--bogus")
    assert r.code == 1 and "--bogus" in r.err
    r = topics(broker)
    assert r.code == 1 and "exactly one action" in r.err


def test_unreachable_broker_fails_fast_with_one_line():
    r = run("kafka-topics", "--bootstrap-server", DEAD_BOOTSTRAP, "--list", timeout=60)
    assert r.code == 1
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "127.0.0.1:1" in lines[0], r.err


def test_command_config_file(broker, topic_name, tmp_path):
    cfg = tmp_path / "admin.properties"
    cfg.write_text("client.id=topics-admin\nrequest.timeout.ms=20000\n")
    r = topics(broker, "--command-config", str(cfg), "--create", "--topic", topic_name)
    assert r.code == 0, r.err
    r = topics(broker, "--command-config", str(tmp_path / "missing.properties"), "--list")
    assert r.code == 1 and "missing.properties" in r.err
