"""What DescribeConfigs returns per config: value, source, synonyms (protocol-neutral).

Plain slotted classes rather than dataclasses: this module is imported at broker start-up
and a dataclass costs about a millisecond to create.
"""

from __future__ import annotations

from moldau.common.configs.types import ConfigSource, ConfigType

__all__ = ["ConfigEntry", "ConfigSynonym"]


class ConfigSynonym:
    """One place a value could come from, highest precedence first."""

    __slots__ = ("name", "source", "value")

    def __init__(self, name: str, value: str | None, source: ConfigSource) -> None:
        self.name = name
        self.value = value
        self.source = source

    def _key(self) -> tuple[str, str | None, int]:
        return (self.name, self.value, int(self.source))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigSynonym) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"ConfigSynonym({self.name!r}, {self.value!r}, {self.source.name})"


class ConfigEntry:
    """One config as DescribeConfigs reports it.

    ``value`` is None for sensitive configs and for configs with no value. ``synonyms``
    is empty unless the caller asked for them. ``source`` and ``type`` are the protocol's
    numbers (IntEnums), so they can be written to the wire as they are.
    """

    __slots__ = ("documentation", "is_sensitive", "name", "read_only", "source", "synonyms", "type", "value")

    def __init__(
        self,
        name: str,
        value: str | None,
        source: ConfigSource,
        is_sensitive: bool,
        read_only: bool,
        synonyms: list[ConfigSynonym] | None = None,
        type: ConfigType = ConfigType.UNKNOWN,  # noqa: A002 - the protocol's field name
        documentation: str | None = None,
    ) -> None:
        self.name = name
        self.value = value
        self.source = source
        self.is_sensitive = is_sensitive
        self.read_only = read_only
        self.synonyms = [] if synonyms is None else synonyms
        self.type = type
        self.documentation = documentation

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, s) for s in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigEntry) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"ConfigEntry({self.name!r}, value={self.value!r}, source={self.source.name}, "
            f"read_only={self.read_only}, synonyms={self.synonyms!r})"
        )
