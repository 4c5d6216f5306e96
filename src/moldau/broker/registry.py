"""The handler registry: which API versions the broker serves, and the code that serves them.

Every API handler registers itself with `@handler(api_key, min_version, max_version)`.
ApiVersions is computed from this registry alone (DESIGN.md principle 3: never advertise what
is not served), so adding a handler is also what makes clients see the API.

A handler is `async def fn(ctx: RequestContext, request) -> response | None`; returning None
means "send no response" (Produce with acks=0); returning `CLOSE_CONNECTION` closes the
connection once the answers before it are sent. Handlers raise nothing for client mistakes:
they answer with Kafka error codes. An exception escaping a handler is a broker bug; the
connection layer logs it and closes that connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moldau.protocol._generated import APIS

if TYPE_CHECKING:
    from moldau.broker.server import Broker
    from moldau.protocol.quirks import RequestHeader

HandlerFn = Callable[["RequestContext", Any], Coroutine[Any, Any, Any]]


class _CloseConnection:
    """Returned by a handler to close the connection without answering (Kafka does this for
    a failed acks=0 produce, so the producer notices)."""

    def __repr__(self) -> str:
        return "CLOSE_CONNECTION"


CLOSE_CONNECTION = _CloseConnection()


@dataclass(slots=True)
class RequestContext:
    """What a handler knows about the request besides its body."""

    header: RequestHeader
    api_version: int
    client_id: str | None
    client_host: str
    broker: Broker
    loop: asyncio.AbstractEventLoop
    # Connection-scoped scratch space (e.g. SASL state); one dict per connection.
    connection_state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    api_key: int
    min_version: int  # lowest version served
    max_version: int  # highest version served
    advertised_min: int  # lowest version advertised (may be below min_version: quirk 4)
    fn: HandlerFn


HANDLERS: dict[int, HandlerSpec] = {}


def handler(
    api_key: int, min_version: int, max_version: int, *, advertised_min: int | None = None
) -> Callable[[HandlerFn], HandlerFn]:
    """Register `fn` as the handler of `api_key` for versions min..max (inclusive).

    Refuses ranges the codec cannot decode and unstable versions, so a typo cannot make the
    broker advertise something it does not speak.
    """
    spec = APIS.get(int(api_key))
    if spec is None:
        raise ValueError(f"unknown api key {api_key}")
    top = spec.max_version - (1 if spec.latest_version_unstable else 0)
    if not spec.min_version <= min_version <= max_version <= top:
        raise ValueError(
            f"{spec.name} v{min_version}-{max_version} is outside the stable range "
            f"{spec.min_version}-{top}"
        )

    def register(fn: HandlerFn) -> HandlerFn:
        if int(api_key) in HANDLERS and HANDLERS[int(api_key)].fn is not fn:
            raise ValueError(f"{spec.name} already has a handler")
        HANDLERS[int(api_key)] = HandlerSpec(
            int(api_key),
            min_version,
            max_version,
            min_version if advertised_min is None else advertised_min,
            fn,
        )
        return fn

    return register


def lookup(api_key: int) -> HandlerSpec | None:
    return HANDLERS.get(api_key)


def advertised_versions() -> list[tuple[int, int, int]]:
    """(api_key, min, max) for every API with a handler, sorted by key: the ApiVersions list."""
    return [(s.api_key, s.advertised_min, s.max_version) for _, s in sorted(HANDLERS.items())]


StartHook = Callable[["Broker"], None]
START_HOOKS: list[StartHook] = []


def on_broker_start(fn: StartHook) -> StartHook:
    """Run `fn(broker)` once the broker's logs are open, before it accepts connections.

    For services that must be running whether or not a client asked for them yet: the
    group coordinator restores its groups at start so their session timers expire members
    that never come back, and topic deletions clear committed offsets.
    """
    if fn not in START_HOOKS:
        START_HOOKS.append(fn)
    return fn
