"""The sparse time index of one segment: `<20-digit base offset>.timeindex`.

File format (Kafka's), a flat array of 12-byte big-endian entries and nothing else:

    off size field
      0   8  timestamp         the greatest batch max-timestamp seen so far in the segment
      8   4  relative offset   offset - base offset of the batch that carried that timestamp

Timestamps strictly increase from entry to entry (an entry is only added when the maximum
grew), so for a target T every record before the offset of the greatest entry with timestamp
< T has a timestamp < T, and a lookup may start scanning there. Entries are added alongside
offset-index entries (every index.interval.bytes), and one final entry is added when the
segment stops being the active one, so the last entry holds the segment's largest timestamp,
which retention.ms compares against.

Like the offset index it is kept in memory while in use, written on flush/roll/close, and
rebuilt from the log when missing or insane.
"""

from __future__ import annotations

import os
import struct
from array import array
from bisect import bisect_left
from collections.abc import Callable

from .offset_index import CorruptIndex

ENTRY_SIZE = 12
_ENTRY = struct.Struct(">qi")


class TimeIndex:
    __slots__ = ("path", "base_offset", "max_entries", "_ts", "_rel", "_persisted", "_dirty", "_loaded", "on_corrupt")

    def __init__(self, path: str, base_offset: int, max_entries: int, *, new: bool = False) -> None:
        self.path = path
        self.base_offset = base_offset
        self.max_entries = max(1, max_entries)
        self._ts = array("q")
        self._rel = array("i")
        self._persisted = 0
        self._dirty = new
        self._loaded = new
        # Called (after a reset) when a lazy load finds the file missing or insane; the
        # segment rebuilds the entries from its log. Without it the error propagates.
        self.on_corrupt: Callable[[], None] | None = None

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            try:
                self.load()
            except CorruptIndex:
                if self.on_corrupt is None:
                    raise
                self.reset()
                self.on_corrupt()

    def load(self) -> None:
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
        ts = array("q")
        rel = array("i")
        prev_ts = prev_rel = None
        for t, r in _ENTRY.iter_unpack(data):
            if r < 0 or (prev_ts is not None and (t <= prev_ts or r < prev_rel)):  # type: ignore[operator]
                raise CorruptIndex(f"{self.path}: entries out of order")
            ts.append(t)
            rel.append(r)
            prev_ts, prev_rel = t, r
        self._ts, self._rel = ts, rel
        self._persisted = len(ts)
        self._dirty = False
        self._loaded = True

    def unload(self) -> None:
        if self._loaded and not self._dirty and self._persisted == len(self._ts):
            self._ts = array("q")
            self._rel = array("i")
            self._persisted = 0
            self._loaded = False

    def reset(self) -> None:
        self._ts = array("q")
        self._rel = array("i")
        self._persisted = 0
        self._dirty = True
        self._loaded = True

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._ts)

    @property
    def is_full(self) -> bool:
        self._ensure_loaded()
        return len(self._ts) >= self.max_entries

    def last_entry(self) -> tuple[int, int] | None:
        """(timestamp, absolute offset) of the last entry."""
        self._ensure_loaded()
        if not self._ts:
            return None
        return self._ts[-1], self.base_offset + self._rel[-1]

    def lookup(self, timestamp: int) -> int:
        """An offset from which to scan for the first record with timestamp >= `timestamp`."""
        self._ensure_loaded()
        i = bisect_left(self._ts, timestamp) - 1
        return self.base_offset + self._rel[i] if i >= 0 else self.base_offset

    def maybe_append(self, timestamp: int, offset: int) -> None:
        self._ensure_loaded()
        if self._ts and timestamp <= self._ts[-1]:
            return
        self._ts.append(timestamp)
        self._rel.append(offset - self.base_offset)

    def truncate_to_offset(self, offset: int) -> None:
        """Drop entries for offsets >= `offset`."""
        self._ensure_loaded()
        rel = offset - self.base_offset
        i = len(self._rel)
        while i and self._rel[i - 1] >= rel:
            i -= 1
        if i < len(self._ts):
            del self._ts[i:]
            del self._rel[i:]
            if i < self._persisted:
                self._persisted = i
                self._dirty = True

    def write(self, *, fsync: bool = False) -> None:
        if not self._loaded:
            return
        n = len(self._ts)
        if not self._dirty and self._persisted == n:
            return
        start = 0 if self._dirty else self._persisted
        data = b"".join(_ENTRY.pack(self._ts[i], self._rel[i]) for i in range(start, n))
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, data, start * ENTRY_SIZE)
            os.ftruncate(fd, n * ENTRY_SIZE)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        self._persisted = n
        self._dirty = False
