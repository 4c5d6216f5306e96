"""The leader-epoch cache of one partition: which epoch's leader wrote from which offset.

Persisted in `<partition dir>/leader-epoch-checkpoint` (format in checkpoint.py) whenever it
changes. Followers use `end_offset_for_epoch` answers (OffsetsForLeaderEpoch) to find where
their log diverges from the leader's and truncate there.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right

from .checkpoint import (
    LEADER_EPOCH_FILE,
    fsync_path,
    read_epoch_checkpoint,
    write_epoch_checkpoint,
)
from .errors import CorruptCheckpoint

UNDEFINED_EPOCH = -1
UNDEFINED_OFFSET = -1


class LeaderEpochCache:
    __slots__ = ("path", "_epochs", "_starts", "_unsynced")

    def __init__(self, dir_path: str) -> None:
        self.path = os.path.join(dir_path, LEADER_EPOCH_FILE)
        self._epochs: list[int] = []
        self._starts: list[int] = []
        self._unsynced = False
        try:
            entries = read_epoch_checkpoint(self.path)
        except CorruptCheckpoint:
            entries = []  # the loader rebuilds it from the batches it recovers
        for epoch, start in entries:
            if (not self._epochs or (epoch > self._epochs[-1] and start >= self._starts[-1])) and epoch >= 0:
                self._epochs.append(epoch)
                self._starts.append(start)

    def entries(self) -> list[tuple[int, int]]:
        return list(zip(self._epochs, self._starts))

    @property
    def latest_epoch(self) -> int:
        return self._epochs[-1] if self._epochs else UNDEFINED_EPOCH

    def assign(self, epoch: int, start_offset: int, *, persist: bool = True) -> None:
        """Record that `epoch` starts at `start_offset` (a no-op unless epoch is new).

        A newer epoch starting at or below existing entries' start offsets replaces them:
        those offsets were truncated and rewritten by the new leader.
        """
        if epoch < 0 or (self._epochs and epoch <= self._epochs[-1]):
            return
        i = bisect_left(self._starts, start_offset)
        del self._epochs[i:], self._starts[i:]
        self._epochs.append(epoch)
        self._starts.append(start_offset)
        if persist:
            # Written at once but fsynced with the log's next flush (as Kafka does since
            # KAFKA-15046): a new epoch's start is also in the batches, and recovery
            # re-derives it from every batch past the recovery point.
            self.write(fsync=False)

    def epoch_for_offset(self, offset: int) -> int:
        """The epoch whose leader wrote `offset` (UNDEFINED_EPOCH when unknown)."""
        i = bisect_right(self._starts, offset) - 1
        return self._epochs[i] if i >= 0 else UNDEFINED_EPOCH

    def end_offset_for_epoch(self, epoch: int, log_end_offset: int) -> tuple[int, int]:
        """(epoch, end offset) as OffsetsForLeaderEpoch answers it: the end offset is the start
        offset of the first epoch greater than `epoch` (the log end offset for the latest
        epoch), paired with the greatest known epoch <= `epoch`. Unknown: (-1, -1)."""
        if epoch == UNDEFINED_EPOCH or not self._epochs:
            return UNDEFINED_EPOCH, UNDEFINED_OFFSET
        if epoch == self._epochs[-1]:
            return epoch, log_end_offset
        higher = bisect_right(self._epochs, epoch)
        if higher == len(self._epochs):
            return UNDEFINED_EPOCH, UNDEFINED_OFFSET
        floor = higher - 1
        if floor < 0:
            return epoch, self._starts[higher]
        return self._epochs[floor], self._starts[higher]

    def truncate_from_end(self, end_offset: int) -> None:
        """The log was truncated to `end_offset`: forget epochs that start at or after it."""
        i = bisect_left(self._starts, end_offset)
        if i < len(self._starts):
            del self._epochs[i:], self._starts[i:]
            self.write()

    def truncate_from_start(self, start_offset: int) -> None:
        """The log start offset moved to `start_offset`: drop epochs wholly below it and let
        the one that covers it start there."""
        i = bisect_right(self._starts, start_offset) - 1
        if i < 0 or (i == 0 and self._starts[0] == start_offset):
            return
        del self._epochs[:i], self._starts[:i]
        self._starts[0] = start_offset
        self.write()

    def clear(self) -> None:
        self._epochs.clear()
        self._starts.clear()
        self.write()

    def write(self, *, fsync: bool = True) -> None:
        """Persist; truncations fsync at once (a forgotten truncation would resurrect
        epochs whose offsets are gone)."""
        write_epoch_checkpoint(self.path, self.entries(), fsync=fsync)
        self._unsynced = not fsync

    def sync_file(self) -> None:
        """Like sync() but only fsyncs the file by name: safe beside the owner thread."""
        if self._unsynced:
            self._unsynced = False
            fsync_path(self.path)

    def sync(self) -> None:
        """fsync an assignment written without it (called by PartitionLog.flush)."""
        if self._unsynced:
            self.write()
