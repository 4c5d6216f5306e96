"""FrameReceiver: frames come out whole and in order however the bytes are split."""

from __future__ import annotations

import random
import struct

import pytest

from moldau.broker.frames import FrameReceiver
from moldau.protocol.errors import FrameTooLargeError, InvalidLengthError


def _feed(rx: FrameReceiver, data: bytes, rng: random.Random) -> list[bytes]:
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        buf = rx.get_buffer()
        n = min(len(buf), rng.randint(1, 70_000), len(data) - pos)
        buf[:n] = data[pos : pos + n]
        pos += n
        for f in rx.buffer_updated(n):
            assert not f.readonly
            out.append(bytes(f))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_any_split_gives_the_same_frames(seed):
    rng = random.Random(seed)
    payloads = [
        rng.randbytes(rng.choice([0, 1, 10, 300, 5000, 100_000, 700_000])) for _ in range(30)
    ]
    data = b"".join(struct.pack(">i", len(p)) + p for p in payloads)
    rx = FrameReceiver(1 << 20, staging_size=64 * 1024)
    assert _feed(rx, data, rng) == payloads
    assert rx.pending() == 0


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
