"""Fixed-budget fuzzing of the record-batch parser, validator, decompressors and iterator.

Random bytes, and valid batches (every codec) put through random mutations, go through each
entry point; the only exceptions allowed out are `ProtocolError`s. Mutated batches get their
CRC repaired half of the time so the mutations reach past the CRC check into the records.
Budget: a few thousand examples in total, well under 20 s on one core.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moldau.protocol.errors import ProtocolError
from moldau.protocol.records.batch import iter_batches, parse_header, rewrite_crc
from moldau.protocol.records.builder import build_batch
from moldau.protocol.records.compression import decompress
from moldau.protocol.records.control import (
    ControlType,
    build_control_batch,
    control_type_of,
    parse_marker,
)
from moldau.protocol.records.record import iter_records
from moldau.protocol.records.validate import recompress_batch, validate_client_batch

pytestmark = pytest.mark.fuzz

LIMIT = 1 << 20  # decompressed-size limit used while fuzzing: keeps every example cheap

FUZZ = settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _seeds() -> list[bytes]:
    recs = [
        (1_700_000_000_000, b"key-1", b"value " * 30, [("trace", b"abc"), ("none", None)]),
        (1_700_000_000_005, None, b"second", []),
        (1_699_999_999_000, b"", None, [("", b"")]),
    ]
    seeds = [
        build_batch(recs, compression=c, producer_id=9, producer_epoch=2, base_sequence=40)
        for c in range(5)
    ]
    seeds.append(
        build_control_batch(
            ControlType.ABORT, producer_id=9, producer_epoch=2, coordinator_epoch=1, timestamp=5
        )
    )
    return seeds


SEEDS = _seeds()


@st.composite
def mutated_batches(draw: st.DrawFn) -> bytes:
    buf = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "int"]))
        if not buf:
            break
        pos = draw(st.integers(0, len(buf) - 1))
        if kind == "flip":
            buf[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            buf[pos] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del buf[pos:]
        elif kind == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del buf[pos : pos + draw(st.integers(1, 8))]
        else:  # an interesting 32-bit value over a header field or inside the records
            value = draw(st.sampled_from([0, 1, -1, 0x7FFFFFFF, -(2**31), 61, 49, 1 << 20]))
            buf[pos : pos + 4] = value.to_bytes(4, "big", signed=True)
    if draw(st.booleans()) and len(buf) >= 61:
        rewrite_crc(buf, 0)  # a length past the end just checksums what is there
    return bytes(buf)


any_input = st.one_of(st.binary(max_size=400), mutated_batches())


def _drive(data: bytes) -> None:
    """Every entry point over `data`; each may only raise ProtocolError."""
    for step in (
        lambda: validate_client_batch(data, max_batch_size=1 << 20, allow_zstd=True),
        lambda: parse_header(data).crc_ok(),
        lambda: recompress_batch(data, 1, max_decompressed=LIMIT),
    ):
        with contextlib.suppress(ProtocolError):
            step()
    try:
        header = parse_header(data)
        for rec in iter_records(header, max_decompressed=LIMIT):
            if header.is_control:
                try:
                    control_type_of(rec.key)
                    parse_marker(rec)
                except ProtocolError:
                    pass
    except ProtocolError:
        pass
    for h in iter_batches(memoryview(data)):
        h.crc_ok()


@FUZZ
@given(any_input)
def test_batch_entry_points_raise_only_protocol_errors(data: bytes) -> None:
    _drive(data)


@settings(FUZZ, max_examples=1000)
@given(st.integers(0, 7), st.binary(max_size=300))
def test_decompressors_raise_only_protocol_errors(codec: int, data: bytes) -> None:
    try:
        out = decompress(codec, data, LIMIT)
    except ProtocolError:
        return
    assert len(out) <= LIMIT


@settings(FUZZ, max_examples=1000)
@given(st.integers(0, 4), mutated_batches())
def test_mutated_compressed_sections(codec: int, data: bytes) -> None:
    # Decompress the (possibly damaged) records section of a mutated batch with every codec.
    with contextlib.suppress(ProtocolError):
        decompress(codec, data[61:], LIMIT)
