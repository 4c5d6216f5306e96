"""Java client property names -> librdkafka, for --producer-property/--consumer-property and
the producer/consumer .properties files.

Users pass the Java client's property names (that is what Kafka's docs and tutorials show).
librdkafka understands most of them under the same name; a few are spelled differently, and
some only make sense in Java (serializer classes). Those are translated or dropped with a
warning instead of failing, so a file written for Kafka's tools works here.
"""

from __future__ import annotations

import sys
from typing import Any

# Java-only settings: they have no librdkafka equivalent and no effect on what is sent.
JAVA_ONLY = frozenset({
    "key.serializer", "value.serializer", "key.deserializer", "value.deserializer",
    "max.block.ms", "partitioner.class", "interceptor.classes", "metric.reporters",
    "default.api.timeout.ms", "buffer.memory.pool", "exclude.internal.topics",
    "client.dns.lookup", "security.providers", "auto.include.jmx.reporter",
})


def translate(props: dict[str, str]) -> dict[str, Any]:
    """Rename or convert Java client properties to librdkafka's, dropping Java-only ones."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if key in JAVA_ONLY:
            _warn(f"ignoring '{key}': it only applies to the Java client")
            continue
        if key == "buffer.memory":
            out["queue.buffering.max.kbytes"] = max(1, int(value) // 1024)
        elif key == "send.buffer.bytes":
            out["socket.send.buffer.bytes"] = value
        elif key == "receive.buffer.bytes":
            out["socket.receive.buffer.bytes"] = value
        elif key == "max.request.size":
            out["message.max.bytes"] = value
        elif key == "delivery.timeout.ms":
            out["message.timeout.ms"] = value
        elif key == "metadata.max.idle.ms":
            continue
        else:
            out[key] = value
    return out


def build(factory: Any, conf: dict[str, Any]) -> Any:
    """Construct a librdkafka client, dropping (with a warning) properties it does not know
    rather than failing, so Java-only keys in a user's file are not fatal."""
    from confluent_kafka import KafkaException

    conf = dict(conf)
    for _ in range(len(conf) + 1):
        try:
            return factory(conf)
        except KafkaException as e:
            text = str(e.args[0].str() if e.args else e)
            marker = 'No such configuration property: "'
            if marker not in text:
                raise
            bad = text.split(marker, 1)[1].split('"', 1)[0]
            if bad not in conf:
                raise
            _warn(f"ignoring '{bad}': not a setting of the tool's client (librdkafka)")
            del conf[bad]
    return factory(conf)


def _warn(message: str) -> None:
    print(f"WARNING: {message}", file=sys.stderr)
