"""One log segment: `<20-digit base offset>.log` plus its `.index` and `.timeindex`.

The `.log` file is a plain concatenation of record batches exactly as they went over the wire
(v2 format, see moldau.protocol.records.batch), with the base offset and partition leader
epoch fields set by the log; nothing else (no per-file header or footer). Its name is the
offset of its first batch, zero-padded to 20 digits; the first segment of a fresh partition is
`00000000000000000000.log`. Every offset in the segment fits in base offset + 2**31 - 1 so the
indexes can store 4-byte relative offsets.

Invariant: bytes [0, size) of the file are whole, CRC-checked (or freshly appended) batches
with increasing offsets; recovery establishes it after an unclean stop by truncating at the
first byte that breaks it.

File handles are opened on first use and released by the shared HandleCache; reads map the
file read-only and hand out memoryviews of the map, so a fetch response points into the page
cache without a copy.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
from bisect import bisect_right
from collections.abc import Callable

from crc32c import crc32c as _crc32c

from moldau.protocol.records.batch import CRC_START, HEADER_SIZE, LOG_OVERHEAD, MAGIC_V2

from .handles import HandleCache
from .offset_index import ENTRY_SIZE as OFFSET_ENTRY_SIZE
from .offset_index import CorruptIndex, OffsetIndex
from .time_index import ENTRY_SIZE as TIME_ENTRY_SIZE
from .time_index import TimeIndex

INT32_MAX = 2**31 - 1
_NO_ROOM: tuple[None, int] = (None, -1)
_MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD

_BASE_LEN = struct.Struct(">qi")  # base offset, batch length
_BASE_LEN_LOD = struct.Struct(">qi11xi")  # base offset, batch length, last offset delta
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
# base offset, length, leader epoch, magic, crc, attributes, last offset delta, base ts, max ts
_SCAN = struct.Struct(">qiibIhiqq")
# base offset, length, leader epoch, magic, crc, last offset delta, max timestamp
_SCAN_CHECK = struct.Struct(">qiibI2xi8xq")


def segment_name(base_offset: int) -> str:
    return f"{base_offset:020d}"


class LogSegment:
    __slots__ = (
        "dir",
        "base_offset",
        "log_path",
        "index",
        "time_index",
        "size",
        "next_offset",
        "created_ms",
        "_max_ts",
        "_offset_of_max_ts",
        "_bytes_since_index",
        "interval",
        "_handles",
        "_fd",
        "_map",
        "_map_len",
        "_mv",
        "_renamed",
        "full",
        "__weakref__",
    )

    def __init__(
        self,
        dir_path: str,
        base_offset: int,
        handles: HandleCache,
        *,
        index_bytes: int,
        interval: int,
        created_ms: int,
        new: bool,
    ) -> None:
        self.dir = dir_path
        self.base_offset = base_offset
        stem = os.path.join(dir_path, segment_name(base_offset))
        self.log_path = stem + ".log"
        self.index = OffsetIndex(stem + ".index", base_offset, index_bytes // OFFSET_ENTRY_SIZE, new=new)
        self.time_index = TimeIndex(stem + ".timeindex", base_offset, index_bytes // TIME_ENTRY_SIZE, new=new)
        self.size = 0
        self.next_offset = base_offset  # exact for the active segment; an upper bound otherwise
        self.created_ms = created_ms
        self._max_ts: int | None = -1 if new else None  # None: not known until asked
        self._offset_of_max_ts = -1
        self._bytes_since_index = 0
        self.interval = interval  # index.interval.bytes
        self.index.on_corrupt = self.rebuild_indexes
        self.time_index.on_corrupt = self.rebuild_indexes
        self._handles = handles
        self._fd: int | None = None
        self._map: mmap.mmap | None = None
        self._map_len = 0
        self._mv: memoryview | None = None  # a view of the whole map, reused by lookups
        self.full = False  # an index reached segment.index.bytes: roll before appending
        self._renamed = False  # files carry the ".deleted" suffix (see rename_for_deletion)
        if new:
            fd = os.open(self.log_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            os.close(fd)

    def __repr__(self) -> str:
        return f"LogSegment({self.log_path!r}, size={self.size}, next_offset={self.next_offset})"

    # -- handles --------------------------------------------------------------------------

    def _get_fd(self) -> int:
        if self._handles.last is not self:
            self._handles.touch(self)
        if self._fd is None:
            self._fd = os.open(self.log_path, os.O_RDWR)
        return self._fd

    def _view(self, end: int) -> memoryview:
        """A view of bytes [0, >= end) of the log file (end must be <= the file size)."""
        if self._handles.last is not self:
            self._handles.touch(self)
        mv = self._mv
        if mv is not None and self._map_len >= end:
            return mv
        if self._map is None or self._map_len < end:
            self._drop_map()
            own = self._fd is None
            fd = os.open(self.log_path, os.O_RDONLY) if own else self._fd
            assert fd is not None
            try:
                self._map = mmap.mmap(fd, self.size, access=mmap.ACCESS_READ)
            finally:
                if own:
                    os.close(fd)
            self._map_len = self.size
        self._mv = mv = memoryview(self._map)
        return mv

    def _drop_map(self) -> bool:
        """Close the map; False when a view of it is still alive (it closes with the view)."""
        m, self._map, self._map_len = self._map, None, 0
        if self._mv is not None:
            self._mv.release()  # slices handed out keep their own hold on the map
            self._mv = None
        if m is None:
            return True
        try:
            m.close()
        except BufferError:
            return False
        return True

    def release_handles(self) -> None:
        """Close fd and map and drop index copies that are on disk (HandleCache eviction)."""
        self._drop_map()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.index.unload()
        self.time_index.unload()

    # -- metadata -------------------------------------------------------------------------

    @property
    def max_timestamp(self) -> int:
        """Largest batch max-timestamp in the segment; the file's mtime when there is none."""
        if self._max_ts is None:
            self._load_max_timestamp()
        assert self._max_ts is not None
        if self._max_ts < 0:
            try:
                return int(os.stat(self.log_path).st_mtime * 1000)
            except FileNotFoundError:
                return -1
        return self._max_ts

    @property
    def offset_of_max_timestamp(self) -> int:
        """Base offset of a batch holding max_timestamp (-1 when the segment has none)."""
        if self._max_ts is None:
            self._load_max_timestamp()
        return self._offset_of_max_ts

    def _load_max_timestamp(self) -> None:
        last = self.time_index.last_entry()
        start_offset = self.base_offset
        if last is not None:
            self._max_ts, start_offset = last
            self._offset_of_max_ts = start_offset
        else:
            self._max_ts = -1
        # Entries are sparse: batches after the last entry may hold a larger timestamp.
        self._scan_max_timestamp(self.index.lookup(start_offset))

    def _scan_max_timestamp(self, position: int) -> None:
        if self.size == 0:
            return
        mv = self._view(self.size)
        end = self.size
        max_ts = self._max_ts if self._max_ts is not None else -1
        while position < end:
            base, length, _, _, _, _, lod, _, ts = _SCAN.unpack_from(mv, position)
            if ts > max_ts:
                max_ts = ts
                self._offset_of_max_ts = base
            position += length + LOG_OVERHEAD
        self._max_ts = max_ts

    def update_full(self) -> None:
        """Recompute `full` (after loading or cutting the indexes)."""
        self.full = self.index.is_full or self.time_index.is_full

    # -- append ---------------------------------------------------------------------------

    def append(self, data: memoryview, last_offset: int, max_timestamp: int, base_offset: int) -> None:
        """Write one batch (offsets already assigned) at the end of the segment."""
        fd = self._fd
        if fd is None or self._handles.last is not self:
            fd = self._get_fd()
        pos = self.size
        n = len(data)
        try:
            written = os.pwrite(fd, data, pos)
            while written < n:
                written += os.pwrite(fd, data[written:], pos + written)
        except OSError:
            os.ftruncate(fd, pos)  # never leave half a batch behind a failed write
            raise
        self.size = pos + n
        self.next_offset = last_offset + 1
        max_ts = self._max_ts
        if max_ts is None:
            self._load_max_timestamp()
            max_ts = self._max_ts
        if max_timestamp > max_ts:  # type: ignore[operator]
            self._max_ts = max_timestamp
            self._offset_of_max_ts = base_offset
        if self._bytes_since_index > self.interval:
            self.index.append(last_offset, pos)
            self.time_index.maybe_append(self._max_ts, self._offset_of_max_ts)  # type: ignore[arg-type]
            self._bytes_since_index = 0
            self.full = self.index.is_full or self.time_index.is_full
        self._bytes_since_index += n

    def on_roll(self) -> None:
        """This segment stops being the active one: final time-index entry, indexes to disk."""
        if self._max_ts is None:
            self._load_max_timestamp()
        if self._max_ts is not None and self._max_ts >= 0:
            self.time_index.maybe_append(self._max_ts, self._offset_of_max_ts)
        self.index.write()
        self.time_index.write()

    # -- lookups --------------------------------------------------------------------------

    def find_batch(self, offset: int) -> tuple[int, int, int, int] | None:
        """(position, base offset, last offset, size) of the first batch whose last offset is
        >= `offset`, or None when the segment holds no such batch."""
        end = self.size
        if end == 0:
            return None
        mv = self._view(end)
        pos = self.index.lookup(offset)
        unpack = _BASE_LEN_LOD.unpack_from
        while pos < end:
            base, length, lod = unpack(mv, pos)
            if base + lod >= offset:
                return pos, base, base + lod, length + LOG_OVERHEAD
            pos += length + LOG_OVERHEAD
        return None

    def read(
        self, fetch_offset: int, max_bytes: int, max_offset: int, min_one_batch: bool
    ) -> tuple[memoryview | None, int] | None:
        """Whole batches from the one holding `fetch_offset`: (view, first batch base offset).

        Stops before the first batch whose base offset is >= max_offset, and after at most
        max_bytes, except that the first batch is returned whole when min_one_batch (KIP-74).
        None when the segment has no batch at or after fetch_offset below max_offset;
        (None, -1) when it has one but it does not fit max_bytes.
        """
        end = self.size
        if end == 0:
            return None
        mv = self._mv
        if mv is None or self._map_len < end or self._handles.last is not self:
            mv = self._view(end)
        # find_batch and the index lookup, inlined: this is the fetch hot path
        index = self.index
        if index._loaded:
            i = bisect_right(index._rel, fetch_offset - self.base_offset) - 1
            pos = index._pos[i] if i >= 0 else 0
        else:
            pos = index.lookup(fetch_offset)
        unpack = _BASE_LEN_LOD.unpack_from
        while True:
            if pos >= end:
                return None
            base, length, lod = unpack(mv, pos)
            if base + lod >= fetch_offset:
                break
            pos += length + LOG_OVERHEAD
        if base >= max_offset:
            return None
        size = length + LOG_OVERHEAD
        if size > max_bytes:
            if not min_one_batch:
                return _NO_ROOM
            return mv[pos : pos + size], base
        limit = end
        if max_offset < self.next_offset:
            stop = self.find_batch(max_offset)
            if stop is not None:
                limit = stop[0] if stop[1] >= max_offset else stop[0] + stop[3]
        cap = min(limit, pos + max_bytes)
        stop_at = max(pos, self.index.floor_position(cap))
        unpack_i32 = _I32.unpack_from
        while stop_at < cap:
            nxt = stop_at + unpack_i32(mv, stop_at + 8)[0] + LOG_OVERHEAD
            if nxt > cap:
                break
            stop_at = nxt
        return mv[pos:stop_at], base

    def batch_positions(self, start: int = 0) -> list[tuple[int, int, int, int]]:
        """(position, base offset, last offset, size) of every batch from `start` (slow path)."""
        out: list[tuple[int, int, int, int]] = []
        end = self.size
        if end == 0:
            return out
        mv = self._view(end)
        pos = start
        while pos < end:
            base, length = _BASE_LEN.unpack_from(mv, pos)
            last = base + _I32.unpack_from(mv, pos + 23)[0]
            out.append((pos, base, last, length + LOG_OVERHEAD))
            pos += length + LOG_OVERHEAD
        return out

    def view(self, start: int, end: int) -> memoryview:
        """Bytes [start, end) of the valid part of the log (a view of the map, no copy)."""
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"range [{start}, {end}) outside segment of {self.size} bytes")
        if end == 0:
            return memoryview(b"")
        return self._view(end)[start:end]

    def position_for_timestamp(self, timestamp: int) -> int:
        """A batch position from which to scan for the first timestamp >= `timestamp`."""
        return self.index.lookup(self.time_index.lookup(timestamp))

    # -- loading and recovery -------------------------------------------------------------

    def open_existing(self, *, check_indexes: bool) -> bool:
        """Take the file's size as valid (a clean or already-recovered segment) and find the
        next offset by scanning from the last index entry. False when an index is missing or
        insane, in which case the caller must recover() this segment."""
        self.size = os.stat(self.log_path).st_size
        try:
            if check_indexes:
                self.index.load(self.size)
                self.time_index.load()
            elif not (os.path.exists(self.index.path) and os.path.exists(self.time_index.path)):
                return False
        except CorruptIndex:
            return False
        if check_indexes:
            self.update_full()
        return True

    def scan_tail(self) -> None:
        """Set next_offset and the max timestamp exactly, scanning from the last index entry."""
        last = self.index.last_entry()
        pos = last[1] if last else 0
        end = self.size
        if end == 0:
            self.next_offset = self.base_offset
            return
        mv = self._view(end)
        nxt = self.base_offset
        while pos < end:
            base, length = _BASE_LEN.unpack_from(mv, pos)
            nxt = base + _I32.unpack_from(mv, pos + 23)[0] + 1
            pos += length + LOG_OVERHEAD
        self.next_offset = nxt
        self._max_ts = None  # recomputed lazily from the time index plus the tail

    def recover(self, on_batch: Callable[[int, int], None] | None = None) -> int:
        """Check every batch (sizes, magic, offsets, CRC-32C), rebuild both indexes and cut
        the file at the first byte that fails. Returns the number of bytes cut off.

        `on_batch(partition_leader_epoch, base_offset)` is called for each good batch so the
        log can rebuild its leader-epoch cache.
        """
        file_size = os.fstat(self._get_fd()).st_size
        self.size = file_size
        pos = self._scan(file_size, True, on_batch)
        cut = file_size - pos
        if cut:
            self._truncate_file(pos)
        self.size = pos
        return cut

    def rebuild_indexes(self) -> None:
        """Rebuild both indexes from the (trusted) valid bytes; called when a lazily loaded
        index file turns out missing or insane."""
        self._scan(self.size, False, None)

    def _scan(
        self, file_size: int, check: bool, on_batch: Callable[[int, int], None] | None
    ) -> int:
        """Walk batches from byte 0, re-creating the indexes; returns the end of the last
        good batch. With `check`, a batch must also pass magic, offset and CRC checks."""
        self.index.reset()
        self.time_index.reset()
        self._max_ts = -1
        self._offset_of_max_ts = -1
        self._bytes_since_index = 0
        pos = 0
        next_offset = self.base_offset
        max_ts_so_far = -1
        offset_of_max = -1
        since_index = 0
        if file_size:
            mv = self._view(file_size)
            unpack = _SCAN_CHECK.unpack_from
            crc_of = _crc32c
            limit = self.base_offset + INT32_MAX
            interval = self.interval
            index_append = self.index.append
            time_append = self.time_index.maybe_append
            last_epoch = None
            stop = file_size - HEADER_SIZE
            while pos <= stop:
                base, length, epoch, magic, crc, lod, max_ts = unpack(mv, pos)
                total = length + LOG_OVERHEAD
                end = pos + total
                if check and (
                    magic != MAGIC_V2
                    or length < _MIN_BATCH_LENGTH
                    or end > file_size
                    or base < next_offset
                    or lod < 0
                    or base + lod > limit
                    or crc_of(mv[pos + CRC_START : end]) != crc
                ):
                    break
                if max_ts > max_ts_so_far:
                    max_ts_so_far = max_ts
                    offset_of_max = base
                if since_index > interval:
                    index_append(base + lod, pos)
                    time_append(max_ts_so_far, offset_of_max)
                    since_index = 0
                since_index += total
                if epoch != last_epoch and on_batch is not None:
                    on_batch(epoch, base)  # the log keeps only epoch changes
                    last_epoch = epoch
                next_offset = base + lod + 1
                pos = end
            del mv
        self._max_ts = max_ts_so_far
        self._offset_of_max_ts = offset_of_max
        self._bytes_since_index = since_index
        self.next_offset = next_offset
        self.update_full()
        return pos

    # -- truncation -----------------------------------------------------------------------

    def truncate_to(self, offset: int) -> int | None:
        """Remove the batch holding `offset` and everything after it; returns the removed
        first batch's base offset, or None when nothing was at or after `offset`."""
        found = self.find_batch(offset)
        if found is None:
            return None
        pos, base, _, _ = found
        self._truncate_file(pos)
        self.size = pos
        self.next_offset = base
        self.index.truncate_to_position(pos)
        self.time_index.truncate_to_offset(base)
        self._bytes_since_index = 0
        self._max_ts = -1
        self._offset_of_max_ts = -1
        last = self.time_index.last_entry()
        if last is not None:
            self._max_ts, self._offset_of_max_ts = last
        self._scan_max_timestamp(self.index.lookup(self._offset_of_max_ts if last else self.base_offset))
        self.update_full()
        return base

    def _truncate_file(self, position: int) -> None:
        """Cut the log file. A map still referenced by a fetch response must not see its pages
        vanish (that would be SIGBUS), so in that case the kept prefix is copied to a new file
        renamed over the old one, and the old inode lives on until the response is sent."""
        if self._drop_map():
            fd = self._get_fd()
            os.ftruncate(fd, position)
            return
        tmp = self.log_path + ".cut"
        src = self._get_fd()
        dst = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            copied = 0
            while copied < position:
                n = os.copy_file_range(src, dst, position - copied, copied, copied)
                if n == 0:
                    break
                copied += n
        except BaseException:
            os.close(dst)
            raise
        os.replace(tmp, self.log_path)
        os.close(src)
        self._fd = dst

    # -- durability and lifetime ----------------------------------------------------------

    def flush(self) -> None:
        """fsync the data and write+fsync both indexes."""
        if self._fd is not None or self.size:
            os.fsync(self._get_fd())
        self.index.write(fsync=True)
        self.time_index.write(fsync=True)

    def close(self) -> None:
        """Write the indexes (with a final time-index entry) and release handles."""
        self.on_roll()
        self._handles.forget(self)
        self.release_handles()

    def delete(self) -> None:
        """Release handles and unlink all files of the segment (missing files are fine)."""
        self._handles.forget(self)
        self.release_handles()
        suffix = ".deleted" if self._renamed else ""
        for path in (self.log_path, self.index.path, self.time_index.path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path + suffix)

    def rename_for_deletion(self) -> None:
        """Kafka's two-step delete: rename to `*.deleted` now, unlink after file.delete.delay.ms."""
        self._handles.forget(self)
        self.release_handles()
        for path in (self.log_path, self.index.path, self.time_index.path):
            with contextlib.suppress(FileNotFoundError):
                os.replace(path, path + ".deleted")
        self._renamed = True
