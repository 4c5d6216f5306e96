"""Retention: which closed segments of a log may go (cleanup.policy containing "delete").

A segment is deleted whole, oldest first, when
- every offset in it is below the log start offset (DeleteRecords moved it), or
- its largest timestamp is older than retention.ms (Kafka's rule; the active segment is
  rolled first when it has expired, so an idle topic empties out), or
- the log is larger than retention.bytes by at least the segment's size.
The log start offset moves to the first remaining segment, the log end offset never moves,
so offsets are not reused even when the log ends up empty.
"""

from __future__ import annotations

from .log import PartitionLog
from .segment import LogSegment


def apply_retention(log: PartitionLog, now_ms: int, budget: int) -> int:
    """Delete what retention allows (at most `budget` segments); returns how many."""
    if budget <= 0 or log.closed:
        return 0
    victims = deletable_segments(log, now_ms)[:budget]
    if not victims:
        return 0
    if victims[-1] is log.active_segment:
        log.roll()
    log.delete_segments(victims, log.config.file_delete_delay_ms)
    return len(victims)


def deletable_segments(log: PartitionLog, now_ms: int) -> list[LogSegment]:
    segments = log.segment_list
    config = log.config
    out: list[LogSegment] = []
    lso = log.log_start_offset
    # Below the log start offset (applies to compacted topics too).
    for i in range(len(segments) - 1):
        if segments[i + 1].base_offset <= lso:
            out.append(segments[i])
        else:
            break
    if not config.delete:
        return out
    i = len(out)
    if config.retention_ms >= 0:
        while i < len(segments):
            seg = segments[i]
            if seg.size == 0 or now_ms - seg.max_timestamp <= config.retention_ms:
                break
            out.append(seg)
            i += 1
    if config.retention_bytes >= 0:
        excess = log.size_bytes - config.retention_bytes - sum(s.size for s in out)
        while i < len(segments) - 1 and excess >= segments[i].size:
            excess -= segments[i].size
            out.append(segments[i])
            i += 1
    return out
