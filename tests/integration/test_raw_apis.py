"""Protocol details checked over a raw socket with moldau's codec: version ranges, Metadata
variants, Fetch limits and errors, ListOffsets, OffsetForLeaderEpoch, DeleteTopics by id,
DescribeLogDirs."""

from __future__ import annotations

from moldau.protocol._generated.api_versions_request import ApiVersionsRequest
from moldau.protocol._generated.create_topics_request import (
    CreatableTopic,
    CreatableTopicConfig,
    CreateTopicsRequest,
)
from moldau.protocol._generated.delete_topics_request import DeleteTopicsRequest, DeleteTopicState
from moldau.protocol._generated.describe_log_dirs_request import (
    DescribableLogDirTopic,
    DescribeLogDirsRequest,
)
from moldau.protocol._generated.fetch_request import FetchPartition, FetchRequest, FetchTopic
from moldau.protocol._generated.list_offsets_request import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsTopic,
)
from moldau.protocol._generated.metadata_request import MetadataRequest, MetadataRequestTopic
from moldau.protocol._generated.offset_for_leader_epoch_request import (
    OffsetForLeaderEpochRequest,
    OffsetForLeaderPartition,
    OffsetForLeaderTopic,
)
from moldau.protocol._generated.produce_request import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.primitives import ZERO_UUID
from moldau.protocol.quirks import encode_request
from moldau.protocol.records.batch import iter_batches
from moldau.protocol.records.builder import build_batch
from moldau.protocol.records.record import decode_records, records_payload
from tests.integration.rawclient import RawClient

PRODUCE, FETCH, LIST_OFFSETS, METADATA, API_VERSIONS = 0, 1, 2, 3, 18
CREATE_TOPICS, DELETE_TOPICS, OFFSET_FOR_LEADER_EPOCH, DESCRIBE_LOG_DIRS = 19, 20, 23, 35


def _create(c: RawClient, topic: str, partitions: int = 1) -> None:
    resp = c.request(
        CREATE_TOPICS,
        7,
        CreateTopicsRequest(
            topics=[CreatableTopic(name=topic, num_partitions=partitions, replication_factor=1)],
            timeout_ms=10000,
        ),
    )
    assert resp.topics[0].error_code == 0, resp.topics[0].error_message


def _produce(
    c: RawClient, topic: str, values: list[bytes], acks: int = -1, partition: int = 0
) -> int:
    batch = build_batch([(1_700_000_000_000 + i, None, v, []) for i, v in enumerate(values)])
    resp = c.request(
        PRODUCE,
        9,
        ProduceRequest(
            acks=acks,
            timeout_ms=5000,
            topic_data=[
                TopicProduceData(
                    name=topic, partition_data=[PartitionProduceData(partition, batch)]
                )
            ],
        ),
    )
    part = resp.responses[0].partition_responses[0]
    assert part.error_code == 0
    return part.base_offset


def _fetch(
    c: RawClient,
    topic: str,
    offset: int,
    *,
    version: int = 12,
    partition_max: int = 1 << 20,
    max_bytes: int = 1 << 24,
    min_bytes: int = 1,
    max_wait: int = 0,
    session_id: int = 0,
    isolation: int = 0,
):
    return c.request(
        FETCH,
        version,
        FetchRequest(
            replica_id=-1,
            max_wait_ms=max_wait,
            min_bytes=min_bytes,
            max_bytes=max_bytes,
            isolation_level=isolation,
            session_id=session_id,
            session_epoch=-1 if session_id == 0 else 1,
            topics=[
                FetchTopic(
                    topic=topic,
                    partitions=[
                        FetchPartition(
                            partition=0, fetch_offset=offset, partition_max_bytes=partition_max
                        )
                    ],
                )
            ],
        ),
    )


def test_advertised_versions(broker):
    with RawClient(broker.host, broker.port) as c:
        resp = c.request(API_VERSIONS, 4, ApiVersionsRequest("raw", "1"))
    ranges = {k.api_key: (k.min_version, k.max_version) for k in resp.api_keys}
    assert ranges[PRODUCE] == (0, 12)
    assert ranges[FETCH] == (4, 12)
    assert ranges[METADATA] == (0, 12)
    assert ranges[LIST_OFFSETS] == (1, 7)
    assert ranges[API_VERSIONS] == (0, 4)
    assert ranges[CREATE_TOPICS] == (2, 7)
    assert ranges[DELETE_TOPICS] == (1, 6)


