"""Broker configuration: server.properties in Apache Kafka's format, names and defaults.

`load_config(path, overrides)` reads a Java-properties file, applies `--override key=value`
pairs on top (as Kafka's start script does) and returns a `BrokerConfig`. The definitions
(names, types, defaults, validation, synonyms) are Kafka's, from `moldau.common.configs`;
this module adds what the broker process needs on top: the listener list, the one log
directory, and typed access by key (`config["num.partitions"]`).

Unknown keys never stop start-up: `unknown` lists a warning per key (logged at WARN). An
invalid value raises `ConfigError` whose message names the key, which stops start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moldau.common import configs as kc
from moldau.common.configs import ConfigError

__all__ = ["BrokerConfig", "ConfigError", "Listener", "load_config"]


@dataclass(frozen=True, slots=True)
class Listener:
    name: str
    host: str  # "" = every interface
    port: int
    security_protocol: str = "PLAINTEXT"

    def __str__(self) -> str:
        return f"{self.name}://{self.host}:{self.port}"


class BrokerConfig:
    """Typed broker settings. `raw` holds the strings as given (file + overrides)."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = dict(raw)
        self.common = kc.BrokerConfig(self.raw).validate()
        self.unknown: list[str] = list(self.common.warnings)
        # Every known key -> its typed value (None when unset without a default).
        self.values: dict[str, Any] = {name: self.common.get(name) for name in kc.BROKER_CONFIGS}
        node = self.common.node_id
        self.node_id: int = 0 if node < 0 else node
        self.listeners = [
            Listener(li.name, li.host, li.port, li.security_protocol)
            for li in self.common.listeners
        ]
        if not self.listeners:
            raise ConfigError(
                "Invalid value for configuration listeners: at least one is needed", "listeners"
            )
        self.advertised_listeners = [
            Listener(li.name, li.host, li.port, li.security_protocol)
            for li in self.common.advertised_listeners
        ] or list(self.listeners)
        self.log_dirs: list[Path] = [Path(d) for d in self.common.log_dirs]
        if len(self.log_dirs) != 1:
            raise ConfigError(
                "Invalid value for configuration log.dirs: moldau supports exactly one directory",
                "log.dirs",
            )
        self._topic_defaults = kc.effective_topic_config({}, self.common)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    @property
    def log_dir(self) -> Path:
        return self.log_dirs[0]

    @property
    def retention_ms(self) -> int:
        """log.retention.ms, else .minutes, else .hours (Kafka's precedence)."""
        return int(self.common.log_retention_ms)

    def topic_defaults(self) -> dict[str, str]:
        """Every topic config's value for a topic without overrides (broker synonyms applied)."""
        return dict(self._topic_defaults)

    def banner_lines(self) -> list[str]:
        return self.common.banner_lines()


def load_config(path: str | Path | None, overrides: Iterable[str] = ()) -> BrokerConfig:
    raw: dict[str, str] = {} if path is None else kc.load_properties(path)
    raw = kc.apply_overrides(raw, list(overrides))
    return BrokerConfig(raw)
