"""Opening a partition directory at start-up, with recovery after an unclean stop.

After a clean shutdown every segment is trusted as is (the active segment's tail is scanned
from its last index entry to find the LEO). After an unclean one, every segment holding
offsets at or past the recovery point is checked batch by batch (size, magic, increasing
offsets, CRC-32C) and cut at the first byte that fails. Unlike Kafka, later segments are
kept when an earlier one is cut (each is checked on its own; the offsets still increase,
with a gap): their batches were completely written, and are not ours to drop. Missing or insane indexes are rebuilt from
the log either way. A batch that was completely written and is intact is never dropped.

Leftovers of interrupted operations are settled here: `*.cleaned` (a compaction that did
not finish) and `*.deleted` (a deletion that did not finish) are removed, `*.swap` (a
compaction whose result was complete) replaces the segments it covers, `*.cut` (a
truncation copy that was not renamed) is removed.
"""

from __future__ import annotations

import contextlib
import os
import re

from moldau.common.clock import Clock

from .config import LogConfig
from .handles import HandleCache
from .leader_epoch import LeaderEpochCache
from .log import PartitionLog
from .segment import LogSegment

_SEGMENT_FILE = re.compile(r"^(\d{20})\.(log|index|timeindex)(\.swap)?$")


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def open_log(
    dir_path: str,
    topic: str,
    partition: int,
    config: LogConfig,
    clock: Clock,
    handles: HandleCache,
    *,
    recovery_point: int,
    log_start_offset: int,
    high_watermark: int,
    clean_shutdown: bool,
) -> PartitionLog:
    names = os.listdir(dir_path)
    swaps: list[int] = []
    logs: set[int] = set()
    others: list[str] = []
    for name in names:
        if name.endswith((".cleaned", ".deleted", ".cut", ".tmp")):
            _remove(os.path.join(dir_path, name))
            continue
        m = _SEGMENT_FILE.match(name)
        if m is None:
            continue
        base = int(m.group(1))
        if m.group(3):
            if m.group(2) == "log":
                swaps.append(base)
        elif m.group(2) == "log":
            logs.add(base)
        else:
            others.append(name)

    epochs = LeaderEpochCache(dir_path)
    if swaps:
        logs = _complete_swaps(dir_path, sorted(swaps), logs, handles, config)
    for name in others:  # indexes without a log file
        if int(name[:20]) not in logs:
            _remove(os.path.join(dir_path, name))

    now = clock.monotonic_ms()
    segments = [
        LogSegment(
            dir_path,
            base,
            handles,
            index_bytes=config.segment_index_bytes,
            interval=config.index_interval_bytes,
            created_ms=now,
            new=False,
        )
        for base in sorted(logs)
    ]
    recovered_epochs: list[tuple[int, int]] = []

    def on_batch(epoch: int, base: int) -> None:
        if epoch >= 0 and (not recovered_epochs or epoch > recovered_epochs[-1][0]):
            recovered_epochs.append((epoch, base))

    kept: list[LogSegment] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        next_base = segments[i + 1].base_offset if not last else None
        needs_check = not clean_shutdown and (next_base is None or next_base > recovery_point)
        sane = seg.open_existing(check_indexes=last)
        if needs_check or not sane:
            seg.recover(on_batch if needs_check else None)
            kept.append(seg)
        else:
            if last:
                seg.scan_tail()
            else:
                seg.next_offset = next_base  # type: ignore[assignment]
            kept.append(seg)

    if not kept:
        start = max(log_start_offset, 0)
        log = PartitionLog.create(dir_path, topic, partition, config, clock, handles, start)
        log.epochs = epochs
        epochs.truncate_from_end(start)
        return log

    for epoch, base in recovered_epochs:
        epochs.assign(epoch, base, persist=False)
    log = PartitionLog(
        dir_path,
        topic,
        partition,
        config,
        clock,
        handles,
        kept,
        log_start_offset=log_start_offset,
        recovery_point=recovery_point,
        high_watermark=high_watermark,
        epochs=epochs,
    )
    if recovered_epochs:
        epochs.write()
    epochs.truncate_from_end(log.log_end_offset)
    epochs.truncate_from_start(log.log_start_offset)
    return log


def _complete_swaps(
    dir_path: str, swaps: list[int], logs: set[int], handles: HandleCache, config: LogConfig
) -> set[int]:
    """Finish a compaction swap: the `.swap` segment replaces every old segment whose base
    offset lies within the range it covers."""
    for base in swaps:
        stem = os.path.join(dir_path, f"{base:020d}")
        probe = LogSegment(
            dir_path,
            base,
            handles,
            index_bytes=config.segment_index_bytes,
            interval=config.index_interval_bytes,
            created_ms=0,
            new=False,
        )
        probe.log_path = stem + ".log.swap"
        probe.size = os.stat(probe.log_path).st_size
        positions = probe.batch_positions()
        end = positions[-1][2] + 1 if positions else base
        probe.release_handles()
        handles.forget(probe)
        for old in sorted(logs):
            if base <= old < end or old == base:
                for ext in (".log", ".index", ".timeindex"):
                    _remove(f"{os.path.join(dir_path, f'{old:020d}')}{ext}")
                logs.discard(old)
        for ext in (".index", ".timeindex"):
            _remove(stem + ext + ".swap")  # rebuilt from the log below
        os.replace(stem + ".log.swap", stem + ".log")
        logs.add(base)
    return logs
