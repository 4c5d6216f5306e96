"""A least-recently-used bound on segments that hold open file descriptors.

A segment opens its log file (and maps it for reads) only when it is used, and registers
with this cache; when more than `max_segments` segments hold handles, the one used least
recently releases them (closes its fd, drops its map and in-memory index copies) and
reopens them on its next use. Each segment holds at most two descriptors (the read-write fd
of its log and the one an mmap keeps), so `max_segments = max_open_files // 2` keeps a broker
with tens of thousands of partitions under its file-descriptor budget.

A map that a fetch response still references cannot be closed yet; it is dropped instead and
its descriptor goes away when the last view of it is released.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol


class HandleOwner(Protocol):
    def release_handles(self) -> None: ...


class HandleCache:
    __slots__ = ("max_segments", "_lru", "last")

    def __init__(self, max_open_files: int = 1000) -> None:
        if max_open_files < 2:
            raise ValueError("max_open_files must be >= 2")
        self.max_segments = max_open_files // 2
        self._lru: OrderedDict[HandleOwner, None] = OrderedDict()
        # The most recently touched owner: callers on hot paths skip touch() when it is them.
        self.last: HandleOwner | None = None

    def touch(self, owner: HandleOwner) -> None:
        """Mark `owner` as just used; call it before opening or using its handles."""
        self.last = owner
        lru = self._lru
        if owner in lru:
            lru.move_to_end(owner)
            return
        lru[owner] = None
        while len(lru) > self.max_segments:
            oldest, _ = lru.popitem(last=False)
            oldest.release_handles()

    def forget(self, owner: HandleOwner) -> None:
        """`owner` closed its handles on its own (close, delete)."""
        self._lru.pop(owner, None)
        if self.last is owner:
            self.last = None

    def __len__(self) -> int:
        return len(self._lru)
