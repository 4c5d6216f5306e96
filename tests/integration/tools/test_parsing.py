"""The tools' parsers on their own (no broker): properties files, the console producer's
line format, the consumer's output format, reset-offsets times, config lists.
(They live here with the other tool tests; they need no broker.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moldau.tools._common import ToolError, parse_properties_text
from moldau.tools.configs import parse_add_config
from moldau.tools.console_consumer import Formatter
from moldau.tools.console_producer import LineFormat
from moldau.tools.consumer_groups import parse_datetime, parse_duration, table
from moldau.tools.get_offsets import _partition_filter, parse_time
from moldau.tools.topics import parse_replica_assignment


def test_properties_text():
    text = "# comment\n! also\n\na=1\nb : two\nc three\nd=x\\\n  y\nempty=\n  spaced.key = v = w \n"
    assert parse_properties_text(text) == {"a": "1", "b": "two", "c": "three", "d": "xy", "empty": "",
                                           "spaced.key": "v = w"}


def test_line_format_keys_headers_null():
    f = LineFormat.from_properties({"parse.key": "true", "key.separator": ",", "parse.headers": "true",
                                    "null.marker": "NULL"})
    assert f.parse(b"h1:a,h2:NULL\tk,v,with,commas", 1) == (b"k", b"v,with,commas", [("h1", b"a"), ("h2", None)])
    assert f.parse(b"h:x\tNULL,v", 2) == (None, b"v", [("h", b"x")])
    with pytest.raises(ToolError, match="No headers delimiter found on line number 3"):
        f.parse(b"no tab here", 3)
    with pytest.raises(ToolError, match="No header key separator found in pair 'bad' on line number 4"):
        f.parse(b"bad\tk,v", 4)


def test_line_format_plain_and_ignore_error():
    assert LineFormat().parse(b"a\tb", 1) == (None, b"a\tb", [])
    keyed = LineFormat.from_properties({"parse.key": "true"})
    with pytest.raises(ToolError, match="No key separator found on line number 7: 'nokey'"):
        keyed.parse(b"nokey", 7)
    lenient = LineFormat.from_properties({"parse.key": "true", "ignore.error": "true"})
    assert lenient.parse(b"nokey", 1) == (None, b"nokey", [])


class _Msg:
    def __init__(self, key, value, headers=None, ts=(1, 1700000000000)):
        self._k, self._v, self._h, self._ts = key, value, headers, ts

    def key(self):
        return self._k

    def value(self):
        return self._v

    def headers(self):
        return self._h

    def timestamp(self):
        return self._ts

    def partition(self):
        return 2

    def offset(self):
        return 41


def test_formatter_order_and_nulls():
    every = {f"print.{k}": "true" for k in ("timestamp", "partition", "offset", "headers", "key")}
    f = Formatter.from_properties(every)
    assert f.format(_Msg(None, b"v", [("a", b"1"), ("b", None)])) == (
        b"CreateTime:1700000000000\tPartition:2\tOffset:41\ta:1,b:null\tnull\tv\n")
    f = Formatter.from_properties({"print.key": "true", "key.separator": ",", "print.timestamp": "true"})
    assert f.format(_Msg(b"k", None, ts=(2, 5))) == b"LogAppendTime:5,k,null\n"
    assert Formatter().format(_Msg(b"k", b"v", ts=(0, -1))) == b"v\n"
    assert Formatter.from_properties({"print.timestamp": "true"}).format(_Msg(b"k", b"v", ts=(0, -1))) == b"NO_TIMESTAMP\tv\n"


def test_durations_and_datetimes():
    assert parse_duration("PT1H30M") == 5_400_000
    assert parse_duration("P1DT0.5S") == 86_400_500
    for bad in ("1H", "P", "PT", "PTXS"):
        with pytest.raises(ToolError):
            parse_duration(bad)
    assert parse_datetime("2020-01-02T03:04:05.678Z") == int(
        datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC).timestamp() * 1000)
    assert parse_datetime("2020-01-02T03:04:05+01:00") == int(
        datetime(2020, 1, 2, 2, 4, 5, tzinfo=UTC).timestamp() * 1000)
    with pytest.raises(ToolError):
        parse_datetime("yesterday")


def test_add_config_brackets():
    assert parse_add_config("a=1,b=[x,y],c=") == {"a": "1", "b": "x,y", "c": ""}
    with pytest.raises(ToolError):
        parse_add_config("novalue")


def test_replica_assignment():
    assert parse_replica_assignment("0:1,1:2") == [[0, 1], [1, 2]]
    for bad in ("0:x", "0:0", "0:1,2"):
        with pytest.raises(ToolError):
            parse_replica_assignment(bad)


def test_get_offsets_time_and_partition_specs():
    assert [parse_time(t) for t in ("latest", "earliest", "max-timestamp", "-1", "123")] == [-1, -2, -3, -1, 123]
    with pytest.raises(ToolError, match="Malformed time argument"):
        parse_time("-7")
    assert [p for p in range(6) if _partition_filter("1-4")(p)] == [1, 2, 3]
    assert [p for p in range(6) if _partition_filter("4-")(p)] == [4, 5]
    assert [p for p in range(6) if _partition_filter("2")(p)] == [2]


def test_table_widths():
    lines = table(["GROUP", "TOPIC", "X"], [["g", "a-much-longer-topic-name", 1]], [None, None, 0])
    assert lines[0] == "GROUP           TOPIC                    X"
    assert lines[1] == "g               a-much-longer-topic-name 1"


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9.]{0,10}", fullmatch=True),
                       st.from_regex(r"[A-Za-z0-9_./-]{0,12}", fullmatch=True), max_size=8))
def test_properties_round_trip(props):
    text = "\n".join(f"{k}={v}" for k, v in props.items())
    assert parse_properties_text(text) == props
