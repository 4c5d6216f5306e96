"""Differential test against the independent `kio` codec (PyPI), for every message it models.

For each (message, version) both codecs know: a value drawn from the spec is encoded by us;
kio must decode exactly those bytes and re-encode them byte for byte; we then decode kio's
bytes back to the same value. Any disagreement in framing, nullability, tagged fields or
defaults between two independent generators shows up here.
"""

from __future__ import annotations

import importlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.spec import snake
from moldau.protocol.primitives import Reader, Writer
from tests.support.codec_values import (
    all_messages,
    message_cases,
    module_for,
    spec_available,
    struct_strategy,
)

kio_index = pytest.importorskip("kio.schema.index", reason="the kio package is not installed")
from kio.serial import entity_reader, entity_writer  # noqa: E402
from kio.static.constants import EntityType  # noqa: E402

pytestmark = pytest.mark.skipif(not spec_available(), reason="../shared/kafka-protocol is absent")


def _kio_class(name: str, version: int):
    kind = EntityType.request if name.endswith("Request") else EntityType.response
    base = snake(name.removesuffix("Request").removesuffix("Response"))
    try:
        path = kio_index.schema_name_map[base][version][kind]
    except KeyError:
        return None
    module, _, cls = path.partition(":")
    return getattr(importlib.import_module(module), cls)


def _cases():
    if not spec_available():
        return []
    out = []
    for msg, v in message_cases([m for m in all_messages() if m.kind in ("request", "response")]):
        cls = _kio_class(msg.name, v)
        if cls is not None:
            out.append((msg, v, cls))
    return out


CASES = _cases()


@pytest.mark.parametrize(("msg", "version", "kio_cls"), CASES, ids=[f"{m.name}-v{v}" for m, v, _ in CASES])
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_same_bytes_as_kio(msg, version, kio_cls, data) -> None:
    value = data.draw(struct_strategy(module_for(msg), msg.root, msg, version, semantic=True))
    w = Writer()
    value.write(w, version)
    ours = w.getvalue()
    kio_value, consumed = entity_reader(kio_cls)(ours, 0)
    assert consumed == len(ours)
    out = io.BytesIO()
    entity_writer(kio_cls)(out, kio_value)
    theirs = out.getvalue()
    assert theirs == ours
    r = Reader(theirs)
    assert type(value).read(r, version) == value
    assert r.pos == len(theirs)


def test_kio_covers_the_core_apis() -> None:
    names = {m.name for m, _, _ in CASES}
    assert {"ProduceRequest", "FetchResponse", "MetadataResponse", "JoinGroupRequest"} <= names
