"""The cluster metadata model and the `MetadataStore` interface the broker programs against.

Two implementations share the interface: `metadata_local.LocalMetadataStore` (one broker,
persisted under log.dirs) and, later, a ZooKeeper store. The broker never knows which one
it has: it reads the in-memory view (`topics()`, `topic()`, ...) synchronously, and changes
it through the async mutators, which return once the change is durable. Listeners registered
with `add_listener` are called after every change (also for changes made by other brokers,
in the ZooKeeper store), so the broker can create/delete partition logs.
"""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

MAX_TOPIC_NAME_LENGTH = 249
_LEGAL_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]+")


class MetadataError(Exception):
    """A metadata change that cannot be made; `error_code` is the Kafka error to answer."""

    def __init__(self, error_code: int, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int
    rack: str | None = None


@dataclass(slots=True)
class PartitionInfo:
    index: int
    replicas: list[int]
    leader: int
    leader_epoch: int = 0
    isr: list[int] = field(default_factory=list)


@dataclass(slots=True)
class TopicInfo:
    name: str
    topic_id: uuid.UUID
    partitions: list[PartitionInfo]
    configs: dict[str, str] = field(default_factory=dict)  # only explicitly set topic configs

    @property
    def internal(self) -> bool:
        return self.name in ("__consumer_offsets", "__transaction_state")


# Listener events.
TOPIC_CREATED = "topic_created"
TOPIC_DELETED = "topic_deleted"
PARTITIONS_ADDED = "partitions_added"
CONFIGS_CHANGED = "configs_changed"

Listener = Callable[[str, TopicInfo], None]


def topic_name_error(name: str) -> str | None:
    """Why `name` is not a legal topic name (Kafka's rules), or None when it is."""
    if not name:
        return "Topic name is illegal, it can't be empty"
    if name in (".", ".."):
        return 'Topic name cannot be "." or ".."'
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        return (
            f"Topic name is illegal, it can't be longer than {MAX_TOPIC_NAME_LENGTH} characters, "
            f"topic name: {name}"
        )
    if not _LEGAL_TOPIC_NAME.fullmatch(name):
        return (
            f'Topic name "{name}" is illegal, it contains a character other than '
            "ASCII alphanumerics, '.', '_' and '-'"
        )
    return None


def new_topic_id() -> uuid.UUID:
    """A random topic id; never the zero UUID nor Kafka's reserved ids (0 and 1)."""
    while True:
        tid = uuid.uuid4()
        if tid.int > 1:
            return tid


class MetadataStore(ABC):
    """Cluster id, brokers, topics (ids, assignments, configs) and producer-id blocks."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    # -- reads (in-memory, synchronous) -------------------------------------------------
    @property
    @abstractmethod
    def cluster_id(self) -> str: ...

    @property
    @abstractmethod
    def controller_id(self) -> int: ...

    @abstractmethod
    def brokers(self) -> list[BrokerInfo]: ...

    @abstractmethod
    def topics(self) -> Mapping[str, TopicInfo]: ...

    def topic(self, name: str) -> TopicInfo | None:
        return self.topics().get(name)

    def topic_by_id(self, topic_id: uuid.UUID) -> TopicInfo | None:
        for t in self.topics().values():
            if t.topic_id == topic_id:
                return t
        return None

    # -- changes (async; durable when they return) ---------------------------------------
    @abstractmethod
    async def create_topic(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        configs: Mapping[str, str],
        assignments: Mapping[int, list[int]] | None = None,
    ) -> TopicInfo:
        """Create a topic; raises MetadataError (TOPIC_ALREADY_EXISTS, ...)."""

    @abstractmethod
    async def delete_topic(self, name: str) -> TopicInfo:
        """Delete a topic; raises MetadataError(UNKNOWN_TOPIC_OR_PARTITION) when absent."""

    @abstractmethod
    async def create_partitions(self, name: str, total: int) -> TopicInfo:
        """Grow a topic to `total` partitions."""

    @abstractmethod
    async def set_topic_configs(self, name: str, configs: Mapping[str, str]) -> TopicInfo:
        """Replace the explicitly set configs of a topic."""

    @abstractmethod
    async def allocate_producer_ids(self, count: int) -> int:
        """Reserve `count` producer ids; returns the first. Blocks never overlap, even across
        restarts."""

    # -- listeners ------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _notify(self, event: str, topic: TopicInfo) -> None:
        for listener in list(self._listeners):
            listener(event, topic)

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (sessions, files)."""
