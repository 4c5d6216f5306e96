"""Metadata (key 3), v0-12: brokers, cluster id, controller, topics with ids and partitions.

v0: an empty topic list means all topics. v1+: null means all, [] means none. v4+ carries
allow_auto_topic_creation; before v4 auto-creation follows the broker setting alone. Topic
creation is synchronous, so an auto-created topic is answered at once with its partitions
(no LEADER_NOT_AVAILABLE round). v10+ carries real topic ids; v12 may ask by id only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from moldau.broker.lazy import generated
from moldau.broker.registry import RequestContext, handler
from moldau.cluster.metadata import TopicInfo, topic_name_error
from moldau.protocol._generated import ApiKey
from moldau.protocol.error_codes import ErrorCode
from moldau.protocol.primitives import ZERO_UUID

if TYPE_CHECKING:
    from moldau.protocol._generated.metadata_request import MetadataRequest
    from moldau.protocol._generated.metadata_response import (
        MetadataResponse,
        MetadataResponseTopic,
    )

_metadata_request = generated("metadata_request")
_metadata_response = generated("metadata_response")

log = logging.getLogger("moldau.metadata")


def topic_entry(
    t: TopicInfo, version: int, is_open: Callable[[str, int], bool] | None = None
) -> MetadataResponseTopic:
    """A topic's entry; a partition whose log is still being opened (a big topic just
    created) is LEADER_NOT_AVAILABLE with no leader, which clients retry."""
    parts = [
        _metadata_response.MetadataResponsePartition(
            error_code=0
            if is_open is None or is_open(t.name, p.index)
            else ErrorCode.LEADER_NOT_AVAILABLE,
            partition_index=p.index,
            leader_id=p.leader if is_open is None or is_open(t.name, p.index) else -1,
            leader_epoch=p.leader_epoch if version >= 7 else -1,
            replica_nodes=list(p.replicas),
            isr_nodes=list(p.isr or p.replicas),
            offline_replicas=[],
        )
        for p in t.partitions
    ]
    return _metadata_response.MetadataResponseTopic(
        error_code=0,
        name=t.name,
        topic_id=t.topic_id if version >= 10 else ZERO_UUID,
        is_internal=t.internal,
        partitions=parts,
    )


@handler(ApiKey.METADATA, 0, 12)
async def metadata(ctx: RequestContext, req: MetadataRequest) -> MetadataResponse:
    broker = ctx.broker
    store = broker.metadata
    v = ctx.api_version

    def is_open(topic: str, index: int) -> bool:
        return broker.partition(topic, index) is not None

    all_topics = req.topics is None or (v == 0 and not req.topics)
    allow_auto = req.allow_auto_topic_creation if v >= 4 else True
    topics: list[MetadataResponseTopic] = []
    if all_topics:
        for t in sorted(store.topics().values(), key=lambda t: t.name):
            topics.append(topic_entry(t, v, is_open))
    else:
        for rt in req.topics or []:
            name = rt.name
            if name is None:
                by_id = store.topic_by_id(rt.topic_id) if rt.topic_id != ZERO_UUID else None
                if by_id is None:
                    topics.append(
                        _metadata_response.MetadataResponseTopic(
                            error_code=ErrorCode.UNKNOWN_TOPIC_ID, name=None, topic_id=rt.topic_id
                        )
                    )
                else:
                    topics.append(topic_entry(by_id, v, is_open))
                continue
            found = store.topic(name)
            if found is None and topic_name_error(name):
                topics.append(
                    _metadata_response.MetadataResponseTopic(
                        error_code=ErrorCode.INVALID_TOPIC_EXCEPTION, name=name
                    )
                )
                continue
            if found is None and allow_auto:
                found = await broker.auto_create_topic(name)
            if found is None:
                topics.append(
                    _metadata_response.MetadataResponseTopic(
                        error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name=name
                    )
                )
            else:
                topics.append(topic_entry(found, v, is_open))
    brokers = [
        _metadata_response.MetadataResponseBroker(
            node_id=b.node_id, host=b.host, port=b.port, rack=b.rack if v >= 1 else None
        )
        for b in store.brokers()
    ]
    return _metadata_response.MetadataResponse(
        brokers=brokers,
        cluster_id=store.cluster_id if v >= 2 else None,
        controller_id=store.controller_id if v >= 1 else -1,
        topics=topics,
    )
