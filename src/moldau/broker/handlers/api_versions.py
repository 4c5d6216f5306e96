"""ApiVersions (key 18): the served version ranges, computed from the handler registry.

Any ClientSoftwareName/Version is accepted (CLIENTS.md pitfall 4). A version above ours is
answered by the connection layer through `unsupported_version_response` (quirk 3: a v0 body
with UNSUPPORTED_VERSION and our ApiVersions range).
"""

from __future__ import annotations

from moldau.broker.registry import RequestContext, advertised_versions, handler, lookup
from moldau.protocol._generated import ApiKey
from moldau.protocol._generated.api_versions_response import ApiVersion, ApiVersionsResponse
from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.quirks import PRODUCE_ADVERTISED_MIN_VERSION

_cache: list[ApiVersion] | None = None


def _api_keys() -> list[ApiVersion]:
    global _cache
    if _cache is None or len(_cache) != len(advertised_versions()):
        _cache = [ApiVersion(k, lo, hi) for k, lo, hi in advertised_versions()]
    return _cache


def unsupported_version_response() -> ApiVersionsResponse:
    spec = lookup(ApiKey.API_VERSIONS)
    assert spec is not None
    return ApiVersionsResponse(
        error_code=ErrorCode.UNSUPPORTED_VERSION,
        api_keys=[ApiVersion(ApiKey.API_VERSIONS, spec.advertised_min, spec.max_version)],
    )


@handler(ApiKey.API_VERSIONS, 0, 4)
async def api_versions(ctx: RequestContext, request: object) -> ApiVersionsResponse:
    return ApiVersionsResponse(error_code=0, api_keys=_api_keys())


assert PRODUCE_ADVERTISED_MIN_VERSION == 0
