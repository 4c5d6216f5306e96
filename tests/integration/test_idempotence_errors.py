"""Hand-built InitProducerId and Produce requests against a real broker: every idempotence
error code of Kafka 4.x (CLIENTS.md 4.2), the producer limits, and state across restarts."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from moldau.protocol._generated import ApiKey
from moldau.protocol._generated.create_topics_request import (
    CreatableTopic,
    CreatableTopicConfig,
    CreateTopicsRequest,
)
from moldau.protocol._generated.init_producer_id_request import InitProducerIdRequest
from moldau.protocol._generated.produce_request import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.quirks import decode_response, encode_request
from moldau.protocol.records.batch import rewrite_crc
from moldau.protocol.records.builder import build_batch
from tests.support.broker import make_broker

_SIZE = struct.Struct(">i")


class RawClient:
    """One blocking connection that sends generated requests and decodes the answers."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=30)
        self.corr = 0

    def close(self) -> None:
        self.sock.close()

    def _recv_exact(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            out += chunk
        return bytes(out)

    def call(self, api_key: int, version: int, body: object) -> object:
        self.corr += 1
        self.sock.sendall(encode_request(api_key, version, self.corr, "idempotence-test", body))
        (size,) = _SIZE.unpack(self._recv_exact(4))
        corr, response = decode_response(api_key, version, memoryview(self._recv_exact(size)))
        assert corr == self.corr
        return response

    # -- helpers -------------------------------------------------------------------------
    def init_producer_id(
        self, version: int = 4, pid: int = -1, epoch: int = -1, txn_id: str | None = None
    ):
        return self.call(
            ApiKey.INIT_PRODUCER_ID,
            version,
            InitProducerIdRequest(
                transactional_id=txn_id,
                transaction_timeout_ms=60_000,
                producer_id=pid,
                producer_epoch=epoch,
            ),
        )

    def create_topic(self, name: str, partitions: int = 1, configs: dict | None = None) -> None:
        res = self.call(
            ApiKey.CREATE_TOPICS,
            5,
            CreateTopicsRequest(
                topics=[
                    CreatableTopic(
                        name=name,
                        num_partitions=partitions,
                        replication_factor=1,
                        configs=[CreatableTopicConfig(k, v) for k, v in (configs or {}).items()],
                    )
                ],
                timeout_ms=10_000,
            ),
        )
        assert res.topics[0].error_code == 0, res

    def produce_raw(
        self,
        topic: str,
        records: bytes,
        version: int = 9,
        partition: int = 0,
        acks: int = -1,
        timeout_ms: int = 10_000,
    ):
        res = self.call(
            ApiKey.PRODUCE,
            version,
            ProduceRequest(
                transactional_id=None,
                acks=acks,
                timeout_ms=timeout_ms,
                topic_data=[
                    TopicProduceData(
                        name=topic,
                        partition_data=[PartitionProduceData(index=partition, records=records)],
                    )
                ],
            ),
        )
        return res.responses[0].partition_responses[0]

    def produce(
        self, topic: str, pid: int, epoch: int, seq: int, count: int = 1, acks: int = -1, **kw
    ):
        timeout_ms = kw.pop("timeout_ms", 10_000)
        records = batch(pid, epoch, seq, count, **kw)
        return self.produce_raw(topic, records, acks=acks, timeout_ms=timeout_ms)


def batch(
    pid: int,
    epoch: int,
    seq: int,
    count: int = 1,
    value_size: int = 10,
    codec: int = 0,
    timestamp: int | None = None,
) -> bytes:
    now = int(time.time() * 1000) if timestamp is None else timestamp
    return build_batch(
        [(now, f"k{seq + i}".encode(), b"v" * value_size, []) for i in range(count)],
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        compression=codec,
    )


@pytest.fixture(scope="module")
def client(broker):
    c = RawClient(broker.host, broker.port)
    yield c
    c.close()


@pytest.fixture
def topic(client, topic_name):
    client.create_topic(topic_name)
    return topic_name


# ------------------------------------------------------------------ InitProducerId


@pytest.mark.parametrize("version", [0, 1, 2, 3, 4, 5])
def test_init_producer_id_gives_fresh_ids_with_epoch_zero(client, version):
    a = client.init_producer_id(version)
    b = client.init_producer_id(version)
    assert (a.error_code, b.error_code) == (0, 0)
    assert a.producer_id >= 0 and b.producer_id >= 0 and a.producer_id != b.producer_id
    assert a.producer_epoch == b.producer_epoch == 0


@pytest.mark.parametrize("version", [3, 4, 5])
def test_init_producer_id_with_current_id_bumps_the_epoch(client, version):
    a = client.init_producer_id(version)
    b = client.init_producer_id(version, a.producer_id, a.producer_epoch)
    assert (b.error_code, b.producer_id, b.producer_epoch) == (0, a.producer_id, 1)
    # an exhausted epoch gets a new id
    c = client.init_producer_id(version, a.producer_id, 32766)
    assert c.error_code == 0 and c.producer_id != a.producer_id and c.producer_epoch == 0


def test_init_producer_id_rejects_half_an_identity(client):
    assert client.init_producer_id(4, pid=5, epoch=-1).error_code == ErrorCode.INVALID_REQUEST
    assert client.init_producer_id(4, pid=-1, epoch=3).error_code == ErrorCode.INVALID_REQUEST


def test_transactional_id_is_not_served_yet(client):
    res = client.init_producer_id(4, txn_id="my-txn")
    assert res.error_code == ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert client.init_producer_id(4, txn_id="").error_code == ErrorCode.INVALID_REQUEST


def test_init_producer_id_v6_is_not_advertised(client):
    from moldau.protocol._generated.api_versions_request import ApiVersionsRequest

    res = client.call(ApiKey.API_VERSIONS, 3, ApiVersionsRequest("t", "1"))
    (entry,) = [k for k in res.api_keys if k.api_key == ApiKey.INIT_PRODUCER_ID]
    assert (entry.min_version, entry.max_version) == (0, 5)


# ------------------------------------------------------------------ Produce error codes


def test_retried_batch_returns_the_original_offset_and_is_not_appended(client, topic):
    pid = client.init_producer_id().producer_id
    first = client.produce(topic, pid, 0, 0, count=3)
    assert (first.error_code, first.base_offset) == (0, 0)
    second = client.produce(topic, pid, 0, 3, count=2)
    assert (second.error_code, second.base_offset) == (0, 3)
    # retries of either batch: success with the original offsets, nothing appended
    for seq, count, offset in ((0, 3, 0), (3, 2, 3), (0, 3, 0)):
        again = client.produce(topic, pid, 0, seq, count=count)
        assert (again.error_code, again.base_offset) == (0, offset)
    nxt = client.produce(topic, pid, 0, 5)
    assert (nxt.error_code, nxt.base_offset) == (0, 5)


def test_duplicates_within_the_last_five_batches_only(client, topic):
    pid = client.init_producer_id().producer_id
    for seq in range(7):
        assert client.produce(topic, pid, 0, seq).base_offset == seq
    for seq in range(2, 7):
        res = client.produce(topic, pid, 0, seq)
        assert (res.error_code, res.base_offset) == (0, seq)
    # the batch with sequence 1 fell out of the 5-entry cache: out of order, not a duplicate
    assert client.produce(topic, pid, 0, 1).error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER


def test_sequence_gap_is_out_of_order(client, topic):
    pid = client.init_producer_id().producer_id
    assert client.produce(topic, pid, 0, 0, count=2).error_code == 0
    res = client.produce(topic, pid, 0, 5)
    assert res.error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER == 45
    assert res.base_offset == -1
    # the log did not move: the right sequence goes in right after the first batch
    assert client.produce(topic, pid, 0, 2).base_offset == 2


def test_older_epoch_is_invalid_producer_epoch(client, topic):
    init = client.init_producer_id()
    pid = init.producer_id
    assert client.produce(topic, pid, 0, 0).error_code == 0
    bumped = client.init_producer_id(4, pid, 0)
    assert bumped.producer_epoch == 1
    assert client.produce(topic, pid, 1, 0).error_code == 0
    res = client.produce(topic, pid, 0, 1)
    assert res.error_code == ErrorCode.INVALID_PRODUCER_EPOCH == 47


def test_bumped_epoch_must_restart_at_sequence_zero(client, topic):
    pid = client.init_producer_id().producer_id
    assert client.produce(topic, pid, 0, 0, count=4).error_code == 0
    res = client.produce(topic, pid, 1, 4)
    assert res.error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    assert client.produce(topic, pid, 1, 0).error_code == 0


def test_unknown_producer_is_accepted_at_any_sequence(client, topic):
    pid = client.init_producer_id().producer_id
    res = client.produce(topic, pid, 0, 123_456)
    assert (res.error_code, res.base_offset) == (0, 0)
    assert client.produce(topic, pid, 0, 123_457).base_offset == 1


def test_non_idempotent_batches_are_never_deduplicated(client, topic):
    raw = batch(-1, -1, -1, count=2)
    assert client.produce_raw(topic, raw).base_offset == 0
    assert client.produce_raw(topic, raw).base_offset == 2


# ------------------------------------------------------------------ producer limits


def test_batch_above_max_message_bytes_is_message_too_large(client, topic_name):
    client.create_topic(topic_name, configs={"max.message.bytes": "1000"})
    pid = client.init_producer_id().producer_id
    res = client.produce(topic_name, pid, 0, 0, value_size=2000)
    assert res.error_code == ErrorCode.MESSAGE_TOO_LARGE == 10
    # the rejected batch left no producer state behind: sequence 0 is still next
    assert client.produce(topic_name, pid, 0, 0, value_size=10).error_code == 0


def test_record_count_disagreeing_with_the_batch_is_rejected(client, topic):
    raw = bytearray(batch(-1, -1, -1, count=2))
    struct.pack_into(">i", raw, 57, 3)  # records count 3, last offset delta still 1
    rewrite_crc(raw, 0)
    assert client.produce_raw(topic, bytes(raw)).error_code == ErrorCode.INVALID_RECORD
    raw = bytearray(batch(-1, -1, -1, count=2))
    struct.pack_into(">i", raw, 57, 50)  # more records than the bytes can hold
    struct.pack_into(">i", raw, 23, 49)
    rewrite_crc(raw, 0)
    assert client.produce_raw(topic, bytes(raw)).error_code == ErrorCode.INVALID_RECORD


@pytest.mark.parametrize("codec", [0, 2, 4], ids=["none", "snappy", "zstd"])
def test_record_lengths_disagreeing_with_the_batch_are_rejected(client, topic, codec):
    """Kafka walks the records: a length varint that disagrees with the bytes that follow
    is INVALID_RECORD, and nothing is appended."""
    from moldau.protocol.records.batch import parse_header
    from moldau.protocol.records.builder import assemble_batch
    from moldau.protocol.records.compression import compress
    from moldau.protocol.records.record import records_payload

    good = batch(-1, -1, -1, count=2, codec=codec)
    section = bytearray(records_payload(parse_header(good)))
    first = section[0] >> 1
    for edit in ("longer", "shorter", "last past the end", "trailing bytes"):
        body = bytearray(section)
        if edit == "longer":
            body[0] += 2  # the first record's zig-zag length claims one more byte
        elif edit == "shorter":
            body[0] -= 2
        elif edit == "last past the end":
            body[1 + first] += 2
        else:
            body += b"\0" * 8
        raw = assemble_batch(
            payload=compress(codec, body) if codec else bytes(body),
            attributes=codec,
            records_count=2,
            last_offset_delta=1,
            base_timestamp=0,
            max_timestamp=0,
        )
        res = client.produce_raw(topic, raw)
        assert res.error_code == ErrorCode.INVALID_RECORD, edit
    # the same batch, untouched, goes in at offset 0: nothing was appended before
    assert client.produce_raw(topic, good).base_offset == 0


def test_compressed_batch_past_the_decompression_bound_is_message_too_large(client, topic):
    """A few KiB of zstd expanding past the broker's bound (16 MiB with the default
    max.message.bytes) are refused before any record is walked; the broker keeps serving."""
    from moldau.broker.partition import MAX_PRODUCE_DECOMPRESSED
    from moldau.protocol.records.builder import assemble_batch
    from moldau.protocol.records.compression import compress

    minimal = bytes([12, 0, 0, 0, 1, 1, 0])  # a 7-byte record: null key and value
    n = MAX_PRODUCE_DECOMPRESSED // len(minimal) + 1
    bomb = assemble_batch(
        payload=compress(4, minimal * n),
        attributes=4,
        records_count=n,
        last_offset_delta=n - 1,
        base_timestamp=0,
        max_timestamp=0,
    )
    assert len(bomb) < 10_000
    assert client.produce_raw(topic, bomb).error_code == ErrorCode.MESSAGE_TOO_LARGE
    assert client.produce_raw(topic, batch(-1, -1, -1, codec=4)).base_offset == 0


def test_broker_message_max_bytes_is_the_topic_default(tmp_path, topic_name):
    b = make_broker(tmp_path, {"message.max.bytes": "3000"})
    b.start()
    try:
        c = RawClient(b.host, b.port)
        c.create_topic(topic_name)
        pid = c.init_producer_id().producer_id
        res = c.produce(topic_name, pid, 0, 0, value_size=4000)
        assert res.error_code == ErrorCode.MESSAGE_TOO_LARGE
        assert c.produce(topic_name, pid, 0, 0, value_size=1000).error_code == 0
        # a topic's max.message.bytes overrides the broker's limit
        c.create_topic(topic_name + "-big", configs={"max.message.bytes": "10000"})
        big = c.produce(topic_name + "-big", pid, 0, 0, value_size=4000)
        assert big.error_code == 0
        c.close()
    finally:
        b.stop()


def test_bad_crc_is_corrupt_message(client, topic):
    raw = bytearray(batch(-1, -1, -1, count=2))
    raw[-1] ^= 0xFF
    assert client.produce_raw(topic, bytes(raw)).error_code == ErrorCode.CORRUPT_MESSAGE


def test_rejected_batch_does_not_touch_producer_state(client, topic):
    pid = client.init_producer_id().producer_id
    raw = bytearray(batch(pid, 0, 0, count=2))
    raw[-1] ^= 0xFF
    assert client.produce_raw(topic, bytes(raw)).error_code == ErrorCode.CORRUPT_MESSAGE
    assert client.produce(topic, pid, 0, 0, count=2).base_offset == 0


# ------------------------------------------------------------------ restarts


def _fill_and_restart(tmp_path, topic_name, clean):
    b = make_broker(tmp_path)
    b.start()
    c = RawClient(b.host, b.port)
    c.create_topic(topic_name, configs={"segment.ms": "1"})  # roll at every append
    pid = c.init_producer_id().producer_id
    offsets = [c.produce(topic_name, pid, 0, seq * 2, count=2).base_offset for seq in range(30)]
    assert offsets == list(range(0, 60, 2))  # several segment rolls on the way
    c.close()
    b.restart(clean=clean)
    return b, pid


@pytest.mark.parametrize("clean", [True, False], ids=["sigterm", "kill-9"])
def test_state_and_producer_ids_survive_a_restart(tmp_path, topic_name, clean):
    b, pid = _fill_and_restart(tmp_path, topic_name, clean)
    try:
        if clean:  # a clean shutdown snapshots the state at the log end: nothing to replay
            part_dir = tmp_path / "kafka-logs" / f"{topic_name}-0"
            assert (part_dir / "00000000000000000060.snapshot").exists()
        c = RawClient(b.host, b.port)
        for seq in range(25, 30):  # the last five batches are still known duplicates
            res = c.produce(topic_name, pid, 0, seq * 2, count=2, acks=1)
            assert (res.error_code, res.base_offset) == (0, seq * 2)
        gap = c.produce(topic_name, pid, 0, 100, acks=1)
        assert gap.error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
        assert c.produce(topic_name, pid, 0, 60).base_offset == 60
        # producer ids are never handed out twice, even after kill -9
        assert c.init_producer_id().producer_id > pid
        c.close()
    finally:
        b.stop()
    if clean:
        assert "Rebuilt producer state" not in b.log()


def test_acks_all_duplicate_right_after_kill_9_is_answered(tmp_path, topic_name):
    b, pid = _fill_and_restart(tmp_path, topic_name, clean=False)
    try:
        c = RawClient(b.host, b.port)
        res = c.produce(topic_name, pid, 0, 58, count=2, timeout_ms=2000)
        assert (res.error_code, res.base_offset) == (0, 58)
        c.close()
    finally:
        b.stop()


def test_describe_producers_lists_the_partition_state(client, topic):
    from moldau.protocol._generated.describe_producers_request import (
        DescribeProducersRequest,
        TopicRequest,
    )

    a = client.init_producer_id().producer_id
    b = client.init_producer_id().producer_id
    client.produce(topic, a, 0, 0, count=3)
    client.produce(topic, b, 0, 10, count=2)
    res = client.call(
        ApiKey.DESCRIBE_PRODUCERS,
        0,
        DescribeProducersRequest([TopicRequest(topic, [0, 7])]),
    )
    (t,) = res.topics
    known, unknown = t.partitions
    assert unknown.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    assert known.error_code == 0
    got = {(p.producer_id, p.producer_epoch, p.last_sequence) for p in known.active_producers}
    assert got == {(a, 0, 2), (b, 0, 11)}
    assert all(p.current_txn_start_offset == -1 for p in known.active_producers)


def test_idle_producer_state_expires(tmp_path, topic_name):
    """producer.id.expiration.ms counts from the batch's timestamp (as in Kafka): a batch
    stamped an hour ago is expired at the next check, and the producer is then unknown."""
    b = make_broker(
        tmp_path,
        {"producer.id.expiration.ms": "60000", "producer.id.expiration.check.interval.ms": "1"},
    )
    b.start()
    try:
        c = RawClient(b.host, b.port)
        c.create_topic(topic_name)
        pid = c.init_producer_id().producer_id
        fresh = c.init_producer_id().producer_id
        old = int(time.time() * 1000) - 3_600_000
        assert c.produce(topic_name, pid, 0, 0, count=2, timestamp=old).error_code == 0
        assert c.produce(topic_name, fresh, 0, 0, count=2).error_code == 0
        # pid's state is gone: a gap is accepted
        assert c.produce(topic_name, pid, 0, 50).error_code == 0
        # the fresh producer's state is still there
        assert (
            c.produce(topic_name, fresh, 0, 50).error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
        )
        c.close()
    finally:
        b.stop()


def test_a_recreated_topic_starts_with_no_producer_state(client, topic):
    from moldau.protocol._generated.delete_topics_request import DeleteTopicsRequest

    pid = client.init_producer_id().producer_id
    for seq in range(3):
        assert client.produce(topic, pid, 0, seq).error_code == 0
    res = client.call(
        ApiKey.DELETE_TOPICS, 4, DeleteTopicsRequest(topic_names=[topic], timeout_ms=10_000)
    )
    assert res.responses[0].error_code == 0
    deadline = time.monotonic() + 30
    while True:  # the deletion may take a moment to be accepted for a new create
        try:
            client.create_topic(topic)
            break
        except AssertionError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    # sequence 2 was the last batch of the old topic: in the new one it is appended anew
    again = client.produce(topic, pid, 0, 2)
    assert (again.error_code, again.base_offset) == (0, 0)
    assert client.produce_raw(topic, batch(-1, -1, -1)).base_offset == 1
