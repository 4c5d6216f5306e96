"""Typed config keys: parsing a string to its type, validators, canonical string form.

The parsing rules follow Kafka's ConfigDef so that a value accepted by Kafka is accepted
here, a value Kafka rejects is rejected here, and the error text has Kafka's shape:
``Invalid value <v> for configuration <name>: <why>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any

from moldau.common.configs.errors import ConfigError

__all__ = [
    "NO_DEFAULT",
    "ConfigKey",
    "ConfigSource",
    "ConfigType",
    "Importance",
    "UpdateMode",
    "Validator",
    "at_least",
    "between",
    "format_value",
    "invalid",
    "non_empty_list",
    "one_of",
    "parse_value",
]


class ConfigType(IntEnum):
    """DescribeConfigs ``ConfigType`` numbers (KIP-569)."""

    UNKNOWN = 0
    BOOLEAN = 1
    STRING = 2
    INT = 3
    SHORT = 4
    LONG = 5
    DOUBLE = 6
    LIST = 7
    CLASS = 8
    PASSWORD = 9


class ConfigSource(IntEnum):
    """DescribeConfigs ``ConfigSource`` numbers."""

    UNKNOWN = 0
    TOPIC_CONFIG = 1
    DYNAMIC_BROKER_CONFIG = 2
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3
    STATIC_BROKER_CONFIG = 4
    DEFAULT_CONFIG = 5
    DYNAMIC_BROKER_LOGGER_CONFIG = 6
    CLIENT_METRICS_CONFIG = 7
    GROUP_CONFIG = 8


class Importance(IntEnum):
    HIGH = 0
    MEDIUM = 1
    LOW = 2


class UpdateMode(IntEnum):
    """Whether a broker config can change without a restart (Kafka's 'Update Mode')."""

    READ_ONLY = 0
    PER_BROKER = 1
    CLUSTER_WIDE = 2


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()
"""Marks a key that must be given (Kafka's 'no default'); distinct from a ``None`` default."""

_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_DOUBLE_RE = re.compile(
    r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)\Z"
)
_LIST_SPLIT = re.compile(r"\s*,\s*")
_BOUNDS = {
    ConfigType.SHORT: (-(2**15), 2**15 - 1),
    ConfigType.INT: (-(2**31), 2**31 - 1),
    ConfigType.LONG: (-(2**63), 2**63 - 1),
}
_MAX_VALUE_CHARS = 1 << 20


def invalid(name: str, value: object, why: str) -> ConfigError:
    """The error Kafka's ConfigException builds, naming the key."""
    shown = format_value(value) if not isinstance(value, str) else value
    return ConfigError(f"Invalid value {shown} for configuration {name}: {why}", name)


def parse_value(name: str, ctype: ConfigType, raw: object) -> Any:
    """Parse ``raw`` (normally a string) to the Python value of ``ctype``.

    bool for BOOLEAN; int for SHORT/INT/LONG; float for DOUBLE; list[str] for LIST; str for
    STRING, CLASS and PASSWORD. ``None`` stays ``None``.
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        return _coerce(name, ctype, raw)
    if len(raw) > _MAX_VALUE_CHARS:
        raise ConfigError(f"Value of configuration {name} is longer than {_MAX_VALUE_CHARS} characters", name)
    if ctype is ConfigType.PASSWORD:
        return raw
    s = raw.strip()
    if ctype is ConfigType.STRING or ctype is ConfigType.CLASS:
        return s
    if ctype is ConfigType.BOOLEAN:
        low = s.lower()
        if low == "true":
            return True
        if low == "false":
            return False
        raise invalid(name, raw, "Expected value to be either true or false")
    if ctype in _BOUNDS:
        if _INT_RE.match(s):
            v = int(s)
            lo, hi = _BOUNDS[ctype]
            if lo <= v <= hi:
                return v
        raise invalid(name, raw, f"Not a number of type {ctype.name}")
    if ctype is ConfigType.DOUBLE:
        if _DOUBLE_RE.match(s):
            t = s.rstrip("fFdD") if not s.endswith("Infinity") else s
            return float(t.replace("Infinity", "inf").replace("NaN", "nan"))
        raise invalid(name, raw, "Not a number of type DOUBLE")
    if ctype is ConfigType.LIST:
        if not s:
            return []
        return _LIST_SPLIT.split(s)
    raise invalid(name, raw, f"Unknown type {ctype!r}")


def _coerce(name: str, ctype: ConfigType, v: object) -> Any:
    """Accept already-typed Python values (used for defaults written in code)."""
    if ctype is ConfigType.BOOLEAN and isinstance(v, bool):
        return v
    if ctype in _BOUNDS and isinstance(v, int) and not isinstance(v, bool):
        lo, hi = _BOUNDS[ctype]
        if lo <= v <= hi:
            return v
        raise invalid(name, v, f"Not a number of type {ctype.name}")
    if ctype is ConfigType.DOUBLE and isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    if ctype is ConfigType.LIST and isinstance(v, list | tuple):
        return [str(x) for x in v]
    raise invalid(name, v, f"Expected a value of type {ctype.name}")


def _java_double(x: float) -> str:
    """Java's Double.toString: plain between 1e-3 and 1e7, else d.dddE<n>."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    r = repr(x)  # shortest digits that round-trip, like Java's
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return r  # Python prints this range without an exponent, always with a '.'
    sign = "-" if r.startswith("-") else ""
    body = r.lstrip("-")
    if "e" in body:
        m, _, e = body.partition("e")
        return f"{sign}{m if '.' in m else m + '.0'}E{int(e)}"
    intpart, _, frac = body.partition(".")
    if intpart != "0":
        digits = (intpart + frac).rstrip("0")
        exp = len(intpart) - 1
    else:
        stripped = frac.lstrip("0")
        exp = -(len(frac) - len(stripped)) - 1
        digits = stripped.rstrip("0")
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exp}"


