"""Which `__consumer_offsets` partition owns a group.

Kafka maps a group to `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`, where
`hashCode` is Java's `String.hashCode` (over UTF-16 code units, 32-bit wrapping) and `Utils.abs`
maps `Integer.MIN_VALUE` to 0. Python's `hash()` is salted per process and differs, so it must
not be used: clients and tools (and a Kafka broker reading our data directory) must agree on the
placement.
"""

from __future__ import annotations

_INT_MIN = -(1 << 31)


def java_string_hash(s: str) -> int:
    """Java's `String.hashCode()` as a signed 32-bit int."""
    h = 0
    data = s.encode("utf-16-be", "surrogatepass")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def java_abs(n: int) -> int:
    """Kafka's `Utils.abs`: like `Math.abs` but `Integer.MIN_VALUE` becomes 0, never negative."""
    return 0 if n == _INT_MIN else abs(n)


def partition_for(group_id: str, num_partitions: int) -> int:
    """The `__consumer_offsets` partition of `group_id` (Kafka's placement)."""
    if num_partitions <= 0:
        raise ValueError(f"num_partitions must be positive, got {num_partitions}")
    return java_abs(java_string_hash(group_id)) % num_partitions
