"""Single-broker metadata, persisted in the broker's log directory.

Files (both written to a temporary file, fsynced, then renamed over the old one, and the
directory fsynced, so a crash leaves either the old or the new version):

`meta.properties` — Kafka's format (Java properties), so Kafka's tools recognise the dir::

    #
    #<date written>
    cluster.id=<22-char base64url UUID>
    directory.id=<22-char base64url UUID>
    node.id=<node id>
    version=1

`moldau-metadata.json` — the topics (UTF-8 JSON, one object)::

    {
      "version": 1,
      "next_producer_id": 1000,            # first producer id not yet handed out
      "topics": {
        "<name>": {
          "id": "<topic id, canonical UUID string>",
          "partitions": [{"partition": 0, "replicas": [0], "leader_epoch": 0}, ...],
          "configs": {"<topic config key>": "<value>", ...}   # explicitly set only
        }
      }
    }

Unknown keys are ignored on read (so later versions can add fields). A missing JSON file
means "no topics yet"; a corrupt one stops start-up with a message naming the file, rather
than silently forgetting topics.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from moldau.cluster.metadata import (
    CONFIGS_CHANGED,
    PARTITIONS_ADDED,
    TOPIC_CREATED,
    TOPIC_DELETED,
    BrokerInfo,
    MetadataError,
    MetadataStore,
    PartitionInfo,
    TopicInfo,
    new_topic_id,
)
from moldau.protocol.error_codes import ErrorCode

META_PROPERTIES = "meta.properties"
METADATA_JSON = "moldau-metadata.json"
FORMAT_VERSION = 1
PRODUCER_ID_BLOCK = 1000


def _b64_uuid(u: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(u.bytes).decode("ascii").rstrip("=")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _read_properties(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        k, _, v = line.partition("=")
        out[k.strip()] = v.strip()
    return out


class LocalMetadataStore(MetadataStore):
    """Metadata of a single broker: it is the only broker, the controller and every leader."""

    def __init__(self, log_dir: Path, node_id: int, host: str, port: int) -> None:
        super().__init__()
        self.log_dir = Path(log_dir)
        self.node_id = node_id
        self._broker = BrokerInfo(node_id, host, port)
        self._topics: dict[str, TopicInfo] = {}
        self._next_pid = 0
        self._lock = asyncio.Lock()
        self._cluster_id = ""
        self.directory_id = ""

    # -- start-up --------------------------------------------------------------------------
    def load(self) -> None:
        """Read (or create) meta.properties and the topic file. Blocking: call at start-up."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        meta = self.log_dir / META_PROPERTIES
        if meta.exists():
            props = _read_properties(meta)
            stored = props.get("node.id", props.get("broker.id"))
            if stored is not None and int(stored) != self.node_id:
                raise MetadataError(
                    ErrorCode.UNKNOWN_SERVER_ERROR,
                    f"{meta} belongs to node.id={stored} but this broker has node.id="
                    f"{self.node_id}",
                )
            self._cluster_id = props.get("cluster.id", "")
            self.directory_id = props.get("directory.id", "")
        if not self._cluster_id or not self.directory_id:
            self._cluster_id = self._cluster_id or _b64_uuid(uuid.uuid4())
            self.directory_id = self.directory_id or _b64_uuid(uuid.uuid4())
            text = (
                "#\n#" + time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime()) + "\n"
                f"cluster.id={self._cluster_id}\n"
                f"directory.id={self.directory_id}\n"
                f"node.id={self.node_id}\n"
                "version=1\n"
            )
            _write_atomic(meta, text.encode())
        path = self.log_dir / METADATA_JSON
        if path.exists():
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                self._next_pid = int(doc.get("next_producer_id", 0))
                for name, t in doc.get("topics", {}).items():
                    parts = [
                        PartitionInfo(
                            int(p["partition"]),
                            [int(r) for r in p["replicas"]],
                            self.node_id,
                            int(p.get("leader_epoch", 0)),
                            [int(r) for r in p["replicas"]],
                        )
                        for p in t["partitions"]
                    ]
                    parts.sort(key=lambda p: p.index)
                    self._topics[name] = TopicInfo(
                        name, uuid.UUID(t["id"]), parts, dict(t.get("configs", {}))
                    )
            except (ValueError, KeyError, TypeError) as exc:
                raise MetadataError(
                    ErrorCode.UNKNOWN_SERVER_ERROR, f"{path} is corrupt: {exc!r}"
                ) from None

    def _document(self) -> bytes:
        doc: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "next_producer_id": self._next_pid,
            "topics": {
                name: {
                    "id": str(t.topic_id),
                    "partitions": [
                        {
                            "partition": p.index,
                            "replicas": p.replicas,
                            "leader_epoch": p.leader_epoch,
                        }
                        for p in t.partitions
                    ],
                    "configs": t.configs,
                }
                for name, t in sorted(self._topics.items())
            },
        }
        return json.dumps(doc, indent=1, sort_keys=True).encode()

    async def _persist(self) -> None:
        data = self._document()
        await asyncio.get_running_loop().run_in_executor(
            None, _write_atomic, self.log_dir / METADATA_JSON, data
        )

    async def _persist_or_undo(self, undo: Callable[[], object]) -> None:
        """Persist the change just made in memory; if the write fails, undo it and raise
        MetadataError(KAFKA_STORAGE_ERROR), so memory never holds what the disk does not."""
        try:
            await self._persist()
        except OSError as exc:
            undo()
            raise MetadataError(
                ErrorCode.KAFKA_STORAGE_ERROR, f"Cannot write {METADATA_JSON}: {exc}"
            ) from exc

    # -- reads -------------------------------------------------------------------------------
    @property
    def cluster_id(self) -> str:
        return self._cluster_id

    @property
    def controller_id(self) -> int:
        return self.node_id

    def brokers(self) -> list[BrokerInfo]:
        return [self._broker]

    def set_advertised(self, host: str, port: int) -> None:
        self._broker = BrokerInfo(self.node_id, host, port)

    def topics(self) -> Mapping[str, TopicInfo]:
        return self._topics

    # -- changes -------------------------------------------------------------------------------
    # Each change runs in its own task, shielded from the caller's cancellation (a client
    # that disconnects mid-request): a change that started always completes, persists and
    # notifies the listeners, so memory, disk and the broker's logs never disagree.
    async def create_topic(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        configs: Mapping[str, str],
        assignments: Mapping[int, list[int]] | None = None,
    ) -> TopicInfo:
        return await asyncio.shield(
            self._create_topic(name, num_partitions, replication_factor, configs, assignments)
        )

    async def delete_topic(self, name: str) -> TopicInfo:
        return await asyncio.shield(self._delete_topic(name))

    async def create_partitions(self, name: str, total: int) -> TopicInfo:
        return await asyncio.shield(self._create_partitions(name, total))

    async def set_topic_configs(self, name: str, configs: Mapping[str, str]) -> TopicInfo:
        return await asyncio.shield(self._set_topic_configs(name, configs))

    async def allocate_producer_ids(self, count: int) -> int:
        return await asyncio.shield(self._allocate_producer_ids(count))

    async def _create_topic(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        configs: Mapping[str, str],
        assignments: Mapping[int, list[int]] | None = None,
    ) -> TopicInfo:
        async with self._lock:
            if name in self._topics:
                raise MetadataError(
                    ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists."
                )
            if replication_factor != 1:
                raise MetadataError(
                    ErrorCode.INVALID_REPLICATION_FACTOR,
                    f"Unable to replicate the partition {replication_factor} time(s): "
                    "The target replication factor of "
                    f"{replication_factor} cannot be reached because only 1 broker(s) are "
                    "registered.",
                )
            parts = [
                PartitionInfo(i, [self.node_id], self.node_id, 0, [self.node_id])
                for i in range(num_partitions)
            ]
            topic = TopicInfo(name, new_topic_id(), parts, dict(configs))
            self._topics[name] = topic
            await self._persist_or_undo(lambda: self._topics.pop(name, None))
        self._notify(TOPIC_CREATED, topic)
        return topic

    async def _delete_topic(self, name: str) -> TopicInfo:
        async with self._lock:
            topic = self._topics.pop(name, None)
            if topic is None:
                raise MetadataError(
                    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "This server does not host this topic-partition.",
                )
            gone = topic
            await self._persist_or_undo(lambda: self._topics.__setitem__(name, gone))
        self._notify(TOPIC_DELETED, topic)
        return topic

    async def _create_partitions(self, name: str, total: int) -> TopicInfo:
        async with self._lock:
            topic = self._topics.get(name)
            if topic is None:
                raise MetadataError(
                    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "This server does not host this topic-partition.",
                )
            have = len(topic.partitions)
            if total <= have:
                raise MetadataError(
                    ErrorCode.INVALID_PARTITIONS,
                    f"Topic currently has {have} partitions, which is higher than the "
                    f"requested {total}."
                    if total < have
                    else f"Topic already has {have} partitions.",
                )
            for i in range(have, total):
                topic.partitions.append(
                    PartitionInfo(i, [self.node_id], self.node_id, 0, [self.node_id])
                )
            grown = topic
            await self._persist_or_undo(lambda: grown.partitions.__delitem__(slice(have, None)))
        self._notify(PARTITIONS_ADDED, topic)
        return topic

    async def _set_topic_configs(self, name: str, configs: Mapping[str, str]) -> TopicInfo:
        async with self._lock:
            topic = self._topics.get(name)
            if topic is None:
                raise MetadataError(
                    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "This server does not host this topic-partition.",
                )
            old_configs, changed = topic.configs, topic
            topic.configs = dict(configs)
            await self._persist_or_undo(lambda: setattr(changed, "configs", old_configs))
        self._notify(CONFIGS_CHANGED, topic)
        return topic

    async def _allocate_producer_ids(self, count: int) -> int:
        async with self._lock:
            start = self._next_pid
            self._next_pid += max(count, 1)
            await self._persist_or_undo(lambda: setattr(self, "_next_pid", start))
        return start
