"""Fuzz the request decoder: random frames and mutated valid frames may only raise ProtocolError.

Budget is fixed (a few thousand examples) so CI time stays predictable.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moldau.protocol._generated import APIS, request_class
from moldau.protocol.errors import ProtocolError
from moldau.protocol.framing import FrameSplitter
from moldau.protocol.quirks import decode_request, encode_request

pytestmark = pytest.mark.fuzz

FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))


def _decode(frame: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_request(memoryview(frame))


def _valid_frames() -> list[bytes]:
    """A default-valued request of every API at its lowest and highest version."""
    frames = []
    for key, _spec in APIS.items():
        cls = request_class(key)
        lo, hi = cls.VALID_VERSIONS
        if lo > hi:
            continue
        for v in {lo, hi}:
            frames.append(encode_request(key, v, 7, "fuzz", cls())[4:])
    return frames


VALID = _valid_frames()


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(frame: bytes) -> None:
    _decode(frame)


@FUZZ
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 400),
)
def test_mutated_valid_requests(frame: bytes, flips: list[tuple[int, int]], cut: int) -> None:
    buf = bytearray(frame)
    for pos, byte in flips:
        if buf:
            buf[pos % len(buf)] = byte
    _decode(bytes(buf))
    _decode(bytes(buf[: max(0, len(buf) - cut)]))


@FUZZ
@given(st.sampled_from(VALID), st.binary(min_size=1, max_size=8))
def test_huge_counts_do_not_allocate(frame: bytes, prefix: bytes) -> None:
    # Splice bytes that look like enormous length/count prefixes right after the header.
    buf = bytearray(frame)
    at = min(len(buf), 10)
    buf[at:at] = b"\x7f\xff\xff\xff" + prefix
    _decode(bytes(buf))


def test_frame_splitter_rejects_oversized_and_negative_sizes() -> None:
    fs = FrameSplitter(max_frame_size=1024)
    with pytest.raises(ProtocolError):
        fs.feed(b"\x7f\xff\xff\xff")
    with pytest.raises(ProtocolError):
        FrameSplitter().feed(b"\xff\xff\xff\xfe")


@FUZZ
@given(st.lists(st.binary(max_size=50), max_size=10))
def test_frame_splitter_reassembles_any_chunking(chunks: list[bytes]) -> None:
    payloads = [c for c in chunks]
    stream = b"".join(len(p).to_bytes(4, "big") + p for p in payloads)
    fs = FrameSplitter()
    got: list[bytes] = []
    step = 3
    for i in range(0, len(stream), step):
        got += [bytes(f) for f in fs.feed(stream[i : i + step])]
    assert got == payloads
    assert fs.pending() == 0
