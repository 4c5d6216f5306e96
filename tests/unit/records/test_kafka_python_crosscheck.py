"""Differential check against kafka-python's independent record-batch code.

Batches built by kafka-python's DefaultRecordBatchBuilder decode with our iterator (and pass
validate_client_batch), and batches from our builder decode with kafka-python's
DefaultRecordBatch, for every codec kafka-python supports here (it needs the lz4,
python-snappy and zstandard packages; a missing one skips that codec, never passes silently).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka import codec as kafka_codec
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

from moldau.protocol.records.batch import parse_header
from moldau.protocol.records.builder import build_batch
from moldau.protocol.records.record import iter_records
from moldau.protocol.records.validate import validate_client_batch

from .strategies import headers, producer_fields, timestamps

_AVAILABLE = {
    0: True,
    1: kafka_codec.has_gzip(),
    2: kafka_codec.has_snappy(),
    3: kafka_codec.has_lz4(),
    4: kafka_codec.has_zstd(),
}
CODECS = [
    pytest.param(c, marks=pytest.mark.skipif(not ok, reason="kafka-python lacks this codec"))
    for c, ok in _AVAILABLE.items()
]

# Values long and repetitive enough that kafka-python does compress (it falls back to an
# uncompressed batch when compression does not pay off).
compressible = st.one_of(
    st.none(), st.binary(max_size=20).map(lambda b: b * 20 + b"0123456789" * 10)
)
cross_records = st.lists(
    st.tuples(timestamps, compressible, compressible, headers), min_size=1, max_size=20
)


def _norm(b: object) -> bytes | None:
    return None if b is None else bytes(b)  # type: ignore[call-overload]


def _ours(raw: bytes | bytearray) -> list[tuple[object, ...]]:
    return [
        (r.offset, r.timestamp, _norm(r.key), _norm(r.value), [(k, _norm(v)) for k, v in r.headers])
        for r in iter_records(raw)
    ]


def _theirs(raw: bytes | bytearray) -> list[tuple[object, ...]]:
    batch = DefaultRecordBatch(bytearray(raw))
    assert batch.validate_crc()
    return [
        (r.offset, r.timestamp, _norm(r.key), _norm(r.value), [(k, _norm(v)) for k, v in r.headers])
        for r in batch
    ]


@pytest.mark.parametrize("codec", CODECS)
@settings(max_examples=40, deadline=None)
@given(recs=cross_records, producer=producer_fields)
def test_kafka_python_builds_we_read(codec: int, recs, producer) -> None:  # type: ignore[no-untyped-def]
    pid, epoch, seq = producer
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=codec,
        is_transactional=False,
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        batch_size=1 << 30,
    )
    for i, (ts, key, value, hdrs) in enumerate(recs):
        builder.append(i, timestamp=ts, key=key, value=value, headers=hdrs)
    raw = bytes(builder.build())
    header = validate_client_batch(raw)
    if sum(len(k or b"") + len(v or b"") for _, k, v, _ in recs) > 400:
        assert header.compression == codec  # kafka-python really compressed it
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == producer
    assert _ours(raw) == _theirs(raw)
    assert [o for o, *_ in _ours(raw)] == list(range(len(recs)))


@pytest.mark.parametrize("codec", CODECS)
@settings(max_examples=40, deadline=None)
@given(recs=cross_records, producer=producer_fields, transactional=st.booleans())
def test_we_build_kafka_python_reads(codec: int, recs, producer, transactional) -> None:  # type: ignore[no-untyped-def]
    pid, epoch, seq = producer
    txn = transactional and pid >= 0
    raw = build_batch(
        recs,
        compression=codec,
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        transactional=txn,
    )
    batch = DefaultRecordBatch(bytearray(raw))
    assert batch.compression_type == codec
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == producer
    assert batch.is_transactional == txn
    assert batch.last_offset_delta == len(recs) - 1
    assert batch.first_timestamp == parse_header(raw).base_timestamp
    expected = [(i, ts, k, v, [(hk, hv) for hk, hv in h]) for i, (ts, k, v, h) in enumerate(recs)]
    assert _theirs(raw) == expected == _ours(raw)
