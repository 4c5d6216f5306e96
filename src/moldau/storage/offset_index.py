"""The sparse offset index of one segment: `<20-digit base offset>.index`.

File format (Kafka's), a flat array of 8-byte big-endian entries and nothing else:

    off size field
      0   4  relative offset   offset - segment base offset (int32, strictly increasing)
      4   4  position          byte position of a batch in the .log file (int32, increasing)

An entry (r, p) says: the batch starting at byte p of the log file has last offset base + r.
One entry is added after at least index.interval.bytes of log were written since the last
one, so a lookup finds the greatest entry at or below the target and then scans at most about
that many bytes of batch headers. The index can always be rebuilt from the log file, which is
what recovery does when the file is missing or fails the sanity check.

The entries live in memory (two arrays) while the segment is in use; new entries are written
to the file on flush, roll and close, so an index never runs ahead of the data it points to.
Unlike Kafka we do not preallocate the file to segment.index.bytes: its size is always
exactly 8 x entries, which keeps the "is it sane" check trivial.
"""

from __future__ import annotations

import os
import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable

ENTRY_SIZE = 8
_LITTLE = sys.byteorder == "little"


class CorruptIndex(Exception):
    """The index file is not a sane index for its segment (the loader rebuilds it)."""


class OffsetIndex:
    __slots__ = ("path", "base_offset", "max_entries", "_rel", "_pos", "_persisted", "_dirty", "_loaded", "on_corrupt")

    def __init__(self, path: str, base_offset: int, max_entries: int, *, new: bool = False) -> None:
        self.path = path
        self.base_offset = base_offset
        self.max_entries = max(1, max_entries)
        self._rel = array("i")
        self._pos = array("i")
        self._persisted = 0  # leading entries known to be in the file already
        self._dirty = new  # the file must be rewritten from scratch (truncated or new)
        self._loaded = new
        # Called (after a reset) when a lazy load finds the file missing or insane; the
        # segment rebuilds the entries from its log. Without it the error propagates.
        self.on_corrupt: Callable[[], None] | None = None

    # -- loading ------------------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            try:
                self.load()
            except CorruptIndex:
                if self.on_corrupt is None:
                    raise
                self.reset()
                self.on_corrupt()

    def load(self, log_size: int | None = None) -> None:
        """Read the file into memory, checking it; raises CorruptIndex."""
        limit = self.max_entries * ENTRY_SIZE
        try:
            with open(self.path, "rb") as f:
                data = f.read(limit + 1)
        except FileNotFoundError:
            raise CorruptIndex(f"{self.path}: missing") from None
        if len(data) > limit:  # more than segment.index.bytes allows: rebuild, don't slurp
            raise CorruptIndex(f"{self.path}: larger than {limit} bytes")
        if len(data) % ENTRY_SIZE:
            raise CorruptIndex(f"{self.path}: size {len(data)} is not a multiple of {ENTRY_SIZE}")
        flat = array("i")
        flat.frombytes(data)
        if _LITTLE:
            flat.byteswap()
        rel, pos = flat[0::2], flat[1::2]
        for i in range(len(rel)):
            if rel[i] < 0 or pos[i] < 0 or (i and (rel[i] <= rel[i - 1] or pos[i] < pos[i - 1])):
                raise CorruptIndex(f"{self.path}: entry {i} out of order")
        if log_size is not None and len(pos) and pos[-1] >= max(log_size, 1):
            raise CorruptIndex(f"{self.path}: points past the end of the log")
        self._rel, self._pos = rel, pos
        self._persisted = len(rel)
        self._dirty = False
        self._loaded = True

    def unload(self) -> None:
        """Drop the in-memory copy (only when everything is on disk; it reloads on demand)."""
        if self._loaded and not self._dirty and self._persisted == len(self._rel):
            self._rel = array("i")
            self._pos = array("i")
            self._persisted = 0
            self._loaded = False

    def reset(self) -> None:
        """Forget every entry (before a rebuild)."""
        self._rel = array("i")
        self._pos = array("i")
        self._persisted = 0
        self._dirty = True
        self._loaded = True

    # -- queries ------------------------------------------------------------------------

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._rel)

    @property
    def is_full(self) -> bool:
        self._ensure_loaded()
        return len(self._rel) >= self.max_entries

    def lookup(self, offset: int) -> int:
        """Byte position from which to scan for `offset` (0 when no entry is at or below it)."""
        if not self._loaded:
            self._ensure_loaded()
        i = bisect_right(self._rel, offset - self.base_offset) - 1
        return self._pos[i] if i >= 0 else 0

    def floor_position(self, position: int) -> int:
        """The greatest indexed batch position <= position (0 when none): a safe scan start."""
        self._ensure_loaded()
        i = bisect_right(self._pos, position) - 1
        return self._pos[i] if i >= 0 else 0

    def last_entry(self) -> tuple[int, int] | None:
        """(absolute offset, position) of the last entry."""
        self._ensure_loaded()
        if not self._rel:
            return None
        return self.base_offset + self._rel[-1], self._pos[-1]

    def entries(self) -> list[tuple[int, int]]:
        self._ensure_loaded()
        return [(self.base_offset + r, p) for r, p in zip(self._rel, self._pos)]

    # -- updates ------------------------------------------------------------------------

    def append(self, offset: int, position: int) -> None:
        self._ensure_loaded()
        rel = offset - self.base_offset
        if self._rel and rel <= self._rel[-1]:
            return  # only ever increasing; a repeat means nothing new to index
        self._rel.append(rel)
        self._pos.append(position)

    def truncate_to_position(self, position: int) -> None:
        """Drop entries that point at or beyond `position` (the log was cut there)."""
        self._ensure_loaded()
        i = bisect_right(self._pos, position - 1)
        if i < len(self._rel):
            del self._rel[i:]
            del self._pos[i:]
            if i < self._persisted:
                self._persisted = i
                self._dirty = True

    def write(self, *, fsync: bool = False) -> None:
        """Bring the file up to date with memory (appending, or rewriting after a cut)."""
        if not self._loaded:
            return
        n = len(self._rel)
        if not self._dirty and self._persisted == n:
            return
        start = 0 if self._dirty else self._persisted
        flat = array("i", bytes(ENTRY_SIZE * (n - start)))
        flat[0::2] = self._rel[start:]
        flat[1::2] = self._pos[start:]
        if _LITTLE:
            flat.byteswap()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, flat.tobytes(), start * ENTRY_SIZE)
            os.ftruncate(fd, n * ENTRY_SIZE)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        self._persisted = n
        self._dirty = False
