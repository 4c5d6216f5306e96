"""The Broker: configuration, metadata, logs and partitions, listeners, timers, shutdown.

Handlers reach everything through `ctx.broker`:
- `config` (BrokerConfig), `metadata` (MetadataStore), `logs` (storage LogManager), `clock`,
  `loop`, `purgatory`;
- `partition(topic, index)` -> Partition | None (the produce/fetch entry points);
- `create_topic` / `delete_topic` / `create_partitions` / `set_topic_configs`, which change
  the metadata and then the logs (through the metadata listener, so changes made by another
  broker in cluster mode take the same path);
- `topic_configs(name)` -> the effective topic configs (broker defaults + overrides);
- `run_blocking(fn, *args)`: run disk-heavy work in the executor, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from moldau.broker.config import BrokerConfig
from moldau.broker.partition import Partition
from moldau.broker.purgatory import Purgatory
from moldau.cluster.metadata import (
    CONFIGS_CHANGED,
    PARTITIONS_ADDED,
    TOPIC_CREATED,
    TOPIC_DELETED,
    MetadataStore,
    PartitionInfo,
    TopicInfo,
)
from moldau.common.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger("moldau.server")
# Partitions opened between two yields to the event loop when a big topic is created.
_OPEN_BATCH = 8
# A big topic's new partition logs are created this many at a time, in parallel threads: a
# log's creation is mostly fsyncs (directory, partition.metadata), which the filesystem
# commits together when they come at once, and which must not run on the event loop.
_CREATE_BATCH = 128
_CREATE_THREADS = 32
# Connections that read nothing for this long give back grown receive buffers.
_TRIM_IDLE_S = 5.0
# Segments deleted by one retention pass before yielding to the event loop.
_RETENTION_BATCH = 32
T = TypeVar("T")


class Broker:
    # Blocking fn(broker) callables run in the executor at shutdown, before the logs close
    # (the idempotent producer writes its .snapshot files there).
    before_log_shutdown: ClassVar[list[Callable[[Broker], object]]] = []

    def __init__(self, config: BrokerConfig, clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config
        self.clock = clock
        self.node_id = config.node_id
        # The running loop once start() runs (Broker is built inside the loop by main).
        self.loop: asyncio.AbstractEventLoop = asyncio.get_running_loop()
        self.purgatory = Purgatory()
        self.replication: Any = None  # set by the replication layer in cluster mode
        self.metadata: MetadataStore
        self.logs: Any = None
        self.partitions: dict[tuple[str, int], Partition] = {}
        self.connections: set[Any] = set()
        self._servers: list[asyncio.AbstractServer] = []
        self._timers: list[asyncio.Task[None]] = []
        self._opening: dict[str, asyncio.Task[None]] = {}  # topics whose logs are being opened
        self._create_pool: Any = None  # threads creating partition logs (see _create_logs)
        self._stopping = False
        self.bound_ports: list[int] = []
        self.advertised_host = ""
        self.advertised_port = 0

    @property
    def stopping(self) -> bool:
        """True once shutdown began: waiting requests answer with what they have."""
        return self._stopping

    # -- start-up ------------------------------------------------------------------------
    async def start(self) -> None:
        from moldau.broker import handlers
        from moldau.broker.registry import START_HOOKS
        from moldau.cluster.metadata_local import LocalMetadataStore
        from moldau.storage.config import LogConfig
        from moldau.storage.manager import LogManager

        self.loop = asyncio.get_running_loop()
        handlers.load_all()
        cfg = self.config
        self._check_listener_security()
        adv = cfg.advertised_listeners[0]
        self.advertised_host = adv.host or socket.gethostname()
        self.advertised_port = adv.port
        store = LocalMetadataStore(cfg.log_dir, self.node_id, self.advertised_host, adv.port)
        await self.loop.run_in_executor(None, store.load)
        self.metadata = store
        default_config = LogConfig.from_topic_configs(cfg.topic_defaults())
        self.logs = LogManager([str(d) for d in cfg.log_dirs], self.clock, default_config)
        await self.loop.run_in_executor(
            None, self.logs.load, lambda t: self._log_config(self.topic_configs(t))
        )
        for topic in store.topics().values():
            self._open_topic(topic)
        store.add_listener(self._on_metadata_change)
        for hook in START_HOOKS:
            hook(self)
        for listener in cfg.listeners:
            server = await self.loop.create_server(
                lambda name=listener.name: self._new_connection(name),
                host=listener.host or None,
                port=listener.port,
                reuse_address=True,
                backlog=1024,
            )
            self._servers.append(server)
            for sock in server.sockets:
                self.bound_ports.append(sock.getsockname()[1])
        if adv.port == 0 and self.bound_ports:  # ephemeral port: advertise the real one
            self.advertised_port = self.bound_ports[0]
            store.set_advertised(self.advertised_host, self.advertised_port)
        self._start_timers()

    def _check_listener_security(self) -> None:
        """Refuse to serve a listener whose security protocol is not implemented, rather
        than serving it as plaintext without authentication."""
        from moldau.broker.config import ConfigError
        from moldau.broker.registry import lookup
        from moldau.protocol._generated import ApiKey

        for li in self.config.listeners:
            proto = li.security_protocol.upper()
            if proto in ("SSL", "SASL_SSL"):
                raise ConfigError(
                    f"Invalid value for configuration listeners: listener {li.name} uses "
                    f"{proto}, but moldau does not support TLS",
                    "listeners",
                )
            if proto == "SASL_PLAINTEXT" and lookup(ApiKey.SASL_HANDSHAKE) is None:
                raise ConfigError(
                    f"Invalid value for configuration listeners: listener {li.name} uses "
                    "SASL_PLAINTEXT, but this build has no SASL support",
                    "listeners",
                )

    def _new_connection(self, listener_name: str) -> asyncio.BaseProtocol:
        from moldau.broker.network import Connection

        return Connection(self, listener_name)

    def connection_opened(self, conn: Any) -> bool:
        if self._stopping or len(self.connections) >= self.config["max.connections"]:
            return False
        self.connections.add(conn)
        return True

    def connection_closed(self, conn: Any) -> None:
        self.connections.discard(conn)

    # -- partitions ----------------------------------------------------------------------
    def partition(self, topic: str, index: int) -> Partition | None:
        return self.partitions.get((topic, index))

    def topic_configs(self, name: str) -> dict[str, str]:
        """Effective topic configs: the broker's defaults overlaid with the topic's own."""
        out = self.config.topic_defaults()
        topic = self.metadata.topic(name)
        if topic is not None:
            out.update(topic.configs)
        return out

    def _log_config(self, configs: Mapping[str, str]) -> Any:
        from moldau.storage.config import LogConfig

        return LogConfig.from_topic_configs(configs)

    def _open_partition(
        self, topic: TopicInfo, p: PartitionInfo, configs: dict[str, str], log_config: Any
    ) -> None:
        if (topic.name, p.index) in self.partitions:
            return
        plog = self.logs.get(topic.name, p.index)
        if plog is None:
            plog = self.logs.create(topic.name, p.index, log_config, topic_id=topic.topic_id)
        else:
            plog.config = log_config
        if self.replication is None:
            # Single broker: every byte in the log was written by the only replica, so
            # the HW is the LEO (after an unclean stop the checkpointed HW is stale).
            plog.high_watermark = plog.log_end_offset
        part = Partition(self, topic.name, p.index, plog, dict(configs))
        part.leader_epoch = p.leader_epoch
        part.isr = list(p.isr or p.replicas)
        self.partitions[(topic.name, p.index)] = part

    def _open_topic(self, topic: TopicInfo) -> None:
        """Open (creating when needed) every partition log of `topic`, all at once."""
        configs = self.topic_configs(topic.name)
        log_config = self._log_config(configs)
        for p in list(topic.partitions):
            self._open_partition(topic, p, configs, log_config)

    async def _open_topic_gradually(
        self, topic: TopicInfo, previous: asyncio.Task[None] | None
    ) -> None:
        """Open the partitions of a big topic a few at a time, letting other requests run in
        between (creating a partition's files takes milliseconds)."""
        if previous is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(previous)
        configs = self.topic_configs(topic.name)
        log_config = self._log_config(configs)
        partitions = list(topic.partitions)
        for start in range(0, len(partitions), _CREATE_BATCH):
            if self.metadata.topic(topic.name) is not topic:
                return  # deleted (or deleted and created again) meanwhile
            batch = partitions[start : start + _CREATE_BATCH]
            await self._create_logs(topic, batch, log_config)
            for i, p in enumerate(batch):
                if self.metadata.topic(topic.name) is not topic:
                    return
                self._open_partition(topic, p, configs, log_config)
                if i % _OPEN_BATCH == _OPEN_BATCH - 1:
                    await asyncio.sleep(0)
            # The topic's configs may have been altered meanwhile.
            configs = self.topic_configs(topic.name)
            log_config = self._log_config(configs)

    async def _create_logs(
        self, topic: TopicInfo, batch: list[PartitionInfo], log_config: Any
    ) -> None:
        """Create the missing logs of `batch` in the creation threads, all at once.

        LogManager.create of different partitions may run in parallel (it touches only its
        own directory and single dict entries). The wait is not cancellable: when the topic
        is deleted meanwhile (which cancels the opening task), the logs being created are
        finished first and then deleted here, so none is left behind.
        """
        from concurrent.futures import ThreadPoolExecutor

        name = topic.name
        missing = [
            p.index
            for p in batch
            if (name, p.index) not in self.partitions and self.logs.get(name, p.index) is None
        ]
        if not missing:
            return
        if self._create_pool is None:
            self._create_pool = ThreadPoolExecutor(_CREATE_THREADS, "moldau-create")
        pool = self._create_pool
        create = self.logs.create
        done = asyncio.gather(
            *(
                self.loop.run_in_executor(pool, create, name, i, log_config, topic.topic_id)
                for i in missing
            ),
            return_exceptions=True,
        )
        try:
            results = await asyncio.shield(done)
        except asyncio.CancelledError:
            await asyncio.wait([done])
            if self.metadata.topic(name) is not topic:
                for i in missing:
                    if (name, i) not in self.partitions:
                        self.logs.delete(name, i)
            raise
        for r in results:
            if isinstance(r, BaseException):
                raise r

    def _schedule_open(self, topic: TopicInfo) -> None:
        previous = self._opening.get(topic.name)
        missing = sum(1 for p in topic.partitions if (topic.name, p.index) not in self.partitions)
        if previous is None and missing <= _OPEN_BATCH:
            self._open_topic(topic)
            return
        task = self.loop.create_task(self._open_topic_gradually(topic, previous))
        self._opening[topic.name] = task

        def done(t: asyncio.Task[None], name: str = topic.name) -> None:
            if self._opening.get(name) is t:
                del self._opening[name]
            if not t.cancelled() and t.exception() is not None:
                log.error("Opening the partitions of %s failed", name, exc_info=t.exception())
            if not self._opening and self._create_pool is not None:
                # Nothing being opened: let the creation threads go (no idle threads).
                self._create_pool.shutdown(wait=False)
                self._create_pool = None

        task.add_done_callback(done)

    async def topic_ready(self, name: str) -> None:
        """Wait until every partition of `name` known to the metadata has its log open."""
        task = self._opening.get(name)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    def _on_metadata_change(self, event: str, topic: TopicInfo) -> None:
        if event in (TOPIC_CREATED, PARTITIONS_ADDED):
            self._schedule_open(topic)
            if event == TOPIC_CREATED:
                log.info(
                    "Created topic %s with %d partition(s) and topic id %s",
                    topic.name,
                    len(topic.partitions),
                    topic.topic_id,
                )
            else:
                log.info("Topic %s now has %d partition(s)", topic.name, len(topic.partitions))
        elif event == TOPIC_DELETED:
            # Cancelled but left in _opening until it is done: it may still be finishing
            # (and removing) logs in the creation threads, and a topic created again
            # under the same name waits for that (_schedule_open chains on it).
            opening = self._opening.get(topic.name)
            if opening is not None:
                opening.cancel()
            for p in topic.partitions:
                part = self.partitions.pop((topic.name, p.index), None)
                if part is not None:
                    self.logs.delete(topic.name, p.index)
                    self.purgatory.notify(part.key)
            log.info("Deleted topic %s (topic id %s)", topic.name, topic.topic_id)
        elif event == CONFIGS_CHANGED:
            configs = self.topic_configs(topic.name)
            log_config = self._log_config(configs)
            for p in topic.partitions:
                part = self.partitions.get((topic.name, p.index))
                if part is not None:
                    part.apply_configs(configs)
                    part.log.config = log_config
            log.info("Updated configs of topic %s: %s", topic.name, topic.configs)

    # -- topic changes (used by handlers) ------------------------------------------------
    async def create_topic(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        configs: Mapping[str, str],
    ) -> TopicInfo:
        """Create a topic; returns once its partition logs are open."""
        info = await self.metadata.create_topic(name, num_partitions, replication_factor, configs)
        await self.topic_ready(name)
        return info

    async def create_partitions(self, name: str, total: int) -> TopicInfo:
        """Grow a topic; returns once the new partition logs are open."""
        info = await self.metadata.create_partitions(name, total)
        await self.topic_ready(name)
        return info

    async def auto_create_topic(self, name: str) -> TopicInfo | None:
        """Create `name` with the broker's defaults when auto.create.topics.enable allows it;
        None when it does not (or the name is invalid)."""
        from moldau.cluster.metadata import MetadataError, topic_name_error

        if not self.config["auto.create.topics.enable"] or topic_name_error(name):
            return None
        existing = self.metadata.topic(name)
        if existing is not None:
            return existing
        try:
            return await self.create_topic(
                name,
                self.config["num.partitions"],
                min(self.config["default.replication.factor"], len(self.metadata.brokers())),
                {},
            )
        except MetadataError:
            await self.topic_ready(name)
            return self.metadata.topic(name)

    # -- executor ------------------------------------------------------------------------
    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.loop.run_in_executor(None, fn, *args)

    # -- timers --------------------------------------------------------------------------
    def _start_timers(self) -> None:
        """Periodic storage work, with Kafka's intervals.

        The storage layer is single-threaded (one writer per partition), so work that
        changes a log's segment list (retention, compaction) runs on the event loop, in
        bounded passes; only the checkpoint, which mostly fsyncs files and writes small
        checkpoint files, runs in the executor so the loop never waits on fsync.
        """
        cfg = self.config
        self._every(cfg["log.retention.check.interval.ms"], "retention", "run_retention", False)
        if cfg["log.cleaner.enable"]:
            self._every(cfg["log.cleaner.backoff.ms"], "cleaner", "run_cleaner", False)
        self._every(
            cfg["log.flush.offset.checkpoint.interval.ms"], "checkpoint", "checkpoint", True
        )
        self._timers.append(self.loop.create_task(self._trim_buffers(), name="moldau-trim"))

    async def _trim_buffers(self) -> None:
        """Every few seconds, connections idle that long give back the receive buffers a
        busy spell grew (frames.py), so memory follows the active connections only."""
        while True:
            await asyncio.sleep(_TRIM_IDLE_S)
            now = self.loop.time()
            for conn in list(self.connections):
                conn.trim_if_idle(now, _TRIM_IDLE_S)

    def _every(self, interval_ms: int, name: str, method: str, in_executor: bool) -> None:
        fn = getattr(self.logs, method, None)
        if fn is None or interval_ms <= 0:
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_ms / 1000)
                try:
                    if in_executor:
                        await self.run_blocking(fn)
                    elif name == "retention":
                        # Small passes with a yield in between: deleting many segments
                        # (renames) must not hold up requests.
                        while fn(max_segments=_RETENTION_BATCH) >= _RETENTION_BATCH:
                            await asyncio.sleep(0)
                    else:
                        fn()
                except Exception:
                    log.exception("Periodic %s task failed; retrying in %d ms", name, interval_ms)
                if name in ("retention", "cleaner"):
                    # Log start offsets may have moved: wake fetches waiting on them.
                    for key in list(self.partitions):
                        self.purgatory.notify(key)

        self._timers.append(self.loop.create_task(loop(), name=f"moldau-{name}"))

    # -- API versions (used by network for quirk 3) ------------------------------------------
    def api_versions_error_response(self) -> Any:
        from moldau.broker.handlers.api_versions import unsupported_version_response

        return unsupported_version_response()

    # -- shutdown ------------------------------------------------------------------------
    async def shutdown(self, drain_timeout_s: float = 10.0) -> None:
        """Stop accepting, finish in-flight requests, flush and checkpoint the logs."""
        if self._stopping:
            return
        self._stopping = True
        log.info("Shutting down")
        for server in self._servers:
            server.close()
        conns = list(self.connections)
        for c in conns:
            c.stop_reading()
        # Long-polling fetches would otherwise sit out their max wait.
        self.purgatory.notify_all()
        if conns:
            drains = [c.drain() for c in conns]
            try:
                await asyncio.wait_for(asyncio.gather(*drains), drain_timeout_s)
            except TimeoutError:
                log.warning("In-flight requests still running after %.0f s", drain_timeout_s)
        for c in conns:
            c.close()
        for t in self._timers:
            t.cancel()
        await asyncio.gather(*self._timers, return_exceptions=True)
        if self._create_pool is not None:
            self._create_pool.shutdown(wait=True)
        if self.logs is not None:
            for hook in self.before_log_shutdown:
                try:
                    await self.run_blocking(hook, self)
                except Exception:
                    log.exception("Shutdown hook %r failed", hook)
            await self.run_blocking(self.logs.shutdown)
        if hasattr(self, "metadata"):
            await self.metadata.close()
        log.info("Shut down completed")
