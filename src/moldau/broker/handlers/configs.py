"""DescribeConfigs (key 32, v1-4), AlterConfigs (key 33, v0-2), IncrementalAlterConfigs
(key 44, v0-1).

Topic configs can be changed; they are validated with Kafka's definitions and stored in
canonical form. Broker configs are static in moldau (server.properties): altering them is
answered with INVALID_REQUEST and that reason rather than pretending to apply them.
AlterConfigs replaces a topic's whole override set; IncrementalAlterConfigs applies SET,
DELETE, APPEND and SUBTRACT (the last two on list configs only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from moldau.broker.describe_configs import (
    InvalidConfigError,
    InvalidRequestError,
    apply_incremental,
    describe_broker,
    describe_topic,
    validate_topic_configs,
)
from moldau.broker.lazy import generated
from moldau.broker.registry import RequestContext, handler
from moldau.protocol._generated import ApiKey
from moldau.protocol.error_codes import ErrorCode

if TYPE_CHECKING:
    from moldau.protocol._generated.alter_configs_request import AlterConfigsRequest
    from moldau.protocol._generated.alter_configs_response import (
        AlterConfigsResponse,
    )
    from moldau.protocol._generated.describe_configs_request import DescribeConfigsRequest
    from moldau.protocol._generated.describe_configs_response import (
        DescribeConfigsResponse,
    )
    from moldau.protocol._generated.incremental_alter_configs_request import (
        IncrementalAlterConfigsRequest,
    )
    from moldau.protocol._generated.incremental_alter_configs_response import (
        IncrementalAlterConfigsResponse,
    )

_alter_configs_request = generated("alter_configs_request")
_alter_configs_response = generated("alter_configs_response")
_describe_configs_request = generated("describe_configs_request")
_describe_configs_response = generated("describe_configs_response")
_incremental_alter_configs_request = generated("incremental_alter_configs_request")
_incremental_alter_configs_response = generated("incremental_alter_configs_response")

TOPIC, BROKER, BROKER_LOGGER = 2, 4, 8


def _broker_name_error(ctx: RequestContext, name: str) -> str | None:
    if name in ("", str(ctx.broker.node_id)):
        return None
    return (
        f"Unexpected broker id, expected {ctx.broker.node_id} or empty string, but received {name}"
    )


@handler(ApiKey.DESCRIBE_CONFIGS, 1, 4)
async def describe_configs(
    ctx: RequestContext, req: DescribeConfigsRequest
) -> DescribeConfigsResponse:
    broker = ctx.broker
    v = ctx.api_version
    results = []
    for res in req.resources or []:
        r = _describe_configs_response.DescribeConfigsResult(
            resource_type=res.resource_type, resource_name=res.resource_name, error_message=None
        )
        names = res.configuration_keys or None  # null or empty: every config
        entries = None
        if res.resource_type == TOPIC:
            topic = broker.metadata.topic(res.resource_name)
            if topic is None:
                r.error_code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                r.error_message = f"Topic {res.resource_name} does not exist"
            else:
                entries = describe_topic(topic.configs, broker.config, req.include_synonyms, names)
        elif res.resource_type in (BROKER, BROKER_LOGGER):
            err = _broker_name_error(ctx, res.resource_name)
            if err:
                r.error_code, r.error_message = ErrorCode.INVALID_REQUEST, err
            elif res.resource_type == BROKER:
                entries = describe_broker(broker.config, req.include_synonyms, names)
            else:
                entries = []
        else:
            r.error_code = ErrorCode.INVALID_REQUEST
            r.error_message = f"Unsupported resource type {res.resource_type}"
        if entries is not None:
            r.configs = [
                _describe_configs_response.DescribeConfigsResourceResult(
                    name=e.name,
                    value=e.value,
                    read_only=e.read_only,
                    config_source=int(e.source),
                    is_sensitive=e.is_sensitive,
                    synonyms=[
                        _describe_configs_response.DescribeConfigsSynonym(
                            s.name, s.value, int(s.source)
                        )
                        for s in e.synonyms
                    ]
                    if req.include_synonyms
                    else [],
                    config_type=int(e.type) if v >= 3 else 0,
                    documentation=(e.documentation if req.include_documentation else None)
                    if v >= 3
                    else "",
                )
                for e in entries
            ]
        results.append(r)
    return _describe_configs_response.DescribeConfigsResponse(results=results)


async def _apply_topic(
    ctx: RequestContext, name: str, new: Mapping[str, str | None], validate_only: bool
) -> tuple[int, str | None]:
    broker = ctx.broker
    if broker.metadata.topic(name) is None:
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Topic {name} does not exist"
    try:
        canonical = validate_topic_configs(new, broker.config)
    except InvalidConfigError as exc:
        return ErrorCode.INVALID_CONFIG, exc.message
    if not validate_only:
        await broker.metadata.set_topic_configs(name, canonical)
    return 0, None


def _non_topic(ctx: RequestContext, rtype: int, name: str) -> tuple[int, str | None]:
    if rtype in (BROKER, BROKER_LOGGER):
        err = _broker_name_error(ctx, name)
        if err:
            return ErrorCode.INVALID_REQUEST, err
        return (
            ErrorCode.INVALID_REQUEST,
            "moldau does not support dynamic broker configs; edit server.properties and restart",
        )
    return ErrorCode.INVALID_REQUEST, f"Unsupported resource type {rtype}"


@handler(ApiKey.ALTER_CONFIGS, 0, 2)
async def alter_configs(ctx: RequestContext, req: AlterConfigsRequest) -> AlterConfigsResponse:
    out = []
    for res in req.resources or []:
        if res.resource_type == TOPIC:
            new = {c.name: c.value for c in res.configs or []}
            err, msg = await _apply_topic(ctx, res.resource_name, new, req.validate_only)
        else:
            err, msg = _non_topic(ctx, res.resource_type, res.resource_name)
        out.append(
            _alter_configs_response.AlterConfigsResourceResponse(
                error_code=err,
                error_message=msg,
                resource_type=res.resource_type,
                resource_name=res.resource_name,
            )
        )
    return _alter_configs_response.AlterConfigsResponse(responses=out)


@handler(ApiKey.INCREMENTAL_ALTER_CONFIGS, 0, 1)
async def incremental_alter_configs(
    ctx: RequestContext, req: IncrementalAlterConfigsRequest
) -> IncrementalAlterConfigsResponse:
    broker = ctx.broker
    out = []
    for res in req.resources or []:
        err: int = 0
        msg: str | None = None
        if res.resource_type != TOPIC:
            err, msg = _non_topic(ctx, res.resource_type, res.resource_name)
        else:
            topic = broker.metadata.topic(res.resource_name)
            if topic is None:
                err = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                msg = f"Topic {res.resource_name} does not exist"
            else:
                try:
                    new = apply_incremental(topic.configs, res.configs or [])
                except InvalidRequestError as exc:
                    err, msg = ErrorCode.INVALID_REQUEST, exc.message
                except InvalidConfigError as exc:
                    err, msg = ErrorCode.INVALID_CONFIG, exc.message
                else:
                    err, msg = await _apply_topic(ctx, res.resource_name, new, req.validate_only)
        out.append(
            _incremental_alter_configs_response.AlterConfigsResourceResponse(
                error_code=err,
                error_message=msg,
                resource_type=res.resource_type,
                resource_name=res.resource_name,
            )
        )
    return _incremental_alter_configs_response.IncrementalAlterConfigsResponse(responses=out)
