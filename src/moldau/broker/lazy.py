"""Import a module on first attribute access, so broker start-up does not pay for the
generated message classes of APIs nobody has called yet (each costs a few ms to build).

After the first access the module's names are copied onto the proxy, so later lookups are
plain attribute reads (no __getattr__ call on the hot path).
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    def __init__(self, name: str) -> None:
        self.__dict__["_lazy_name"] = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__dict__["_lazy_name"])
        self.__dict__.update(module.__dict__)
        try:
            return self.__dict__[attr]
        except KeyError:
            raise AttributeError(f"module {module.__name__} has no attribute {attr}") from None


def generated(module: str) -> Any:
    """A lazy `moldau.protocol._generated.<module>`."""
    return LazyModule(f"moldau.protocol._generated.{module}")
