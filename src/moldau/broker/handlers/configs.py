"""DescribeConfigs (key 32, v1-4), AlterConfigs (key 33, v0-2), IncrementalAlterConfigs
(key 44, v0-1).

Topic configs can be changed; broker configs are static in moldau (server.properties), so
altering them answers INVALID_REQUEST with that reason instead of pretending to apply them.
AlterConfigs replaces a topic's whole override set; IncrementalAlterConfigs applies SET (0),
DELETE (1), APPEND (2) and SUBTRACT (3, list configs only).
"""

from __future__ import annotations

from moldau.broker.describe_configs import (
    InvalidTopicConfig,
    describe_broker,
    describe_topic,
    validate_topic_configs,
)
from moldau.broker.registry import RequestContext, handler
from moldau.protocol._generated import ApiKey
from moldau.protocol._generated.alter_configs_request import AlterConfigsRequest
from moldau.protocol._generated.alter_configs_response import (
    AlterConfigsResourceResponse,
    AlterConfigsResponse,
)
from moldau.protocol._generated.describe_configs_request import DescribeConfigsRequest
from moldau.protocol._generated.describe_configs_response import (
    DescribeConfigsResourceResult,
    DescribeConfigsResponse,
    DescribeConfigsResult,
    DescribeConfigsSynonym,
)
from moldau.protocol._generated.incremental_alter_configs_request import (
    IncrementalAlterConfigsRequest,
)
from moldau.protocol._generated.incremental_alter_configs_response import (
    AlterConfigsResourceResponse as IncResourceResponse,
)
from moldau.protocol._generated.incremental_alter_configs_response import (
    IncrementalAlterConfigsResponse,
)
from moldau.protocol.error_codes import ErrorCode

TOPIC, BROKER, BROKER_LOGGER = 2, 4, 8
_LIST_KEYS = {
    "cleanup.policy",
    "follower.replication.throttled.replicas",
    "leader.replication.throttled.replicas",
}


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
        r = DescribeConfigsResult(
            resource_type=res.resource_type, resource_name=res.resource_name, error_message=None
        )
        entries = None
        if res.resource_type == TOPIC:
            topic = broker.metadata.topic(res.resource_name)
            if topic is None:
                r.error_code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                r.error_message = f"Topic {res.resource_name} does not exist"
            else:
                entries = describe_topic(
                    topic.configs, broker.config.raw, broker.config.topic_defaults()
                )
        elif res.resource_type == BROKER:
            err = _broker_name_error(ctx, res.resource_name)
            if err:
                r.error_code, r.error_message = ErrorCode.INVALID_REQUEST, err
            else:
                entries = describe_broker(broker.config.raw, broker.config.as_strings())
        elif res.resource_type == BROKER_LOGGER:
            err = _broker_name_error(ctx, res.resource_name)
            if err:
                r.error_code, r.error_message = ErrorCode.INVALID_REQUEST, err
            else:
                entries = []
        else:
            r.error_code = ErrorCode.INVALID_REQUEST
            r.error_message = f"Unsupported resource type {res.resource_type}"
        if entries is not None:
            wanted = set(res.configuration_keys) if res.configuration_keys else None
            r.configs = [
                DescribeConfigsResourceResult(
                    name=e.name,
                    value=e.value,
                    read_only=e.read_only,
                    config_source=e.source,
                    is_sensitive=e.sensitive,
                    synonyms=[DescribeConfigsSynonym(n, val, s) for n, val, s in e.synonyms]
                    if req.include_synonyms
                    else [],
                    config_type=e.config_type if v >= 3 else 0,
                    documentation=(e.doc if req.include_documentation else None) if v >= 3 else "",
                )
                for e in entries
                if wanted is None or e.name in wanted
            ]
        results.append(r)
    return DescribeConfigsResponse(results=results)


async def _apply_topic(
    ctx: RequestContext, name: str, new: dict[str, str], validate_only: bool
) -> tuple[int, str | None]:
    broker = ctx.broker
    if broker.metadata.topic(name) is None:
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Topic {name} does not exist"
    try:
        validate_topic_configs(new)
    except InvalidTopicConfig as exc:
        return ErrorCode.INVALID_CONFIG, str(exc)
    if not validate_only:
        await broker.metadata.set_topic_configs(name, new)
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
            new = {c.name: c.value for c in res.configs or [] if c.value is not None}
            err, msg = await _apply_topic(ctx, res.resource_name, new, req.validate_only)
        else:
            err, msg = _non_topic(ctx, res.resource_type, res.resource_name)
        out.append(
            AlterConfigsResourceResponse(
                error_code=err,
                error_message=msg,
                resource_type=res.resource_type,
                resource_name=res.resource_name,
            )
        )
    return AlterConfigsResponse(responses=out)


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
                err, msg = (
                    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    f"Topic {res.resource_name} does not exist",
                )
            else:
                new = dict(topic.configs)
                effective = broker.topic_configs(res.resource_name)
                names = [c.name for c in res.configs or []]
                if len(set(names)) != len(names):
                    err, msg = ErrorCode.INVALID_REQUEST, "Duplicate config keys in the request"
                for c in res.configs or []:
                    if err:
                        break
                    op = c.config_operation
                    if op == 0:
                        if c.value is None:
                            err, msg = (
                                ErrorCode.INVALID_REQUEST,
                                f"Null value not supported for {c.name}",
                            )
                        else:
                            new[c.name] = c.value
                    elif op == 1:
                        new.pop(c.name, None)
                    elif op in (2, 3):
                        if c.name not in _LIST_KEYS:
                            err, msg = (
                                ErrorCode.INVALID_CONFIG,
                                f"Config value append/subtract is not allowed for config key {c.name}",
                            )
                            break
                        cur = [
                            x
                            for x in (new.get(c.name) or effective.get(c.name) or "").split(",")
                            if x
                        ]
                        items = [x.strip() for x in (c.value or "").split(",") if x.strip()]
                        if op == 2:
                            cur += [x for x in items if x not in cur]
                        else:
                            cur = [x for x in cur if x not in items]
                        new[c.name] = ",".join(cur)
                    else:
                        err, msg = ErrorCode.INVALID_REQUEST, f"Unknown config operation {op}"
                if not err:
                    err, msg = await _apply_topic(ctx, res.resource_name, new, req.validate_only)
        out.append(
            IncResourceResponse(
                error_code=err,
                error_message=msg,
                resource_type=res.resource_type,
                resource_name=res.resource_name,
            )
        )
    return IncrementalAlterConfigsResponse(responses=out)
