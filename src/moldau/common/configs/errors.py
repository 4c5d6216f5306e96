"""Errors raised by config parsing and validation."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the key and why.

    ``key`` is the offending config name when there is one.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class InvalidConfigError(ConfigError):
    """A topic/broker config rejected in a request: Kafka answers INVALID_CONFIG (40)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message, key)


class InvalidRequestError(ConfigError):
    """A malformed alter request (duplicate keys, unknown op): Kafka answers INVALID_REQUEST (42)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message, key)
