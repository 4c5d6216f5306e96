"""The generated readers' inline fast paths agree with the general helpers, byte for byte.

The generator expands small child structs into their parent's function and decodes one- and
two-byte compact lengths of bytes/records inline (see codegen/emit.py). These tests put
hand-made edge cases through a generated reader (ProduceRequest v9, whose records field is a
nullable compact records value inside two nested arrays) and compare with what the flat
helper `read_compact_bytes` says about the same bytes: same value, same error class.
"""

from __future__ import annotations

import pytest

from moldau.protocol._generated import produce_request as preq
from moldau.protocol.errors import ProtocolError, UnsupportedVersionError
from moldau.protocol.primitives import Reader, Writer, read_compact_bytes


def request_with_records_field(field: bytes) -> bytes:
    """A ProduceRequest v9 whose one partition's records field is exactly `field` on the wire."""
    head = bytes([0])  # transactional_id: null
    head += (1).to_bytes(2, "big") + (30000).to_bytes(4, "big")  # acks, timeout_ms
    head += bytes([2, 6]) + b"bench"  # one topic, name "bench"
    head += bytes([2]) + (7).to_bytes(4, "big")  # one partition, index 7
    return head + field + bytes([0, 0, 0])  # partition, topic and request tag sections


def helper_view(field: bytes) -> tuple[object, int] | type[Exception]:
    """What the general helper reads from `field` followed by the three tag bytes."""
    data = memoryview(field + bytes([0, 0, 0]))
    try:
        value, pos = read_compact_bytes(data, 0, len(data), True)
    except ProtocolError as exc:
        return type(exc)
    return (None if value is None else bytes(value)), pos


CASES = {
    "null": bytes([0]),
    "empty": bytes([1]),
    "one-byte length": bytes([11]) + b"0123456789",
    "largest one-byte length": bytes([0x7F]) + b"r" * 126,
    "smallest two-byte length": bytes([0x80, 0x01]) + b"s" * 127,
    "two-byte length": bytes([0x82, 0x08]) + b"k" * 1025,  # 1026 = length + 1
    "largest two-byte length": bytes([0xFF, 0x7F]) + b"m" * 16382,
    "three-byte length": bytes([0x81, 0x80, 0x01]) + b"t" * 16384,
    "non-canonical two-byte empty": bytes([0x81, 0x00]),
    "non-canonical two-byte null": bytes([0x80, 0x00]),
    "non-canonical two-byte short": bytes([0x84, 0x00]) + b"abc",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compact_records_inline_path_matches_helper(name: str) -> None:
    field = CASES[name]
    expected = helper_view(field)
    assert not isinstance(expected, type), f"case {name} should be valid"
    req = preq.ProduceRequest.read(Reader(request_with_records_field(field)), 9)
    part = req.topic_data[0].partition_data[0]
    assert part.index == 7
    value = part.records
    assert (None if value is None else bytes(value)) == expected[0]
    if value is not None:
        assert isinstance(value, memoryview)  # kept as a view, never copied


BAD = {
    "one-byte length past the end": bytes([0x7F]) + b"x" * 10,
    "two-byte length past the end": bytes([0x82, 0x08]) + b"x" * 100,
    "two-byte length cut after its first byte": bytes([0x82]),
    "varint longer than five bytes": bytes([0xFF] * 6),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_compact_records_bad_lengths_raise_protocol_errors(name: str) -> None:
    field = BAD[name]
    frame = request_with_records_field(field)
    # the frame ends right after the field here, as a truncated request would
    frame = frame[: len(frame) - 3]
    with pytest.raises(ProtocolError):
        preq.ProduceRequest.read(Reader(frame), 9)
    with pytest.raises(ProtocolError):
        preq.ProduceRequest.read_from(memoryview(frame), 0, 9)


def test_inline_reader_respects_the_end_of_a_reader() -> None:
    """A Reader ending before the buffer does: the inline paths must stop at its end too."""
    frame = request_with_records_field(bytes([0x82, 0x08]) + b"k" * 1025)
    whole = preq.ProduceRequest.read(Reader(frame), 9)
    assert bytes(whole.topic_data[0].partition_data[0].records) == b"k" * 1025
    for cut in (1, 3, 500, 1026, len(frame) - 4):
        with pytest.raises(ProtocolError):
            preq.ProduceRequest.read(Reader(frame, 0, len(frame) - cut), 9)


def test_read_from_equals_read() -> None:
    req = preq.ProduceRequest(
        transactional_id="tx",
        acks=-1,
        timeout_ms=5,
        topic_data=[
            preq.TopicProduceData(
                name="a",
                partition_data=[
                    preq.PartitionProduceData(index=i, records=bytes([i]) * (i * 100))
                    for i in range(5)
                ],
            )
        ],
    )
    for v in range(3, 14):
        w = Writer()
        req_v = req
        if v >= 13:
            req_v = preq.ProduceRequest(
                transactional_id="tx",
                acks=-1,
                timeout_ms=5,
                topic_data=[
                    preq.TopicProduceData(
                        topic_id=req.topic_data[0].topic_id,
                        partition_data=req.topic_data[0].partition_data,
                    )
                ],
            )
        req_v.write(w, v)
        data = b"pre" + w.getvalue()
        via_reader = preq.ProduceRequest.read(Reader(data, 3), v)
        assert preq.ProduceRequest.read_from(memoryview(data), 3, v) == via_reader
        assert preq.ProduceRequest.read_from(data, 3, v) == via_reader  # bytes are wrapped


def test_read_from_rejects_unknown_versions_and_bad_utf8() -> None:
    with pytest.raises(UnsupportedVersionError):
        preq.ProduceRequest.read_from(memoryview(b""), 0, 99)
    frame = bytearray(request_with_records_field(bytes([1])))
    frame[10] = 0xFF  # inside the topic name
    with pytest.raises(ProtocolError, match="UTF-8"):
        preq.ProduceRequest.read_from(memoryview(frame), 0, 9)
