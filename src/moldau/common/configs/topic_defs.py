"""Topic configs: Kafka 4.x names, types, defaults and ranges, and their broker synonyms.

A topic's value comes from its own override, else from the first broker synonym that is
set (converted to the topic's unit), else from the default. The synonym order is Kafka's:
e.g. ``retention.ms`` <- ``log.retention.ms``, ``log.retention.minutes``,
``log.retention.hours``. Descriptions are short and our own.

Kafka 4.0 removed ``message.format.version``, ``message.downconversion.enable`` and
``message.timestamp.difference.max.ms``; Kafka 4.x rejects them as unknown, and so do we.
"""

from __future__ import annotations

from moldau.common.configs.types import (
    ConfigKey,
    ConfigType,
    Importance,
    UpdateMode,
    Validator,
    at_least,
    between,
    invalid,
    one_of,
)

__all__ = ["TOPIC_CONFIGS", "TOPIC_SYNONYMS", "Synonym"]

BOOLEAN = ConfigType.BOOLEAN
INT = ConfigType.INT
LONG = ConfigType.LONG
DOUBLE = ConfigType.DOUBLE
STRING = ConfigType.STRING
LIST = ConfigType.LIST
MEDIUM = Importance.MEDIUM
LONG_MAX = 2**63 - 1

MS = 1
MINUTES = 60_000
HOURS = 3_600_000

Synonym = tuple[str, int]
"""(broker config name, factor that converts its value to the topic config's unit)."""


def _gzip_level(name: str, value: object) -> None:
    if value != -1 and not (isinstance(value, int) and 1 <= value <= 9):
        raise invalid(name, value, "Value must be between 1 and 9, or -1 for the codec's default")


def _throttled_replicas(name: str, value: object) -> None:
    """``*`` or a list of partition:broker pairs (Kafka's throttled-replica list)."""
    if not isinstance(value, list):
        return
    if value == ["*"]:
        return
    for item in value:
        p, sep, b = item.strip().partition(":")
        if not (sep and p.isdigit() and b.isdigit()):
            raise invalid(
                name,
                ",".join(value),
                "must be the literal '*' or a list of replicas in the following format: "
                "[partitionId]:[brokerId],[partitionId]:[brokerId],...",
            )


def _k(name: str, ctype: ConfigType, default: object, validator: Validator | None, doc: str) -> ConfigKey:
    return ConfigKey(name, ctype, default, validator, MEDIUM, UpdateMode.CLUSTER_WIDE, doc)


_ROWS = (
    _k("cleanup.policy", LIST, "delete", one_of("compact", "delete"),
       "delete removes old segments by time/size; compact keeps the latest record per key; both may be listed."),
    _k("compression.gzip.level", INT, -1, _gzip_level,
       "gzip level when compression.type is gzip (-1 is the codec's default)."),
    _k("compression.lz4.level", INT, 9, between(1, 17),
       "lz4 level when compression.type is lz4."),
    _k("compression.type", STRING, "producer",
       one_of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
       "Compression of stored batches; producer keeps each batch as the producer compressed it."),
    _k("compression.zstd.level", INT, 3, between(-131072, 22),
       "zstd level when compression.type is zstd."),
    _k("delete.retention.ms", LONG, 86_400_000, at_least(0),
       "How long tombstones stay readable on a compacted topic."),
    _k("file.delete.delay.ms", LONG, 60_000, at_least(0),
       "Delay before a deleted segment's files are removed from disk."),
    _k("flush.messages", LONG, LONG_MAX, at_least(1),
       "fsync the log after this many messages (the default leaves flushing to the OS)."),
    _k("flush.ms", LONG, LONG_MAX, at_least(0),
       "fsync the log when data has been unflushed this long."),
    _k("follower.replication.throttled.replicas", LIST, "", _throttled_replicas,
       "Follower replicas whose replication is throttled: partition:broker pairs or *."),
    _k("index.interval.bytes", INT, 4096, at_least(0),
       "Bytes of records between two offset index entries."),
    _k("leader.replication.throttled.replicas", LIST, "", _throttled_replicas,
       "Leader replicas whose replication is throttled: partition:broker pairs or *."),
    _k("local.retention.bytes", LONG, -2, at_least(-2),
       "Tiered storage: local size limit; -2 means retention.bytes."),
    _k("local.retention.ms", LONG, -2, at_least(-2),
       "Tiered storage: local time limit; -2 means retention.ms."),
    _k("max.compaction.lag.ms", LONG, LONG_MAX, at_least(1),
       "Longest a record may stay uncompacted on a compacted topic."),
    _k("max.message.bytes", INT, 1_048_588, at_least(0),
       "Largest record batch (after compression) the topic accepts."),
    _k("message.timestamp.after.max.ms", LONG, 3_600_000, at_least(0),
       "With CreateTime, reject batches timestamped more than this far in the future."),
    _k("message.timestamp.before.max.ms", LONG, LONG_MAX, at_least(0),
       "With CreateTime, reject batches timestamped more than this far in the past."),
    _k("message.timestamp.type", STRING, "CreateTime", one_of("CreateTime", "LogAppendTime"),
       "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches with the broker's clock."),
    _k("min.cleanable.dirty.ratio", DOUBLE, 0.5, between(0, 1),
       "Compact once this share of the log is not yet compacted."),
    _k("min.compaction.lag.ms", LONG, 0, at_least(0),
       "Shortest time a record stays uncompacted."),
    _k("min.insync.replicas", INT, 1, at_least(1),
       "With acks=all, replicas that must have a write before it succeeds."),
    _k("preallocate", BOOLEAN, False, None,
       "Allocate new segment files at full size."),
    _k("remote.log.copy.disable", BOOLEAN, False, None,
       "Tiered storage: stop copying segments to remote storage."),
    _k("remote.log.delete.on.disable", BOOLEAN, False, None,
       "Tiered storage: delete remote data when tiering is turned off."),
    _k("remote.storage.enable", BOOLEAN, False, None,
       "Tiered storage for this topic (needs remote.log.storage.system.enable on the broker)."),
    _k("retention.bytes", LONG, -1, None,
       "Delete old segments once a partition is larger than this; -1 means no size limit."),
    _k("retention.ms", LONG, 604_800_000, at_least(-1),
       "Delete segments older than this; -1 keeps data forever."),
    _k("segment.bytes", INT, 1_073_741_824, at_least(1_048_576),
       "Roll to a new segment file at this size."),
    _k("segment.index.bytes", INT, 10_485_760, at_least(4),
       "Largest offset index file per segment."),
    _k("segment.jitter.ms", LONG, 0, at_least(0),
       "Random amount subtracted from segment.ms so segments do not all roll at once."),
    _k("segment.ms", LONG, 604_800_000, at_least(1),
       "Roll to a new segment after this long, even when it is not full."),
    _k("unclean.leader.election.enable", BOOLEAN, False, None,
       "Allow an out-of-sync replica to become leader (may lose data)."),
)

