"""LogManager: every partition log of a broker, across its log.dirs.

Log dir root layout (Kafka's):

    <log dir>/
      <topic>-<partition>/                   one PartitionLog each (log.py)
      <topic>-<partition>.<uuid>-delete/     a deleted partition, removed after file.delete.delay.ms
      recovery-point-offset-checkpoint       offsets below which data is known to be on disk
      log-start-offset-checkpoint            per-partition log start offsets
      replication-offset-checkpoint          per-partition high watermarks
      cleaner-offset-checkpoint              compacted logs: first offset not yet cleaned
      .kafka_cleanshutdown                   present only while the broker is cleanly stopped

(The checkpoint format is in checkpoint.py.) `load()` removes the clean-shutdown marker once
every log is open, so a crash from then on is detected at the next start; `shutdown()`
flushes everything, writes the checkpoints and then the marker.

The broker calls `run_retention` and `run_cleaner` from its timers (every
log.retention.check.interval.ms); each call does a bounded amount of work and returns.
`checkpoint()` blocks on fsync (it flushes segments rolled since the last call, as Kafka
does after a roll, then moves the recovery points and writes the three files).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Mapping

from moldau.common.clock import SYSTEM_CLOCK, Clock

from . import cleaner, retention
from .checkpoint import (
    CLEAN_SHUTDOWN_FILE,
    LOG_START_OFFSET_FILE,
    RECOVERY_POINT_FILE,
    REPLICATION_OFFSET_FILE,
    fsync_dir,
    read_offset_checkpoint,
    read_partition_metadata,
    write_atomically,
    write_offset_checkpoint,
    write_partition_metadata,
)
from .config import LogConfig
from .errors import CorruptCheckpoint, StorageError
from .handles import HandleCache
from .loader import open_log
from .log import PartitionLog

TopicPartition = tuple[str, int]
ConfigSource = Mapping[str, LogConfig] | Callable[[str], LogConfig | None] | None

_DELETE_SUFFIX = "-delete"


def parse_dir_name(name: str) -> TopicPartition | None:
    """`<topic>-<partition>` -> (topic, partition); None for anything else."""
    topic, sep, part = name.rpartition("-")
    if not sep or not topic or not part.isdigit() or "." in part:
        return None
    return topic, int(part)


class LogManager:
    def __init__(
        self,
        log_dirs: list[str],
        clock: Clock = SYSTEM_CLOCK,
        default_config: LogConfig | None = None,
        *,
        max_open_files: int = 1000,
    ) -> None:
        if not log_dirs:
            raise ValueError("at least one log dir is required")
        self.log_dirs = [os.path.abspath(d) for d in log_dirs]
        self.clock = clock
        self.default_config = default_config or LogConfig()
        self.handles = HandleCache(max_open_files)
        self._logs: dict[TopicPartition, PartitionLog] = {}
        self._dir_of: dict[TopicPartition, str] = {}
        self._topic_ids: dict[TopicPartition, uuid.UUID] = {}
        self._pending_dir_deletes: list[tuple[int, str]] = []  # (due monotonic ms, path)
        self._retention_cursor = 0
        self._cleaner_cursor = 0
        self.had_clean_shutdown: dict[str, bool] = {}

    # -- start-up -----------------------------------------------------------------------

    def load(self, configs: ConfigSource = None) -> None:
        """Open every partition found under the log dirs (recovering after a crash).

        `configs` gives each topic's LogConfig (a mapping or a function of the topic name);
        topics it does not know get `default_config`.
        """
        for root in self.log_dirs:
            os.makedirs(root, exist_ok=True)
            marker = os.path.join(root, CLEAN_SHUTDOWN_FILE)
            clean = os.path.exists(marker)
            self.had_clean_shutdown[root] = clean
            recovery = self._read_checkpoint(root, RECOVERY_POINT_FILE)
            if recovery is None:  # unreadable: trust nothing
                recovery, clean = {}, False
            starts = self._read_checkpoint(root, LOG_START_OFFSET_FILE) or {}
            hws = self._read_checkpoint(root, REPLICATION_OFFSET_FILE) or {}
            dirty = self._read_checkpoint(root, cleaner.CLEANER_CHECKPOINT_FILE) or {}
            for name in sorted(os.listdir(root)):
                path = os.path.join(root, name)
                if not os.path.isdir(path):
                    continue
                if name.endswith(_DELETE_SUFFIX):
                    shutil.rmtree(path, ignore_errors=True)
                    continue
                tp = parse_dir_name(name)
                if tp is None or tp in self._logs:
                    continue
                log = open_log(
                    path,
                    tp[0],
                    tp[1],
                    self._config_for(tp[0], configs),
                    self.clock,
                    self.handles,
                    recovery_point=recovery.get(tp, 0),
                    log_start_offset=starts.get(tp, 0),
                    high_watermark=hws.get(tp, 0),
                    clean_shutdown=clean,
                )
                if tp in dirty:
                    log.first_dirty_offset = max(dirty[tp], log.log_start_offset)
                self._logs[tp] = log
                self._dir_of[tp] = root
                with contextlib.suppress(CorruptCheckpoint):
                    topic_id = read_partition_metadata(path)
                    if topic_id is not None:
                        self._topic_ids[tp] = topic_id
            if clean:
                os.unlink(marker)
                fsync_dir(root)

    def _config_for(self, topic: str, configs: ConfigSource) -> LogConfig:
        if configs is None:
            return self.default_config
        found = configs.get(topic) if isinstance(configs, Mapping) else configs(topic)
        return found or self.default_config

    @staticmethod
    def _read_checkpoint(root: str, name: str) -> dict[TopicPartition, int] | None:
        try:
            return read_offset_checkpoint(os.path.join(root, name))
        except CorruptCheckpoint:
            return None

    # -- partitions ---------------------------------------------------------------------

    def get(self, topic: str, partition: int) -> PartitionLog | None:
        return self._logs.get((topic, partition))

    def create(
        self,
        topic: str,
        partition: int,
        config: LogConfig | None = None,
        topic_id: uuid.UUID | None = None,
    ) -> PartitionLog:
        """The partition's log, created empty if absent (in the log dir with the fewest
        partitions, as Kafka picks). An existing log gets `config` if one is given."""
        tp = (topic, partition)
        existing = self._logs.get(tp)
        if existing is not None:
            if config is not None:
                existing.config = config
            if topic_id is not None and self._topic_ids.get(tp) != topic_id:
                write_partition_metadata(existing.dir, topic_id)
                self._topic_ids[tp] = topic_id
            return existing
        if not topic or "/" in topic or topic in (".", "..") or partition < 0:
            raise StorageError(f"invalid topic-partition {topic!r} {partition}")
        counts = dict.fromkeys(self.log_dirs, 0)
        for root in list(self._dir_of.values()):  # one atomic copy: creates may run in parallel
            counts[root] += 1
        root = min(self.log_dirs, key=lambda d: counts[d])
        path = os.path.join(root, f"{topic}-{partition}")
        if os.path.exists(path):
            raise StorageError(f"{path} exists but is not a loaded log")
        log = PartitionLog.create(
            path, topic, partition, config or self.default_config, self.clock, self.handles
        )
        if topic_id is not None:
            write_partition_metadata(path, topic_id)
            self._topic_ids[tp] = topic_id
        self._logs[tp] = log
        self._dir_of[tp] = root
        return log

    def topic_id(self, topic: str, partition: int) -> uuid.UUID | None:
        return self._topic_ids.get((topic, partition))

    def delete(self, topic: str, partition: int) -> bool:
        """Close the log and rename its dir to `<topic>-<p>.<uuid>-delete`; the files go
        after file.delete.delay.ms (in run_retention, or at the next load). False when
        there was no such log."""
        tp = (topic, partition)
        log = self._logs.pop(tp, None)
        if log is None:
            return False
        root = self._dir_of.pop(tp)
        self._topic_ids.pop(tp, None)
        log.close()
        target = os.path.join(root, f"{topic}-{partition}.{uuid.uuid4().hex}{_DELETE_SUFFIX}")
        os.replace(log.dir, target)
        fsync_dir(root)
        due = self.clock.monotonic_ms() + log.config.file_delete_delay_ms
        self._pending_dir_deletes.append((due, target))
        return True

    def all_logs(self) -> list[PartitionLog]:
        return list(self._logs.values())

    def items(self) -> list[tuple[TopicPartition, PartitionLog]]:
        return list(self._logs.items())

    # -- background work ----------------------------------------------------------------

    def run_retention(self, now_ms: int | None = None, max_segments: int = 1000) -> int:
        """One retention pass: delete segments past retention.ms / retention.bytes or below
        the log start offset (cleanup.policy containing "delete"), unlink files whose
        file.delete.delay.ms passed. Deletes at most `max_segments` segments; the next call
        resumes with the next partition. Returns the number of segments deleted."""
        now = self.clock.now_ms() if now_ms is None else now_ms
        mono = self.clock.monotonic_ms()
        logs = list(self._logs.values())
        deleted = 0
        n = len(logs)
        for step in range(n):
            log = logs[(self._retention_cursor + step) % n]
            log.purge_deleted(mono)
            deleted += retention.apply_retention(log, now, max_segments - deleted)
            if deleted >= max_segments:
                self._retention_cursor = (self._retention_cursor + step + 1) % n
                break
        keep = []
        for due, path in self._pending_dir_deletes:
            if due <= mono:
                shutil.rmtree(path, ignore_errors=True)
            else:
                keep.append((due, path))
        self._pending_dir_deletes = keep
        return deleted

    def run_cleaner(self, now_ms: int | None = None, max_logs: int = 1) -> int:
        """Compact up to `max_logs` of the dirtiest compacted logs that are due (see
        cleaner.py); returns how many were cleaned. Blocks on fsync of the cleaned files."""
        now = self.clock.now_ms() if now_ms is None else now_ms
        return cleaner.clean_due_logs(self.all_logs(), now, max_logs)

    # -- durability ---------------------------------------------------------------------

    def checkpoint(self) -> None:
        """fsync segments rolled since the last call, then write the recovery-point,
        log-start-offset, replication-offset and cleaner checkpoints of every log dir.

        Blocks on fsync, and may run in a worker thread while the owner thread keeps
        appending and fetching: it reads offsets (plain ints), opens files by name and
        touches no shared handle (see PartitionLog.sync_rolled_segments). Do not run it
        beside load(), shutdown(), run_retention() or run_cleaner().
        """
        for log in list(self._logs.values()):
            if log.flush_pending_offset > log.recovery_point and not log.closed:
                log.sync_rolled_segments()
        self._write_checkpoints()

    def _write_checkpoints(self) -> None:
        items = list(self._logs.items())  # one atomic copy: the owner thread may add logs
        dir_of = dict(self._dir_of)
        for root in self.log_dirs:
            mine = [(tp, log) for tp, log in items if dir_of.get(tp) == root]
            write_offset_checkpoint(
                os.path.join(root, RECOVERY_POINT_FILE), {tp: log.recovery_point for tp, log in mine}
            )
            write_offset_checkpoint(
                os.path.join(root, LOG_START_OFFSET_FILE),
                {tp: log.log_start_offset for tp, log in mine},
            )
            write_offset_checkpoint(
                os.path.join(root, REPLICATION_OFFSET_FILE),
                {tp: log.high_watermark for tp, log in mine},
            )
            write_offset_checkpoint(
                os.path.join(root, cleaner.CLEANER_CHECKPOINT_FILE),
                {tp: log.first_dirty_offset for tp, log in mine if log.config.compact},
            )

    def shutdown(self) -> None:
        """Flush and close every log, write the checkpoints, then the clean-shutdown marker."""
        for log in self._logs.values():
            if not log.closed:
                log.flush()
                log.close()
        self._write_checkpoints()
        for root in self.log_dirs:
            write_atomically(os.path.join(root, CLEAN_SHUTDOWN_FILE), b"")
