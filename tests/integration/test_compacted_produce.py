"""Produce to compacted topics against a real broker: as in Kafka, a batch holding a record
without a key is refused with INVALID_RECORD (compaction keeps the last record of each key,
so a keyless record could never be compacted), whatever its codec; keyed records and
tombstones (a key with a null value) go in. Driven with hand-built batches and with
confluent-kafka."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
)

from moldau.protocol._generated import ApiKey
from moldau.protocol._generated.init_producer_id_request import InitProducerIdRequest
from moldau.protocol._generated.produce_request import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.records.builder import build_batch
from tests.integration.rawclient import RawClient

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def _create(bootstrap: str, topic: str, config: dict[str, str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config=config)])[topic].result(10)


def _batch(keys: list[bytes | None], codec: int = 0, **producer: int) -> bytes:
    now = int(time.time() * 1000)
    return build_batch(
        [(now, key, b"value-%d" % i, []) for i, key in enumerate(keys)],
        compression=codec,
        **producer,
    )


def _produce(client: RawClient, topic: str, records: bytes, version: int = 9):
    res = client.request(
        ApiKey.PRODUCE,
        version,
        ProduceRequest(
            transactional_id=None,
            acks=-1,
            timeout_ms=10_000,
            topic_data=[
                TopicProduceData(
                    name=topic,
                    partition_data=[PartitionProduceData(index=0, records=records)],
                )
            ],
        ),
    )
    return res.responses[0].partition_responses[0]


@pytest.fixture
def client(broker):
    with RawClient(broker.host, broker.port) as c:
        yield c


@pytest.mark.parametrize("codec", list(CODECS), ids=list(CODECS))
def test_a_keyless_record_refuses_the_whole_batch(broker, client, topic_name, codec):
    _create(broker.bootstrap, topic_name, {"cleanup.policy": "compact"})
    c = CODECS[codec]
    assert _produce(client, topic_name, _batch([b"a", b"b"], c)).base_offset == 0
    res = _produce(client, topic_name, _batch([b"a", None, b"c", None], c))
    assert res.error_code == ErrorCode.INVALID_RECORD == 87
    assert res.base_offset == -1
    # Kafka 4.3's wording (checked against it)
    why = f"Compacted topic cannot accept message without key in topic partition {topic_name}-0"
    assert res.error_message == (
        "One or more records have been rejected due to 2 record errors in total, and only "
        f"showing the first three errors at most: [RecordError(batchIndex=1, message='{why}'), "
        f"RecordError(batchIndex=3, message='{why}')]"
    )
    # v8+ names the faulty records by their index in the batch
    assert [e.batch_index for e in res.record_errors] == [1, 3]
    assert all(e.batch_index_error_message == why for e in res.record_errors)
    old = _produce(client, topic_name, _batch([None], c), version=7)
    assert old.error_code == ErrorCode.INVALID_RECORD and old.record_errors == []
    # nothing of the refused batches was appended
    assert _produce(client, topic_name, _batch([b"d"], c)).base_offset == 2


def test_tombstones_and_empty_keys_are_keys(broker, client, topic_name):
    _create(broker.bootstrap, topic_name, {"cleanup.policy": "compact"})
    now = int(time.time() * 1000)
    tombstone = build_batch([(now, b"gone", None, []), (now, b"", b"empty key", [])])
    res = _produce(client, topic_name, tombstone)
    assert (res.error_code, res.base_offset) == (0, 0)


@pytest.mark.parametrize("policy", ["compact,delete", "delete,compact"])
def test_compact_with_delete_needs_keys_too(broker, client, topic_name, policy):
    _create(broker.bootstrap, topic_name, {"cleanup.policy": policy})
    assert _produce(client, topic_name, _batch([None])).error_code == ErrorCode.INVALID_RECORD
    assert _produce(client, topic_name, _batch([b"k"])).error_code == 0


def test_delete_policy_takes_keyless_records(broker, client, topic_name):
    _create(broker.bootstrap, topic_name, {"cleanup.policy": "delete"})
    assert _produce(client, topic_name, _batch([None, None])).base_offset == 0


def test_switching_a_topic_to_compact_applies_at_once(broker, client, topic_name):
    _create(broker.bootstrap, topic_name, {})
    assert _produce(client, topic_name, _batch([None])).error_code == 0
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    resource = ConfigResource(
        ConfigResource.Type.TOPIC,
        topic_name,
        incremental_configs=[
            ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    for fut in admin.incremental_alter_configs([resource]).values():
        fut.result(10)
    assert _produce(client, topic_name, _batch([None])).error_code == ErrorCode.INVALID_RECORD
    assert _produce(client, topic_name, _batch([b"k"])).base_offset == 1


def test_refused_idempotent_batch_leaves_no_producer_state(broker, client, topic_name):
    _create(broker.bootstrap, topic_name, {"cleanup.policy": "compact"})
    init = client.request(
        ApiKey.INIT_PRODUCER_ID,
        4,
        InitProducerIdRequest(
            transactional_id=None, transaction_timeout_ms=60_000, producer_id=-1, producer_epoch=-1
        ),
    )
    ids = {"producer_id": init.producer_id, "producer_epoch": 0}
    res = _produce(client, topic_name, _batch([b"a", None], base_sequence=0, **ids))
    assert res.error_code == ErrorCode.INVALID_RECORD
    # sequence 0 is still the next one: the refused batch was neither appended nor cached
    res = _produce(client, topic_name, _batch([b"a", b"b"], base_sequence=0, **ids))
    assert (res.error_code, res.base_offset) == (0, 0)
    res = _produce(client, topic_name, _batch([b"c"], base_sequence=2, **ids))
    assert (res.error_code, res.base_offset) == (0, 2)


def test_malformed_records_on_a_compacted_topic_are_invalid_record(broker, client, topic_name):
    # On compacted topics every record is decoded instead of walked: the same errors apply.
    _create(broker.bootstrap, topic_name, {"cleanup.policy": "compact"})
    from moldau.protocol.records.batch import rewrite_crc

    raw = bytearray(_batch([b"a", b"b"]))
    raw[61] += 2  # the first record's length claims one byte more
    rewrite_crc(raw, 0)
    assert _produce(client, topic_name, bytes(raw)).error_code == ErrorCode.INVALID_RECORD


# ------------------------------------------------------------------ confluent-kafka


@pytest.mark.parametrize("idempotence", [False, True], ids=["plain", "idempotent"])
@pytest.mark.parametrize("codec", ["none", "lz4"])
def test_confluent_producer_null_key_gets_invalid_record(broker, topic_name, codec, idempotence):
    _create(broker.bootstrap, topic_name, {"cleanup.policy": "compact"})
    p = Producer(
        {
            "bootstrap.servers": broker.bootstrap,
            "compression.type": codec,
            "enable.idempotence": idempotence,
            "linger.ms": 0,
        }
    )
    results: list[tuple[bytes | None, KafkaError | None]] = []

    def report(err: KafkaError | None, msg: object) -> None:
        results.append((msg.key(), err))  # type: ignore[attr-defined]

    # One at a time: librdkafka would put both in one batch, refused as a whole.
    p.produce(topic_name, value=b"no key", on_delivery=report)
    assert p.flush(20) == 0
    p.produce(topic_name, key=b"k", value=b"keyed", on_delivery=report)
    assert p.flush(20) == 0
    (none_key, none_err), (key, key_err) = results
    assert none_key is None and none_err is not None
    assert none_err.code() == KafkaError.INVALID_RECORD
    assert (key, key_err) == (b"k", None)
