"""Per-topic log settings, with Apache Kafka's topic-config names and defaults.

`LogConfig.from_topic_configs` takes the string map a CreateTopics / AlterConfigs request
carries (or the broker's `log.*` defaults translated to topic names) so the broker never has
to know which field a key lands in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

LONG_MAX = 2**63 - 1
_DAY_MS = 24 * 60 * 60 * 1000

CLEANUP_POLICIES = ("delete", "compact", "compact,delete")
TIMESTAMP_TYPES = ("CreateTime", "LogAppendTime")


@dataclasses.dataclass(frozen=True, slots=True)
class LogConfig:
    segment_bytes: int = 1024 * 1024 * 1024  # segment.bytes
    segment_ms: int = 7 * _DAY_MS  # segment.ms
    segment_index_bytes: int = 10 * 1024 * 1024  # segment.index.bytes
    index_interval_bytes: int = 4096  # index.interval.bytes
    retention_ms: int = 7 * _DAY_MS  # retention.ms (-1: keep forever)
    retention_bytes: int = -1  # retention.bytes (-1: no size limit)
    cleanup_policy: str = "delete"  # cleanup.policy
    delete_retention_ms: int = _DAY_MS  # delete.retention.ms (tombstone lifetime)
    min_compaction_lag_ms: int = 0  # min.compaction.lag.ms
    max_compaction_lag_ms: int = LONG_MAX  # max.compaction.lag.ms
    min_cleanable_dirty_ratio: float = 0.5  # min.cleanable.dirty.ratio
    flush_messages: int = LONG_MAX  # flush.messages
    flush_ms: int = LONG_MAX  # flush.ms
    file_delete_delay_ms: int = 60_000  # file.delete.delay.ms
    message_timestamp_type: str = "CreateTime"  # message.timestamp.type

    def __post_init__(self) -> None:
        # Kafka's lower bounds; smaller values would make every append roll a segment.
        if self.segment_bytes < 14:
            raise ValueError(f"segment.bytes must be >= 14, got {self.segment_bytes}")
        if self.segment_ms < 1:
            raise ValueError(f"segment.ms must be >= 1, got {self.segment_ms}")
        if self.segment_index_bytes < 8:
            raise ValueError(f"segment.index.bytes must be >= 8, got {self.segment_index_bytes}")
        if self.index_interval_bytes < 0:
            raise ValueError("index.interval.bytes must be >= 0")
        if self.retention_ms < -1 or self.retention_bytes < -1:
            raise ValueError("retention.ms / retention.bytes must be >= -1")
        if self.cleanup_policy not in CLEANUP_POLICIES:
            raise ValueError(f"cleanup.policy must be one of {CLEANUP_POLICIES}")
        if not 0.0 <= self.min_cleanable_dirty_ratio <= 1.0:
            raise ValueError("min.cleanable.dirty.ratio must be within [0, 1]")
        if self.message_timestamp_type not in TIMESTAMP_TYPES:
            raise ValueError(f"message.timestamp.type must be one of {TIMESTAMP_TYPES}")
        for name in ("delete_retention_ms", "min_compaction_lag_ms", "file_delete_delay_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{_FIELD_TO_KEY[name]} must be >= 0")
        if self.max_compaction_lag_ms < 1 or self.flush_messages < 1 or self.flush_ms < 0:
            raise ValueError("max.compaction.lag.ms / flush.messages / flush.ms out of range")

    @property
    def compact(self) -> bool:
        return "compact" in self.cleanup_policy

    @property
    def delete(self) -> bool:
        return "delete" in self.cleanup_policy

    @property
    def log_append_time(self) -> bool:
        return self.message_timestamp_type == "LogAppendTime"

    @classmethod
    def from_topic_configs(
        cls, configs: Mapping[str, str | None], base: LogConfig | None = None
    ) -> LogConfig:
        """Build from Kafka topic-config strings; keys this layer does not own are ignored.

        `base` supplies the values for absent keys (the broker's defaults); a value of None
        means "reset to the base". Raises ValueError naming the key for a bad value.
        """
        base = base or cls()
        changes: dict[str, Any] = {}
        for key, raw in configs.items():
            field = _KEY_TO_FIELD.get(key)
            if field is None or raw is None:
                continue
            kind = _FIELD_TYPES[field]
            try:
                if kind is str:
                    value: Any = _normalise_policy(raw) if field == "cleanup_policy" else raw.strip()
                else:
                    value = kind(raw.strip())
            except ValueError:
                raise ValueError(f"invalid value {raw!r} for {key}") from None
            changes[field] = value
        try:
            return dataclasses.replace(base, **changes)
        except ValueError as exc:
            raise ValueError(str(exc)) from None

    def to_topic_configs(self) -> dict[str, str]:
        """The inverse of `from_topic_configs` (for DescribeConfigs)."""
        out = {}
        for field, key in _FIELD_TO_KEY.items():
            value = getattr(self, field)
            out[key] = repr(value) if isinstance(value, float) else str(value)
        return out


def _normalise_policy(raw: str) -> str:
    parts = sorted({p.strip() for p in raw.split(",") if p.strip()})
    return ",".join(parts)  # "delete,compact" -> "compact,delete"


_FIELD_TO_KEY = {
    "segment_bytes": "segment.bytes",
    "segment_ms": "segment.ms",
    "segment_index_bytes": "segment.index.bytes",
    "index_interval_bytes": "index.interval.bytes",
    "retention_ms": "retention.ms",
    "retention_bytes": "retention.bytes",
    "cleanup_policy": "cleanup.policy",
    "delete_retention_ms": "delete.retention.ms",
    "min_compaction_lag_ms": "min.compaction.lag.ms",
    "max_compaction_lag_ms": "max.compaction.lag.ms",
    "min_cleanable_dirty_ratio": "min.cleanable.dirty.ratio",
    "flush_messages": "flush.messages",
    "flush_ms": "flush.ms",
    "file_delete_delay_ms": "file.delete.delay.ms",
    "message_timestamp_type": "message.timestamp.type",
}
_KEY_TO_FIELD = {v: k for k, v in _FIELD_TO_KEY.items()}
_FIELD_TYPES: dict[str, type] = {
    f.name: {"int": int, "float": float, "str": str}[str(f.type)] for f in dataclasses.fields(LogConfig)
}
