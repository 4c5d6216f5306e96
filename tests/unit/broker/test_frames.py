"""FrameReceiver: frames come out whole and in order however the bytes are split."""

from __future__ import annotations

import random
import struct

import pytest

from moldau.broker.frames import FrameReceiver
from moldau.protocol.errors import FrameTooLargeError, InvalidLengthError


def _feed(rx: FrameReceiver, data: bytes, rng: random.Random, keep: bool = False) -> list:
    """Feed `data` in random pieces; the frames as bytes (or as the views, with keep)."""
    out: list = []
    pos = 0
    while pos < len(data):
        buf = rx.get_buffer()
        n = min(len(buf), rng.randint(1, 70_000), len(data) - pos)
        buf[:n] = data[pos : pos + n]
        pos += n
        for f in rx.buffer_updated(n):
            assert not f.readonly
            out.append(f if keep else bytes(f))
    return out


@pytest.mark.parametrize("initial", [8, 1024, 64 * 1024])
@pytest.mark.parametrize("seed", range(20))
def test_any_split_gives_the_same_frames(seed, initial):
    rng = random.Random(seed)
    payloads = [
        rng.randbytes(rng.choice([0, 1, 10, 300, 5000, 100_000, 700_000])) for _ in range(30)
    ]
    data = b"".join(struct.pack(">i", len(p)) + p for p in payloads)
    rx = FrameReceiver(1 << 20, staging_size=64 * 1024, initial_size=initial)
    assert _feed(rx, data, rng) == payloads
    assert rx.pending() == 0


def test_staging_starts_small_and_grows_to_the_cap():
    rx = FrameReceiver(1 << 20, staging_size=64 * 1024, initial_size=1024)
    assert len(rx.get_buffer()) == 1024  # an idle connection holds only this much
    payload = bytes(range(256)) * 20  # 5120 bytes: over the initial size, under the cap
    data = struct.pack(">i", len(payload)) + payload
    buf = rx.get_buffer()
    buf[:100] = data[:100]
    assert rx.buffer_updated(100) == []
    buf = rx.get_buffer()
    assert len(buf) >= len(data) - 100  # grown to hold the whole frame
    buf[: len(data) - 100] = data[100:]
    assert [bytes(f) for f in rx.buffer_updated(len(data) - 100)] == [payload]
    # Reads that fill the buffer make it grow, up to staging_size and no further.
    sizes = []
    for _ in range(10):
        buf = rx.get_buffer()
        n = len(buf)
        sizes.append(n)
        buf[:n] = bytes(n)  # empty frames: 4 zero bytes each
        assert len(rx.buffer_updated(n)) == n // 4
    assert sizes[-1] == 64 * 1024
    assert sizes == sorted(sizes)


def test_limits_checked_before_allocation():
    rx = FrameReceiver(1000)
    buf = rx.get_buffer()
    buf[:4] = struct.pack(">i", 2**31 - 1)
    with pytest.raises(FrameTooLargeError):
        rx.buffer_updated(4)
    rx = FrameReceiver(1000)
    rx.get_buffer()[:4] = struct.pack(">i", -1)
    with pytest.raises(InvalidLengthError):
        rx.buffer_updated(4)


def test_a_large_frame_still_in_use_is_never_overwritten():
    rng = random.Random(7)
    rx = FrameReceiver(1 << 22, staging_size=16 * 1024, initial_size=1024)
    first, second, third = (rng.randbytes(300_000) for _ in range(3))
    held = _feed(rx, struct.pack(">i", len(first)) + first, rng, keep=True)
    # `held` still refers to the first frame's buffer: the next frame must get another one
    frames = _feed(rx, struct.pack(">i", len(second)) + second, rng, keep=True)
    assert [bytes(f) for f in frames] == [second]
    del frames
    assert [bytes(f) for f in held] == [first]
    del held  # released: the buffer may be reused, and the content is still right
    frames = _feed(rx, struct.pack(">i", len(third)) + third, rng, keep=True)
    assert [bytes(f) for f in frames] == [third]


def test_trim_gives_back_grown_buffers_only_when_nothing_is_pending():
    rng = random.Random(3)
    rx = FrameReceiver(1 << 22, staging_size=16 * 1024, initial_size=1024)
    big, small = rng.randbytes(100_000), rng.randbytes(5000)
    data = b"".join(struct.pack(">i", len(p)) + p for p in (small, big, small))
    assert _feed(rx, data, rng) == [small, big, small]
    assert len(rx.get_buffer()) > 1024  # grown by the busy spell
    # half a frame pending: nothing is trimmed
    frame = struct.pack(">i", len(small)) + small
    rx.get_buffer()[:10] = frame[:10]
    rx.buffer_updated(10)
    assert rx.trim() is False
    assert _feed(rx, frame[10:], rng) == [small]
    assert rx.trim() is True
    assert len(rx.get_buffer()) == 1024
    # and it keeps working afterwards
    assert _feed(rx, data, rng) == [small, big, small]
