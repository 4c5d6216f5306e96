"""Log compaction (cleanup.policy=compact or compact,delete): keep the newest record per key.

A compacted log has a clean head (already compacted) and a dirty tail: the segments from the
cleaner's checkpoint (`first_dirty_offset`, persisted in `cleaner-offset-checkpoint` at the
log dir root, Kafka's name and text format) up to the first segment that may not be cleaned
yet. The cleanable range ends at the earliest of: the active segment (never cleaned), the
first segment not wholly below the high watermark, and the first segment holding a record
newer than min.compaction.lag.ms.

A log is cleaned when dirty bytes / (clean + dirty bytes) >= min.cleanable.dirty.ratio, or
when its oldest dirty segment is older than max.compaction.lag.ms. A pass then
1. maps each key in the dirty range to its newest offset (bounded by `max_map_keys`: when
   full, the range ends at the segment boundary reached so far, as Kafka's dedupe buffer
   does);
2. rewrites every segment from the log start up to the end of the range in groups whose
   input fits in segment.bytes (and whose offsets fit 32-bit relative offsets), keeping a record when no newer offset exists for its key;
   a batch whose records all stay is copied byte for byte, otherwise it is rebuilt with the
   same base offset, last offset delta, producer fields and codec (offsets keep their gaps);
   control batches are kept as they are; records without a key are dropped (Kafka rejects
   them on compacted topics); the newest batch of each producer id in the whole log is kept
   even when none of its records stay, as an empty batch (61-byte header, records count 0,
   the same offsets, producer id, epoch and sequences, both timestamps set to its max
   timestamp), so that rebuilding producer state from the log still finds every producer's
   last sequence and epoch (Kafka keeps them the same way); an empty batch that is no
   longer a producer's newest is dropped;
3. drops tombstones (null value) once delete.retention.ms has passed: a tombstone goes when
   the newest timestamp of its segment is older than now - delete.retention.ms (Kafka uses
   the segment file's mtime or, since KIP-534, a horizon stamped into the batch; record
   timestamps make this testable with an injected clock);
4. swaps each group in atomically: the output is written to `<base>.log.cleaned` and
   fsynced, renamed to `<base>.log.swap`, the old segments are renamed to `*.deleted`, and
   the swap file becomes `<base>.log`. The loader completes or discards an interrupted swap.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable

from moldau.protocol.errors import ProtocolError
from moldau.protocol.records.batch import ATTR_COMPRESSION_MASK, BatchHeader
from moldau.protocol.records.builder import BatchBuilder, assemble_batch
from moldau.protocol.records.record import iter_records

from .checkpoint import fsync_dir
from .log import PartitionLog
from .segment import INT32_MAX, LogSegment, segment_name

DEFAULT_MAX_MAP_KEYS = 1_000_000
CLEANER_CHECKPOINT_FILE = "cleaner-offset-checkpoint"


def cleanable_range(log: PartitionLog, now_ms: int) -> tuple[int, int]:
    """(first dirty segment index, end segment index) over log.segment_list."""
    segments = log.segment_list
    config = log.config
    end = len(segments) - 1  # never the active segment
    for i in range(end):
        seg = segments[i]
        seg_end = segments[i + 1].base_offset
        if seg_end > log.high_watermark or (
            config.min_compaction_lag_ms > 0
            and seg.max_timestamp > now_ms - config.min_compaction_lag_ms
        ):
            end = i
            break
    first_dirty = log.first_dirty_offset
    start = 0
    while start < end and segments[start + 1].base_offset <= first_dirty:
        start += 1
    return start, end


def dirty_ratio(log: PartitionLog, now_ms: int) -> float:
    start, end = cleanable_range(log, now_ms)
    segments = log.segment_list
    clean = sum(s.size for s in segments[:start])
    dirty = sum(s.size for s in segments[start:end])
    return dirty / (clean + dirty) if dirty else 0.0


def needs_cleaning(log: PartitionLog, now_ms: int) -> bool:
    if not log.config.compact or log.closed:
        return False
    start, end = cleanable_range(log, now_ms)
    if start >= end:
        return False
    if dirty_ratio(log, now_ms) >= log.config.min_cleanable_dirty_ratio:
        return True
    oldest = log.segment_list[start].max_timestamp
    return now_ms - oldest > log.config.max_compaction_lag_ms


def clean_due_logs(logs: Iterable[PartitionLog], now_ms: int, max_logs: int) -> int:
    """Clean the dirtiest due logs, at most `max_logs`; returns how many were cleaned."""
    due = [log for log in logs if needs_cleaning(log, now_ms)]
    due.sort(key=lambda log: dirty_ratio(log, now_ms), reverse=True)
    for log in due[:max_logs]:
        clean_log(log, now_ms)
    return min(len(due), max_logs)


def clean_log(log: PartitionLog, now_ms: int, max_map_keys: int = DEFAULT_MAX_MAP_KEYS) -> int:
    """One compaction pass over `log` (regardless of the dirty ratio); returns bytes saved."""
    start, end = cleanable_range(log, now_ms)
    segments = log.segment_list
    if start >= end:
        return 0
    offset_map: dict[bytes, int] = {}
    map_end = start
    for i in range(start, end):
        keys = _segment_keys(segments[i])
        if len(offset_map) + len(keys) > max_map_keys and map_end > start:
            break
        offset_map.update(keys)
        map_end = i + 1
    end = map_end
    dirty_end_offset = segments[end].base_offset
    horizon = now_ms - log.config.delete_retention_ms
    last_of_producer = _last_batch_of_each_producer(segments)
    saved = 0
    groups = _groups(segments[:end], log.config.segment_bytes)
    for group in groups:
        saved += _clean_group(log, group, offset_map, horizon, last_of_producer)
    log.first_dirty_offset = dirty_end_offset
    return saved


def _segment_keys(seg: LogSegment) -> dict[bytes, int]:
    keys: dict[bytes, int] = {}
    for h in _headers(seg):
        if h.is_control:
            continue
        try:
            for rec in iter_records(h):
                if rec.key is not None:
                    keys[bytes(rec.key)] = rec.offset
        except ProtocolError:
            continue  # kept as it is by _retained_batch
    return keys


def _last_batch_of_each_producer(segments: list[LogSegment]) -> dict[int, int]:
    """Producer id -> last offset of its newest data batch, over every segment (headers
    only: no record is decoded)."""
    last: dict[int, int] = {}
    for seg in segments:
        for h in _headers(seg):
            if h.producer_id >= 0 and not h.is_control:
                last[h.producer_id] = h.last_offset
    return last


def _headers(seg: LogSegment) -> list[BatchHeader]:
    if seg.size == 0:
        return []
    view = seg.view(0, seg.size)
    return [BatchHeader(view, pos) for pos, _, _, _ in seg.batch_positions()]


def _groups(segments: list[LogSegment], max_bytes: int) -> list[list[LogSegment]]:
    groups: list[list[LogSegment]] = []
    current: list[LogSegment] = []
    size = 0
    for seg in segments:
        if current and (
            size + seg.size > max_bytes or seg.next_offset - current[0].base_offset > INT32_MAX
        ):
            groups.append(current)
            current, size = [], 0
        current.append(seg)
        size += seg.size
    if current:
        groups.append(current)
    return groups


def _retained_batch(
    h: BatchHeader,
    offset_map: dict[bytes, int],
    drop_tombstones: bool,
    last_of_producer: dict[int, int],
) -> memoryview | bytes | None:
    """The batch itself when every record stays, a rebuilt batch when some do, an empty
    batch when none do but it is its producer's newest, else None."""
    if h.is_control:
        return h.view()
    try:
        records = list(iter_records(h))
    except ProtocolError:
        return h.view()  # undecodable records are not ours to drop: keep the batch whole
    producers_last = h.producer_id >= 0 and last_of_producer.get(h.producer_id) == h.last_offset
    if not records:  # an empty batch kept by an earlier pass
        return h.view() if producers_last else None
    keep = []
    for rec in records:
        if rec.key is None:
            continue
        newest = offset_map.get(bytes(rec.key))
        if newest is not None and rec.offset < newest:
            continue
        if rec.value is None and drop_tombstones:
            continue
        keep.append(rec)
    if len(keep) == len(records):
        return h.view()
    if not keep:
        return _empty_batch(h) if producers_last else None
    builder = BatchBuilder(
        compression=h.compression,
        base_offset=h.base_offset,
        partition_leader_epoch=h.partition_leader_epoch,
        producer_id=h.producer_id,
        producer_epoch=h.producer_epoch,
        base_sequence=h.base_sequence,
        transactional=h.is_transactional,
        log_append_time=h.max_timestamp if h.is_log_append_time else None,
    )
    for rec in keep:
        builder.append(
            rec.timestamp, rec.key, rec.value, rec.headers, offset_delta=rec.offset - h.base_offset
        )
    return builder.build(last_offset_delta=h.last_offset_delta)


