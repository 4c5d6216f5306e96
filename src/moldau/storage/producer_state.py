"""Idempotent-producer state of one partition: who wrote what, so retries are not duplicated.

For every producer id that wrote to the partition we keep its current epoch, the time of its
latest batch and the sequence ranges and offsets of its last 5 batches (clients keep at most
5 requests in flight with idempotence on, so a retry always hits one of those 5). The rules
are Apache Kafka 4.x's (see ../shared/kafka-protocol/CLIENTS.md section 4.2), applied in this
order to a client batch that carries a producer id:

1. Duplicate: same epoch as the stored one and exactly the same (first seq, last seq) as one
   of the retained batches -> nothing is appended; the caller answers success with the
   offsets of the batch already in the log.
2. Epoch: an epoch older than the stored one -> INVALID_PRODUCER_EPOCH (47).
3. Sequence: a newer epoch must start at sequence 0 (unless the producer had no epoch yet);
   the same epoch must continue at last seq + 1 (0 after 2**31 - 1), except when the partition
   has no state for the producer, where any sequence is accepted. Anything else ->
   OUT_OF_ORDER_SEQUENCE_NUMBER (45). DUPLICATE_SEQUENCE_NUMBER and UNKNOWN_PRODUCER_ID are
   never produced, as in Kafka 4.x.

Checking is split from recording: `check` is pure and runs before the append; `update` runs
after the log assigned offsets. An append that fails in between changes nothing.
`check_and_update` does both around an append callable. The caller must not interleave another
append to the same partition between a `check` and its `update` (the broker has one writer
per partition).

State survives restarts through snapshot files (format in `producer_snapshot.py`), taken by
the log at segment rolls and at shutdown, plus a replay of the batches after the newest
usable snapshot (`recover`). Producers idle for producer.id.expiration.ms are forgotten
(`remove_expired`, and when a snapshot is loaded). As in Kafka 4.x, advancing the log start
offset (retention, DeleteRecords) keeps the state of producers whose batches were all deleted;
it is only lost when the snapshot that held it is deleted as out of range and the log is
reloaded.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from moldau.common.clock import SYSTEM_CLOCK, Clock
from moldau.protocol.error_codes import ErrorCode
from moldau.storage import producer_snapshot as snap

NUM_BATCHES_TO_RETAIN = 5
INT32_MAX = 0x7FFFFFFF
NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1
NO_OFFSET = -1
DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000  # producer.id.expiration.ms


class ProducerStateError(Exception):
    """A client batch the producer-state rules reject; `error_code` is the Kafka code."""

    error_code: int = int(ErrorCode.UNKNOWN_SERVER_ERROR)


class InvalidProducerEpoch(ProducerStateError):
    error_code = int(ErrorCode.INVALID_PRODUCER_EPOCH)


class OutOfOrderSequence(ProducerStateError):
    error_code = int(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)


class BatchLike(Protocol):
    """The fields of a v2 batch header this module reads (`records.batch.BatchHeader`)."""

    @property
    def producer_id(self) -> int: ...
    @property
    def producer_epoch(self) -> int: ...
    @property
    def base_sequence(self) -> int: ...
    @property
    def last_offset_delta(self) -> int: ...
    @property
    def base_offset(self) -> int: ...
    @property
    def max_timestamp(self) -> int: ...
    @property
    def is_transactional(self) -> bool: ...
    @property
    def is_control(self) -> bool: ...


def last_sequence(base_sequence: int, last_offset_delta: int) -> int:
    """The sequence of the batch's last record; sequences wrap to 0 after 2**31 - 1."""
    seq = base_sequence + last_offset_delta
    return seq - INT32_MAX - 1 if seq > INT32_MAX else seq


def in_sequence(last_seq: int, next_seq: int) -> bool:
    return next_seq == last_seq + 1 or (next_seq == 0 and last_seq == INT32_MAX)


@dataclass(frozen=True, slots=True)
class BatchMetadata:
    """One retained batch of a producer: enough to answer its retry without the log."""

    first_seq: int
    last_seq: int
    last_offset: int
    offset_delta: int
    timestamp: int

    @property
    def first_offset(self) -> int:
        return self.last_offset - self.offset_delta