def test_metadata_versions(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        _create(c, topic_name, 2)
        v0 = c.request(METADATA, 0, MetadataRequest(topics=[]))  # v0: empty list = all topics
        assert topic_name in {t.name for t in v0.topics}
        none = c.request(METADATA, 1, MetadataRequest(topics=[]))  # v1+: empty list = none
        assert none.topics == []
        assert none.controller_id == 0
        full = c.request(
            METADATA, 12, MetadataRequest(topics=[MetadataRequestTopic(name=topic_name)])
        )
        t = full.topics[0]
        assert t.error_code == 0 and t.topic_id != ZERO_UUID and len(t.partitions) == 2
        assert full.cluster_id
        by_id = c.request(
            METADATA,
            12,
            MetadataRequest(topics=[MetadataRequestTopic(topic_id=t.topic_id, name=None)]),
        )
        assert by_id.topics[0].name == topic_name
        missing = c.request(
            METADATA,
            12,
            MetadataRequest(
                topics=[MetadataRequestTopic(name="no-such-" + topic_name)],
                allow_auto_topic_creation=False,
            ),
        )
        assert missing.topics[0].error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        bad = c.request(
            METADATA, 12, MetadataRequest(topics=[MetadataRequestTopic(name="bad name!")])
        )
        assert bad.topics[0].error_code == ErrorCode.INVALID_TOPIC_EXCEPTION


def test_fetch_limits_and_errors(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        _create(c, topic_name)
        for i in range(5):
            _produce(c, topic_name, [bytes([i]) * 1000] * 3)  # 5 batches of 3 records
        whole = _fetch(c, topic_name, 0).responses[0].partitions[0]
        assert (whole.error_code, whole.high_watermark, whole.last_stable_offset) == (0, 15, 15)
        assert whole.log_start_offset == 0
        assert whole.preferred_read_replica == -1
        batches = list(iter_batches(memoryview(bytes(whole.records))))
        assert [b.base_offset for b in batches] == [0, 3, 6, 9, 12]
        one = len(bytes(whole.records)) // 5
        # partition_max_bytes smaller than a batch: still the first whole batch (KIP-74)
        small = _fetch(c, topic_name, 3, partition_max=10).responses[0].partitions[0]
        assert [b.base_offset for b in iter_batches(memoryview(bytes(small.records)))] == [3]
        two = _fetch(c, topic_name, 0, partition_max=2 * one).responses[0].partitions[0]
        assert len(list(iter_batches(memoryview(bytes(two.records))))) == 2
        capped = _fetch(c, topic_name, 0, max_bytes=2 * one).responses[0].partitions[0]
        assert len(list(iter_batches(memoryview(bytes(capped.records))))) == 2
        # an offset inside a batch returns that batch
        mid = _fetch(c, topic_name, 7).responses[0].partitions[0]
        assert next(iter_batches(memoryview(bytes(mid.records)))).base_offset == 6
        out = _fetch(c, topic_name, 99).responses[0].partitions[0]
        assert out.error_code == ErrorCode.OFFSET_OUT_OF_RANGE
        assert out.high_watermark == 15
        at_end = _fetch(c, topic_name, 15, max_wait=50).responses[0].partitions[0]
        assert at_end.error_code == 0 and len(bytes(at_end.records or b"")) == 0
        committed = _fetch(c, topic_name, 0, isolation=1).responses[0].partitions[0]
        assert committed.aborted_transactions == [] and committed.last_stable_offset == 15
        old = _fetch(c, topic_name, 0, version=4).responses[0].partitions[0]
        assert old.high_watermark == 15
        sess = _fetch(c, topic_name, 0, session_id=12345)
        assert sess.error_code == ErrorCode.FETCH_SESSION_ID_NOT_FOUND
        unknown = _fetch(c, "no-such-" + topic_name, 0).responses[0].partitions[0]
        assert unknown.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def test_list_offsets_and_leader_epochs(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        _create(c, topic_name)
        _produce(c, topic_name, [b"a", b"b", b"c"])
        _produce(c, topic_name, [b"d", b"e"])

        def lookup(ts: int, version: int = 7):
            resp = c.request(
                LIST_OFFSETS,
                version,
                ListOffsetsRequest(
                    replica_id=-1,
                    topics=[
                        ListOffsetsTopic(
                            name=topic_name, partitions=[ListOffsetsPartition(0, -1, ts)]
                        )
                    ],
                ),
            )
            return resp.topics[0].partitions[0]

        assert lookup(-1).offset == 5
        assert lookup(-2).offset == 0
        newest = lookup(-3)  # the record with the largest timestamp: "c" (ts base+2)
        assert (newest.offset, newest.timestamp) == (2, 1_700_000_000_002)
        found = lookup(1_700_000_000_001)
        assert (found.offset, found.timestamp) == (1, 1_700_000_000_001)
        assert lookup(1_800_000_000_000).offset == -1
        assert lookup(-1, version=1).offset == 5
        assert lookup(-1).leader_epoch == 0
        resp = c.request(
            OFFSET_FOR_LEADER_EPOCH,
            4,
            OffsetForLeaderEpochRequest(
                replica_id=-1,
                topics=[
                    OffsetForLeaderTopic(
                        topic=topic_name, partitions=[OffsetForLeaderPartition(0, 0, 0)]
                    )
                ],
            ),
        )
        part = resp.topics[0].partitions[0]
        assert (part.error_code, part.leader_epoch, part.end_offset) == (0, 0, 5)
        fenced = c.request(
            OFFSET_FOR_LEADER_EPOCH,
            4,
            OffsetForLeaderEpochRequest(
                replica_id=-1,
                topics=[
                    OffsetForLeaderTopic(
                        topic=topic_name, partitions=[OffsetForLeaderPartition(0, 7, 0)]
                    )
                ],
            ),
        )
        assert fenced.topics[0].partitions[0].error_code == ErrorCode.UNKNOWN_LEADER_EPOCH


def test_delete_topic_by_id_and_log_dirs(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        _create(c, topic_name, 2)
        _produce(c, topic_name, [b"x" * 100])
        dirs = c.request(
            DESCRIBE_LOG_DIRS,
            4,
            DescribeLogDirsRequest(
                topics=[DescribableLogDirTopic(topic=topic_name, partitions=[0, 1])]
            ),
        )
        result = dirs.results[0]
        assert result.error_code == 0 and result.total_bytes > 0
        sizes = {p.partition_index: p.partition_size for p in result.topics[0].partitions}
        assert sizes[0] > 100 and sizes[1] == 0
        md = c.request(
            METADATA, 12, MetadataRequest(topics=[MetadataRequestTopic(name=topic_name)])
        )
        tid = md.topics[0].topic_id
        resp = c.request(
            DELETE_TOPICS,
            6,
            DeleteTopicsRequest(
                topics=[DeleteTopicState(name=None, topic_id=tid)], timeout_ms=5000
            ),
        )
        r = resp.responses[0]
        assert (r.error_code, r.name, r.topic_id) == (0, topic_name, tid)
        again = c.request(
            DELETE_TOPICS,
            6,
            DeleteTopicsRequest(
                topics=[DeleteTopicState(name=None, topic_id=tid)], timeout_ms=5000
            ),
        )
        assert again.responses[0].error_code == ErrorCode.UNKNOWN_TOPIC_ID


def test_acks_all_and_acks_zero_raw(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        _create(c, topic_name)
        assert _produce(c, topic_name, [b"1"], acks=-1) == 0
        # acks=0: no answer; the next request's answer comes back first and alone
        batch = build_batch([(1, None, b"2", [])])
        c.send(
            PRODUCE,
            9,
            ProduceRequest(
                acks=0,
                timeout_ms=5000,
                topic_data=[
                    TopicProduceData(
                        name=topic_name, partition_data=[PartitionProduceData(0, batch)]
                    )
                ],
            ),
        )
        assert _produce(c, topic_name, [b"3"], acks=1) == 2


def test_answers_keep_request_order_when_handlers_finish_out_of_order(broker, topic_name):
    """A long-polling fetch sent first is answered first, although the ApiVersions and
    Metadata requests behind it finish long before it."""
    with RawClient(broker.host, broker.port) as c:
        _create(c, topic_name)
        fetch = FetchRequest(
            replica_id=-1,
            max_wait_ms=800,
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
        )
        c.send_raw(
            encode_request(FETCH, 12, 500, "o", fetch)
            + encode_request(API_VERSIONS, 3, 501, "o", ApiVersionsRequest("o", "1"))
            + encode_request(METADATA, 12, 502, "o", MetadataRequest(topics=None))
        )
        assert c.receive(FETCH, 12)[0] == 500
        assert c.receive(API_VERSIONS, 3)[0] == 501
        assert c.receive(METADATA, 12)[0] == 502


def test_topic_compression_type_recompresses(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        resp = c.request(
            CREATE_TOPICS,
            7,
            CreateTopicsRequest(
                topics=[
                    CreatableTopic(
                        name=topic_name,
                        num_partitions=1,
                        replication_factor=1,
                        configs=[CreatableTopicConfig("compression.type", "zstd")],
                    )
                ],
                timeout_ms=10000,
            ),
        )
        assert resp.topics[0].error_code == 0
        values = [b"compress me " * 50 for _ in range(10)]
        assert _produce(c, topic_name, values) == 0
        part = _fetch(c, topic_name, 0).responses[0].partitions[0]
        batches = list(iter_batches(memoryview(bytes(part.records))))
        assert len(batches) == 1
        assert batches[0].compression == 4  # stored as zstd although sent uncompressed
        assert batches[0].records_count == 10 and batches[0].crc_ok()
        got = [r.value for r in decode_records(records_payload(batches[0]), 10)]
        assert [bytes(v) for v in got] == values


def test_clients_cannot_write_internal_topics(broker):
    with RawClient(broker.host, broker.port) as c:
        batch = build_batch([(1, b"k", b"v", [])])
        resp = c.request(
            PRODUCE,
            9,
            ProduceRequest(
                acks=1,
                timeout_ms=5000,
                topic_data=[
                    TopicProduceData(
                        name="__consumer_offsets", partition_data=[PartitionProduceData(0, batch)]
                    )
                ],
            ),
        )
        assert (
            resp.responses[0].partition_responses[0].error_code == ErrorCode.INVALID_TOPIC_EXCEPTION
        )


def test_acks_all_needs_min_insync_replicas(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        resp = c.request(
            CREATE_TOPICS,
            7,
            CreateTopicsRequest(
                topics=[
                    CreatableTopic(
                        name=topic_name,
                        num_partitions=1,
                        replication_factor=1,
                        configs=[CreatableTopicConfig("min.insync.replicas", "2")],
                    )
                ],
                timeout_ms=10000,
            ),
        )
        assert resp.topics[0].error_code == 0

        def produce(acks: int) -> int:
            batch = build_batch([(1, None, b"v", [])])
            r = c.request(
                PRODUCE,
                9,
                ProduceRequest(
                    acks=acks,
                    timeout_ms=5000,
                    topic_data=[
                        TopicProduceData(
                            name=topic_name, partition_data=[PartitionProduceData(0, batch)]
                        )
                    ],
                ),
            )
            return r.responses[0].partition_responses[0].error_code

        assert produce(-1) == ErrorCode.NOT_ENOUGH_REPLICAS
        assert produce(1) == 0


def test_big_topic_is_ready_when_create_topics_answers(broker, topic_name):
    with RawClient(broker.host, broker.port) as c:
        _create(c, topic_name, 300)
        assert _produce(c, topic_name, [b"last"], partition=299) == 0
        md = c.request(
            METADATA, 12, MetadataRequest(topics=[MetadataRequestTopic(name=topic_name)])
        )
        parts = md.topics[0].partitions
        assert len(parts) == 300 and all(p.error_code == 0 and p.leader_id == 0 for p in parts)


def test_deleting_a_topic_while_its_partitions_are_being_opened(broker, topic_name):
    with (
        RawClient(broker.host, broker.port) as creator,
        RawClient(broker.host, broker.port) as deleter,
    ):
        creator.send(
            CREATE_TOPICS,
            7,
            CreateTopicsRequest(
                topics=[CreatableTopic(name=topic_name, num_partitions=2000, replication_factor=1)],
                timeout_ms=60000,
            ),
        )
        # poll until the topic exists in the metadata, then delete it at once
        for _ in range(1000):
            md = deleter.request(
                METADATA,
                12,
                MetadataRequest(
                    topics=[MetadataRequestTopic(name=topic_name)], allow_auto_topic_creation=False
                ),
            )
            if md.topics[0].error_code == 0:
                break
        resp = deleter.request(
            DELETE_TOPICS,
            6,
            DeleteTopicsRequest(topics=[DeleteTopicState(name=topic_name)], timeout_ms=5000),
        )
        assert resp.responses[0].error_code == 0
        _, created = creator.receive(CREATE_TOPICS, 7)
        assert created.topics[0].error_code == 0
        md = deleter.request(
            METADATA,
            12,
            MetadataRequest(
                topics=[MetadataRequestTopic(name=topic_name)], allow_auto_topic_creation=False
            ),
        )
        assert md.topics[0].error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    if not broker.external:
        assert "ERROR" not in broker.log()
    # the same name can be created again, from scratch
    with RawClient(broker.host, broker.port) as c:
        _create(c, topic_name, 2)
        assert _produce(c, topic_name, [b"again"], partition=1) == 0
