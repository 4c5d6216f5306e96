"""Valid requests of every served API with random bit flips, over raw sockets: each gets an
answer or a closed connection, never a handler crash (an ERROR line in the broker log), and
the broker keeps serving."""

from __future__ import annotations

import contextlib
import random
import socket
import struct

import pytest

from moldau.protocol._generated.api_versions_request import ApiVersionsRequest
from moldau.protocol._generated.create_partitions_request import (
    CreatePartitionsRequest,
    CreatePartitionsTopic,
)
from moldau.protocol._generated.create_topics_request import CreatableTopic, CreateTopicsRequest
from moldau.protocol._generated.delete_records_request import (
    DeleteRecordsPartition,
    DeleteRecordsRequest,
    DeleteRecordsTopic,
)
from moldau.protocol._generated.describe_configs_request import (
    DescribeConfigsRequest,
    DescribeConfigsResource,
)
from moldau.protocol._generated.fetch_request import FetchPartition, FetchRequest, FetchTopic
from moldau.protocol._generated.incremental_alter_configs_request import (
    AlterableConfig,
    AlterConfigsResource,
    IncrementalAlterConfigsRequest,
)
from moldau.protocol._generated.list_offsets_request import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsTopic,
)
from moldau.protocol._generated.metadata_request import MetadataRequest, MetadataRequestTopic
from moldau.protocol._generated.produce_request import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from moldau.protocol.quirks import encode_request
from moldau.protocol.records.builder import build_batch
from tests.integration.rawclient import RawClient

TOPIC = "mutation-target"


def _requests() -> list[tuple[int, int, object]]:
    batch = build_batch([(1, b"k", b"value" * 10, [("h", b"x")])])
    return [
        (18, 3, ApiVersionsRequest("mut", "1")),
        (3, 12, MetadataRequest(topics=[MetadataRequestTopic(name=TOPIC)])),
        (
            0,
            9,
            ProduceRequest(
                acks=1,
                timeout_ms=1000,
                topic_data=[
                    TopicProduceData(name=TOPIC, partition_data=[PartitionProduceData(0, batch)])
                ],
            ),
        ),
        (
            0,
            3,
            ProduceRequest(
                acks=-1,
                timeout_ms=1000,
                topic_data=[
                    TopicProduceData(name=TOPIC, partition_data=[PartitionProduceData(0, batch)])
                ],
            ),
        ),
        (
            1,
            12,
            FetchRequest(
                replica_id=-1,
                max_wait_ms=10,
                min_bytes=1,
                max_bytes=1 << 20,
                topics=[
                    FetchTopic(
                        topic=TOPIC,
                        partitions=[
                            FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=1 << 16)
                        ],
                    )
                ],
            ),
        ),
        (
            1,
            4,
            FetchRequest(
                replica_id=-1,
                max_wait_ms=10,
                min_bytes=1,
                max_bytes=1 << 20,
                topics=[
                    FetchTopic(
                        topic=TOPIC,
                        partitions=[
                            FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=1 << 16)
                        ],
                    )
                ],
            ),
        ),
        (
            2,
            7,
            ListOffsetsRequest(
                replica_id=-1,
                topics=[ListOffsetsTopic(name=TOPIC, partitions=[ListOffsetsPartition(0, -1, -3)])],
            ),
        ),
        (
            19,
            7,
            CreateTopicsRequest(
                topics=[CreatableTopic(name="mut-x", num_partitions=1, replication_factor=1)],
                timeout_ms=1000,
            ),
        ),
        (
            37,
            3,
            CreatePartitionsRequest(
                topics=[CreatePartitionsTopic(name=TOPIC, count=2)],
                timeout_ms=1000,
                validate_only=True,
            ),
        ),
        (
            21,
            2,
            DeleteRecordsRequest(
                topics=[DeleteRecordsTopic(name=TOPIC, partitions=[DeleteRecordsPartition(0, 0)])],
                timeout_ms=1000,
            ),
        ),
        (
            32,
            4,
            DescribeConfigsRequest(
                resources=[DescribeConfigsResource(2, TOPIC, None)],
                include_synonyms=True,
                include_documentation=True,
            ),
        ),
        (
            44,
            1,
            IncrementalAlterConfigsRequest(
                resources=[
                    AlterConfigsResource(2, TOPIC, [AlterableConfig("retention.ms", 0, "1000000")])
                ],
                validate_only=True,
            ),
        ),
    ]


def _send_and_see(host: str, port: int, data: bytes) -> None:
    """Send one frame; wait for an answer or the close (either is fine)."""
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(data)
        s.settimeout(5)
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            s.recv(65536)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_requests_never_crash_a_handler(broker, seed):
    with RawClient(broker.host, broker.port) as c:
        c.request(3, 12, MetadataRequest(topics=[MetadataRequestTopic(name=TOPIC)]))
    rng = random.Random(seed)
    for api_key, version, body in _requests():
        frame = bytearray(encode_request(api_key, version, 7, "mut", body))
        for _ in range(12):
            mutated = bytearray(frame)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(12, len(mutated))  # keep size, key, version, correlation id
                mutated[i] = rng.randrange(256)
            struct.pack_into(">i", mutated, 0, len(mutated) - 4)
            _send_and_see(broker.host, broker.port, bytes(mutated))
    with RawClient(broker.host, broker.port) as c:
        assert c.request(18, 0, ApiVersionsRequest()).error_code == 0
    if not broker.external:
        log = broker.log()
        assert "ERROR" not in log and "Traceback" not in log, log[-5000:]