TOPIC_CONFIGS: dict[str, ConfigKey] = {k.name: k for k in _ROWS}

TOPIC_SYNONYMS: dict[str, tuple[Synonym, ...]] = {
    "segment.bytes": (("log.segment.bytes", MS),),
    "segment.ms": (("log.roll.ms", MS), ("log.roll.hours", HOURS)),
    "segment.jitter.ms": (("log.roll.jitter.ms", MS), ("log.roll.jitter.hours", HOURS)),
    "segment.index.bytes": (("log.index.size.max.bytes", MS),),
    "flush.messages": (("log.flush.interval.messages", MS),),
    "flush.ms": (("log.flush.interval.ms", MS), ("log.flush.scheduler.interval.ms", MS)),
    "retention.bytes": (("log.retention.bytes", MS),),
    "retention.ms": (
        ("log.retention.ms", MS),
        ("log.retention.minutes", MINUTES),
        ("log.retention.hours", HOURS),
    ),
    "max.message.bytes": (("message.max.bytes", MS),),
    "index.interval.bytes": (("log.index.interval.bytes", MS),),
    "delete.retention.ms": (("log.cleaner.delete.retention.ms", MS),),
    "min.compaction.lag.ms": (("log.cleaner.min.compaction.lag.ms", MS),),
    "max.compaction.lag.ms": (("log.cleaner.max.compaction.lag.ms", MS),),
    "file.delete.delay.ms": (("log.segment.delete.delay.ms", MS),),
    "min.cleanable.dirty.ratio": (("log.cleaner.min.cleanable.ratio", MS),),
    "cleanup.policy": (("log.cleanup.policy", MS),),
    "unclean.leader.election.enable": (("unclean.leader.election.enable", MS),),
    "min.insync.replicas": (("min.insync.replicas", MS),),
    "compression.type": (("compression.type", MS),),
    "compression.gzip.level": (("compression.gzip.level", MS),),
    "compression.lz4.level": (("compression.lz4.level", MS),),
    "compression.zstd.level": (("compression.zstd.level", MS),),
    "preallocate": (("log.preallocate", MS),),
    "message.timestamp.type": (("log.message.timestamp.type", MS),),
    "message.timestamp.before.max.ms": (("log.message.timestamp.before.max.ms", MS),),
    "message.timestamp.after.max.ms": (("log.message.timestamp.after.max.ms", MS),),
    "local.retention.ms": (("log.local.retention.ms", MS),),
    "local.retention.bytes": (("log.local.retention.bytes", MS),),
}
"""Broker configs that supply a topic config's value, in Kafka's order of precedence."""
