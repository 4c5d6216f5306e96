"""API handlers, one module per API family; importing this package registers them all.

Modules owned by other parts of the project (consumer groups, idempotent producer, ...) are
imported guarded, so the broker still starts while one of them is missing or being written.
"""

from __future__ import annotations

import importlib
import logging

_log = logging.getLogger(__name__)

# Families that must be present: the broker does not start without them.
_CORE = ("api_versions", "metadata", "produce", "fetch", "offsets", "topics", "configs", "cluster")

# Families added by other parts of the project; a missing module is skipped (logged at DEBUG).
_OPTIONAL = ("groups", "producer_ids", "transactions", "sasl")


def load_all() -> None:
    """Import every handler module so that each registers itself in the registry."""
    for name in _CORE:
        importlib.import_module(f"{__name__}.{name}")
    for name in _OPTIONAL:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            _log.debug("handler module %s not present", name)
