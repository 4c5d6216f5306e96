"""Group coordinator settings, under Kafka's broker config names and with Kafka's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OFFSETS_TOPIC = "__consumer_offsets"


@dataclass(frozen=True, slots=True)
class GroupConfig:
    offsets_topic_num_partitions: int = 50  # offsets.topic.num.partitions
    offsets_topic_replication_factor: int = 3  # offsets.topic.replication.factor
    offsets_topic_segment_bytes: int = 100 * 1024 * 1024  # offsets.topic.segment.bytes
    group_min_session_timeout_ms: int = 6_000  # group.min.session.timeout.ms
    group_max_session_timeout_ms: int = 1_800_000  # group.max.session.timeout.ms
    group_initial_rebalance_delay_ms: int = 3_000  # group.initial.rebalance.delay.ms
    group_max_size: int = 2**31 - 1  # group.max.size
    offsets_retention_ms: int = 7 * 24 * 60 * 60 * 1000  # offsets.retention.minutes
    offsets_retention_check_interval_ms: int = 600_000  # offsets.retention.check.interval.ms
    offset_metadata_max_bytes: int = 4096  # offset.metadata.max.bytes
    # Not configurable in Kafka either (GroupCoordinator's NewMemberJoinTimeoutMs, KIP-394): a
    # member whose first JoinGroup is parked is dropped if it does not come back within this.
    new_member_join_timeout_ms: int = 300_000

    @classmethod
    def from_properties(cls, props: Mapping[str, Any]) -> GroupConfig:
        """Read the Kafka-named keys from a broker config mapping (missing keys keep defaults)."""

        def get(key: str, default: int) -> int:
            v = props.get(key)
            if v is None or v == "":
                return default
            try:
                return int(v)
            except (TypeError, ValueError) as e:
                raise ValueError(f"{key} must be an integer, got {v!r}") from e

        d = cls()
        retention_ms = d.offsets_retention_ms
        if props.get("offsets.retention.minutes") not in (None, ""):
            retention_ms = get("offsets.retention.minutes", 0) * 60_000
        cfg = cls(
            offsets_topic_num_partitions=get(
                "offsets.topic.num.partitions", d.offsets_topic_num_partitions
            ),
            offsets_topic_replication_factor=get(
                "offsets.topic.replication.factor", d.offsets_topic_replication_factor
            ),
            offsets_topic_segment_bytes=get(
                "offsets.topic.segment.bytes", d.offsets_topic_segment_bytes
            ),
            group_min_session_timeout_ms=get(
                "group.min.session.timeout.ms", d.group_min_session_timeout_ms
            ),
            group_max_session_timeout_ms=get(
                "group.max.session.timeout.ms", d.group_max_session_timeout_ms
            ),
            group_initial_rebalance_delay_ms=get(
                "group.initial.rebalance.delay.ms", d.group_initial_rebalance_delay_ms
            ),
            group_max_size=get("group.max.size", d.group_max_size),
            offsets_retention_ms=retention_ms,
            offsets_retention_check_interval_ms=get(
                "offsets.retention.check.interval.ms", d.offsets_retention_check_interval_ms
            ),
            offset_metadata_max_bytes=get("offset.metadata.max.bytes", d.offset_metadata_max_bytes),
        )
        if cfg.offsets_topic_num_partitions <= 0:
            raise ValueError("offsets.topic.num.partitions must be at least 1")
        if cfg.group_min_session_timeout_ms > cfg.group_max_session_timeout_ms:
            raise ValueError("group.min.session.timeout.ms exceeds group.max.session.timeout.ms")
        return cfg
