"""CreateTopics (key 19, v2-7), DeleteTopics (key 20, v1-6), CreatePartitions (key 37, v0-3).

Checks in Kafka's order and with its error codes: duplicate names in one request
(INVALID_REQUEST), illegal names (INVALID_TOPIC_EXCEPTION), partitions/replication factor
(INVALID_PARTITIONS / INVALID_REPLICATION_FACTOR, which is also the answer when the factor
exceeds the number of brokers), configs (INVALID_CONFIG with the reason), existing topics
(TOPIC_ALREADY_EXISTS). validate_only runs every check and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from moldau.broker.describe_configs import (
    InvalidConfigError,
    describe_topic,
    validate_topic_configs,
)
from moldau.broker.lazy import generated
from moldau.broker.registry import RequestContext, handler
from moldau.cluster.metadata import MetadataError, topic_name_error
from moldau.protocol._generated import ApiKey
from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.primitives import ZERO_UUID

if TYPE_CHECKING:
    from moldau.protocol._generated.create_partitions_request import CreatePartitionsRequest
    from moldau.protocol._generated.create_partitions_response import (
        CreatePartitionsResponse,
    )
    from moldau.protocol._generated.create_topics_request import CreatableTopic, CreateTopicsRequest
    from moldau.protocol._generated.create_topics_response import (
        CreateTopicsResponse,
    )
    from moldau.protocol._generated.delete_topics_request import DeleteTopicsRequest
    from moldau.protocol._generated.delete_topics_response import (
        DeleteTopicsResponse,
    )

_create_partitions_request = generated("create_partitions_request")
_create_partitions_response = generated("create_partitions_response")
_create_topics_request = generated("create_topics_request")
_create_topics_response = generated("create_topics_response")
_delete_topics_request = generated("delete_topics_request")
_delete_topics_response = generated("delete_topics_response")


def _check_topic(
    ctx: RequestContext, t: CreatableTopic
) -> tuple[int, str | None, int, int, dict[str, str]]:
    """(error, message, partitions, replication factor, configs) for one topic to create."""
    broker = ctx.broker
    configs: dict[str, str] = {}
    err = topic_name_error(t.name)
    if err:
        return ErrorCode.INVALID_TOPIC_EXCEPTION, err, -1, -1, configs
    n_brokers = len(broker.metadata.brokers())
    partitions, rf = t.num_partitions, t.replication_factor
    if t.assignments:
        if partitions != -1 or rf != -1:
            return (
                ErrorCode.INVALID_REQUEST,
                "Both numPartitions or replicationFactor and replicasAssignments were set. "
                "Both cannot be used at the same time.",
                -1,
                -1,
                configs,
            )
        indexes = sorted(a.partition_index for a in t.assignments)
        if indexes != list(range(len(indexes))):
            return (
                ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                "Partitions should be a consecutive 0-based integer sequence",
                -1,
                -1,
                configs,
            )
        known = {b.node_id for b in broker.metadata.brokers()}
        for a in t.assignments:
            ids = a.broker_ids or []
            if not ids or len(set(ids)) != len(ids) or not set(ids) <= known:
                return (
                    ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                    f"Invalid replica assignment for partition {a.partition_index}: {ids}",
                    -1,
                    -1,
                    configs,
                )
        partitions = len(t.assignments)
        rf = len(t.assignments[0].broker_ids or [])
    if partitions == -1:
        partitions = broker.config["num.partitions"]
    if rf == -1:
        rf = broker.config["default.replication.factor"]
    if partitions <= 0:
        return (
            ErrorCode.INVALID_PARTITIONS,
            "Number of partitions was set to an invalid non-positive value.",
            -1,
            -1,
            configs,
        )
    if rf <= 0:
        return (
            ErrorCode.INVALID_REPLICATION_FACTOR,
            "Replication factor must be larger than 0, or -1 to use the default value.",
            -1,
            -1,
            configs,
        )
    if rf > n_brokers:
        return (
            ErrorCode.INVALID_REPLICATION_FACTOR,
            f"Unable to replicate the partition {rf} time(s): The target replication factor "
            f"of {rf} cannot be reached because only {n_brokers} broker(s) are registered.",
            -1,
            -1,
            configs,
        )
    for c in t.configs or []:
        if c.value is not None:
            configs[c.name] = c.value
    try:
        configs = validate_topic_configs(configs, broker.config)
    except InvalidConfigError as exc:
        return ErrorCode.INVALID_CONFIG, exc.message, -1, -1, configs
    if broker.metadata.topic(t.name) is not None:
        return (
            ErrorCode.TOPIC_ALREADY_EXISTS,
            f"Topic '{t.name}' already exists.",
            partitions,
            rf,
            configs,
        )
    clash = _colliding_topic(broker.metadata.topics(), t.name)
    if clash is not None:
        # '.' and '_' map to the same metric names, so Kafka refuses topics differing only so.
        return (
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            f"Topic '{t.name}' collides with existing topic: {clash}",
            -1,
            -1,
            configs,
        )
    return 0, None, partitions, rf, configs


# Kafka's controller refuses requests creating more partitions than this at once (KAFKA-17870,
# KAFKA-19673); it also keeps one request from stalling the broker.
MAX_PARTITIONS_PER_REQUEST = 10_000


def _colliding_topic(existing: Iterable[str], name: str) -> str | None:
    if "." not in name and "_" not in name:
        return None
    key = name.replace(".", "_")
    for other in existing:
        if other != name and other.replace(".", "_") == key:
            return other
    return None


@handler(ApiKey.CREATE_TOPICS, 2, 7)
async def create_topics(ctx: RequestContext, req: CreateTopicsRequest) -> CreateTopicsResponse:
    broker = ctx.broker
    v = ctx.api_version
    counts = Counter(t.name for t in req.topics or [])
    default_partitions = broker.config["num.partitions"]
    total = sum(
        len(t.assignments)
        if t.assignments
        else (default_partitions if t.num_partitions == -1 else max(t.num_partitions, 0))
        for t in req.topics or []
    )
    results = []
    for t in req.topics or []:
        r = _create_topics_response.CreatableTopicResult(name=t.name, error_message=None)
        if total > MAX_PARTITIONS_PER_REQUEST:
            r.error_code = ErrorCode.POLICY_VIOLATION
            r.error_message = "Excessively large number of partitions per request."
            results.append(r)
            continue
        if counts[t.name] > 1:
            r.error_code = ErrorCode.INVALID_REQUEST
            r.error_message = "Create topics request from client contains a duplicate topic"
            results.append(r)
            continue
        err, msg, partitions, rf, configs = _check_topic(ctx, t)
        if not err and not req.validate_only:
            try:
                info = await broker.create_topic(t.name, partitions, rf, configs)
            except MetadataError as exc:
                err, msg = exc.error_code, exc.message
            else:
                r.topic_id = info.topic_id if v >= 7 else ZERO_UUID
        r.error_code = err
        r.error_message = msg
        if v >= 5 and not err:
            r.num_partitions = partitions
            r.replication_factor = rf
            r.configs = [
                _create_topics_response.CreatableTopicConfigs(
                    name=e.name,
                    value=e.value,
                    read_only=e.read_only,
                    config_source=int(e.source),
                    is_sensitive=e.is_sensitive,
                )
                for e in describe_topic(configs, broker.config)
            ]
        elif v >= 5:
            r.configs = []
        results.append(r)
    return _create_topics_response.CreateTopicsResponse(topics=results)


@handler(ApiKey.DELETE_TOPICS, 1, 6)
async def delete_topics(ctx: RequestContext, req: DeleteTopicsRequest) -> DeleteTopicsResponse:
    broker = ctx.broker
    store = broker.metadata
    v = ctx.api_version
    wanted: list[tuple[str | None, object]] = []
    if v >= 6:
        wanted = [(t.name, t.topic_id) for t in req.topics or []]
    else:
        wanted = [(n, ZERO_UUID) for n in req.topic_names or []]
    out = []
    for name, tid in wanted:
        r = _delete_topics_response.DeletableTopicResult(
            name=name, topic_id=ZERO_UUID, error_message=None
        )
        topic = (
            store.topic(name)
            if name is not None
            else (
                store.topic_by_id(tid) if tid != ZERO_UUID else None  # type: ignore[arg-type]
            )
        )
        if topic is None:
            r.error_code = (
                ErrorCode.UNKNOWN_TOPIC_ID if name is None else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            )
            if v >= 6 and name is None:
                r.topic_id = tid  # type: ignore[assignment]
            if v >= 5:
                r.error_message = (
                    "This server does not host this topic ID."
                    if name is None
                    else "This server does not host this topic-partition."
                )
        elif not broker.config["delete.topic.enable"]:
            r.error_code = ErrorCode.TOPIC_DELETION_DISABLED
            r.name = topic.name
        else:
            r.name = topic.name
            if v >= 6:
                r.topic_id = topic.topic_id
            try:
                await store.delete_topic(topic.name)
            except MetadataError as exc:
                r.error_code = exc.error_code
                if v >= 5:
                    r.error_message = exc.message
        out.append(r)
    return _delete_topics_response.DeleteTopicsResponse(responses=out)


@handler(ApiKey.CREATE_PARTITIONS, 0, 3)
async def create_partitions(
    ctx: RequestContext, req: CreatePartitionsRequest
) -> CreatePartitionsResponse:
    broker = ctx.broker
    store = broker.metadata
    counts = Counter(t.name for t in req.topics or [])
    new_total = 0
    for t in req.topics or []:
        existing = store.topic(t.name)
        if existing is not None:
            new_total += max(t.count - len(existing.partitions), 0)
    out = []
    for t in req.topics or []:
        r = _create_partitions_response.CreatePartitionsTopicResult(name=t.name, error_message=None)
        topic = store.topic(t.name)
        if new_total > MAX_PARTITIONS_PER_REQUEST:
            r.error_code = ErrorCode.POLICY_VIOLATION
            r.error_message = "Excessively large number of partitions per request."
        elif counts[t.name] > 1:
            r.error_code, r.error_message = ErrorCode.INVALID_REQUEST, "Duplicate topic in request."
        elif topic is None:
            r.error_code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            r.error_message = f"The topic '{t.name}' does not exist."
        elif t.count < len(topic.partitions):
            r.error_code = ErrorCode.INVALID_PARTITIONS
            r.error_message = (
                f"Topic currently has {len(topic.partitions)} partitions, which is "
                f"higher than the requested {t.count}."
            )
        elif t.count == len(topic.partitions):
            r.error_code = ErrorCode.INVALID_PARTITIONS
            r.error_message = f"Topic already has {t.count} partitions."
        elif (
            t.assignments is not None
            and t.assignments
            and (
                len(t.assignments) != t.count - len(topic.partitions)
                or any(
                    set(a.broker_ids or []) - {b.node_id for b in store.brokers()}
                    or not a.broker_ids
                    for a in t.assignments
                )
            )
        ):
            r.error_code = ErrorCode.INVALID_REPLICA_ASSIGNMENT
            r.error_message = "Invalid replica assignment for the new partitions."
        elif not req.validate_only:
            try:
                await broker.create_partitions(t.name, t.count)
            except MetadataError as exc:
                r.error_code, r.error_message = exc.error_code, exc.message
        out.append(r)
    return _create_partitions_response.CreatePartitionsResponse(results=out)
