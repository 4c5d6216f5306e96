"""A partition as the broker sees it: its log, its topic's settings, and the produce path.

`Partition.append_records` is the one place where a client's batch becomes part of the log:
validation (header, CRC and a walk of the record lengths, DESIGN.md principle 4; on
compacted topics every record is decoded, since Kafka refuses records without a key there),
optional recompression to the topic's compression.type, the append, the high-watermark move
and waking waiting fetches.

Other parts extend it without editing this file, through two hook lists:
- `Partition.append_checks`: `fn(partition, header, produce_version) -> AppendResult | None`,
  called after validation and before the append. A non-None result is returned instead of
  appending (an error, or a duplicate answered with its cached offset: idempotent producer).
- `Partition.after_append`: `fn(partition, header, info)`, called after a successful append
  (producer-state bookkeeping).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.records.batch import ATTR_COMPRESSION_MASK, BatchHeader
from moldau.protocol.records.errors import RecordBatchError
from moldau.protocol.records.validate import (
    keyless_records,
    recompress_batch,
    validate_client_batch,
)
from moldau.storage.errors import LogClosed, OffsetOutOfRange, RecordBatchTooLarge, StorageError

if TYPE_CHECKING:
    from moldau.broker.server import Broker
    from moldau.storage.log import AppendInfo, FetchSlice, PartitionLog

_log = logging.getLogger("moldau.partition")

_CODECS = {"uncompressed": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

# The most a client's compressed batch may decompress to (else MESSAGE_TOO_LARGE, which the
# Java producer answers by splitting the batch): 16 MiB, or 4x max.message.bytes when a topic
# allows bigger batches. Kafka has no such bound; we need one because validation walks the
# decompressed records in CPython at ~0.2 us a record on the event loop: 16 MiB of 7-byte
# records is ~0.5 s (bench/validate_bench.py --worst). 16 MiB is 16x the uncompressed batch
# limit of librdkafka and franz-go (1 MB) and above what Java's batch.size estimate builds
# with default settings.
MAX_PRODUCE_DECOMPRESSED = 16 * 1024 * 1024


@dataclass(slots=True)
class AppendResult:
    error_code: int = 0
    base_offset: int = -1
    last_offset: int = -1
    log_append_time_ms: int = -1
    log_start_offset: int = -1
    error_message: str | None = None
    record_errors: list[tuple[int, str | None]] = field(default_factory=list)


@dataclass(slots=True)
class ReadResult:
    error_code: int
    high_watermark: int
    last_stable_offset: int
    log_start_offset: int
    slice: FetchSlice | None = None


class Partition:
    append_checks: ClassVar[list[Callable[..., AppendResult | None]]] = []
    after_append: ClassVar[list[Callable[..., None]]] = []

    __slots__ = (
        "broker",
        "topic",
        "index",
        "log",
        "key",
        "leader_epoch",
        "max_message_bytes",
        "max_decompressed",
        "target_codec",
        "configs",
        "compacted",
        "min_insync_replicas",
        "isr",
    )

    def __init__(
        self, broker: Broker, topic: str, index: int, log: PartitionLog, configs: dict[str, str]
    ) -> None:
        self.broker = broker
        self.topic = topic
        self.index = index
        self.log = log
        self.key = (topic, index)
        self.leader_epoch = 0
        self.configs: dict[str, str] = {}
        self.compacted = False
        self.max_message_bytes = 1048588
        self.max_decompressed = MAX_PRODUCE_DECOMPRESSED
        self.target_codec: int | None = None
        self.min_insync_replicas = 1
        # In-sync replicas (broker ids); the single broker is always the whole ISR. The
        # replication layer keeps this current in cluster mode.
        self.isr: list[int] = [broker.node_id]
        self.apply_configs(configs)

    def apply_configs(self, configs: dict[str, str]) -> None:
        """Take the topic's effective configs (broker defaults + topic overrides)."""
        self.configs = configs
        # cleanup.policy is a list: "compact", "delete", "compact,delete"
        policies = configs.get("cleanup.policy", "delete").split(",")
        self.compacted = any(p.strip() == "compact" for p in policies)
        self.max_message_bytes = int(configs.get("max.message.bytes", "1048588"))
        self.max_decompressed = max(MAX_PRODUCE_DECOMPRESSED, 4 * self.max_message_bytes)
        self.target_codec = _CODECS.get(configs.get("compression.type", "producer"))
        self.min_insync_replicas = int(configs.get("min.insync.replicas", "1"))

    def enough_replicas_for_acks_all(self) -> bool:
        """acks=all needs at least min.insync.replicas in the ISR (else NOT_ENOUGH_REPLICAS)."""
        return len(self.isr) >= self.min_insync_replicas

    # -- produce ---------------------------------------------------------------------------
    def append_records(self, records: Any, produce_version: int) -> AppendResult:
        """Validate and append a client's records blob (exactly one v2 batch)."""
        if records is None:
            return AppendResult(ErrorCode.INVALID_RECORD, error_message="null records")
        compacted = self.compacted
        try:
            header = validate_client_batch(
                records,
                max_batch_size=self.max_message_bytes,
                allow_zstd=produce_version >= 7,
                walk_records=not compacted,  # _check_keys decodes every record instead
                max_decompressed=self.max_decompressed,
            )
        except RecordBatchError as exc:
            return AppendResult(exc.error_code, error_message=str(exc))
        if compacted:
            refused = self._check_keys(header)
            if refused is not None:
                return refused
        for check in self.append_checks:
            early = check(self, header, produce_version)
            if early is not None:
                return early
        buf = records
        target = self.target_codec
        if target is not None and (header.attributes & ATTR_COMPRESSION_MASK) != target:
            try:
                buf = bytearray(
                    recompress_batch(header, target, max_decompressed=self.max_decompressed)
                )
            except RecordBatchError as exc:
                return AppendResult(exc.error_code, error_message=str(exc))
            header = BatchHeader(memoryview(buf), 0)
        log = self.log
        try:
            info = log.append(buf, leader_epoch=self.leader_epoch)
        except RecordBatchTooLarge as exc:
            return AppendResult(ErrorCode.RECORD_LIST_TOO_LARGE, error_message=str(exc))
        except LogClosed:
            return AppendResult(ErrorCode.NOT_LEADER_OR_FOLLOWER)
        except StorageError as exc:
            return AppendResult(ErrorCode.CORRUPT_MESSAGE, error_message=str(exc))
        except OSError as exc:  # disk full, I/O error: Kafka's KAFKA_STORAGE_ERROR
            _log.error("Append to %s-%d failed: %s", self.topic, self.index, exc)
            return AppendResult(ErrorCode.KAFKA_STORAGE_ERROR, error_message=str(exc))
        for hook in self.after_append:
            hook(self, header, info)
        self._advance_high_watermark(info)
        return AppendResult(
            0, info.base_offset, info.last_offset, info.log_append_time_ms, log.log_start_offset
        )

    def _check_keys(self, header: BatchHeader) -> AppendResult | None:
        """On a compacted topic every record needs a key (Kafka: INVALID_RECORD, with one
        record error per keyless record, by its position in the batch). Runs before the
        producer-state checks, as in Kafka, so a refused batch leaves no state behind."""
        try:
            keyless = keyless_records(header, self.max_decompressed)
        except RecordBatchError as exc:
            return AppendResult(exc.error_code, error_message=str(exc))
        if not keyless:
            return None
        # Kafka 4.3's wording, for the top-level message and for each record error
        why = (
            "Compacted topic cannot accept message without key in topic partition "
            f"{self.topic}-{self.index}"
        )
        shown = ", ".join(f"RecordError(batchIndex={i}, message='{why}')" for i in keyless[:3])
        return AppendResult(
            ErrorCode.INVALID_RECORD,
            error_message=f"One or more records have been rejected due to {len(keyless)} "
            "record errors in total, and only showing the first three errors at most: "
            f"[{shown}]",
            record_errors=[(i, why) for i in keyless],
        )

    def _advance_high_watermark(self, info: AppendInfo) -> None:
        # Single broker: the leader is the whole ISR, so the HW follows the LEO. The
        # replication layer replaces this with follower progress.
        if self.broker.replication is None:
            self.log.high_watermark = self.log.log_end_offset
        self.broker.purgatory.notify(self.key)

    # -- fetch -----------------------------------------------------------------------------
    @property
    def high_watermark(self) -> int:
        return self.log.high_watermark

    @property
    def last_stable_offset(self) -> int:
        # No open transactions are tracked yet: the LSO is the HW (CLIENTS.md pitfall 7).
        return self.log.high_watermark

    def read(
        self, fetch_offset: int, max_bytes: int, read_committed: bool, min_one: bool
    ) -> ReadResult:
        log = self.log
        hw = log.high_watermark
        lso = self.last_stable_offset
        try:
            sl = log.read(fetch_offset, max_bytes, lso if read_committed else hw, min_one)
        except OffsetOutOfRange:
            return ReadResult(ErrorCode.OFFSET_OUT_OF_RANGE, hw, lso, log.log_start_offset)
        except LogClosed:
            return ReadResult(ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, -1, -1)
        except OSError as exc:
            _log.error("Read of %s-%d failed: %s", self.topic, self.index, exc)
            return ReadResult(ErrorCode.KAFKA_STORAGE_ERROR, -1, -1, -1)
        return ReadResult(0, hw, lso, log.log_start_offset, sl)
