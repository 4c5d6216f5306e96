"""The produce handler's response builder (positional construction on the hot path)."""

from __future__ import annotations

import pytest

from moldau.broker.handlers.produce import build_response
from moldau.broker.partition import AppendResult
from moldau.protocol._generated.produce_response import ProduceResponse
from moldau.protocol.primitives import Reader, Writer


def _round_trip(resp: object, v: int) -> ProduceResponse:
    w = Writer()
    resp.write(w, v)  # type: ignore[attr-defined]
    return ProduceResponse.read(Reader(bytes(w.buf)), v)


@pytest.mark.parametrize("v", [3, 5, 8, 9, 12])
def test_each_field_lands_where_the_spec_puts_it(v: int) -> None:
    ok = AppendResult(0, 40, 41, 1_700_000_000_123, 7)
    bad = AppendResult(87, error_message="keyless", record_errors=[(1, "no key"), (3, None)])
    got = _round_trip(build_response([("t", [(2, ok), (5, bad)])], v, True), v)
    (topic,) = got.responses
    assert topic.name == "t"
    a, b = topic.partition_responses
    assert (a.index, a.error_code, a.base_offset, a.log_append_time_ms) == (
        2,
        0,
        40,
        1_700_000_000_123,
    )
    assert a.log_start_offset == (7 if v >= 5 else -1)
    assert (b.index, b.error_code, b.base_offset) == (5, 87, -1)
    if v >= 8:
        assert (a.error_message, b.error_message) == (None, "keyless")
        assert [(e.batch_index, e.batch_index_error_message) for e in b.record_errors] == [
            (1, "no key"),
            (3, None),
        ]
        assert a.record_errors == []


def test_no_error_fields_when_nothing_failed() -> None:
    ok = AppendResult(0, 0, 0, -1, 0, error_message="ignored when not failed")
    resp = build_response([("t", [(0, ok)])], 9, False)
    (p,) = resp.responses[0].partition_responses  # type: ignore[attr-defined]
    assert p.error_message is None and p.record_errors == []
