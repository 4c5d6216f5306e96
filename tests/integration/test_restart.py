"""Data, topics, topic ids and configs survive a restart: clean (SIGTERM, exit code 0 and the
clean-shutdown marker) and unclean (kill -9, recovery)."""

from __future__ import annotations

import signal
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from moldau.protocol._generated.fetch_request import FetchPartition, FetchRequest, FetchTopic
from moldau.protocol._generated.metadata_request import MetadataRequest, MetadataRequestTopic
from tests.integration.rawclient import RawClient


def _produce(bootstrap: str, topic: str, start: int, n: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "partitioner": "murmur2_random"})
    delivered = []
    for i in range(start, start + n):
        p.produce(
            topic, f"v{i}".encode(), f"k{i}".encode(), on_delivery=lambda e, m: delivered.append(e)
        )
    assert p.flush(20) == 0
    assert delivered == [None] * n


def _read(bootstrap: str, topic: str, partitions: int, n: int) -> list:
    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "restart", "enable.auto.commit": False}
    )
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    out = []
    deadline = time.monotonic() + 30
    try:
        while len(out) < n and time.monotonic() < deadline:
            for m in c.consume(500, 0.5):
                if not m.error():
                    out.append(m)
    finally:
        c.close()
    return out


def _topic_id(admin: AdminClient, topic: str) -> str:
    return str(admin.describe_topics(TopicCollection([topic]))[topic].result(10).topic_id)


@pytest.mark.parametrize("clean", [True, False], ids=["sigterm", "kill-9"])
def test_data_and_topics_survive_restart(own_broker, topic_name, clean):
    admin = AdminClient({"bootstrap.servers": own_broker.bootstrap})
    admin.create_topics([NewTopic(topic_name, 3, 1, config={"retention.ms": "86400000"})])[
        topic_name
    ].result(10)
    topic_id = _topic_id(admin, topic_name)
    _produce(own_broker.bootstrap, topic_name, 0, 300)
    log_dir = own_broker.data_dir / "kafka-logs"
    if clean:
        code = own_broker.stop()
        assert code == 0
        assert (log_dir / ".kafka_cleanshutdown").exists()
        assert "Shut down completed" in own_broker.log()
        own_broker.start()
    else:
        own_broker.kill()
        assert not (log_dir / ".kafka_cleanshutdown").exists()
        own_broker.start()
    admin = AdminClient({"bootstrap.servers": own_broker.bootstrap})
    assert len(admin.list_topics(timeout=10).topics[topic_name].partitions) == 3
    assert _topic_id(admin, topic_name) == topic_id
    res = ConfigResource("topic", topic_name)
    assert admin.describe_configs([res])[res].result(10)["retention.ms"].value == "86400000"
    # appends continue after the recovered end: offsets are never reused
    _produce(own_broker.bootstrap, topic_name, 300, 30)
    got = _read(own_broker.bootstrap, topic_name, 3, 330)
    assert sorted(m.value() for m in got) == sorted(f"v{i}".encode() for i in range(330))
    for p in range(3):
        offs = [m.offset() for m in got if m.partition() == p]
        assert offs == list(range(len(offs)))


def test_cluster_id_is_kept_and_meta_properties_written(own_broker):
    meta = own_broker.data_dir / "kafka-logs" / "meta.properties"
    admin = AdminClient({"bootstrap.servers": own_broker.bootstrap})  # kept alive for the call
    first = admin.describe_cluster().result(10).cluster_id
    props = dict(
        line.split("=", 1)
        for line in meta.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert props["cluster.id"] == first
    assert props["node.id"] == "0"
    assert props["version"] == "1"
    own_broker.restart()
    admin = AdminClient({"bootstrap.servers": own_broker.bootstrap})
    again = admin.describe_cluster().result(10).cluster_id
    assert again == first


def test_invalid_config_stops_start_up_naming_the_key(own_broker):
    if own_broker.external:
        pytest.skip("needs its own broker process")
    own_broker.stop()
    own_broker.overrides["message.max.bytes"] = "lots"
    with pytest.raises(RuntimeError):
        own_broker.start(timeout=10)
    assert "message.max.bytes" in own_broker.log()


def test_recovered_data_is_readable_without_a_new_append(own_broker, topic_name):
    """After kill -9 the checkpointed high watermark is stale; a single broker must still
    expose everything in its log (HW = LEO) without waiting for another append."""
    _produce(own_broker.bootstrap, topic_name, 0, 50)
    own_broker.kill()
    own_broker.start()
    got = _read(own_broker.bootstrap, topic_name, 1, 50)
    assert [m.value() for m in got] == [f"v{i}".encode() for i in range(50)]


def test_sigterm_answers_in_flight_requests_then_exits_0(own_broker, topic_name):
    """A fetch long-polling for 60 s is answered when the broker is asked to stop, and the
    broker then exits with code 0."""
    if own_broker.external:
        pytest.skip("needs its own broker process")
    with RawClient(own_broker.host, own_broker.port) as c:
        md = c.request(3, 9, MetadataRequest(topics=[MetadataRequestTopic(name=topic_name)]))
        assert md.topics[0].error_code == 0
        c.send(
            1,
            12,
            FetchRequest(
                replica_id=-1,
                max_wait_ms=60_000,
                min_bytes=1,
                max_bytes=1 << 20,
                topics=[
                    FetchTopic(
                        topic=topic_name,
                        partitions=[
                            FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=1 << 20)
                        ],
                    )
                ],
            ),
        )
        time.sleep(0.5)  # let the fetch reach the purgatory
        own_broker.proc.send_signal(signal.SIGTERM)
        _, resp = c.receive(1, 12)
        assert resp.responses[0].partitions[0].error_code == 0
    assert own_broker.proc.wait(30) == 0
    own_broker.proc = None


@pytest.mark.parametrize("protocol", ["SSL", "SASL_SSL"])
def test_unsupported_listener_security_stops_start_up(own_broker, protocol):
    """Rather than serve a TLS listener in plaintext, the broker refuses to start."""
    if own_broker.external:
        pytest.skip("needs its own broker process")
    own_broker.stop()
    own_broker.overrides["listeners"] = f"{protocol}://127.0.0.1:{own_broker.port}"
    own_broker.overrides["advertised.listeners"] = f"{protocol}://127.0.0.1:{own_broker.port}"
    own_broker.overrides["listener.security.protocol.map"] = f"{protocol}:{protocol}"
    own_broker.overrides["inter.broker.listener.name"] = protocol
    with pytest.raises(RuntimeError):
        own_broker.start(timeout=10)
    assert "does not support TLS" in own_broker.log()
