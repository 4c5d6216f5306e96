"""Every message and internal record schema, at every valid version, round-trips.

Values come from the specs (tests/support/codec_values.py); the check is: encode, decode
consuming exactly the bytes written, get an equal value, and re-encode to the same bytes.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moldau.protocol.primitives import Reader, Writer
from tests.support.codec_values import (
    all_messages,
    internal_messages,
    message_cases,
    module_for,
    spec_available,
    struct_strategy,
)

pytestmark = pytest.mark.skipif(not spec_available(), reason="../shared/kafka-protocol is absent")

CASES = message_cases(all_messages() + internal_messages()) if spec_available() else []


@pytest.mark.parametrize(("msg", "version"), CASES, ids=[f"{m.name}-v{v}" for m, v in CASES])
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_round_trip(msg, version, data) -> None:
    mod = module_for(msg)
    value = data.draw(struct_strategy(mod, msg.root, msg, version))
    w = Writer()
    value.write(w, version)
    encoded = w.getvalue()
    assert w.size() == len(encoded)
    r = Reader(encoded)
    decoded = type(value).read(r, version)
    assert r.pos == len(encoded), "decoder did not consume exactly the bytes written"
    assert decoded == value
    w2 = Writer()
    decoded.write(w2, version)
    assert w2.getvalue() == encoded


def test_cases_cover_every_message() -> None:
    names = {m.name for m, _ in CASES}
    assert {"ProduceRequest", "FetchResponse", "MetadataResponse", "OffsetCommitValue"} <= names
    assert len(CASES) > 600
