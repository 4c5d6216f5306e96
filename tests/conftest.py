"""Shared pytest setup: every test without another marker is a unit test."""

from __future__ import annotations

import pytest

_KINDS = {"integration", "system", "fuzz"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not any(item.get_closest_marker(k) for k in _KINDS):
            item.add_marker(pytest.mark.unit)
