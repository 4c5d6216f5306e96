"""A broker's configuration: server.properties plus dynamic overrides, typed and validated.

Precedence of a broker config's value, highest first (as in Kafka):
dynamic per-broker > dynamic cluster-wide default > server.properties > built-in default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from moldau.common.configs.broker_defs import BROKER_CONFIGS
from moldau.common.configs.entries import ConfigEntry, ConfigSynonym
from moldau.common.configs.errors import ConfigError, InvalidConfigError
from moldau.common.configs.types import (
    NO_DEFAULT,
    ConfigKey,
    ConfigSource,
    ConfigType,
    UpdateMode,
    format_value,
)

__all__ = [
    "BrokerConfig",
    "Listener",
    "broker_config_synonyms",
    "describe_broker",
    "parse_listeners",
    "validate_broker_alter",
]

_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")

# Broker configs that are names for the same setting, in precedence order (Kafka's
# brokerConfigSynonyms): describing one lists the values of the others after it.
_BROKER_SYNONYM_GROUPS = (
    ("log.roll.ms", "log.roll.hours"),
    ("log.roll.jitter.ms", "log.roll.jitter.hours"),
    ("log.flush.interval.ms", "log.flush.scheduler.interval.ms"),
    ("log.retention.ms", "log.retention.minutes", "log.retention.hours"),
)
_SYNONYMS_OF: dict[str, tuple[str, ...]] = {}
for _group in _BROKER_SYNONYM_GROUPS:
    for _name in _group:
        _SYNONYMS_OF[_name] = _group


# Keys Kafka 4 requires (no default) that moldau gives a lenient default; DescribeConfigs
# lists no DEFAULT_CONFIG synonym for them, as Kafka does.
_REQUIRED_IN_KAFKA = frozenset({"node.id", "process.roles", "controller.listener.names"})


def broker_config_synonyms(name: str) -> tuple[str, ...]:
    """Every broker config that sets the same thing as ``name`` (itself included), in order."""
    return _SYNONYMS_OF.get(name, (name,))


class Listener:
    """One ``NAME://host:port`` entry of listeners / advertised.listeners."""

    __slots__ = ("host", "name", "port", "security_protocol")

    def __init__(self, name: str, host: str, port: int, security_protocol: str) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.security_protocol = security_protocol

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Listener) and (self.name, self.host, self.port, self.security_protocol) == (
            other.name, other.host, other.port, other.security_protocol)

    def __hash__(self) -> int:
        return hash((self.name, self.host, self.port, self.security_protocol))

    def __repr__(self) -> str:
        return f"Listener({self.name!r}, {self.host!r}, {self.port}, {self.security_protocol!r})"

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.name}://{host}:{self.port}"


