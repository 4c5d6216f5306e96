"""PartitionLog: one topic-partition's log on disk, the object the broker appends to and
fetches from.

Directory `<log dir>/<topic>-<partition>/`:

    00000000000000000000.log / .index / .timeindex   one segment (segment.py, *_index.py)
    00000000000000170000.log / .index / .timeindex   the active segment: the last one
    leader-epoch-checkpoint                          leader_epoch.py
    partition.metadata                               topic id (checkpoint.py)

Offsets: log start offset <= high watermark <= log end offset (LEO). ListOffsets EARLIEST
is `log_start_offset`; LATEST is `high_watermark` for consumers (the LSO for read_committed,
which the broker tracks) and `log_end_offset` for replicas. The log assigns offsets
(base offset = LEO) and never reuses one: retention, DeleteRecords and compaction only ever
remove offsets below the LEO, and an emptied log keeps its LEO. The high watermark is set by
the broker (single broker: after each append; replication: from follower progress).

Everything here is synchronous and single-threaded: one owner thread (the broker's event loop)
calls every method, except `sync_rolled_segments` (LogManager.checkpoint), which is built to
run in a worker thread beside it. Methods that fsync say so.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from bisect import bisect_right
from typing import NamedTuple

from moldau.common.clock import Clock
from moldau.protocol.errors import ProtocolError
from moldau.protocol.records.batch import (
    HEADER_SIZE,
    LOG_OVERHEAD,
    MAGIC_V2,
    BatchHeader,
    set_base_offset,
    set_log_append_time,
    set_partition_leader_epoch,
)
from moldau.protocol.records.record import iter_records

from .checkpoint import fsync_dir, fsync_path
from .config import LogConfig
from .errors import InvalidBatch, LogClosed, OffsetOutOfRange, RecordBatchTooLarge
from .handles import HandleCache
from .leader_epoch import LeaderEpochCache
from .segment import INT32_MAX, LogSegment

__all__ = [
    "AppendInfo",
    "FetchSlice",
    "LogConfig",
    "OffsetOutOfRange",
    "PartitionLog",
    "SegmentInfo",
]

_MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD
# base offset, length, leader epoch, magic, crc, attributes, last offset delta, base ts, max ts
_FAST = struct.Struct(">qiibIhiqq")
_BASE_LEN_EPOCH = struct.Struct(">qii")
_NEVER = 2**62  # flush.ms at or above this (Kafka's default Long.MAX) means never


class AppendInfo(NamedTuple):
    base_offset: int
    last_offset: int
    log_append_time_ms: int  # -1 unless the topic uses LogAppendTime
    max_timestamp: int
    size: int  # bytes appended


class FetchSlice(NamedTuple):
    """Whole batches ready to send: write `buffers` in order (views of the segment's memory
    map, no copy). `first_offset` is the base offset of the first batch, which may be below
    the fetch offset when that offset is inside the batch (clients skip such records)."""

    buffers: list[memoryview]
    size: int
    first_offset: int


@dataclasses.dataclass(frozen=True, slots=True)
class SegmentInfo:
    base_offset: int
    size: int
    max_timestamp: int


class PartitionLog:
    """A partition's segments plus its offsets. Construct through LogManager (or
    `loader.open_log`); `PartitionLog.create` makes a brand-new empty one."""

    def __init__(
        self,
        dir_path: str,
        topic: str,
        partition: int,
        config: LogConfig,
        clock: Clock,
        handles: HandleCache,
        segments: list[LogSegment],
        *,
        log_start_offset: int,
        recovery_point: int,
        high_watermark: int,
        epochs: LeaderEpochCache,
    ) -> None:
        if not segments:
            raise ValueError("a log has at least one segment")
        self.dir = dir_path
        self.topic = topic
        self.partition = partition
        self._config = config
        self.clock = clock
        self.handles = handles
        self._segments = segments
        self._bases = [s.base_offset for s in segments]
        self._leo = segments[-1].next_offset
        self._log_start_offset = min(max(log_start_offset, segments[0].base_offset), self._leo)
        self.recovery_point = min(recovery_point, self._leo)
        self._hw = max(min(high_watermark, self._leo), self._log_start_offset)
        self.epochs = epochs
        self._unflushed = 0
        self._last_flush_ms = clock.monotonic_ms()
        self._closed = False
        # Set when a segment is rolled; LogManager.checkpoint() fsyncs up to it.
        self.flush_pending_offset = self.recovery_point
        self.deleted_segments: list[tuple[int, LogSegment]] = []  # (delete after ms, seg)
        # The cleaner's checkpoint: offsets below it were compacted already (cleaner.py).
        self.first_dirty_offset = self._log_start_offset

    @classmethod
    def create(
        cls,
        dir_path: str,
        topic: str,
        partition: int,
        config: LogConfig,
        clock: Clock,
        handles: HandleCache,
        start_offset: int = 0,
    ) -> PartitionLog:
        os.makedirs(dir_path, exist_ok=True)
        seg = LogSegment(
            dir_path,
            start_offset,
            handles,
            index_bytes=config.segment_index_bytes,
            interval=config.index_interval_bytes,
            created_ms=clock.monotonic_ms(),
            new=True,
        )
        fsync_dir(os.path.dirname(dir_path) or ".")
        return cls(
            dir_path,
            topic,
            partition,
            config,
            clock,
            handles,
            [seg],
            log_start_offset=start_offset,
            recovery_point=start_offset,
            high_watermark=start_offset,
            epochs=LeaderEpochCache(dir_path),
        )

    def __repr__(self) -> str:
        return (
            f"PartitionLog({self.topic}-{self.partition}, start={self._log_start_offset}, "
            f"hw={self._hw}, leo={self._leo}, segments={len(self._segments)})"
        )

    # -- offsets ------------------------------------------------------------------------

    @property
    def config(self) -> LogConfig:
        return self._config

    @config.setter
    def config(self, value: LogConfig) -> None:
        """A topic config change (AlterConfigs) applies from the next append/roll/retention."""
        self._config = value
        for seg in self._segments:
            seg.interval = value.index_interval_bytes

    @property
    def log_start_offset(self) -> int:
        return self._log_start_offset

    @property
    def log_end_offset(self) -> int:
        return self._leo

    @property
    def high_watermark(self) -> int:
        return self._hw

    @high_watermark.setter
    def high_watermark(self, value: int) -> None:
        """Clamped to [log start offset, LEO]; persisted by LogManager.checkpoint()."""
        if value < 0:
            raise ValueError(f"negative high watermark {value}")
        self._hw = max(min(value, self._leo), self._log_start_offset)

    @property
    def size_bytes(self) -> int:
        return sum(s.size for s in self._segments)

    @property
    def segments(self) -> list[SegmentInfo]:
        """Per-segment base offset, size and max timestamp (DescribeLogDirs, tools)."""
        return [SegmentInfo(s.base_offset, s.size, s.max_timestamp) for s in self._segments]

    @property
    def active_segment(self) -> LogSegment:
        return self._segments[-1]

    def _check_open(self) -> None:
        if self._closed:
            raise LogClosed(f"{self.topic}-{self.partition} is closed")

    # -- append -------------------------------------------------------------------------

    def append(
        self,
        batch: bytearray | memoryview,
        *,
        leader_epoch: int = 0,
        log_append_time_ms: int | None = None,
    ) -> AppendInfo:
        """Append validated v2 batches (one or more back to back in a writable buffer).

        Assigns offsets from the LEO and stamps `leader_epoch` in place, and for a
        LogAppendTime topic (or when log_append_time_ms is given) sets the append time (the
        only edit that recomputes the CRC). The bytes are otherwise written unchanged.
        Raises InvalidBatch for bytes that are not whole v2 batches and RecordBatchTooLarge
        for a batch larger than segment.bytes.
        """
        if self._closed:
            raise LogClosed(f"{self.topic}-{self.partition} is closed")
        mv = memoryview(batch)
        if mv.readonly:
            raise InvalidBatch("append needs a writable buffer (offsets are assigned in place)")
        n = len(mv)
        if n >= HEADER_SIZE and log_append_time_ms is None and not self._config.log_append_time:
            # The common case, one batch with producer timestamps: no header object.
            _, length, _, magic, _, _, lod, _, max_ts = _FAST.unpack_from(mv, 0)
            if length + LOG_OVERHEAD == n and magic == MAGIC_V2 and lod >= 0 and length >= _MIN_BATCH_LENGTH:
                if n > self._config.segment_bytes:
                    raise RecordBatchTooLarge(
                        f"batch of {n} bytes exceeds segment.bytes={self._config.segment_bytes}"
                    )
                base = self._leo
                if leader_epoch > self.epochs.latest_epoch:
                    self.epochs.assign(leader_epoch, base)
                _BASE_LEN_EPOCH.pack_into(mv, 0, base, length, leader_epoch)
                last = base + lod
                seg = self._segments[-1]
                if seg.size and (
                    seg.size + n > self._config.segment_bytes
                    or seg.full
                    or last - seg.base_offset > INT32_MAX
                    or self.clock.monotonic_ms() - seg.created_ms >= self._config.segment_ms
                ):
                    seg = self.roll(base)
                seg.append(mv, last, max_ts, base)
                self._leo = last + 1
                self._unflushed += lod + 1
                if self._unflushed >= self._config.flush_messages or self._config.flush_ms < _NEVER:
                    self._after_append(0)
                return AppendInfo(base, last, -1, max_ts, n)
        headers = _parse_batches(mv)
        config = self._config
        if config.log_append_time and log_append_time_ms is None:
            log_append_time_ms = self.clock.now_ms()
        offset = self._leo
        first = offset
        total = len(mv)
        max_ts = -1
        for h in headers:
            if h.total_size > config.segment_bytes:
                raise RecordBatchTooLarge(
                    f"batch of {h.total_size} bytes exceeds segment.bytes={config.segment_bytes}"
                )
        if leader_epoch > self.epochs.latest_epoch:
            self.epochs.assign(leader_epoch, first)
        for h in headers:
            pos = h.offset
            set_base_offset(mv, pos, offset)
            set_partition_leader_epoch(mv, pos, leader_epoch)
            if log_append_time_ms is not None:
                set_log_append_time(mv, pos, log_append_time_ms)
                ts = log_append_time_ms
            else:
                ts = h.max_timestamp
            last = offset + h.last_offset_delta
            self._write(mv[pos : pos + h.total_size], offset, last, ts)
            if ts > max_ts:
                max_ts = ts
            offset = self._leo = last + 1  # a later batch failing to write keeps this one
        self._after_append(offset - first)
        return AppendInfo(
            first,
            offset - 1,
            log_append_time_ms if log_append_time_ms is not None else -1,
            max_ts,
            total,
        )

    def append_as_follower(self, batches: bytearray | bytes | memoryview) -> AppendInfo | None:
        """Append batches fetched from the leader (CRCs checked by the caller), keeping their
        offsets and epochs.

        Batches at or below the current LEO are skipped (a re-fetch after a retry); a gap
        above the LEO is allowed (compacted leader logs have gaps). Returns None when nothing
        new was appended.
        """
        self._check_open()
        mv = memoryview(batches)
        headers = _parse_batches(mv)
        appended = 0
        first = -1
        max_ts = -1
        for h in headers:
            if h.base_offset < self._leo:
                continue
            if h.total_size > self._config.segment_bytes:
                raise RecordBatchTooLarge(f"batch of {h.total_size} bytes exceeds segment.bytes")
            if h.partition_leader_epoch > self.epochs.latest_epoch:
                self.epochs.assign(h.partition_leader_epoch, h.base_offset)
            last = h.last_offset
            self._write(mv[h.offset : h.offset + h.total_size], h.base_offset, last, h.max_timestamp)
            if first < 0:
                first = h.base_offset
            appended += h.total_size
            max_ts = max(max_ts, h.max_timestamp)
            self._leo = last + 1
        if first < 0:
            return None
        self._after_append(self._leo - first)
        return AppendInfo(first, self._leo - 1, -1, max_ts, appended)

    def _write(self, data: memoryview, base: int, last: int, max_ts: int) -> None:
        seg = self._segments[-1]
        size = len(data)
        config = self._config
        if seg.size and (
            seg.size + size > config.segment_bytes
            or self.clock.monotonic_ms() - seg.created_ms >= config.segment_ms
            or last - seg.base_offset > INT32_MAX
            or seg.full
        ):
            seg = self.roll(base)
        elif last - seg.base_offset > INT32_MAX or base < seg.base_offset:
            seg = self.roll(base)  # an empty segment that cannot index this batch
        seg.append(data, last, max_ts, base)

    def _after_append(self, messages: int) -> None:
        config = self._config
        self._unflushed += messages
        if self._unflushed >= config.flush_messages or (
            config.flush_ms < _NEVER
            and self.clock.monotonic_ms() - self._last_flush_ms >= config.flush_ms
        ):
            self.flush()

    def roll(self, base_offset: int | None = None) -> LogSegment:
        """Start a new active segment at `base_offset` (default: the LEO). An empty active
        segment is replaced rather than kept."""
        self._check_open()
        new_base = self._leo if base_offset is None else base_offset
        old = self._segments[-1]
        if old.size == 0:
            self._segments.pop()
            self._bases.pop()
            old.delete()
        else:
            old.on_roll()
        seg = LogSegment(
            self.dir,
            new_base,
            self.handles,
            index_bytes=self._config.segment_index_bytes,
            interval=self._config.index_interval_bytes,
            created_ms=self.clock.monotonic_ms(),
            new=True,
        )
        self._segments.append(seg)
        self._bases.append(new_base)
        self.flush_pending_offset = new_base
        return seg

    # -- read ---------------------------------------------------------------------------

    def read(
        self,
        fetch_offset: int,
        max_bytes: int,
        max_offset: int | None = None,
        min_one_batch: bool = True,
    ) -> FetchSlice | None:
        """Whole batches starting with the one that holds `fetch_offset`.

        `max_offset` is the exclusive upper bound (the high watermark for consumers, the LSO
        for read_committed, None for the LEO: replica fetches); only batches whose base
        offset is below it are returned. At most `max_bytes`, except that with
        `min_one_batch` (KIP-74) the first batch is returned whole even when larger. None
        when there is nothing to return yet. Raises OffsetOutOfRange outside
        [log start offset, LEO].
        """
        if self._closed:
            raise LogClosed(f"{self.topic}-{self.partition} is closed")
        if fetch_offset < self._log_start_offset or fetch_offset > self._leo:
            raise OffsetOutOfRange(fetch_offset, self._log_start_offset, self._leo)
        leo = self._leo
        upper = leo if max_offset is None or max_offset > leo else max_offset
        if fetch_offset >= upper or max_bytes < 0:
            return None
        segments = self._segments
        if len(segments) == 1:
            got = segments[0].read(fetch_offset, max_bytes, upper, min_one_batch)
            if got is None or got[0] is None:
                return None
            return FetchSlice([got[0]], len(got[0]), got[1])
        i = bisect_right(self._bases, fetch_offset) - 1
        if i < 0:
            i = 0
        while i < len(segments):
            seg = segments[i]
            if seg.base_offset >= upper:
                return None
            got = seg.read(fetch_offset, max_bytes, upper, min_one_batch)
            if got is not None:
                view, first = got
                return None if view is None else FetchSlice([view], len(view), first)
            i += 1  # fetch_offset sits in a gap past this segment's data (compaction)
        return None

    def batches(self, start_offset: int | None = None):  # type: ignore[no-untyped-def]
        """Yield (BatchHeader over a view) for every batch from the one holding start_offset;
        a slow path for compaction, timestamp lookups, tools and tests."""
        start = self._log_start_offset if start_offset is None else start_offset
        i = max(bisect_right(self._bases, start) - 1, 0)
        for seg in list(self._segments[i:]):
            found = seg.find_batch(start)
            if found is None:
                continue
            pos = found[0]
            view = seg.view(0, seg.size)
            while pos < seg.size:
                h = BatchHeader(view, pos)
                yield h
                pos += h.total_size

    # -- timestamps ---------------------------------------------------------------------

    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record at or after the log start offset whose
        timestamp is >= `timestamp` (ListOffsets by time), or None when there is none."""
        self._check_open()
        for seg in self._segments:
            if seg.size == 0 or seg.max_timestamp < timestamp:
                continue
            pos = seg.position_for_timestamp(timestamp)
            view = seg.view(0, seg.size)
            while pos < seg.size:
                h = BatchHeader(view, pos)
                pos += h.total_size
                if h.max_timestamp < timestamp or h.last_offset < self._log_start_offset:
                    continue
                for off, ts in _offsets_and_timestamps(h):
                    if ts >= timestamp and off >= self._log_start_offset:
                        return off, ts
        return None

    def max_timestamp_offset(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record carrying the largest timestamp in the log
        (ListOffsets MAX_TIMESTAMP, KIP-734); None for an empty log."""
        self._check_open()
        best: LogSegment | None = None
        for seg in self._segments:
            if seg.size and seg.offset_of_max_timestamp >= 0 and (
                best is None or seg.max_timestamp > best.max_timestamp
            ):
                best = seg
        if best is None:
            return None
        found = best.find_batch(best.offset_of_max_timestamp)
        if found is not None:
            h = BatchHeader(best.view(found[0], found[0] + found[3]), 0)
            target = best.max_timestamp
            for off, ts in _offsets_and_timestamps(h):
                if ts == target and off >= self._log_start_offset:
                    return off, ts
        # The maximum sits below the log start offset (DeleteRecords cut through its
        # batch): the slow way, over every record from the log start.
        result: tuple[int, int] | None = None
        for h in self.batches():
            if result is not None and h.max_timestamp <= result[1]:
                continue
            for off, ts in _offsets_and_timestamps(h):
                if off >= self._log_start_offset and (result is None or ts > result[1]):
                    result = (off, ts)
        return result

    # -- leader epochs -------------------------------------------------------------------

    def assign_epoch(self, epoch: int, start_offset: int | None = None) -> None:
        """A new leader epoch starts at `start_offset` (default: the LEO); call on becoming
        leader. Appends stamp and record epochs too, so this only matters before the first
        append of the epoch."""
        self.epochs.assign(epoch, self._leo if start_offset is None else start_offset)

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """OffsetsForLeaderEpoch: (largest epoch <= `epoch`, its end offset), (-1, -1) when
        unknown (see LeaderEpochCache.end_offset_for_epoch)."""
        return self.epochs.end_offset_for_epoch(epoch, self._leo)

    @property
    def latest_epoch(self) -> int:
        return self.epochs.latest_epoch

    # -- truncation and deletion --------------------------------------------------------

    def truncate_to(self, offset: int) -> None:
        """Remove every batch at or after the one holding `offset` (follower truncation).

        The new LEO is `offset`, or the base offset of a batch that straddled it. Below the
        log start offset this empties the log and restarts it at `offset`.
        """
        self._check_open()
        if offset >= self._leo:
            return
        if offset < self._log_start_offset:
            self.truncate_fully_and_start_at(offset)
            return
        while len(self._segments) > 1 and self._segments[-1].base_offset >= offset:
            self._segments.pop().delete()
            self._bases.pop()
        seg = self._segments[-1]
        removed_base = seg.truncate_to(offset)
        new_leo = offset if removed_base is None else min(offset, removed_base)
        new_leo = max(new_leo, seg.base_offset)
        seg.next_offset = new_leo
        self._leo = new_leo
        # A cut batch that straddled the log start offset takes the start back with it.
        self._log_start_offset = min(self._log_start_offset, new_leo)
        self._hw = min(self._hw, new_leo)
        self.recovery_point = min(self.recovery_point, new_leo)
        self.flush_pending_offset = min(self.flush_pending_offset, new_leo)
        self.epochs.truncate_from_end(new_leo)

    def truncate_fully_and_start_at(self, offset: int) -> None:
        """Drop all data and restart the log at `offset` (a follower far behind the leader)."""
        self._check_open()
        for seg in self._segments:
            seg.delete()
        seg = LogSegment(
            self.dir,
            offset,
            self.handles,
            index_bytes=self._config.segment_index_bytes,
            interval=self._config.index_interval_bytes,
            created_ms=self.clock.monotonic_ms(),
            new=True,
        )
        self._segments = [seg]
        self._bases = [offset]
        self._leo = self._log_start_offset = self._hw = offset
        self.recovery_point = self.flush_pending_offset = offset
        self.epochs.clear()

    def delete_records_before(self, offset: int) -> int:
        """DeleteRecords: advance the log start offset to `offset` (<= high watermark).

        Whole segments below it are removed by the next retention pass. Returns the new log
        start offset. Raises OffsetOutOfRange above the high watermark.
        """
        self._check_open()
        if offset < 0 or offset > self._hw:
            raise OffsetOutOfRange(offset, self._log_start_offset, self._hw)
        self.advance_log_start_offset(offset)
        return self._log_start_offset

    def advance_log_start_offset(self, offset: int) -> None:
        if offset <= self._log_start_offset:
            return
        self._log_start_offset = min(offset, self._leo)
        self._hw = max(self._hw, self._log_start_offset)
        self.epochs.truncate_from_start(self._log_start_offset)

    def delete_segments(self, segments: list[LogSegment], delay_ms: int) -> None:
        """Remove closed segments from the log (retention, DeleteRecords): files are renamed
        to *.deleted now and unlinked by `purge_deleted` after `delay_ms`. The log start
        offset moves past them."""
        gone = {id(s) for s in segments}
        if id(self._segments[-1]) in gone:
            raise ValueError("the active segment is never deleted")
        keep = [s for s in self._segments if id(s) not in gone]
        self._segments = keep
        self._bases = [s.base_offset for s in keep]
        self.advance_log_start_offset(keep[0].base_offset)
        due = self.clock.monotonic_ms() + delay_ms
        for seg in segments:
            seg.rename_for_deletion()
            self.deleted_segments.append((due, seg))

    def delete_segments_for_swap(self, segments: list[LogSegment], delay_ms: int) -> None:
        """Rename segments that a cleaned segment replaces (the cleaner's swap step); the log
        start offset stays where it is."""
        due = self.clock.monotonic_ms() + delay_ms
        for seg in segments:
            seg.rename_for_deletion()
            self.deleted_segments.append((due, seg))

    def purge_deleted(self, now_monotonic_ms: int | None = None, force: bool = False) -> int:
        """Unlink renamed segment files whose delay has passed; returns how many."""
        now = self.clock.monotonic_ms() if now_monotonic_ms is None else now_monotonic_ms
        keep = []
        done = 0
        for due, seg in self.deleted_segments:
            if force or due <= now:
                seg.delete()
                done += 1
            else:
                keep.append((due, seg))
        self.deleted_segments = keep
        return done

    def replace_segments(self, old: list[LogSegment], new: list[LogSegment]) -> None:
        """Swap cleaned segments in for the ones they were made from (the cleaner)."""
        gone = {id(s) for s in old}
        kept = [s for s in self._segments if id(s) not in gone]
        merged = sorted(kept + new, key=lambda s: s.base_offset)
        self._segments = merged
        self._bases = [s.base_offset for s in merged]

    @property
    def segment_list(self) -> list[LogSegment]:
        """The live segments, oldest first (for retention and the cleaner; do not mutate)."""
        return self._segments

    # -- durability ---------------------------------------------------------------------

    def flush(self, up_to: int | None = None) -> None:
        """fsync data and indexes of segments holding offsets in [recovery point, up_to) and
        move the recovery point there (default: the LEO). Blocks on the disk."""
        self._check_open()
        target = self._leo if up_to is None else min(up_to, self._leo)
        if target <= self.recovery_point:
            return
        for i, seg in enumerate(self._segments):
            seg_end = self._bases[i + 1] if i + 1 < len(self._segments) else self._leo
            if seg_end > self.recovery_point and seg.base_offset < target:
                seg.flush()
        self.epochs.sync()
        fsync_dir(self.dir)
        self.recovery_point = target
        if target >= self._leo:
            self._unflushed = 0
            self._last_flush_ms = self.clock.monotonic_ms()

    def sync_rolled_segments(self) -> None:
        """fsync the segments rolled since the last call and move the recovery point to the
        active segment's base (what Kafka does after a roll, in the background).

        Unlike every other method this one may run in a worker thread while the owner
        thread appends: it opens the files by name (their indexes were written at roll
        time), touches no shared handle and only ever raises the recovery point.
        """
        target = self.flush_pending_offset
        start = self.recovery_point
        if target <= start:
            return
        for seg in list(self._segments):
            if seg.base_offset >= target:
                break
            if seg.next_offset > start:
                for path in (seg.log_path, seg.index.path, seg.time_index.path):
                    fsync_path(path)
        self.epochs.sync_file()
        fsync_dir(self.dir)
        self.recovery_point = max(self.recovery_point, min(target, self._leo))

    def close(self) -> None:
        """Write indexes and release every handle (no fsync: LogManager.shutdown does that)."""
        if self._closed:
            return
        for seg in self._segments:
            seg.close()
        self.purge_deleted(force=False)
        self._closed = True

    def delete_files(self) -> None:
        """Unlink every segment (the directory itself is the manager's business)."""
        for seg in self._segments:
            seg.delete()
        self.purge_deleted(force=True)
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed


def _offsets_and_timestamps(h: BatchHeader) -> list[tuple[int, int]]:
    """(offset, timestamp) of each record; for a batch whose records do not decode (it
    passed its CRC, so it was stored that way) the batch's last offset and max timestamp
    stand for all of them, rather than failing a ListOffsets."""
    try:
        return [(r.offset, r.timestamp) for r in iter_records(h)]
    except ProtocolError:
        return [(h.last_offset, h.max_timestamp)]


def _parse_batches(mv: memoryview) -> list[BatchHeader]:
    """Headers of the back-to-back batches in `mv`; InvalidBatch unless it is exactly that."""
    headers = []
    pos = 0
    end = len(mv)
    if end == 0:
        raise InvalidBatch("no batch to append")
    while pos < end:
        if end - pos < HEADER_SIZE:
            raise InvalidBatch(f"{end - pos} trailing bytes are not a whole batch header")
        h = BatchHeader(mv, pos)
        if h.magic != MAGIC_V2:
            raise InvalidBatch(f"unsupported magic {h.magic}")
        if h.batch_length < _MIN_BATCH_LENGTH or pos + h.batch_length + LOG_OVERHEAD > end:
            raise InvalidBatch(f"batch length {h.batch_length} does not fit the buffer")
        if h.last_offset_delta < 0:
            raise InvalidBatch(f"negative last offset delta {h.last_offset_delta}")
        headers.append(h)
        pos += h.batch_length + LOG_OVERHEAD
    return headers
