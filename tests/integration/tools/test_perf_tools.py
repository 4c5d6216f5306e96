"""kafka-producer-perf-test and kafka-consumer-perf-test: Kafka's flags and output lines.
(The figures themselves are not checked: speed belongs in bench/, not in tests.)"""

from __future__ import annotations

import re

from tests.integration.tools.toolrun import DEAD_BOOTSTRAP, run

FINAL = re.compile(
    r"^(\d+) records sent, [\d.]+ records/sec \([\d.]+ MB/sec\), [\d.]+ ms avg latency, "
    r"[\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$"
)
HEADER = ("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
          "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
ROW = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, "
    r"(?P<mb>[\d.]+), [\d.]+, (?P<n>\d+), [\d.]+, \d+, -?\d+, [\d.]+, [\d.]+$"
)


def create(broker, topic):
    r = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic,
            "--partitions", "2")
    assert r.code == 0, r.err


def test_producer_then_consumer_perf(broker, topic_name):
    create(broker, topic_name)
    r = run("kafka-producer-perf-test", "--topic", topic_name, "--num-records", "3000",
            "--record-size", "100", "--throughput", "-1", "--producer-props",
            f"bootstrap.servers={broker.bootstrap}", "acks=all", "linger.ms=5")
    assert r.code == 0, r.err
    m = FINAL.match(r.lines[-1])
    assert m and m[1] == "3000", r.out

    r = run("kafka-consumer-perf-test", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--messages", "3000", "--timeout", "30000")
    assert r.code == 0, r.err
    assert r.lines[0] == HEADER
    m = ROW.match(r.lines[1])
    assert m, r.lines[1]
    assert m["n"] == "3000"
    assert abs(float(m["mb"]) - 3000 * 100 / 1024 / 1024) < 0.001


def test_producer_throttle_and_payload_file(broker, topic_name, tmp_path):
    create(broker, topic_name)
    payload = tmp_path / "payloads.txt"
    payload.write_text("alpha\nbeta\ngamma\n")
    r = run("kafka-producer-perf-test", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--num-records", "30", "--payload-file", str(payload), "--throughput", "200")
    assert r.code == 0, r.err
    assert "Number of messages read: 3" in r.out
    m = FINAL.match(r.lines[-1])
    assert m and m[1] == "30"
    r = run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--from-beginning", "--max-messages", "30")
    assert set(r.lines) == {"alpha", "beta", "gamma"}


def test_consumer_perf_timeout_warns(broker, topic_name):
    create(broker, topic_name)
    r = run("kafka-consumer-perf-test", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--messages", "10", "--timeout", "1500", "--hide-header")
    assert r.code == 0
    assert "Exiting before consuming the expected number of messages" in r.err
    assert len(r.lines) == 1 and ROW.match(r.lines[0]) and ROW.match(r.lines[0])["n"] == "0"  # type: ignore[index]


def test_perf_errors():
    r = run("kafka-producer-perf-test", "--topic", "t", "--num-records", "1", "--record-size", "1",
            "--throughput", "-1", "--producer-props", f"bootstrap.servers={DEAD_BOOTSTRAP}")
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1
    r = run("kafka-producer-perf-test", "--topic", "t", "--num-records", "1", "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={DEAD_BOOTSTRAP}")
    assert r.code == 1 and "--record-size" in r.err
    r = run("kafka-consumer-perf-test", "--bootstrap-server", DEAD_BOOTSTRAP, "--topic", "t",
            "--messages", "1")
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1
