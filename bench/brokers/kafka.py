"""Apache Kafka in KRaft single-node mode, fetched from Maven Central with Maven.

``ensure`` writes a throwaway pom into the cache (outside git) that depends on
org.apache.kafka:kafka_2.13 and org.apache.kafka:kafka-tools plus an SLF4J 2 -> Log4j 2
binding, and runs ``mvn dependency:copy-dependencies`` so that ``<cache>/libs`` holds the
whole class path. The same class path runs the broker (``kafka.Kafka``), the storage
formatter (``kafka.tools.StorageTool``) and the perf tools (``org.apache.kafka.tools.*``).

Settings chosen to match the other brokers: one node, replication 1, Kafka's default
flush policy (no fsync per message), group.initial.rebalance.delay.ms=0 as Kafka's own
sample config has, heap fixed with -Xms/-Xmx (stated in the output).
"""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

from bench.brokers.base import CACHE, HOST, Broker, BrokerMissing, BrokerStartFailed

KAFKA_VERSION = "4.3.1"
LOG4J_VERSION = "2.24.3"
SLF4J_VERSION = "2.0.17"
HEAP = "1g"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>moldau.bench</groupId><artifactId>kafka-fetch</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{kafka}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>{kafka}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>{slf4j}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>{log4j}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>{log4j}</version></dependency>
  </dependencies>
</project>
"""

_LOG4J2 = """status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.stdout.ref = STDOUT
"""

_SERVER = """process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{host}:{cport}
listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}
advertised.listeners=PLAINTEXT://{host}:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data}
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
message.max.bytes=1048588
"""

# the JVM flags Kafka's start script uses by default
JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
]


def kafka_home() -> Path:
    return CACHE / f"kafka-{KAFKA_VERSION}"


def classpath() -> str:
    return str(kafka_home() / "libs") + "/*"


def log4j_config(level: str) -> Path:
    path = kafka_home() / f"log4j2-{level.lower()}.properties"
    if not path.exists():
        path.write_text(_LOG4J2.format(level=level))
    return path


def java_argv(main: str, *args: str, heap: str = "512m", log_level: str = "WARN") -> list[str]:
    """argv running a class from the Kafka class path (used by the perf-tool generator)."""
    return [
        "java",
        f"-Xmx{heap}",
        f"-Dlog4j2.configurationFile={log4j_config(log_level)}",
        "-cp",
        classpath(),
        main,
        *args,
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class KafkaBroker(Broker):
    name = "kafka"
    start_timeout = 90.0

    def __init__(self) -> None:
        super().__init__()
        self.controller_port = 0

    def describe(self) -> str:
        return f"Apache Kafka {KAFKA_VERSION} (KRaft, one combined node, java -Xms{HEAP} -Xmx{HEAP} G1)"

    def ensure(self) -> None:
        home = kafka_home()
        marker = home / "libs" / f"kafka_2.13-{KAFKA_VERSION}.jar"
        if marker.exists() and (home / "libs" / f"kafka-tools-{KAFKA_VERSION}.jar").exists():
            return
        for tool in ("java", "mvn"):
            if shutil.which(tool) is None:
                raise BrokerMissing(f"`{tool}` is not installed")
        home.mkdir(parents=True, exist_ok=True)
        (home / "pom.xml").write_text(
            _POM.format(kafka=KAFKA_VERSION, log4j=LOG4J_VERSION, slf4j=SLF4J_VERSION)
        )
        try:
            res = subprocess.run(
                [
                    "mvn",
                    "-q",
                    "-B",
                    "dependency:copy-dependencies",
                    "-DoutputDirectory=libs",
                    "-DincludeScope=runtime",
                ],
                cwd=home,
                capture_output=True,
                text=True,
                timeout=600,
            )
        except subprocess.TimeoutExpired as exc:
            raise BrokerMissing("Maven did not finish fetching Kafka within 600 s") from exc
        if res.returncode != 0 or not marker.exists():
            raise BrokerMissing(
                f"Maven could not fetch Kafka {KAFKA_VERSION}: {(res.stdout + res.stderr)[-400:]}"
            )

    def _write_config(self, port: int, data_dir: Path) -> Path:
        if not self.controller_port:
            self.controller_port = _free_port()
        conf = data_dir.parent / f"{data_dir.name}-server.properties"
        conf.write_text(
            _SERVER.format(host=HOST, port=port, cport=self.controller_port, data=data_dir)
        )
        return conf

    def prepare(self, data_dir: Path) -> None:
        self.controller_port = 0
        conf = self._write_config(self.port, data_dir)
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        res = subprocess.run(
            java_argv("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(conf)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if res.returncode != 0:
            raise BrokerStartFailed(
                f"kafka-storage format failed: {(res.stdout + res.stderr)[-400:]}"
            )

    def command(self, port: int, data_dir: Path) -> list[str]:
        conf = self._write_config(port, data_dir)
        return [
            "java",
            f"-Xms{HEAP}",
            f"-Xmx{HEAP}",
            *JVM_FLAGS,
            f"-Dlog4j2.configurationFile={log4j_config('INFO')}",
            "-cp",
            classpath(),
            "kafka.Kafka",
            str(conf),
        ]