def format_value(value: object) -> str:
    """The canonical string Kafka shows for a parsed value (DescribeConfigs, tools)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


Validator = Callable[[str, Any], None]


class _Range:
    __slots__ = ("hi", "lo")

    def __init__(self, lo: float | None, hi: float | None) -> None:
        self.lo = lo
        self.hi = hi

    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            if self.lo is not None or self.hi is not None:
                raise invalid(name, "null", "Value must be non-null")
            return
        if self.lo is not None and value < self.lo:
            raise invalid(name, value, f"Value must be at least {format_value(self.lo)}")
        if self.hi is not None and value > self.hi:
            raise invalid(name, value, f"Value must be no more than {format_value(self.hi)}")

    def __str__(self) -> str:
        lo = "" if self.lo is None else format_value(self.lo)
        hi = "" if self.hi is None else format_value(self.hi)
        if self.hi is None:
            return f"[{lo},...]"
        return f"[{lo},...,{hi}]"


def at_least(lo: float) -> Validator:
    return _Range(lo, None)


def between(lo: float, hi: float) -> Validator:
    return _Range(lo, hi)


class _OneOf:
    """A string in a fixed set; for LIST-typed keys, every element (no duplicates)."""

    __slots__ = ("allow_empty", "case_insensitive", "choices")

    def __init__(self, choices: Sequence[str], case_insensitive: bool, allow_empty: bool) -> None:
        self.choices = tuple(choices)
        self.case_insensitive = case_insensitive
        self.allow_empty = allow_empty

    def _check(self, name: str, item: str) -> None:
        ok = (
            item.lower() in (c.lower() for c in self.choices)
            if self.case_insensitive
            else item in self.choices
        )
        if not ok:
            raise invalid(name, item, f"String must be one of: {', '.join(self.choices)}")

    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, list):
            if not value and not self.allow_empty:
                raise invalid(name, "", "Configuration must not be empty")
            seen = set()
            for item in value:
                self._check(name, item)
                key = item.lower() if self.case_insensitive else item
                if key in seen:
                    raise invalid(name, ",".join(value), "Configuration values must not be duplicated")
                seen.add(key)
            return
        self._check(name, value)

    def __str__(self) -> str:
        return "[" + ", ".join(self.choices) + "]"


def one_of(*choices: str, case_insensitive: bool = False, allow_empty: bool = True) -> Validator:
    return _OneOf(choices, case_insensitive, allow_empty)


class _NonEmptyList:
    """A LIST that must have at least one element and no element twice."""

    __slots__ = ()

    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            return
        if not value or any(not v for v in value):
            raise ConfigError(f"Configuration {name} must not be empty", name)
        if len(set(value)) != len(value):
            raise ConfigError(f"Configuration {name} must not list a value twice", name)

    def __str__(self) -> str:
        return "non-empty list without duplicates"


def non_empty_list() -> Validator:
    return _NonEmptyList()


class ConfigKey:
    """One config's definition: Kafka's name, type, default, validator, importance, mode."""

    __slots__ = (
        "default",
        "doc",
        "importance",
        "internal",
        "mode",
        "name",
        "type",
        "validator",
    )

    def __init__(
        self,
        name: str,
        ctype: ConfigType,
        default: Any,
        validator: Validator | None,
        importance: Importance,
        mode: UpdateMode,
        doc: str,
        internal: bool = False,
    ) -> None:
        self.name = name
        self.type = ctype
        self.default = default if default is NO_DEFAULT or default is None else _coerce_default(name, ctype, default)
        self.validator = validator
        self.importance = importance
        self.mode = mode
        self.doc = doc
        self.internal = internal

    @property
    def sensitive(self) -> bool:
        return self.type is ConfigType.PASSWORD

    @property
    def read_only(self) -> bool:
        return self.mode is UpdateMode.READ_ONLY

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def default_string(self) -> str | None:
        """The default as Kafka shows it, or None when there is none (or it is null)."""
        if self.default is NO_DEFAULT or self.default is None:
            return None
        return format_value(self.default)

    def parse(self, raw: object) -> Any:
        """Parse and validate one value; raises ConfigError naming this key."""
        value = parse_value(self.name, self.type, raw)
        if self.validator is not None:
            self.validator(self.name, value)
        return value

    def __repr__(self) -> str:
        return f"ConfigKey({self.name!r}, {self.type.name}, default={self.default!r})"


def _coerce_default(name: str, ctype: ConfigType, default: Any) -> Any:
    """Defaults are written in code either as Kafka's string form or as Python values."""
    if isinstance(default, str):
        return parse_value(name, ctype, default)
    return _coerce(name, ctype, default)
