"""kafka-console-producer and kafka-console-consumer against a real broker, written the way
the user's notes use them."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections import defaultdict

import pytest

from tests.integration.tools.toolrun import DEAD_BOOTSTRAP, run

FULL_LINE = re.compile(
    r"^CreateTime:\d+\tPartition:(?P<p>\d+)\tOffset:(?P<o>\d+)\t(?P<h>[^\t]+)\t(?P<k>[^\t]*)\t(?P<v>.*)$"
)


def produce(broker, topic, text, *args, **kw):
    return run("kafka-console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic,
               *args, input=text, **kw)


def consume(broker, topic, *args, **kw):
    return run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic,
               *args, **kw)


def create(broker, topic, partitions=1):
    r = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic,
            "--partitions", str(partitions), "--replication-factor", "1")
    assert r.code == 0, r.err


def test_seed_keys_round_trip(broker, topic_name):
    create(broker, topic_name, 3)
    r = run("kafka-console-producer", "--broker-list", broker.bootstrap, "--topic", topic_name,
            "--property", "parse.key=true", "--property", "key.separator=,",
            input="key,value\nanother key,another value\n")
    assert r.code == 0, r.err
    r = consume(broker, topic_name, "--from-beginning", "--property", "print.key=true",
                "--property", "key.separator=,", "--max-messages", "2")
    assert r.code == 0, r.err
    assert sorted(r.lines) == ["another key,another value", "key,value"]
    assert "Processed a total of 2 messages" in r.err


def test_same_key_same_partition_and_full_format(broker, topic_name):
    create(broker, topic_name, 3)
    lines = [f"k{i % 5}\tv{i}" for i in range(40)]
    r = produce(broker, topic_name, "\n".join(lines) + "\n", "--property", "parse.key=true",
                "--producer-property", "acks=all")
    assert r.code == 0, r.err
    r = consume(broker, topic_name, "--from-beginning", "--max-messages", "40",
                *[f"--property=print.{f}=true" for f in ("key", "timestamp", "partition", "offset", "headers")])
    assert r.code == 0, r.err
    partitions = defaultdict(set)
    per_partition_offsets = defaultdict(list)
    for line in r.lines:
        m = FULL_LINE.match(line)
        assert m, line
        assert m["h"] == "NO_HEADERS"
        partitions[m["k"]].add(m["p"])
        per_partition_offsets[m["p"]].append(int(m["o"]))
    assert len(partitions) == 5 and all(len(ps) == 1 for ps in partitions.values())
    for offsets in per_partition_offsets.values():
        assert offsets == list(range(len(offsets)))


def test_headers_and_null_marker(broker, topic_name):
    create(broker, topic_name)
    r = produce(broker, topic_name, "h1:a,h2:b\tk\tv\nh3:NUL\tNUL\tplain\n",
                "--property", "parse.headers=true", "--property", "parse.key=true",
                "--property", "null.marker=NUL")
    assert r.code == 0, r.err
    r = consume(broker, topic_name, "--from-beginning", "--max-messages", "2",
                "--property", "print.headers=true", "--property", "print.key=true")
    assert r.lines == ["h1:a,h2:b\tk\tv", "h3:null\tnull\tplain"]


def test_missing_key_separator_stops_after_earlier_lines(broker, topic_name):
    create(broker, topic_name)
    r = produce(broker, topic_name, "a,1\nno separator here\nb,2\n",
                "--property", "parse.key=true", "--property", "key.separator=,")
    assert r.code == 1
    assert "No key separator found on line number 2: 'no separator here'" in r.err
    offsets = run("kafka-get-offsets", "--bootstrap-server", broker.bootstrap, "--topic", topic_name)
    assert offsets.lines == [f"{topic_name}:0:1"]  # exactly one record was sent
    r = consume(broker, topic_name, "--from-beginning", "--max-messages", "1")
    assert r.lines == ["1"]


def test_ignore_error_sends_whole_line(broker, topic_name):
    create(broker, topic_name)
    r = produce(broker, topic_name, "no separator\n", "--property", "parse.key=true",
                "--property", "ignore.error=true")
    assert r.code == 0, r.err
    r = consume(broker, topic_name, "--from-beginning", "--max-messages", "1",
                "--property", "print.key=true")
    assert r.lines == ["null\tno separator"]


def test_producing_to_missing_topic_creates_it_with_a_warning(broker, topic_name):
    r = produce(broker, topic_name, "hello\n")
    assert r.code == 0, r.err
    assert "WARN" in r.err and topic_name in r.err
    r = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--describe", "--topic", topic_name)
    assert r.code == 0, r.err
    assert "\tPartitionCount: 1\t" in r.lines[0]
    r = consume(broker, topic_name, "--from-beginning", "--max-messages", "1")
    assert r.lines == ["hello"]


@pytest.mark.parametrize("flags", [["--sync"], ["--compression-codec"], ["--compression-codec", "snappy"],
                                   ["--compression-codec", "lz4"], ["--compression-codec", "zstd"],
                                   ["--request-required-acks", "1", "--batch-size", "100", "--timeout", "5"]])
def test_producer_flags(broker, topic_name, flags):
    create(broker, topic_name)
    r = produce(broker, topic_name, "".join(f"line {i}\n" for i in range(20)), *flags)
    assert r.code == 0, r.err
    r = consume(broker, topic_name, "--from-beginning", "--max-messages", "20")
    assert r.lines == [f"line {i}" for i in range(20)]


def test_producer_config_file(broker, topic_name, tmp_path):
    create(broker, topic_name)
    cfg = tmp_path / "producer.properties"
    cfg.write_text("# Java client names\nacks=all\nkey.serializer=org.apache.kafka.common.serialization.StringSerializer\ncompression.type=gzip\n")
    r = produce(broker, topic_name, "x\n", "--producer.config", str(cfg))
    assert r.code == 0, r.err
    assert consume(broker, topic_name, "--from-beginning", "--max-messages", "1").lines == ["x"]


def test_isolation_level_read_committed(broker, topic_name):
    create(broker, topic_name)
    assert produce(broker, topic_name, "plain\n").code == 0
    r = consume(broker, topic_name, "--from-beginning", "--isolation-level", "read_committed",
                "--max-messages", "1")
    assert r.code == 0 and r.lines == ["plain"]
    assert consume(broker, topic_name, "--isolation-level", "sometimes").code == 1


def test_latest_by_default_from_beginning_with_flag(broker, topic_name):
    create(broker, topic_name)
    assert produce(broker, topic_name, "old\n").code == 0
    r = consume(broker, topic_name, "--timeout-ms", "3000")
    assert r.code == 0 and r.lines == []
    assert "Processed a total of 0 messages" in r.err


def test_group_commits_and_resumes(broker, topic_name, group_name):
    # Two partitions and keyless records, which go to one sticky partition: the other must
    # get a committed offset too (as with Kafka's Java consumer), or what is produced there
    # while the group is away would be skipped by the next run (auto.offset.reset=latest).
    create(broker, topic_name, 2)
    assert produce(broker, topic_name, "".join(f"m{i}\n" for i in range(6))).code == 0
    r = consume(broker, topic_name, "--group", group_name, "--from-beginning", "--max-messages", "6")
    assert r.code == 0 and sorted(r.lines) == [f"m{i}" for i in range(6)]
    r = consume(broker, topic_name, "--group", group_name, "--from-beginning", "--timeout-ms", "4000")
    assert r.lines == [], "committed offsets must be honoured over --from-beginning"
    assert produce(broker, topic_name, "m6\nm7\n").code == 0
    r = consume(broker, topic_name, "--group", group_name, "--max-messages", "2")
    assert sorted(r.lines) == ["m6", "m7"]


def test_no_group_commits_nothing(broker, topic_name):
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient

    create(broker, topic_name)
    assert produce(broker, topic_name, "a\nb\n").code == 0
    r = consume(broker, topic_name, "--from-beginning", "--max-messages", "2")
    assert r.code == 0 and r.lines == ["a", "b"]
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    groups = admin.list_consumer_groups(request_timeout=20).result(30)
    for g in groups.valid:
        if not g.group_id.startswith("console-consumer-"):
            continue
        req = [ConsumerGroupTopicPartitions(g.group_id, [TopicPartition(topic_name, 0)])]
        res = admin.list_consumer_group_offsets(req, request_timeout=20)[g.group_id].result(30)
        assert all(tp.offset < 0 for tp in res.topic_partitions), (g.group_id, res.topic_partitions)


def test_partition_and_offset(broker, topic_name):
    create(broker, topic_name, 2)
    assert produce(broker, topic_name, "".join(f"0\tv{i}\n" for i in range(5)),
                   "--property", "parse.key=true").code == 0
    # all records have one key, so one partition holds them all: find which
    ends = run("kafka-get-offsets", "--bootstrap-server", broker.bootstrap, "--topic", topic_name).lines
    assert sorted(line.rsplit(":", 1)[1] for line in ends) == ["0", "5"]
    partition = next(line.split(":")[1] for line in ends if line.endswith(":5"))
    r = consume(broker, topic_name, "--partition", partition, "--offset", "earliest", "--max-messages", "5")
    assert r.lines == [f"v{i}" for i in range(5)]
    r = consume(broker, topic_name, "--partition", partition, "--offset", "3", "--max-messages", "2")
    assert r.lines == ["v3", "v4"]


def test_include_regex(broker, topic_name):
    for suffix in ("x", "y"):
        create(broker, f"{topic_name}{suffix}")
        assert produce(broker, f"{topic_name}{suffix}", f"from {suffix}\n").code == 0
    r = run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--include",
            f"{topic_name}.*", "--from-beginning", "--max-messages", "2")
    assert r.code == 0, r.err
    assert sorted(r.lines) == ["from x", "from y"]


def test_consumer_errors(broker, topic_name):
    r = consume(broker, topic_name + "-missing", "--timeout-ms", "2000")
    assert r.code == 1 and "does not exist" in r.err
    r = consume(broker, topic_name, "--offset", "3")
    assert r.code == 1 and "partition is required" in r.err
    r = consume(broker, topic_name, "--bogus")
    assert r.code == 1
    r = run("kafka-console-consumer", "--bootstrap-server", DEAD_BOOTSTRAP, "--topic", "t")
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1 and "127.0.0.1:1" in r.err


def test_producer_unreachable_and_bad_flag():
    r = run("kafka-console-producer", "--bootstrap-server", DEAD_BOOTSTRAP, "--topic", "t", input="x\n")
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1 and "127.0.0.1:1" in r.err
    r = run("kafka-console-producer", "--bootstrap-server", DEAD_BOOTSTRAP)
    assert r.code == 1 and "--topic" in r.err


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_consumer_stops_cleanly_on_signal(broker, topic_name, sig, code):
    create(broker, topic_name)
    assert produce(broker, topic_name, "first\n").code == 0
    cmd = [sys.executable, "-m", "moldau.tools.cli", "kafka-console-consumer", "--bootstrap-server",
           broker.bootstrap, "--topic", topic_name, "--from-beginning"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None
        assert p.stdout.readline() == "first\n"
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == code
    assert "Processed a total of 1 messages" in err
    assert "Traceback" not in err


def test_shipped_client_configs(broker, topic_name):
    """config/producer.properties and config/consumer.properties work as given (the flag's
    bootstrap server wins over the file's localhost:9092)."""
    from tests.support.broker import REPO

    create(broker, topic_name)
    r = produce(broker, topic_name, "from file\n", "--producer.config", str(REPO / "config" / "producer.properties"))
    assert r.code == 0, r.err
    r = consume(broker, topic_name, "--consumer.config", str(REPO / "config" / "consumer.properties"),
                "--from-beginning", "--max-messages", "1")
    assert r.code == 0 and r.lines == ["from file"], r.err
    r = consume(broker, topic_name, "--consumer.config", str(REPO / "config" / "consumer.properties"),
                "--group", "another-group", "--max-messages", "1")
    assert r.code == 1 and "do not match" in r.err
    r = run("kafka-consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe", "--group",
            "test-consumer-group")
    rows = [line.split() for line in r.lines if line.startswith("test-consumer-group ")]
    assert [row[1:4] for row in rows if row[1] == topic_name] == [[topic_name, "0", "1"]]


def test_prompt_on_a_terminal(broker, topic_name):
    """Typed at a terminal, the producer prompts with '>' before each line (the notes show it)."""
    import os
    import pty

    create(broker, topic_name)
    master, slave = pty.openpty()
    cmd = [sys.executable, "-m", "moldau.tools.cli", "kafka-console-producer", "--bootstrap-server",
           broker.bootstrap, "--topic", topic_name]
    p = subprocess.Popen(cmd, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(slave)
    try:
        os.write(master, b"typed line\n\x04")  # a line, then Ctrl-D at the start of the next
        out, err = p.communicate(timeout=60)
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert out == b">>"
    assert consume(broker, topic_name, "--from-beginning", "--max-messages", "1").lines == ["typed line"]


def test_record_too_large_is_reported_and_others_sent(broker, topic_name):
    create(broker, topic_name)
    r = produce(broker, topic_name, "small\n" + "x" * 2_000_000 + "\nafter\n")
    assert r.code == 1
    assert "value: 2000000 bytes with error" in r.err
    r = consume(broker, topic_name, "--from-beginning", "--max-messages", "2")
    assert r.lines == ["small", "after"]
