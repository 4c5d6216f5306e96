"""Bad input over raw sockets: an error answer or a closed connection, a WARN line, and the
broker keeps serving everyone else."""

from __future__ import annotations

import os
import struct
import time

import pytest

from moldau.protocol._generated.api_versions_request import ApiVersionsRequest
from moldau.protocol._generated.metadata_request import MetadataRequest, MetadataRequestTopic
from moldau.protocol._generated.produce_request import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.quirks import encode_request
from moldau.protocol.records.builder import build_batch
from tests.integration.rawclient import RawClient

API_VERSIONS, METADATA, PRODUCE = 18, 3, 0


def _still_serves(broker) -> None:
    with RawClient(broker.host, broker.port) as c:
        resp = c.request(API_VERSIONS, 3, ApiVersionsRequest("test", "1"))
        assert resp.error_code == 0
        assert any(k.api_key == PRODUCE for k in resp.api_keys)


def _wait_for_log(broker, text: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in broker.log():
            return True
        time.sleep(0.05)
    return False


def _external(broker) -> bool:
    return getattr(broker, "external", False)


def test_garbage_frame_closes_connection(broker):
    with RawClient(broker.host, broker.port) as c:
        c.send_raw(struct.pack(">i", 3) + b"\x01\x02\x03")
        assert c.is_closed_by_peer()
    if not _external(broker):
        assert _wait_for_log(broker, "WARN Closing connection")
    _still_serves(broker)


def test_random_bytes_close_connection(broker):
    with RawClient(broker.host, broker.port) as c:
        payload = os.urandom(200)
        c.send_raw(struct.pack(">i", len(payload)) + payload)
        assert c.is_closed_by_peer()
    _still_serves(broker)


@pytest.mark.parametrize("size", [2**31 - 1, -5])
def test_absurd_size_prefix_closes_connection(broker, size):
    with RawClient(broker.host, broker.port) as c:
        c.send_raw(struct.pack(">i", size) + b"\0" * 16)
        assert c.is_closed_by_peer()
    _still_serves(broker)


def test_truncated_body_closes_connection(broker):
    frame = bytearray(
        encode_request(
            METADATA, 4, 7, "t", MetadataRequest(topics=[MetadataRequestTopic(name="abc")])
        )
    )
    cut = frame[:-6]
    struct.pack_into(">i", cut, 0, len(cut) - 4)
    with RawClient(broker.host, broker.port) as c:
        c.send_raw(bytes(cut))
        assert c.is_closed_by_peer()
    _still_serves(broker)


def test_unknown_api_key_closes_connection(broker):
    with RawClient(broker.host, broker.port) as c:
        body = struct.pack(">hhi", 999, 0, 1) + struct.pack(">h", 1) + b"x"
        c.send_raw(struct.pack(">i", len(body)) + body)
        assert c.is_closed_by_peer()
    _still_serves(broker)


def test_api_versions_unsupported_version_gets_v0_error(broker):
    with RawClient(broker.host, broker.port) as c:
        # ApiVersions v99: answered in v0 with UNSUPPORTED_VERSION and our range.
        body = struct.pack(">hhi", API_VERSIONS, 99, 42) + struct.pack(">h", 1) + b"x" + b"\0\0\0"
        c.send_raw(struct.pack(">i", len(body)) + body)
        cid, resp = c.receive(API_VERSIONS, 0)
        assert cid == 42
        assert resp.error_code == ErrorCode.UNSUPPORTED_VERSION
        assert [(k.api_key, k.min_version, k.max_version) for k in resp.api_keys] == [(18, 0, 4)]
        # the connection stays usable
        assert c.request(API_VERSIONS, 0, ApiVersionsRequest()).error_code == 0


def test_unsupported_version_of_other_api_closes_connection(broker):
    with RawClient(broker.host, broker.port) as c:
        body = struct.pack(">hhi", METADATA, 99, 1) + struct.pack(">h", 1) + b"x" + b"\0" * 8
        c.send_raw(struct.pack(">i", len(body)) + body)
        assert c.is_closed_by_peer()
    _still_serves(broker)


def test_advertised_but_removed_produce_v2_closes_connection(broker):
    with RawClient(broker.host, broker.port) as c:
        body = struct.pack(">hhi", PRODUCE, 2, 1) + struct.pack(">h", 1) + b"x" + b"\0" * 12
        c.send_raw(struct.pack(">i", len(body)) + body)
        assert c.is_closed_by_peer()


def _produce(topic: str, records: bytes, acks: int = 1) -> ProduceRequest:
    return ProduceRequest(
        acks=acks,
        timeout_ms=5000,
        topic_data=[
            TopicProduceData(name=topic, partition_data=[PartitionProduceData(0, records)])
        ],
    )


def _make_topic(c: RawClient, topic: str) -> None:
    resp = c.request(METADATA, 4, MetadataRequest(topics=[MetadataRequestTopic(name=topic)]))
    assert resp.topics[0].error_code == 0


def test_corrupt_batch_gets_corrupt_message(broker, topic_name):
    batch = bytearray(build_batch([(1000, b"k", b"value", [])]))
    batch[-1] ^= 0xFF  # flips a bit under the CRC
    with RawClient(broker.host, broker.port) as c:
        _make_topic(c, topic_name)
        resp = c.request(PRODUCE, 7, _produce(topic_name, bytes(batch)))
        part = resp.responses[0].partition_responses[0]
        assert part.error_code == ErrorCode.CORRUPT_MESSAGE
        # a valid batch on the same connection still goes in at offset 0
        good = build_batch([(1000, b"k", b"value", [])])
        resp = c.request(PRODUCE, 7, _produce(topic_name, good))
        part = resp.responses[0].partition_responses[0]
        assert (part.error_code, part.base_offset) == (0, 0)
    if not _external(broker):
        assert _wait_for_log(broker, "CORRUPT_MESSAGE")


def test_garbage_records_get_an_error(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        _make_topic(c, topic_name)
        resp = c.request(PRODUCE, 8, _produce(topic_name, os.urandom(100)))
        part = resp.responses[0].partition_responses[0]
        assert part.error_code in (ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD)


def test_invalid_required_acks(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        _make_topic(c, topic_name)
        resp = c.request(
            PRODUCE, 7, _produce(topic_name, build_batch([(1, None, b"v", [])]), acks=5)
        )
        assert (
            resp.responses[0].partition_responses[0].error_code == ErrorCode.INVALID_REQUIRED_ACKS
        )


def test_unknown_topic_produce(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        resp = c.request(PRODUCE, 7, _produce(topic_name, build_batch([(1, None, b"v", [])])))
        part = resp.responses[0].partition_responses[0]
        assert part.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def test_zstd_needs_produce_v7(broker, topic_name):
    batch = build_batch([(1, None, b"v" * 100, [])], compression=4)
    with RawClient(broker.host, broker.port) as c:
        _make_topic(c, topic_name)
        resp = c.request(PRODUCE, 6, _produce(topic_name, batch))
        part = resp.responses[0].partition_responses[0]
        assert part.error_code == ErrorCode.UNSUPPORTED_COMPRESSION_TYPE
        resp = c.request(PRODUCE, 7, _produce(topic_name, batch))
        assert resp.responses[0].partition_responses[0].error_code == 0


def test_pipelined_responses_keep_request_order(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        _make_topic(c, topic_name)
        batch = build_batch([(1, None, b"v", [])])
        frames = [
            encode_request(METADATA, 4, 100, "p", MetadataRequest(topics=None)),
            encode_request(PRODUCE, 7, 101, "p", _produce(topic_name, batch, acks=0)),
            encode_request(PRODUCE, 7, 102, "p", _produce(topic_name, batch, acks=1)),
            encode_request(API_VERSIONS, 3, 103, "p", ApiVersionsRequest("x", "1")),
        ]
        frames += [
            encode_request(API_VERSIONS, 0, 104 + i, "p", ApiVersionsRequest()) for i in range(50)
        ]
        c.send_raw(b"".join(frames))
        assert c.receive(METADATA, 4)[0] == 100
        cid, produce = c.receive(PRODUCE, 7)
        assert cid == 102  # the acks=0 request got no answer
        assert produce.responses[0].partition_responses[0].base_offset == 1
        assert c.receive(API_VERSIONS, 3)[0] == 103
        assert [c.receive(API_VERSIONS, 0)[0] for _ in range(50)] == list(range(104, 154))


def test_frame_over_socket_request_max_bytes(own_broker):
    if _external(own_broker):
        pytest.skip("needs its own broker configuration")
    own_broker.stop()
    own_broker.overrides["socket.request.max.bytes"] = "1000"
    own_broker.start()
    with RawClient(own_broker.host, own_broker.port) as c:
        c.send_raw(struct.pack(">i", 5000) + b"\0" * 100)
        assert c.is_closed_by_peer()
    assert _wait_for_log(own_broker, "socket.request.max.bytes")
    _still_serves(own_broker)


def test_max_connections(own_broker):
    if _external(own_broker):
        pytest.skip("needs its own broker configuration")
    own_broker.stop()
    own_broker.overrides["max.connections"] = "2"
    own_broker.start()
    a = RawClient(own_broker.host, own_broker.port)
    b = RawClient(own_broker.host, own_broker.port)
    try:
        assert a.request(API_VERSIONS, 0, ApiVersionsRequest()).error_code == 0
        assert b.request(API_VERSIONS, 0, ApiVersionsRequest()).error_code == 0
        with RawClient(own_broker.host, own_broker.port) as third:
            assert third.is_closed_by_peer()
    finally:
        a.close()
        b.close()
    deadline = time.monotonic() + 10
    while True:  # slots free up once the broker sees the closes
        try:
            _still_serves(own_broker)
            break
        except (ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_idle_connections_are_closed(own_broker):
    if _external(own_broker):
        pytest.skip("needs its own broker configuration")
    own_broker.stop()
    own_broker.overrides["connections.max.idle.ms"] = "300"
    own_broker.start()
    with RawClient(own_broker.host, own_broker.port) as c:
        assert c.request(API_VERSIONS, 0, ApiVersionsRequest()).error_code == 0
        assert c.is_closed_by_peer(timeout=10)


def test_failed_acks_0_produce_closes_the_connection(broker, topic_name):
    """acks=0 has no answer to carry an error, so Kafka closes the connection instead."""
    with RawClient(broker.host, broker.port) as c:
        _make_topic(c, topic_name)
        batch = bytearray(build_batch([(1000, b"k", b"value", [])]))
        batch[-1] ^= 0xFF
        c.send(PRODUCE, 7, _produce(topic_name, bytes(batch), acks=0))
        assert c.is_closed_by_peer()
    with RawClient(broker.host, broker.port) as c:
        c.send(PRODUCE, 7, _produce(topic_name, build_batch([(1, None, b"ok", [])]), acks=0))
        # a successful acks=0 produce keeps the connection: the next request is answered
        assert c.request(API_VERSIONS, 0, ApiVersionsRequest()).error_code == 0
