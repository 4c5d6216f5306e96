"""What DescribeConfigs returns per config: value, source, synonyms (protocol-neutral)."""

from __future__ import annotations

from dataclasses import dataclass, field

from moldau.common.configs.types import ConfigSource, ConfigType

__all__ = ["ConfigEntry", "ConfigSynonym"]


@dataclass(slots=True, frozen=True)
class ConfigSynonym:
    """One place a value could come from, highest precedence first."""

    name: str
    value: str | None
    source: ConfigSource


@dataclass(slots=True)
class ConfigEntry:
    """One config as DescribeConfigs reports it.

    ``value`` is None for sensitive configs and for configs with no value. ``synonyms``
    is empty unless the caller asked for them. ``source``, ``type`` are the protocol's
    numbers (IntEnums), so they can be written to the wire as they are.
    """

    name: str
    value: str | None
    source: ConfigSource
    is_sensitive: bool
    read_only: bool
    synonyms: list[ConfigSynonym] = field(default_factory=list)
    type: ConfigType = ConfigType.UNKNOWN
    documentation: str | None = None
