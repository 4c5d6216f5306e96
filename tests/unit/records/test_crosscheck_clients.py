"""Differential check against two independent record-batch implementations.

Batches built by kafka-python's DefaultRecordBatchBuilder (pure Python) and by aiokafka's
(Cython) decode with our iterator and pass validate_client_batch, and batches from our builder
decode with their DefaultRecordBatch readers, for every codec each supports here (kafka-python
needs the lz4, python-snappy and zstandard packages, aiokafka needs cramjam; a missing codec
is reported as a skip, never passed silently).
"""

from __future__ import annotations

import pytest
from aiokafka import codec as aiokafka_codec
from aiokafka.record.default_records import DefaultRecordBatch as AioBatch
from aiokafka.record.default_records import DefaultRecordBatchBuilder as AioBuilder
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka import codec as kafka_codec
from kafka.record.default_records import DefaultRecordBatch as KpBatch
from kafka.record.default_records import DefaultRecordBatchBuilder as KpBuilder

from moldau.protocol.records.batch import parse_header
from moldau.protocol.records.builder import build_batch
from moldau.protocol.records.record import iter_records
from moldau.protocol.records.validate import validate_client_batch

from .strategies import headers, producer_fields, timestamps

IMPLS = {
    "kafka-python": (KpBuilder, KpBatch, kafka_codec),
    "aiokafka": (AioBuilder, AioBatch, aiokafka_codec),
}


def _available(codec_module, codec: int) -> bool:  # type: ignore[no-untyped-def]
    checks = [
        lambda: True,
        codec_module.has_gzip,
        codec_module.has_snappy,
        codec_module.has_lz4,
        codec_module.has_zstd,
    ]
    return bool(checks[codec]())


CASES = [
    pytest.param(
        name,
        c,
        id=f"{name}-{c}",
        marks=pytest.mark.skipif(not _available(mod, c), reason=f"{name} lacks codec {c}"),
    )
    for name, (_, _, mod) in IMPLS.items()
    for c in range(5)
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


def _theirs(raw: bytes | bytearray, impl: str) -> list[tuple[object, ...]]:
    batch = IMPLS[impl][1](bytearray(raw))
    assert batch.validate_crc()
    return [
        (r.offset, r.timestamp, _norm(r.key), _norm(r.value), [(k, _norm(v)) for k, v in r.headers])
        for r in batch
    ]


@pytest.mark.parametrize(("impl", "codec"), CASES)
@settings(max_examples=30, deadline=None)
@given(recs=cross_records, producer=producer_fields)
def test_they_build_we_read(impl: str, codec: int, recs, producer) -> None:  # type: ignore[no-untyped-def]
    pid, epoch, seq = producer
    builder = IMPLS[impl][0](
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
        assert header.compression == codec  # it really compressed the batch
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == producer
    assert _ours(raw) == _theirs(raw, impl)
    assert [o for o, *_ in _ours(raw)] == list(range(len(recs)))


@pytest.mark.parametrize(("impl", "codec"), CASES)
@settings(max_examples=30, deadline=None)
@given(recs=cross_records, producer=producer_fields, transactional=st.booleans())
def test_we_build_they_read(impl: str, codec: int, recs, producer, transactional) -> None:  # type: ignore[no-untyped-def]
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
    batch = IMPLS[impl][1](bytearray(raw))
    assert batch.compression_type == codec
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == producer
    assert batch.is_transactional == txn
    assert batch.last_offset_delta == len(recs) - 1
    assert batch.first_timestamp == parse_header(raw).base_timestamp
    expected = [(i, ts, k, v, [(hk, hv) for hk, hv in h]) for i, (ts, k, v, h) in enumerate(recs)]
    assert _theirs(raw, impl) == expected == _ours(raw)