class ProducerEntry:
    """The state of one producer id in one partition."""

    __slots__ = (
        "producer_id",
        "epoch",
        "coordinator_epoch",
        "last_timestamp",
        "txn_first_offset",
        "batches",
    )

    def __init__(
        self,
        producer_id: int,
        epoch: int = NO_PRODUCER_EPOCH,
        coordinator_epoch: int = -1,
        last_timestamp: int = -1,
        txn_first_offset: int = NO_OFFSET,
        batches: Iterable[BatchMetadata] = (),
    ) -> None:
        self.producer_id = producer_id
        self.epoch = epoch
        self.coordinator_epoch = coordinator_epoch
        self.last_timestamp = last_timestamp
        self.txn_first_offset = txn_first_offset
        self.batches: deque[BatchMetadata] = deque(batches, maxlen=NUM_BATCHES_TO_RETAIN)

    @property
    def last_seq(self) -> int:
        return self.batches[-1].last_seq if self.batches else NO_SEQUENCE

    @property
    def last_offset(self) -> int:
        return self.batches[-1].last_offset if self.batches else NO_OFFSET

    def find_duplicate(self, epoch: int, first_seq: int, last_seq: int) -> BatchMetadata | None:
        if epoch != self.epoch:
            return None
        for b in self.batches:
            if b.first_seq == first_seq and b.last_seq == last_seq:
                return b
        return None

    def add_batch(self, epoch: int, meta: BatchMetadata) -> None:
        if epoch != self.epoch:  # a new epoch starts a new history
            self.batches.clear()
            self.epoch = epoch
        self.batches.append(meta)
        self.last_timestamp = meta.timestamp

    def __repr__(self) -> str:
        return (
            f"ProducerEntry(pid={self.producer_id}, epoch={self.epoch}, "
            f"last_ts={self.last_timestamp}, batches={list(self.batches)})"
        )


@dataclass(frozen=True, slots=True)
class AppendOutcome:
    """What `check_and_update` did: appended at `base_offset`, or found a duplicate there."""

    base_offset: int
    last_offset: int
    duplicate: bool
    timestamp: int = -1  # for a duplicate, the retained batch's timestamp (Kafka answers it)