def _parse_protocol_map(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (p.strip() for p in raw.split(",")):
        if not item:
            continue
        name, sep, proto = item.partition(":")
        name, proto = name.strip().upper(), proto.strip().upper()
        if not sep or not name or proto not in _SECURITY_PROTOCOLS:
            raise ConfigError(
                f"Invalid value {raw} for configuration listener.security.protocol.map: "
                f"entry {item!r} must be LISTENER_NAME:PROTOCOL with PROTOCOL one of "
                f"{', '.join(_SECURITY_PROTOCOLS)}",
                "listener.security.protocol.map",
            )
        if name in out:
            raise ConfigError(
                f"Invalid value {raw} for configuration listener.security.protocol.map: "
                f"listener name {name} is mapped twice",
                "listener.security.protocol.map",
            )
        out[name] = proto
    return out


def parse_listeners(key: str, items: Iterable[str], protocol_map: Mapping[str, str]) -> list[Listener]:
    """Parse ``NAME://host:port`` items; errors name ``key``."""
    out: list[Listener] = []
    seen: set[str] = set()
    for item in items:
        item = item.strip()
        name, sep, rest = item.partition("://")
        name = name.upper()
        if not sep or not name or not all(c.isalnum() or c in "_-" for c in name):
            raise ConfigError(f"Invalid value {item} for configuration {key}: expected LISTENER_NAME://host:port", key)
        if rest.startswith("["):
            host, bracket, port_s = rest[1:].partition("]")
            if not bracket or not port_s.startswith(":"):
                raise ConfigError(f"Invalid value {item} for configuration {key}: bad IPv6 address", key)
            port_s = port_s[1:]
        else:
            host, colon, port_s = rest.rpartition(":")
            if not colon:
                raise ConfigError(f"Invalid value {item} for configuration {key}: missing port", key)
        if not port_s.isdigit() or not 0 <= int(port_s) <= 65535:
            raise ConfigError(f"Invalid value {item} for configuration {key}: port must be 0-65535", key)
        if name in seen:
            raise ConfigError(f"Invalid value for configuration {key}: listener name {name} is used twice", key)
        seen.add(name)
        proto = protocol_map.get(name)
        if proto is None:
            raise ConfigError(
                f"Invalid value {item} for configuration {key}: listener name {name} has no "
                "security protocol in listener.security.protocol.map",
                key,
            )
        out.append(Listener(name, host, int(port_s), proto))
    return out


class BrokerConfig:
    """Typed view of a broker's configuration.

    Build it from the properties of server.properties (after ``--override``s); add dynamic
    configs (AlterConfigs on brokers) with ``dynamic_default`` / ``dynamic_broker``. Values
    are parsed when the object is built; ``validate()`` raises the first problem as a
    ``ConfigError`` naming the key and why. Unknown keys never fail: they are listed in
    ``warnings``. Typed access: ``get_int("num.partitions")`` or ``cfg.num_partitions``.
    """

    def __init__(
        self,
        props: Mapping[str, str] | None = None,
        *,
        dynamic_default: Mapping[str, str] | None = None,
        dynamic_broker: Mapping[str, str] | None = None,
    ) -> None:
        self.static: dict[str, str] = {str(k): str(v) for k, v in (props or {}).items()}
        # node.id and broker.id name one setting: as Kafka does, a file that sets one is
        # taken to set both (DescribeConfigs then shows both as STATIC_BROKER_CONFIG).
        for a, b in (("node.id", "broker.id"), ("broker.id", "node.id")):
            if a in self.static and b not in self.static:
                self.static[b] = self.static[a]
        self.dynamic_default: dict[str, str] = dict(dynamic_default or {})
        self.dynamic_broker: dict[str, str] = dict(dynamic_broker or {})
        self.warnings: list[str] = []
        self._errors: dict[str, ConfigError] = {}
        self._values: dict[str, Any] = {}
        self._sources: dict[str, ConfigSource] = {}
        for key, value in self.static.items():
            known = BROKER_CONFIGS.get(key)
            if known is None:
                self.warnings.append(f"Unknown config {key!r} ignored: moldau does not use it")
            elif known.type is ConfigType.CLASS and value.strip():
                self.warnings.append(f"{key}={value.strip()} ignored: moldau cannot load Java plugin classes")
        for cfg in BROKER_CONFIGS.values():
            self._resolve(cfg)

    # -- resolution --------------------------------------------------------------------

    def _layers(self) -> tuple[tuple[Mapping[str, str], ConfigSource], ...]:
        return (
            (self.dynamic_broker, ConfigSource.DYNAMIC_BROKER_CONFIG),
            (self.dynamic_default, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG),
            (self.static, ConfigSource.STATIC_BROKER_CONFIG),
        )

    def _resolve(self, cfg: ConfigKey) -> None:
        for layer, source in self._layers():
            if cfg.name in layer:
                try:
                    self._values[cfg.name] = cfg.parse(layer[cfg.name])
                except ConfigError as e:
                    self._errors[cfg.name] = e
                    self._values[cfg.name] = None if cfg.default is NO_DEFAULT else cfg.default
                self._sources[cfg.name] = source
                return
        self._values[cfg.name] = None if cfg.default is NO_DEFAULT else cfg.default
        self._sources[cfg.name] = ConfigSource.DEFAULT_CONFIG

    def is_set(self, name: str) -> bool:
        """True when the key was given (statically or dynamically), not defaulted."""
        return any(name in layer for layer, _ in self._layers())

    def source_of(self, name: str) -> ConfigSource:
        return self._sources.get(name, ConfigSource.UNKNOWN)

    def with_dynamic(
        self,
        dynamic_default: Mapping[str, str] | None = None,
        dynamic_broker: Mapping[str, str] | None = None,
    ) -> BrokerConfig:
        """A new config with these dynamic layers (None keeps the current one)."""
        return BrokerConfig(
            self.static,
            dynamic_default=self.dynamic_default if dynamic_default is None else dynamic_default,
            dynamic_broker=self.dynamic_broker if dynamic_broker is None else dynamic_broker,
        )

    # -- typed access ------------------------------------------------------------------

    def get(self, name: str) -> Any:
        """The parsed value of a known key (None when unset with no default)."""
        if name not in BROKER_CONFIGS:
            raise KeyError(f"unknown broker config {name!r}")
        err = self._errors.get(name)
        if err is not None:
            raise err
        return self._values[name]

    def get_string(self, name: str) -> str | None:
        v = self.get(name)
        return None if v is None else str(v)

    def get_int(self, name: str) -> int:
        v = self.get(name)
        if not isinstance(v, int) or isinstance(v, bool):
            raise ConfigError(f"Configuration {name} has no integer value", name)
        return v

    get_long = get_int
    get_short = get_int

    def get_bool(self, name: str) -> bool:
        v = self.get(name)
        if not isinstance(v, bool):
            raise ConfigError(f"Configuration {name} has no boolean value", name)
        return v

    def get_double(self, name: str) -> float:
        v = self.get(name)
        if not isinstance(v, float):
            raise ConfigError(f"Configuration {name} has no numeric value", name)
        return v

    def get_list(self, name: str) -> list[str]:
        v = self.get(name)
        return [] if v is None else list(v)

    def __getattr__(self, attr: str) -> Any:
        # Only reached for names that are not real attributes: num_partitions -> num.partitions
        if attr.startswith("_"):
            raise AttributeError(attr)
        name = attr.replace("_", ".")
        if name in BROKER_CONFIGS:
            return self.get(name)
        raise AttributeError(f"{type(self).__name__} has no attribute {attr!r} (and {name!r} is not a broker config)")

    def string_value(self, name: str) -> str | None:
        """The value as Kafka shows it (None when it has none)."""
        v = self._values.get(name)
        return None if v is None else format_value(v)

    def banner_lines(self) -> list[str]:
        """``name = value`` for every known key, sorted, for the start-up log.

        Passwords print as ``[hidden]`` and unset keys as ``null``, as Kafka's banner does.
        """
        lines = []
        for name in sorted(BROKER_CONFIGS):
            key = BROKER_CONFIGS[name]
            value = self._values.get(name)
            if key.sensitive and value is not None:
                shown = "[hidden]"
            elif value is None:
                shown = "null"
            else:
                shown = format_value(value)
            lines.append(f"{name} = {shown}")
        return lines

    # -- derived values Kafka computes from several keys -------------------------------

    @property
    def node_id(self) -> int:
        """node.id when set, else broker.id; -1 when neither is."""
        nid = self.get_int("node.id")
        return nid if nid >= 0 else self.get_int("broker.id")

    @property
    def log_dirs(self) -> list[str]:
        dirs = self.get_list("log.dirs") if self.get("log.dirs") is not None else []
        return dirs or self.get_list("log.dir")

    @property
    def zookeeper_mode(self) -> bool:
        return bool(self.get("zookeeper.connect"))

    def _first_set(self, names: Iterable[tuple[str, int]]) -> int | float | None:
        """First synonym that has a value (set or defaulted), converted by its factor."""
        names = tuple(names)
        for name, factor in names:
            if self.is_set(name) and self._values[name] is not None:
                return self._values[name] * factor if factor != 1 else self._values[name]
        for name, factor in names:
            v = self._values.get(name)
            if v is not None:
                return v * factor if factor != 1 else v
        return None

    @property
    def log_retention_ms(self) -> int:
        v = self._first_set((("log.retention.ms", 1), ("log.retention.minutes", 60_000), ("log.retention.hours", 3_600_000)))
        assert isinstance(v, int)
        return -1 if v < 0 else v

    @property
    def log_roll_ms(self) -> int:
        v = self._first_set((("log.roll.ms", 1), ("log.roll.hours", 3_600_000)))
        assert isinstance(v, int)
        return v

    @property
    def log_roll_jitter_ms(self) -> int:
        v = self._first_set((("log.roll.jitter.ms", 1), ("log.roll.jitter.hours", 3_600_000)))
        assert isinstance(v, int)
        return v

    @property
    def log_flush_interval_ms(self) -> int:
        v = self._first_set((("log.flush.interval.ms", 1), ("log.flush.scheduler.interval.ms", 1)))
        assert isinstance(v, int)
        return v

    @property
    def security_protocol_map(self) -> dict[str, str]:
        return _parse_protocol_map(self.get_string("listener.security.protocol.map") or "")

    @property
    def listeners(self) -> list[Listener]:
        return parse_listeners("listeners", self.get_list("listeners"), self._protocol_map_with_defaults())

    @property
    def advertised_listeners(self) -> list[Listener]:
        """advertised.listeners, or the listeners themselves when it is unset."""
        if self.get("advertised.listeners") is None:
            return self.listeners
        return parse_listeners(
            "advertised.listeners", self.get_list("advertised.listeners"), self._protocol_map_with_defaults()
        )

    @property
    def inter_broker_listener_name(self) -> str:
        name = self.get_string("inter.broker.listener.name")
        if name:
            return name.upper()
        return str(self.get_string("security.inter.broker.protocol")).upper()

    def _protocol_map_with_defaults(self) -> dict[str, str]:
        pmap = self.security_protocol_map
        if not self.is_set("listener.security.protocol.map"):
            # With the default map every security protocol name is also a listener name.
            for proto in _SECURITY_PROTOCOLS:
                pmap.setdefault(proto, proto)
        return pmap

    # -- validation --------------------------------------------------------------------

    def validate(self) -> BrokerConfig:
        """Raise ConfigError for the first invalid value or inconsistent pair; return self."""
        for layer, _ in self._layers():
            for key in layer:
                if key in self._errors:
                    raise self._errors[key]
        self._check_cross_key()
        return self

    def _require(self, ok: bool, key: str, message: str) -> None:
        if not ok:
            raise ConfigError(message, key)

    def _check_cross_key(self) -> None:
        node_id = self.get_int("node.id")
        broker_id = self.get_int("broker.id")
        if node_id >= 0 and broker_id >= 0:
            self._require(
                node_id == broker_id, "node.id",
                f"node.id ({node_id}) and broker.id ({broker_id}) are both set and differ; "
                "they name the same setting, so set one or make them equal",
            )
        if not self.zookeeper_mode:
            self._require(
                self.node_id >= 0, "node.id",
                "Missing required configuration node.id (or broker.id): a broker without "
                "zookeeper.connect needs its id set",
            )
        else:
            self._require(
                self.node_id <= self.get_int("reserved.broker.max.id")
                or not self.is_set("broker.id") and not self.is_set("node.id"),
                "broker.id",
                f"broker.id ({self.node_id}) must not exceed reserved.broker.max.id "
                f"({self.get_int('reserved.broker.max.id')})",
            )
        self._require(bool(self.log_dirs), "log.dirs",
                      "At least one log directory must be set with log.dirs or log.dir")
        self._require(self.log_roll_ms >= 1, "log.roll.ms", "log.roll.ms must be at least 1")
        self._require(self.log_roll_jitter_ms >= 0, "log.roll.jitter.ms", "log.roll.jitter.ms must be at least 0")
        retention = self.log_retention_ms
        self._require(retention >= 1 or retention == -1, "log.retention.ms",
                      "log.retention.ms must be -1 (unlimited) or at least 1")
        threads = self.get_int("log.cleaner.threads")
        if threads > 0:
            self._require(
                self.get_int("log.cleaner.dedupe.buffer.size") // threads > 1024 * 1024,
                "log.cleaner.dedupe.buffer.size",
                "log.cleaner.dedupe.buffer.size must be at least 1 MiB per cleaner thread",
            )
        self._require(
            self.get_int("replica.fetch.wait.max.ms") <= self.get_int("replica.socket.timeout.ms"),
            "replica.socket.timeout.ms",
            "replica.socket.timeout.ms must be at least replica.fetch.wait.max.ms",
        )
        self._require(
            self.get_int("replica.fetch.wait.max.ms") <= self.get_int("replica.lag.time.max.ms"),
            "replica.fetch.wait.max.ms",
            "replica.fetch.wait.max.ms must not exceed replica.lag.time.max.ms",
        )
        qbytes = self.get_int("queued.max.request.bytes")
        self._require(
            qbytes <= 0 or qbytes >= self.get_int("socket.request.max.bytes"),
            "queued.max.request.bytes",
            "queued.max.request.bytes must be -1 or at least socket.request.max.bytes",
        )
        self._require(
            self.get_int("group.min.session.timeout.ms") <= self.get_int("group.max.session.timeout.ms"),
            "group.min.session.timeout.ms",
            "group.min.session.timeout.ms must not exceed group.max.session.timeout.ms",
        )
        self._require(
            self.get_int("log.cleaner.min.compaction.lag.ms") <= self.get_int("log.cleaner.max.compaction.lag.ms"),
            "log.cleaner.min.compaction.lag.ms",
            "log.cleaner.min.compaction.lag.ms must not exceed log.cleaner.max.compaction.lag.ms",
        )
        listeners = self.listeners
        self._require(bool(listeners), "listeners", "listeners must name at least one listener")
        advertised = self.advertised_listeners
        listener_names = {lst.name for lst in listeners}
        for adv in advertised:
            self._require(
                adv.host not in ("0.0.0.0", "::"), "advertised.listeners",
                f"advertised.listeners cannot use the non-routable address {adv.host}; "
                "give an address clients can reach",
            )
            self._require(
                adv.name in listener_names, "advertised.listeners",
                f"advertised.listeners names {adv.name}, which is not one of listeners",
            )
        ibl = self.inter_broker_listener_name
        self._require(
            ibl in {a.name for a in advertised}, "inter.broker.listener.name",
            f"inter.broker.listener.name must be a listener name in advertised.listeners; {ibl} is not",
        )


def describe_broker(
    cfg: BrokerConfig, include_synonyms: bool = True, names: Iterable[str] | None = None
) -> list[ConfigEntry]:
    """DescribeConfigs entries for a broker resource, sorted by name.

    ``names`` limits the answer (unknown names are skipped, as Kafka does). Passwords are
    never shown. ``source`` is that of the first synonym, or DEFAULT_CONFIG when the key
    and its higher-precedence synonyms are unset.
    """
    wanted = sorted(BROKER_CONFIGS) if names is None else [n for n in names if n in BROKER_CONFIGS]
    out: list[ConfigEntry] = []
    for name in wanted:
        key = BROKER_CONFIGS[name]
        synonyms = _broker_synonyms(cfg, name, key.sensitive)
        out.append(
            ConfigEntry(
                name=name,
                value=None if key.sensitive else cfg.string_value(name),
                source=synonyms[0].source if synonyms else ConfigSource.DEFAULT_CONFIG,
                is_sensitive=key.sensitive,
                read_only=key.read_only,
                synonyms=synonyms if include_synonyms else [],
                type=key.type,
                documentation=key.doc,
            )
        )
    return out


def _broker_synonyms(cfg: BrokerConfig, name: str, sensitive: bool) -> list[ConfigSynonym]:
    """Kafka's order: by layer (dynamic broker, dynamic default, static, default), then by
    synonym order within a layer; everything before ``name`` itself is dropped."""
    group = broker_config_synonyms(name)
    found: list[ConfigSynonym] = []
    for layer, source in cfg._layers():
        for syn in group:
            if syn in layer:
                found.append(ConfigSynonym(syn, None if sensitive else layer[syn], source))
    for syn in group:
        if syn in _REQUIRED_IN_KAFKA:
            continue
        default = BROKER_CONFIGS[syn].default_string() if syn in BROKER_CONFIGS else None
        if default is not None:
            found.append(ConfigSynonym(syn, None if sensitive else default, ConfigSource.DEFAULT_CONFIG))
    for i, s in enumerate(found):
        if s.name == name:
            return found[i:]
    return []


def validate_broker_alter(configs: Mapping[str, str | None], per_broker: bool) -> dict[str, str]:
    """Check an (Incremental)AlterConfigs change to broker configs; return canonical values.

    ``per_broker`` is False for the cluster-wide default entity (empty resource name).
    A None value means delete. Raises InvalidConfigError naming the key.
    """
    out: dict[str, str] = {}
    for name, value in configs.items():
        key = BROKER_CONFIGS.get(name)
        if key is None:
            raise InvalidConfigError(name, f"Unknown broker config name: {name}")
        if key.mode is UpdateMode.READ_ONLY:
            raise InvalidConfigError(name, f"Cannot update these configs dynamically: {name}")
        if not per_broker and key.mode is UpdateMode.PER_BROKER:
            raise InvalidConfigError(
                name, f"Cannot update these configs at default cluster level, broker id must be specified: {name}"
            )
        if value is None:
            continue
        try:
            out[name] = format_value(key.parse(value))
        except ConfigError as e:
            raise InvalidConfigError(name, e.message) from e
    return out
