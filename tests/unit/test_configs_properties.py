"""server.properties parsing: Java's .properties rules and --override."""

from __future__ import annotations

import pytest

from moldau.common.configs import (
    PropertiesError,
    apply_overrides,
    load_properties,
    parse_properties,
)


def test_separators_and_whitespace() -> None:
    text = "a=1\nb:2\nc 3\n  d  =  4  \ne\t:\t5\nf\n"
    assert parse_properties(text) == {"a": "1", "b": "2", "c": "3", "d": "4  ", "e": "5", "f": ""}


def test_comments_and_blank_lines() -> None:
    text = "# comment\n! also comment\n   # indented comment\n\n \t \nkey=value # not a comment\n"
    assert parse_properties(text) == {"key": "value # not a comment"}


def test_continuation_lines_drop_leading_blanks() -> None:
    text = "listeners=PLAINTEXT://:9092,\\\n    SSL://:9093\nnext=1\n"
    assert parse_properties(text) == {"listeners": "PLAINTEXT://:9092,SSL://:9093", "next": "1"}


def test_even_backslashes_do_not_continue() -> None:
    text = "path=C:\\\\\nother=2\n"
    assert parse_properties(text) == {"path": "C:\\", "other": "2"}


def test_comment_is_never_continued() -> None:
    assert parse_properties("# comment \\\nkey=v\n") == {"key": "v"}


def test_continuation_at_end_of_input() -> None:
    assert parse_properties("key=abc\\") == {"key": "abc"}


def test_escapes() -> None:
    text = "k\\=x\\:y\\ z=tab\\there\\nnl\\u0041\\\\end\\q\n"
    assert parse_properties(text) == {"k=x:y z": "tab\there\nnlA\\endq"}


def test_malformed_unicode_escape_names_line() -> None:
    with pytest.raises(PropertiesError, match="line 2"):
        parse_properties("ok=1\nbad=\\u12G4\n")


def test_crlf_and_cr_line_endings() -> None:
    assert parse_properties("a=1\r\nb=2\rc=3") == {"a": "1", "b": "2", "c": "3"}


def test_last_duplicate_wins() -> None:
    assert parse_properties("a=1\nb=2\na=3\n") == {"b": "2", "a": "3"}


def test_empty_key_allowed_like_java() -> None:
    assert parse_properties("=value\n") == {"": "value"}


def test_load_file_utf8_and_latin1(tmp_path) -> None:
    p = tmp_path / "u.properties"
    p.write_bytes("name=caf\u00e9\n".encode())
    assert load_properties(p) == {"name": "caf\u00e9"}
    q = tmp_path / "l.properties"
    q.write_bytes(b"name=caf\xe9\n")
    assert load_properties(q) == {"name": "caf\u00e9"}


def test_load_missing_file_names_it(tmp_path) -> None:
    with pytest.raises(PropertiesError, match="nope.properties"):
        load_properties(tmp_path / "nope.properties")


def test_shipped_server_properties_loads() -> None:
    props = load_properties("config/server.properties")
    assert props["listeners"] == "PLAINTEXT://:9092"
    assert props["log.dirs"] == "/tmp/kafka-logs"


def test_overrides_apply_in_order_and_trim() -> None:
    base = {"a": "1"}
    out = apply_overrides(base, ["a=2", "b = x=y ", "c="])
    assert out == {"a": "2", "b": "x=y", "c": ""}
    assert base == {"a": "1"}


@pytest.mark.parametrize("bad", ["novalue", "=x", "  =x"])
def test_bad_override_named(bad: str) -> None:
    with pytest.raises(PropertiesError) as e:
        apply_overrides({}, ["ok=1", bad])
    assert repr(bad) in str(e.value)
