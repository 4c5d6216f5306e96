"""The handler registry: what ApiVersions advertises is exactly what has a handler."""

from __future__ import annotations

import pytest

from moldau.broker import handlers, registry
from moldau.protocol._generated import APIS


def test_refuses_ranges_outside_the_codec():
    with pytest.raises(ValueError):
        registry.handler(0, 3, 99)
    with pytest.raises(ValueError):
        registry.handler(9999, 0, 0)


def test_refuses_unstable_versions():
    unstable = [s for s in APIS.values() if s.latest_version_unstable]
    assert unstable, "the spec has unstable versions to test against"
    spec = unstable[0]
    with pytest.raises(ValueError):
        registry.handler(spec.api_key, spec.min_version, spec.max_version)


def test_advertised_versions_are_served_and_stable():
    handlers.load_all()
    advertised = registry.advertised_versions()
    keys = [k for k, _, _ in advertised]
    assert keys == sorted(keys)
    for key, lo, hi in advertised:
        spec = APIS[key]
        served = registry.lookup(key)
        assert served is not None
        top = spec.max_version - (1 if spec.latest_version_unstable else 0)
        assert served.min_version >= spec.min_version and hi <= top
        assert lo == (0 if key == 0 else served.min_version)  # Produce: KAFKA-18659
