"""server.properties parsing: Java's .properties rules and --override."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# Inputs and what java.util.Properties.load (Java 17) returned for them, recorded once.
JAVA_GOLDEN = [
    ('a\\\n#b=1\nc=2', {'a#b': '1', 'c': '2'}),
    ('\\\n#c\nk=v', {'k': 'v'}),
    ('k=v\\\n\nn=1', {'k': 'v', 'n': '1'}),
    ('k=v\\\n   \\\n  w', {'k': 'vw'}),
    ('k\\\\=v', {'k\\': 'v'}),
    ('k=\\\\\\\nx', {'k': '\\x'}),
    ('\\u0041\\u00e9=\\u0020x', {'A\u00e9': ' x'}),
    ('k : v : w', {'k': 'v : w'}),
    ('k\t\tv', {'k': 'v'}),
    ('k=v\\\r\nw', {'k': 'vw'}),
    ('  ! c\\\nk=v', {'k': 'v'}),
    ('k\\ y=z', {'k y': 'z'}),
    ('a=1\r\r\nb=2', {'a': '1', 'b': '2'}),
    ('=\n:\n', {'': ''}),
    ('k=\\uABCD\\n', {'k': '\uabcd\n'}),
    ('k', {'k': ''}),
    ('k\\', {'k': ''}),
    ('#\\\nk=v\\', {'k': 'v'}),
    ('\\', {'': ''}),
    ('\\\n', {'': ''}),
    ('\\\n\n', {}),
    ('\\\n  ', {}),
    ('\\\r', {'': ''}),
    ('\\\r\n', {}),
    ('a\n\\\n', {'a': '', '': ''}),
]


@pytest.mark.parametrize(("text", "expected"), JAVA_GOLDEN)
def test_matches_java_properties_load(text: str, expected: dict[str, str]) -> None:
    assert parse_properties(text) == expected


def _escape(s: str, is_key: bool) -> str:
    """Write a string so that Properties.load reads it back (our own writer, for tests)."""
    out = []
    for i, c in enumerate(s):
        if c == "\\":
            out.append("\\\\")
        elif c == "\t":
            out.append("\\t")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\f":
            out.append("\\f")
        elif c in "=:#!" or (c == " " and (is_key or i == 0)):
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) > 0x7E:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


_texts = st.text(st.characters(min_codepoint=1, max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=30)


@given(st.dictionaries(_texts, _texts, max_size=8))
def test_round_trip_of_escaped_pairs(d: dict[str, str]) -> None:
    text = "".join(f"{_escape(k, True)}={_escape(v, False)}\n" for k, v in d.items())
    assert parse_properties(text) == d


@given(st.text(alphabet="ab=: \t\\\n\r#!u0A\f", max_size=60))
def test_any_text_parses_or_raises_properties_error(text: str) -> None:
    with contextlib.suppress(PropertiesError):
        parse_properties(text)


_JAVA_DUMPER = r"""
import java.util.*; import java.io.*; import java.nio.file.*;
public class PropDump {
  public static void main(String[] a) throws Exception {
    for (String f : a) {
      Properties p = new Properties(); StringBuilder b = new StringBuilder();
      try (Reader r = new InputStreamReader(new FileInputStream(f), "UTF-8")) {
        p.load(r);
        List<String> ks = new ArrayList<>(); for (Object k : p.keySet()) ks.add((String) k);
        Collections.sort(ks);
        for (String k : ks) { for (char c : k.toCharArray()) b.append(String.format("%04x", (int) c));
          b.append('='); for (char c : p.getProperty(k).toCharArray()) b.append(String.format("%04x", (int) c));
          b.append(';'); }
      } catch (IllegalArgumentException e) { b = new StringBuilder("ERROR"); }
      Files.writeString(Paths.get(f + ".out"), b.toString());
    }
  }
}
"""


@pytest.mark.skipif(shutil.which("javac") is None or shutil.which("java") is None, reason="needs a JDK")
def test_differential_against_java(tmp_path) -> None:
    """Random texts parsed by Java's Properties.load and by us give the same pairs."""
    (tmp_path / "PropDump.java").write_text(_JAVA_DUMPER)
    subprocess.run(["javac", "PropDump.java"], cwd=tmp_path, check=True, timeout=120)
    rng = random.Random(20261126)
    pieces = ["a", "b", "=", ":", " ", "\t", "\\", "\n", "\r", "#", "!", "u", "0", "4", "1", "n",
              "t", "\f", "\u00e9", "x", "\\u0041", "\\\n", "  ", "\r\n"]
    names = []
    for i in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        (tmp_path / f"{i}.p").write_bytes(text.encode("utf-8"))
        names.append(f"{i}.p")
    subprocess.run(["java", "-cp", ".", "PropDump", *names], cwd=tmp_path, check=True, timeout=120)

    def enc(s: str) -> str:
        return "".join(f"{ord(c):04x}" for c in s)

    for name in names:
        text = (tmp_path / name).read_bytes().decode("utf-8")
        try:
            d = parse_properties(text)
            ours = "".join(f"{enc(k)}={enc(d[k])};" for k in sorted(d, key=lambda k: [ord(c) for c in k]))
        except PropertiesError:
            ours = "ERROR"
        assert ours == (tmp_path / (name + ".out")).read_text(), repr(text)
    assert os.path.exists(tmp_path / "PropDump.class")