def _empty_batch(h: BatchHeader) -> bytes:
    """`h` without records: offsets, producer fields and attribute bits (but the codec,
    since there is nothing to compress) stay; both timestamps become its max timestamp."""
    return assemble_batch(
        payload=b"",
        attributes=h.attributes & ~ATTR_COMPRESSION_MASK,
        records_count=0,
        last_offset_delta=h.last_offset_delta,
        base_timestamp=h.max_timestamp,
        max_timestamp=h.max_timestamp,
        base_offset=h.base_offset,
        partition_leader_epoch=h.partition_leader_epoch,
        producer_id=h.producer_id,
        producer_epoch=h.producer_epoch,
        base_sequence=h.base_sequence,
    )


def _clean_group(
    log: PartitionLog,
    group: list[LogSegment],
    offset_map: dict[bytes, int],
    horizon: int,
    last_of_producer: dict[int, int],
) -> int:
    base = group[0].base_offset
    stem = os.path.join(log.dir, segment_name(base))
    cleaned_path = stem + ".log.cleaned"
    before = sum(s.size for s in group)
    written = 0
    fd = os.open(cleaned_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for seg in group:
            drop_tombstones = seg.max_timestamp < horizon
            for h in _headers(seg):
                out = _retained_batch(h, offset_map, drop_tombstones, last_of_producer)
                if out is not None:
                    data = memoryview(out)
                    while data:
                        data = data[os.write(fd, data) :]
                    written += len(out)
        os.fsync(fd)
    finally:
        os.close(fd)
    if written == before:
        os.unlink(cleaned_path)  # nothing to remove: keep the segments as they are
        return 0
    os.replace(cleaned_path, stem + ".log.swap")
    fsync_dir(log.dir)
    delay = log.config.file_delete_delay_ms
    log.delete_segments_for_swap(group, delay)
    new: list[LogSegment] = []
    if written:
        os.replace(stem + ".log.swap", stem + ".log")
        seg = LogSegment(
            log.dir,
            base,
            log.handles,
            index_bytes=log.config.segment_index_bytes,
            interval=log.config.index_interval_bytes,
            created_ms=log.clock.monotonic_ms(),
            new=False,
        )
        seg.size = written
        seg.rebuild_indexes()
        seg.next_offset = max(s.next_offset for s in group)
        seg.on_roll()
        new.append(seg)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stem + ".log.swap")
    fsync_dir(log.dir)
    log.replace_segments(group, new)
    return before - written