class ProducerStateManager:
    """Producer state of one partition, with its snapshot files in `dir_path`.

    `map_end_offset` is the offset up to which the log has been applied to this state;
    snapshots are named by it. `dir_path` None keeps everything in memory (tests, tools).
    """

    def __init__(
        self,
        dir_path: str | None,
        *,
        producer_id_expiration_ms: int = DEFAULT_PRODUCER_ID_EXPIRATION_MS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if producer_id_expiration_ms < 1:
            raise ValueError("producer.id.expiration.ms must be >= 1")
        self.dir_path = dir_path
        self.producer_id_expiration_ms = producer_id_expiration_ms
        self.clock = clock
        self.producers: dict[int, ProducerEntry] = {}
        self.map_end_offset = 0

    # ---------------------------------------------------------------- the append path

    def check(
        self, producer_id: int, epoch: int, first_seq: int, last_seq: int
    ) -> BatchMetadata | None:
        """Validate a client batch against the rules, in Kafka's order; changes nothing.

        Returns the retained batch this one duplicates (do not append it), or None (append
        it, then call `update`). Raises InvalidProducerEpoch or OutOfOrderSequence.
        """
        entry = self.producers.get(producer_id)
        if entry is None:
            return None  # no state: any epoch and any sequence is accepted
        duplicate = entry.find_duplicate(epoch, first_seq, last_seq)
        if duplicate is not None:
            return duplicate
        if epoch < entry.epoch:
            raise InvalidProducerEpoch(
                f"producer {producer_id}: epoch {epoch} is older than the current {entry.epoch}"
            )
        if epoch != entry.epoch:
            if first_seq != 0 and entry.epoch != NO_PRODUCER_EPOCH:
                raise OutOfOrderSequence(
                    f"producer {producer_id}: epoch bumped {entry.epoch} -> {epoch} but the "
                    f"batch starts at sequence {first_seq}, not 0"
                )
        elif entry.epoch != NO_PRODUCER_EPOCH and not in_sequence(entry.last_seq, first_seq):
            raise OutOfOrderSequence(
                f"producer {producer_id} epoch {epoch}: sequence {first_seq} does not follow "
                f"{entry.last_seq}"
            )
        return None

    def update(
        self,
        producer_id: int,
        epoch: int,
        first_seq: int,
        last_seq: int,
        last_offset: int,
        offset_delta: int,
        timestamp: int,
    ) -> None:
        """Record a batch the log has just appended (offsets assigned). No validation."""
        entry = self.producers.get(producer_id)
        if entry is None:
            entry = self.producers[producer_id] = ProducerEntry(producer_id)
        entry.add_batch(
            epoch, BatchMetadata(first_seq, last_seq, last_offset, offset_delta, timestamp)
        )
        if last_offset + 1 > self.map_end_offset:
            self.map_end_offset = last_offset + 1

    def check_batch(self, header: BatchLike) -> BatchMetadata | None:
        """`check` for a batch header; batches without a producer id always pass."""
        if header.producer_id < 0:
            return None
        return self.check(
            header.producer_id,
            header.producer_epoch,
            header.base_sequence,
            last_sequence(header.base_sequence, header.last_offset_delta),
        )

    def update_batch(self, header: BatchLike, timestamp: int | None = None) -> None:
        """`update` from the header of an appended batch (base offset already assigned).

        `timestamp` defaults to the batch's max timestamp, which is what Kafka keeps (after
        LogAppendTime was applied, if the topic uses it).
        """
        if header.producer_id < 0:
            self.map_end_offset = max(
                self.map_end_offset, header.base_offset + header.last_offset_delta + 1
            )
            return
        self.update(
            header.producer_id,
            header.producer_epoch,
            header.base_sequence,
            last_sequence(header.base_sequence, header.last_offset_delta),
            header.base_offset + header.last_offset_delta,
            header.last_offset_delta,
            header.max_timestamp if timestamp is None else timestamp,
        )

    def check_and_update(
        self, header: BatchLike, append: Callable[[], int], timestamp: int | None = None
    ) -> AppendOutcome:
        """Validate, call `append()` (which returns the assigned base offset) and record.

        A duplicate is not appended: the outcome carries the original offsets. If `append`
        raises, the state is untouched and the exception propagates.
        """
        duplicate = self.check_batch(header)
        if duplicate is not None:
            return AppendOutcome(
                duplicate.first_offset, duplicate.last_offset, True, duplicate.timestamp
            )
        base_offset = append()
        last_offset = base_offset + header.last_offset_delta
        if header.producer_id >= 0:
            self.update(
                header.producer_id,
                header.producer_epoch,
                header.base_sequence,
                last_sequence(header.base_sequence, header.last_offset_delta),
                last_offset,
                header.last_offset_delta,
                header.max_timestamp if timestamp is None else timestamp,
            )
        else:
            self.map_end_offset = max(self.map_end_offset, last_offset + 1)
        return AppendOutcome(base_offset, last_offset, False)

    def replay_batch(self, header: BatchLike) -> None:
        """Apply a batch read back from the log during recovery (trusted: no checks).

        Control batches (transaction markers) carry no sequence; they only move the map end.
        """
        if header.producer_id >= 0 and not header.is_control:
            self.update_batch(header)
        else:
            self.map_end_offset = max(
                self.map_end_offset, header.base_offset + header.last_offset_delta + 1
            )

    def update_map_end_offset(self, offset: int) -> None:
        self.map_end_offset = offset

    # ---------------------------------------------------------------- expiry

    def is_expired(self, entry: ProducerEntry, now_ms: int) -> bool:
        if entry.txn_first_offset != NO_OFFSET:
            return False  # an open transaction keeps its producer
        return now_ms - entry.last_timestamp >= self.producer_id_expiration_ms

    def remove_expired(self, now_ms: int | None = None) -> int:
        """Forget producers idle for producer.id.expiration.ms; returns how many."""
        now = self.clock.now_ms() if now_ms is None else now_ms
        expired = [pid for pid, e in self.producers.items() if self.is_expired(e, now)]
        for pid in expired:
            del self.producers[pid]
        return len(expired)

    # ---------------------------------------------------------------- snapshots

    def snapshot_offsets(self) -> list[int]:
        return [] if self.dir_path is None else snap.list_snapshots(self.dir_path)

    def latest_snapshot_offset(self) -> int | None:
        offsets = self.snapshot_offsets()
        return offsets[-1] if offsets else None

    def take_snapshot(self, *, fsync: bool = True) -> str | None:
        """Write the state as of `map_end_offset` (the log calls this at a segment roll,
        after moving the map end to the new segment's base offset, and at shutdown).
        Returns the file written, or None when in memory or already there for this offset."""
        if self.dir_path is None:
            return None
        path = snap.snapshot_path(self.dir_path, self.map_end_offset)
        if os.path.exists(path):
            return None
        entries = [
            (
                e.producer_id,
                e.epoch,
                e.coordinator_epoch,
                e.last_timestamp,
                e.txn_first_offset,
                [
                    (b.first_seq, b.last_seq, b.last_offset, b.offset_delta, b.timestamp)
                    for b in e.batches
                ],
            )
            for e in self.producers.values()
        ]
        return snap.write_snapshot(self.dir_path, self.map_end_offset, entries, fsync=fsync)

    def delete_snapshots_before(self, offset: int) -> None:
        """Delete snapshots below `offset` (the log calls it when segments are deleted)."""
        for o in self.snapshot_offsets():
            if o < offset and self.dir_path is not None:
                snap.delete_snapshot(self.dir_path, o)

    def delete_snapshots_after(self, offset: int) -> None:
        for o in self.snapshot_offsets():
            if o > offset and self.dir_path is not None:
                snap.delete_snapshot(self.dir_path, o)

    def _load_latest_snapshot(self, log_start_offset: int, now_ms: int) -> None:
        """Load the newest readable snapshot; corrupt ones are deleted on the way down."""
        self.producers.clear()
        for offset in reversed(self.snapshot_offsets()):
            assert self.dir_path is not None
            try:
                entries = snap.read_snapshot(snap.snapshot_path(self.dir_path, offset))
            except (snap.CorruptSnapshot, OSError):
                snap.delete_snapshot(self.dir_path, offset)
                continue
            for pid, epoch, coord_epoch, last_ts, txn_first, batches in entries:
                entry = ProducerEntry(
                    pid,
                    epoch,
                    coord_epoch,
                    last_ts,
                    txn_first,
                    (BatchMetadata(*b) for b in batches),
                )
                if not self.is_expired(entry, now_ms):
                    self.producers[pid] = entry
            self.map_end_offset = offset
            return
        self.map_end_offset = log_start_offset

    def truncate_and_reload(
        self, log_start_offset: int, log_end_offset: int, now_ms: int | None = None
    ) -> None:
        """Make the state describe the log [log_start, log_end) again, up to a replay.

        Snapshots above the log end (truncated away) or at/below the log start (their
        producers' batches are gone) are deleted. If the state does not already end at the
        log end it is reloaded from the newest remaining snapshot (or emptied), leaving
        `map_end_offset` where the caller must start replaying batches (see `recover`).
        """
        now = self.clock.now_ms() if now_ms is None else now_ms
        if self.dir_path is not None:
            for o in self.snapshot_offsets():
                if o > log_end_offset or o <= log_start_offset:
                    snap.delete_snapshot(self.dir_path, o)
        if log_end_offset != self.map_end_offset:
            self._load_latest_snapshot(log_start_offset, now)
        else:
            self.on_log_start_offset_incremented(log_start_offset)

    def recover(
        self,
        log_start_offset: int,
        log_end_offset: int,
        batches_from: Callable[[int], Iterable[BatchLike]],
        now_ms: int | None = None,
    ) -> int:
        """Rebuild the state for a log after start-up or truncation; returns batches replayed.

        `batches_from(offset)` yields the headers of the log's batches from the one holding
        `offset` on, in order (it may run past the log end; those are ignored).
        """
        self.truncate_and_reload(log_start_offset, log_end_offset, now_ms)
        replayed = 0
        start = max(self.map_end_offset, log_start_offset)
        if start < log_end_offset:
            for header in batches_from(start):
                if header.base_offset >= log_end_offset:
                    break
                if header.base_offset + header.last_offset_delta < start:
                    continue
                self.replay_batch(header)
                replayed += 1
        self.map_end_offset = log_end_offset
        return replayed

    def on_log_start_offset_incremented(self, log_start_offset: int) -> None:
        """Retention or DeleteRecords moved the log start. Producer entries stay (Kafka 4.x
        keeps them until they expire); only the map end is moved up if it fell behind."""
        if self.map_end_offset < log_start_offset:
            self.map_end_offset = log_start_offset

    def truncate_fully_and_start_at(self, offset: int) -> None:
        """The whole log was replaced by an empty one starting at `offset`."""
        self.producers.clear()
        if self.dir_path is not None:
            for o in self.snapshot_offsets():
                snap.delete_snapshot(self.dir_path, o)
        self.map_end_offset = offset
