"""Splits a byte stream into Kafka's size-prefixed frames (int32 big-endian length + payload).

Sans-I/O: feed bytes as they arrive, take complete frames out. A size prefix that is negative
or above `max_frame_size` (Kafka's socket.request.max.bytes, 100 MiB by default) raises
`FrameTooLargeError` before anything is buffered for it; the caller closes the connection, as
Kafka does.
"""

from __future__ import annotations

import struct

from moldau.protocol.errors import FrameTooLargeError, InvalidLengthError

DEFAULT_MAX_FRAME_SIZE = 104_857_600
_I32 = struct.Struct(">i")


class FrameSplitter:
    __slots__ = ("_buf", "_start", "max_frame_size")

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self._buf = bytearray()
        self._start = 0
        self.max_frame_size = max_frame_size

    def feed(self, data: bytes | bytearray | memoryview) -> list[memoryview]:
        """Add received bytes; return every frame now complete (payload only, no prefix).

        Returned memoryviews stay valid: the internal buffer is replaced, never resized, once
        frames have been handed out.
        """
        if self._start and self._start == len(self._buf):
            self._buf = bytearray()
            self._start = 0
        self._buf += data
        frames: list[memoryview] = []
        buf = self._buf
        pos = self._start
        end = len(buf)
        while end - pos >= 4:
            (size,) = _I32.unpack_from(buf, pos)
            if size < 0:
                raise InvalidLengthError(f"negative frame size {size}")
            if size > self.max_frame_size:
                raise FrameTooLargeError(
                    f"frame of {size} bytes exceeds socket.request.max.bytes={self.max_frame_size}"
                )
            if end - pos - 4 < size:
                break
            frames.append(memoryview(buf)[pos + 4 : pos + 4 + size])
            pos += 4 + size
        if frames:
            # Hand the consumed bytes over to the frames and start a new buffer for the rest.
            self._buf = bytearray(buf[pos:])
            self._start = 0
        else:
            self._start = pos
        return frames

    def pending(self) -> int:
        """Bytes buffered towards the next frame (for memory accounting)."""
        return len(self._buf) - self._start
