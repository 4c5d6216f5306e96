"""Receive-side framing for asyncio's BufferedProtocol: the socket reads straight into the
buffer a request will live in, so a 1 MB produce request is copied once (kernel -> its own
bytearray), never re-assembled from chunks.

Small frames arrive in a staging buffer (many per recv) and are copied out into their own
bytearray each (cheap: they are small); a frame larger than the staging buffer gets an
anonymous memory map of exactly its size the moment its size prefix is seen, and the socket
fills it directly. Each returned frame is a writable memoryview over its own buffer, so the
produce path can assign offsets in place.

A size prefix that is negative or above `max_frame_size` (socket.request.max.bytes) raises
`FrameTooLargeError` / `InvalidLengthError` before anything is allocated for it.
"""

from __future__ import annotations

import mmap
import struct

from moldau.protocol.errors import FrameTooLargeError, InvalidLengthError

_I32 = struct.Struct(">i")
STAGING_SIZE = 256 * 1024


class FrameReceiver:
    __slots__ = (
        "_body",
        "_body_filled",
        "_end",
        "_stage",
        "_stage_view",
        "_start",
        "max_frame_size",
    )

    def __init__(self, max_frame_size: int, staging_size: int = STAGING_SIZE) -> None:
        self.max_frame_size = max_frame_size
        self._stage = bytearray(staging_size)
        self._stage_view = memoryview(self._stage)
        self._start = 0  # first unconsumed byte in the staging buffer
        self._end = 0  # end of received bytes in the staging buffer
        self._body: mmap.mmap | None = None  # a large frame being filled directly
        self._body_filled = 0

    def get_buffer(self) -> memoryview:
        """Where the next received bytes should go."""
        if self._body is not None:
            return memoryview(self._body)[self._body_filled :]
        if self._end == len(self._stage):
            self._compact()
        return self._stage_view[self._end :]

    def buffer_updated(self, n: int) -> list[memoryview]:
        """`n` bytes were written into the last buffer; return the frames now complete."""
        frames: list[memoryview] = []
        if self._body is not None:
            self._body_filled += n
            if self._body_filled < len(self._body):
                return frames
            frames.append(memoryview(self._body))
            self._body = None
            self._body_filled = 0
            return frames
        self._end += n
        stage = self._stage
        pos, end = self._start, self._end
        while end - pos >= 4:
            (size,) = _I32.unpack_from(stage, pos)
            if size < 0:
                raise InvalidLengthError(f"negative frame size {size}")
            if size > self.max_frame_size:
                raise FrameTooLargeError(
                    f"frame of {size} bytes exceeds socket.request.max.bytes={self.max_frame_size}"
                )
            have = end - pos - 4
            if have >= size:
                frames.append(memoryview(bytearray(self._stage_view[pos + 4 : pos + 4 + size])))
                pos += 4 + size
                continue
            if size + 4 > len(stage):
                # Too big for the staging buffer: give it its own buffer and fill that. An
                # anonymous map costs memory only for the pages actually received, so a peer
                # announcing a large frame and sending nothing does not pin `size` bytes.
                body = mmap.mmap(-1, size)
                body[:have] = self._stage_view[pos + 4 : end]
                self._body = body
                self._body_filled = have
                pos = end
            break
        if pos == end:
            pos = end = 0
        self._start, self._end = pos, end
        return frames

    def _compact(self) -> None:
        n = self._end - self._start
        if n and self._start:
            self._stage[:n] = bytes(self._stage_view[self._start : self._end])  # may overlap
        self._start, self._end = 0, n

    def pending(self) -> int:
        """Bytes received towards the next frame (for memory accounting)."""
        if self._body is not None:
            return self._body_filled
        return self._end - self._start
