"""DescribeCluster (key 60, v0-1) and DescribeLogDirs (key 35, v1-4)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from moldau.broker.lazy import generated
from moldau.broker.registry import RequestContext, handler
from moldau.protocol._generated import ApiKey
from moldau.protocol.error_codes import ErrorCode

if TYPE_CHECKING:
    from moldau.protocol._generated.describe_cluster_request import DescribeClusterRequest
    from moldau.protocol._generated.describe_cluster_response import (
        DescribeClusterResponse,
    )
    from moldau.protocol._generated.describe_log_dirs_request import DescribeLogDirsRequest
    from moldau.protocol._generated.describe_log_dirs_response import (
        DescribeLogDirsResponse,
    )

_describe_cluster_request = generated("describe_cluster_request")
_describe_cluster_response = generated("describe_cluster_response")
_describe_log_dirs_request = generated("describe_log_dirs_request")
_describe_log_dirs_response = generated("describe_log_dirs_response")


@handler(ApiKey.DESCRIBE_CLUSTER, 0, 1)
async def describe_cluster(
    ctx: RequestContext, req: DescribeClusterRequest
) -> DescribeClusterResponse:
    store = ctx.broker.metadata
    if ctx.api_version >= 1 and req.endpoint_type != 1:
        return _describe_cluster_response.DescribeClusterResponse(
            error_code=ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
            error_message="Only brokers (endpoint type 1) can be described",
            endpoint_type=req.endpoint_type,
        )
    return _describe_cluster_response.DescribeClusterResponse(
        cluster_id=store.cluster_id,
        controller_id=store.controller_id,
        brokers=[
            _describe_cluster_response.DescribeClusterBroker(b.node_id, b.host, b.port, b.rack)
            for b in store.brokers()
        ],
    )


@handler(ApiKey.DESCRIBE_LOG_DIRS, 1, 4)
async def describe_log_dirs(
    ctx: RequestContext, req: DescribeLogDirsRequest
) -> DescribeLogDirsResponse:
    broker = ctx.broker
    v = ctx.api_version
    if req.topics is None:
        wanted = {
            name: [p.index for p in t.partitions] for name, t in broker.metadata.topics().items()
        }
    else:
        wanted = {t.topic: list(t.partitions or []) for t in req.topics}
    topics = []
    for name in sorted(wanted):
        parts = []
        for idx in wanted[name]:
            part = broker.partition(name, idx)
            if part is not None:
                parts.append(
                    _describe_log_dirs_response.DescribeLogDirsPartition(
                        idx, part.log.size_bytes, 0, False
                    )
                )
        if parts:
            topics.append(
                _describe_log_dirs_response.DescribeLogDirsTopic(name=name, partitions=parts)
            )
    total = usable = -1
    log_dir = str(broker.config.log_dir.resolve())
    if v >= 4:
        try:
            usage = await broker.run_blocking(shutil.disk_usage, log_dir)
            total, usable = usage.total, usage.free
        except OSError:
            pass
    return _describe_log_dirs_response.DescribeLogDirsResponse(
        results=[
            _describe_log_dirs_response.DescribeLogDirsResult(
                error_code=0, log_dir=log_dir, topics=topics, total_bytes=total, usable_bytes=usable
            )
        ]
    )
