"""The Java client (kafka-clients 4.x): admin, idempotent acks=all producer, consumer.

Runs tests/java/JavaClientCheck.java with `java` (single-file source launch) against the jars
already in the local Maven repository; nothing is downloaded here, so the test is skipped
where they are absent (fetch them with `mvn dependency:get
-Dartifact=org.apache.kafka:kafka-clients:4.3.1`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from moldau.common.murmur2 import murmur2

SOURCE = Path(__file__).resolve().parents[1] / "java" / "JavaClientCheck.java"
M2 = Path.home() / ".m2" / "repository"
_ARTIFACTS = {
    "kafka-clients": "org/apache/kafka/kafka-clients/4.*/kafka-clients-4.*.jar",
    "zstd-jni": "com/github/luben/zstd-jni/*/zstd-jni-*.jar",
    "lz4-java": "org/lz4/lz4-java/*/lz4-java-*.jar",
    "snappy-java": "org/xerial/snappy/snappy-java/*/snappy-java-*.jar",
    "slf4j-api": "org/slf4j/slf4j-api/*/slf4j-api-*.jar",
}


def _classpath() -> str | None:
    jars = []
    for pattern in _ARTIFACTS.values():
        found = sorted(
            p for p in M2.glob(pattern) if not p.name.endswith(("-sources.jar", "-javadoc.jar"))
        )
        if not found:
            return None
        jars.append(str(found[-1]))
    return ":".join(jars)


CLASSPATH = _classpath() if M2.is_dir() else None
pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or CLASSPATH is None,
    reason="java or kafka-clients 4.x jars (local Maven repository) missing",
)


def test_java_client(broker, topic_name):
    proc = subprocess.run(
        ["java", "-cp", CLASSPATH, str(SOURCE), broker.bootstrap, topic_name],
        capture_output=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    lines = [line.split("=", 1) for line in proc.stdout.decode().splitlines() if "=" in line]
    found = dict(lines)
    assert found["cluster.nodes"] == "1"
    assert found["partitions"] == "3" and found["partitions.after"] == "4"
    assert found["topic.id.zero"] == "false"
    assert (found["retention.ms"], found["retention.ms.after"]) == ("3600000", "7200000")
    assert found["rf3"] == "InvalidReplicationFactorException"
    for i in range(8):
        key = f"key-{i}".encode()
        assert found[f"sent.key-{i}"] == str((murmur2(key) & 0x7FFFFFFF) % 4)
    assert found["too.big"] == "RecordTooLargeException"
    assert found["consumed"] == "43" and found["end.total"] == "43"
    assert found["ordered"] == "true"
    assert (found["tombstones"], found["empty"], found["big"], found["headers"]) == (
        "1",
        "1",
        "1",
        "40",
    )
    assert found["by.time.p0"] == "0"
    assert found["deleted"] == "true"
