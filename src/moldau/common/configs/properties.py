"""Java ``.properties`` files, read the way Kafka reads ``server.properties``.

Format (as ``java.util.Properties.load`` defines it):

* A *natural line* ends at ``\\n``, ``\\r`` or ``\\r\\n``. Leading blanks (space, tab,
  form feed) are skipped; blank lines are ignored.
* A line whose first non-blank character is ``#`` or ``!`` is a comment. A comment is never
  continued by a trailing backslash.
* A line ending in an odd number of backslashes continues on the next natural line; the
  continuation's leading blanks are dropped.
* The key runs to the first unescaped ``=``, ``:`` or blank. Blanks around the separator
  are skipped, as is one ``=`` or ``:``. Everything after is the value, trailing blanks
  included (Kafka trims values when it parses typed configs, and so do we).
* Escapes in keys and values: ``\\t \\n \\r \\f``, ``\\uXXXX``, and a backslash before any
  other character stands for that character (``\\=``, ``\\:``, ``\\ ``, ``\\\\``).
* A key given twice keeps its last value.

Kafka opens the file as ISO-8859-1. We decode UTF-8 when the bytes are valid UTF-8 (what
editors write today) and fall back to ISO-8859-1 otherwise, so every file loads.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from moldau.common.configs.errors import ConfigError

__all__ = ["PropertiesError", "apply_overrides", "load_properties", "parse_properties"]

_BLANKS = " \t\f"
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_MAX_FILE_BYTES = 64 * 1024 * 1024


class PropertiesError(ConfigError):
    """A properties file (or --override) that cannot be read as Java would read it."""


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Yield (first line number, logical line) with continuations joined.

    As in Java, a continuation that has gathered nothing yet (a line holding only a
    backslash) leaves the next natural line a fresh start: it may be a comment or blank.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()  # the text ended with a line terminator: no further line
    parts: list[str] = []
    pending = False  # the previous natural line ended in a continuation backslash
    first = 0
    for i, natural in enumerate(lines):
        line = natural.lstrip(_BLANKS)
        fresh = not parts or not any(parts)
        if fresh:
            parts = []
            if not line or line[0] in "#!":
                pending = False
                continue
            first = i + 1
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            parts.append(line[:-1])
            pending = True
            continue
        parts.append(line)
        yield first, "".join(parts)
        parts = []
        pending = False
    if parts and any(parts):
        yield first, "".join(parts)  # a backslash at the very end of the input is dropped
    elif pending and not text.endswith("\r\n"):
        # Java's reader quirk: a lone continuation backslash on the last line (followed by
        # nothing, or by one CR or LF) yields an entry with an empty key and value.
        yield first, ""


def _unescape(raw: str, lineno: int) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            i += 1  # a lone trailing backslash stands for nothing
            continue
        e = raw[i + 1]
        if e == "u":
            digits = raw[i + 2 : i + 6]
            if len(digits) != 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise PropertiesError(f"line {lineno}: malformed \\uXXXX escape {raw[i:i + 6]!r}")
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append(_SIMPLE_ESCAPES.get(e, e))
        i += 2
    return "".join(out)


def _split_key_value(line: str) -> tuple[str, str]:
    """Split a logical line at the first unescaped separator; both halves still escaped."""
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c in "=:" or c in _BLANKS:
            break
        i += 1
    key = line[:i]
    j = i
    while j < n and line[j] in _BLANKS:
        j += 1
    if j < n and line[j] in "=:":
        j += 1
        while j < n and line[j] in _BLANKS:
            j += 1
    return key, line[j:]


def parse_properties(text: str) -> dict[str, str]:
    """Parse properties text into an ordered dict (file order, last duplicate wins)."""
    props: dict[str, str] = {}
    for lineno, line in _logical_lines(text):
        raw_key, raw_value = _split_key_value(line)
        key = _unescape(raw_key, lineno)
        value = _unescape(raw_value, lineno)
        props.pop(key, None)  # keep the position of the last occurrence
        props[key] = value
    return props


def load_properties(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a properties file; errors name the file."""
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_FILE_BYTES + 1)
    except OSError as e:
        raise PropertiesError(f"cannot read properties file {os.fspath(path)}: {e.strerror or e}") from e
    if len(data) > _MAX_FILE_BYTES:
        raise PropertiesError(f"properties file {os.fspath(path)} is larger than {_MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("iso-8859-1")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return parse_properties(text)
    except PropertiesError as e:
        raise PropertiesError(f"{os.fspath(path)}: {e}") from e


def apply_overrides(props: dict[str, str], overrides: Iterable[str]) -> dict[str, str]:
    """Return a copy of ``props`` with each ``key=value`` override applied in order.

    As with Kafka's ``--override``, the text is split at the first ``=``, the value is
    trimmed and may be empty. A missing ``=`` or an empty key is an error naming the override.
    """
    out = dict(props)
    for item in overrides:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise PropertiesError(f"invalid --override {item!r}: expected key=value")
        out[key] = value.strip()
    return out
