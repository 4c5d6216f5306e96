"""kafka-configs against a real broker: Kafka's describe lines and the alter round trip."""

from __future__ import annotations

import re

from tests.integration.tools.toolrun import DEAD_BOOTSTRAP, run

ENTRY = re.compile(r"^  (?P<name>[a-z0-9.]+)=(?P<value>.*) sensitive=(true|false) synonyms=\{(?P<syn>.*)\}$")


def configs(broker, *args, **kw):
    return run("kafka-configs", "--bootstrap-server", broker.bootstrap, *args, **kw)


def entries(lines):
    out = {}
    for line in lines[1:]:
        m = ENTRY.match(line)
        assert m, line
        out[m["name"]] = (m["value"], m["syn"])
    return out


def broker_id(broker) -> str:
    from confluent_kafka.admin import AdminClient

    md = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=30)
    return str(min(md.brokers))


def test_topic_config_round_trip(broker, topic_name):
    assert run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic_name).code == 0
    r = configs(broker, "--entity-type", "topics", "--entity-name", topic_name, "--describe")
    assert r.code == 0, r.err
    assert r.lines == [f"Dynamic configs for topic {topic_name} are:"]

    r = configs(broker, "--entity-type", "topics", "--entity-name", topic_name, "--alter",
                "--add-config", "retention.ms=86400000,cleanup.policy=[compact,delete]")
    assert r.code == 0, r.err
    assert r.lines == [f"Completed updating config for topic {topic_name}."]

    r = configs(broker, "--topic", topic_name, "--describe")
    assert r.lines[0] == f"Dynamic configs for topic {topic_name} are:"
    got = entries(r.lines)
    assert got["retention.ms"][0] == "86400000"
    assert got["retention.ms"][1].startswith("DYNAMIC_TOPIC_CONFIG:retention.ms=86400000")
    assert got["cleanup.policy"][0] == "compact,delete"
    assert set(got) == {"retention.ms", "cleanup.policy"}

    r = configs(broker, "--entity-type", "topics", "--entity-name", topic_name, "--alter",
                "--delete-config", "retention.ms")
    assert r.code == 0, r.err
    got = entries(configs(broker, "--topic", topic_name, "--describe").lines)
    assert set(got) == {"cleanup.policy"}

    r = configs(broker, "--entity-type", "topics", "--entity-name", topic_name, "--alter",
                "--delete-config", "retention.ms")
    assert r.code == 1 and "Invalid config(s): retention.ms" in r.err


def test_describe_all_lists_defaults(broker, topic_name):
    assert run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic_name).code == 0
    r = configs(broker, "--entity-type", "topics", "--entity-name", topic_name, "--describe", "--all")
    assert r.code == 0
    assert r.lines[0] == f"All configs for topic {topic_name} are:"
    got = entries(r.lines)
    for key in ("cleanup.policy", "retention.ms", "segment.bytes", "min.insync.replicas"):
        assert key in got
    assert list(got) == sorted(got)


def test_topic_errors(broker, topic_name):
    r = configs(broker, "--entity-type", "topics", "--entity-name", topic_name, "--describe")
    assert r.code == 1 and f"The topic '{topic_name}' doesn't exist" in r.err
    r = configs(broker, "--entity-type", "topics", "--entity-name", topic_name, "--alter",
                "--add-config", "retention.ms=1")
    assert r.code == 1
    assert run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic_name).code == 0
    r = configs(broker, "--entity-type", "topics", "--entity-name", topic_name, "--alter",
                "--add-config", "no.such.config=1")
    assert r.code == 1 and "no.such.config" in r.err
    r = configs(broker, "--entity-type", "topics", "--entity-name", topic_name, "--alter",
                "--add-config", "missing-equals")
    assert r.code == 1


def test_broker_configs(broker):
    node = broker_id(broker)
    r = configs(broker, "--entity-type", "brokers", "--entity-name", node, "--describe")
    assert r.code == 0, r.err
    assert r.lines[0] == f"Dynamic configs for broker {node} are:"
    r = configs(broker, "--entity-type", "brokers", "--entity-name", node, "--describe", "--all")
    assert r.lines[0] == f"All configs for broker {node} are:"
    got = entries(r.lines)
    assert "log.retention.hours" in got or "log.retention.ms" in got
    r = configs(broker, "--entity-type", "brokers", "--entity-default", "--describe")
    assert r.code == 0 and r.lines[0] == "Default configs for brokers in the cluster are:"


def test_bad_usage_and_unreachable(broker):
    assert configs(broker, "--describe").code == 1
    assert configs(broker, "--entity-type", "topics", "--entity-name", "x").code == 1
    assert configs(broker, "--entity-type", "nonsense", "--entity-name", "x", "--describe").code == 1
    r = run("kafka-configs", "--bootstrap-server", DEAD_BOOTSTRAP, "--topic", "x", "--describe")
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1 and "127.0.0.1:1" in r.err
