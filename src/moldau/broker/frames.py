"""Receive-side framing for asyncio's BufferedProtocol: the socket reads straight into the
buffer a request will live in, so a 1 MB produce request is copied once (kernel -> its own
bytearray), never re-assembled from chunks.

Small frames arrive in a staging buffer (many per recv) and are copied out into their own
bytearray each (cheap: they are small); a frame larger than the largest staging buffer gets
an anonymous memory map of exactly its size the moment its size prefix is seen, and the
socket fills it directly.

The staging buffer starts small (INITIAL_STAGING_SIZE) and doubles, up to STAGING_SIZE,
when a frame does not fit or a read fills all the free space (a busy connection), so 1,000
idle connections cost 8 KiB each instead of 256 KiB each, while a busy one still reads up
to 256 KiB per call.

The map of a large frame is kept for the next one (up to SPARE_MAX_SIZE) and reused once
nothing refers to the last frame any more (mmap.resize refuses while views exist, which
is the check): a producer sending 1 MB batches then costs no page faults, no zero-filling
and no munmap per request. Pages are still committed only as bytes arrive. `trim()` gives
both back once the connection has been idle a few seconds (the broker sweeps for that), so
many connections that were busy once do not keep 256 KiB + a spare map each. Each returned frame is a writable memoryview over its own buffer, so the
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
INITIAL_STAGING_SIZE = 8 * 1024
SPARE_MAX_SIZE = 8 * 1024 * 1024


class FrameReceiver:
    __slots__ = (
        "_body",
        "_body_filled",
        "_end",
        "_initial",
        "_max_stage",
        "_spare",
        "_stage",
        "_stage_view",
        "_start",
        "max_frame_size",
    )

    def __init__(
        self,
        max_frame_size: int,
        staging_size: int = STAGING_SIZE,
        initial_size: int = INITIAL_STAGING_SIZE,
    ) -> None:
        self.max_frame_size = max_frame_size
        self._max_stage = staging_size
        self._initial = max(min(initial_size, staging_size), 8)
        self._stage = bytearray(self._initial)
        self._stage_view = memoryview(self._stage)
        self._start = 0  # first unconsumed byte in the staging buffer
        self._end = 0  # end of received bytes in the staging buffer
        self._body: memoryview | None = None  # a large frame being filled directly
        self._body_filled = 0
        self._spare: mmap.mmap | None = None  # the last large frame's map, for reuse

    def get_buffer(self) -> memoryview:
        """Where the next received bytes should go."""
        if self._body is not None:
            return self._body[self._body_filled :]
        if self._end == len(self._stage):
            if self._start == 0:
                self._grow(2 * len(self._stage))
            else:
                self._compact()
        return self._stage_view[self._end :]

    def buffer_updated(self, n: int) -> list[memoryview]:
        """`n` bytes were written into the last buffer; return the frames now complete."""
        frames: list[memoryview] = []
        if self._body is not None:
            self._body_filled += n
            if self._body_filled < len(self._body):
                return frames
            frames.append(self._body)
            self._body = None
            self._body_filled = 0
            return frames
        if self._end + n == len(self._stage) and len(self._stage) < self._max_stage:
            # The read filled all the free space: more is probably waiting, read more at once.
            self._end += n
            self._grow(2 * len(self._stage))
        else:
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
            if size + 4 > self._max_stage:
                # Too big for the staging buffer: give it its own buffer and fill that. An
                # anonymous map costs memory only for the pages actually received, so a peer
                # announcing a large frame and sending nothing does not pin `size` bytes.
                body = self._big_buffer(size)
                body[:have] = self._stage_view[pos + 4 : end]
                self._body = body
                self._body_filled = have
                pos = end
            elif size + 4 > len(stage):
                # Fits the largest staging buffer but not this one: grow it (the frame's
                # bytes move to its start). Bounded by STAGING_SIZE, checked above.
                self._start, self._end = pos, end
                self._grow(size + 4)
                return frames
            break
        if pos == end:
            pos = end = 0
        self._start, self._end = pos, end
        return frames

    def trim(self) -> bool:
        """Give back what a busy spell grew (the spare map, a staging buffer above its initial
        size) when nothing is pending; the connection calls this once it has been idle for a
        while. True when the receiver now holds only its initial buffer."""
        if self._body is not None or self._start != self._end:
            return False
        self._spare = None  # unmapped now, or when the last view of it goes
        if len(self._stage) > self._initial:
            self._stage_view.release()
            self._stage = bytearray(self._initial)
            self._stage_view = memoryview(self._stage)
            self._start = self._end = 0
        return True

    def _big_buffer(self, size: int) -> memoryview:
        """A writable view of exactly `size` bytes: the spare map when it is free and big
        enough, else a new anonymous map (kept as the spare when not too big)."""
        spare = self._spare
        if spare is not None and len(spare) >= size:
            try:
                spare.resize(len(spare))  # BufferError while a view of it is alive
            except BufferError:
                pass
            else:
                return memoryview(spare)[:size]
        m = mmap.mmap(-1, size)
        if size <= SPARE_MAX_SIZE:
            self._spare = m
        return memoryview(m)

    def _grow(self, wanted: int) -> None:
        """Replace the staging buffer by one of at least `wanted` bytes (a power-of-two
        multiple of the current size, at most the maximum), keeping the unconsumed bytes."""
        size = len(self._stage)
        while size < wanted:
            size *= 2
        size = min(size, self._max_stage)
        if size <= len(self._stage):
            self._compact()
            return
        n = self._end - self._start
        stage = bytearray(size)
        stage[:n] = self._stage_view[self._start : self._end]
        self._stage_view.release()
        self._stage = stage
        self._stage_view = memoryview(stage)
        self._start, self._end = 0, n

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
