"""The scenario catalogue: which load generator runs how, and which figures it yields.

Each scenario runs one load generator subprocess (``python -m <module> <args>``) with a
hard time limit. Placeholders in args: {boot} (host:port), {pid} (broker pid), {expect}
(messages delivered by the scenario named in ``expect_from``). Topics are fixed names;
every round starts each broker with an empty data directory.

``--quick`` runs the subset marked quick, with the shorter ``quick_args`` where given, so
that all four brokers finish in about five minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Metric:
    figure: str  # row label in the results table
    field: str  # key in the generator's metrics
    better: str  # "higher" or "lower"
    unit: str


@dataclass(frozen=True)
class Scenario:
    name: str
    module: str
    args: list[str]
    metrics: list[Metric]
    timeout: float = 90.0
    quick: bool = True
    quick_args: list[str] = field(default_factory=list)
    expect_from: str = ""
    cpu_per_gb: bool = False  # broker CPU-seconds per GB ingested over this scenario
    # restart the broker with an empty data dir first: RSS figures must not include the
    # gigabytes that in-memory brokers hold from the throughput scenarios
    fresh_broker: bool = False


def _mbs(figure: str) -> Metric:
    return Metric(figure, "mb_per_s", "higher", "MB/s")


def _msgs(figure: str) -> Metric:
    return Metric(figure, "msgs_per_s", "higher", "msg/s")


RAW = "bench.loadgen.raw"
RDK = "bench.loadgen.rdkafka"
JAVA = "bench.loadgen.javaperf"
LAT = "bench.loadgen.latency"
SCALE = "bench.loadgen.scale"


def _rdk_pair(size: int, acks: str, comp: str, quick: bool) -> list[Scenario]:
    label = f"{'1 KiB' if size == 1024 else f'{size} B'}, acks={acks}, {comp}"
    name = f"rdk-{size}-{acks}-{comp}"
    produce = Scenario(
        name=f"{name}-produce",
        module=RDK,
        args=[
            "produce",
            "--bootstrap",
            "{boot}",
            "--topic",
            name,
            "--record-size",
            str(size),
            "--acks",
            acks,
            "--compression",
            comp,
            "--seconds",
            "5",
        ],
        quick_args=["--seconds", "2"],
        metrics=[
            _mbs(f"confluent-kafka produce {label} (MB/s)"),
            _msgs(f"confluent-kafka produce {label} (msg/s)"),
        ],
        quick=quick,
    )
    consume = Scenario(
        name=f"{name}-consume",
        module=RDK,
        args=[
            "consume",
            "--bootstrap",
            "{boot}",
            "--topic",
            name,
            "--record-size",
            str(size),
            "--expect",
            "{expect}",
            "--seconds",
            "60",
        ],
        metrics=[
            _mbs(f"confluent-kafka consume {label} (MB/s)"),
            _msgs(f"confluent-kafka consume {label} (msg/s)"),
        ],
        expect_from=f"{name}-produce",
        quick=quick and comp == "none" and acks == "1",
    )
    return [produce, consume]


SCENARIOS: list[Scenario] = [
    Scenario(
        name="connections-1000",
        module=SCALE,
        args=[
            "connections",
            "--bootstrap",
            "{boot}",
            "--topic",
            "unused",
            "--pid",
            "{pid}",
            "--connections",
            "1000",
            "--hold",
            "2",
        ],
        metrics=[Metric("1,000 idle connections: broker RSS (MB)", "rss_mb", "lower", "MB")],
        # first in the catalogue, so it meets a freshly started broker without a restart
    ),
    Scenario(
        name="raw-produce",
        module=RAW,
        args=[
            "produce",
            "--bootstrap",
            "{boot}",
            "--topic",
            "raw",
            "--partitions",
            "4",
            "--connections",
            "4",
            "--acks",
            "1",
            "--seconds",
            "5",
            "--warmup",
            "1",
        ],
        quick_args=["--seconds", "3", "--max-bytes", str(3 << 30)],
        metrics=[_mbs("raw produce 1 MiB batches of 1 KiB records, 4 conns, acks=1 (MB/s)")],
        cpu_per_gb=True,
    ),
    Scenario(
        name="raw-fetch",
        module=RAW,
        args=[
            "fetch",
            "--bootstrap",
            "{boot}",
            "--topic",
            "raw",
            "--partitions",
            "4",
            "--connections",
            "4",
            "--seconds",
            "60",
        ],
        metrics=[_mbs("raw fetch of the same, 4 conns (MB/s)")],
    ),
    Scenario(
        name="raw-produce-all",
        module=RAW,
        args=[
            "produce",
            "--bootstrap",
            "{boot}",
            "--topic",
            "raw-all",
            "--partitions",
            "4",
            "--connections",
            "4",
            "--acks",
            "-1",
            "--seconds",
            "5",
            "--warmup",
            "1",
        ],
        quick_args=["--seconds", "1.5", "--warmup", "0.5"],
        metrics=[_mbs("raw produce 1 MiB batches, 4 conns, acks=all (MB/s)")],
    ),
    *_rdk_pair(1024, "1", "none", True),
    *_rdk_pair(100, "1", "none", True),
    *_rdk_pair(1024, "all", "none", False),
    *_rdk_pair(100, "all", "none", False),
    *_rdk_pair(1024, "1", "lz4", True),
    *_rdk_pair(100, "1", "lz4", False),
    Scenario(
        name="java-produce",
        module=JAVA,
        args=[
            "produce",
            "--bootstrap",
            "{boot}",
            "--topic",
            "java",
            "--record-size",
            "1024",
            "--num-records",
            "1000000",
            "--acks",
            "1",
            "--timeout",
            "60",
        ],
        quick_args=["--num-records", "200000", "--timeout", "30"],
        metrics=[
            _mbs("kafka-producer-perf-test 1 KiB, acks=1 (MB/s)"),
            _msgs("kafka-producer-perf-test 1 KiB, acks=1 (msg/s)"),
        ],
    ),
    Scenario(
        name="java-consume",
        module=JAVA,
        args=[
            "consume",
            "--bootstrap",
            "{boot}",
            "--topic",
            "java",
            "--record-size",
            "1024",
            "--num-records",
            "{expect}",
            "--timeout",
            "60",
        ],
        quick_args=["--timeout", "50"],
        metrics=[_mbs("kafka-consumer-perf-test 1 KiB (MB/s)")],
        expect_from="java-produce",
    ),
    Scenario(
        name="java-produce-100",
        module=JAVA,
        args=[
            "produce",
            "--bootstrap",
            "{boot}",
            "--topic",
            "java100",
            "--record-size",
            "100",
            "--num-records",
            "3000000",
            "--acks",
            "1",
            "--timeout",
            "60",
        ],
        metrics=[_msgs("kafka-producer-perf-test 100 B, acks=1 (msg/s)")],
        quick=False,
    ),
    *[
        Scenario(
            name=f"latency-{rate}",
            module=LAT,
            args=[
                "--bootstrap",
                "{boot}",
                "--topic",
                f"lat{rate}",
                "--rate",
                str(rate),
                "--seconds",
                "10",
                "--warmup",
                "1",
                "--acks",
                "all",
            ],
            quick_args=["--seconds", "2", "--warmup", "0.5"],
            metrics=[
                Metric(
                    f"end-to-end latency at {rate:,} msg/s, acks=all, {q} (ms)", f, "lower", "ms"
                )
                for q, f in (("p50", "p50_ms"), ("p99", "p99_ms"), ("p99.9", "p999_ms"))
            ],
        )
        for rate in (1000, 10000)
    ],
    Scenario(
        name="group-join",
        module=SCALE,
        args=[
            "group",
            "--bootstrap",
            "{boot}",
            "--topic",
            "join",
            "--members",
            "10",
            "--timeout",
            "60",
        ],
        metrics=[Metric("consumer-group join of 10 members (s)", "join_s", "lower", "s")],
    ),
    Scenario(
        name="partitions-1000",
        module=SCALE,
        args=[
            "partitions",
            "--bootstrap",
            "{boot}",
            "--topic",
            "p1000",
            "--pid",
            "{pid}",
            "--partitions",
            "1000",
            "--messages",
            "100000",
            "--timeout",
            "60",
        ],
        fresh_broker=True,
        metrics=[
            Metric("1,000 partitions: create (s)", "create_s", "lower", "s"),
            Metric(
                "1,000 partitions: produce round robin 100 B (msg/s)",
                "produce_msgs_per_s",
                "higher",
                "msg/s",
            ),
            Metric("1,000 partitions: broker RSS (MB)", "rss_mb", "lower", "MB"),
        ],
    ),
]

# figures the harness measures itself (not from a generator)
STARTUP = Metric("start-up to first answered ApiVersions (s)", "startup_s", "lower", "s")
IDLE_RSS = Metric("idle RSS after start-up (MB)", "idle_rss_mb", "lower", "MB")
CPU_PER_GB = Metric(
    "broker CPU-seconds per GB ingested (raw produce, acks=1)", "cpu_s_per_gb", "lower", "CPU-s/GB"
)
RECOVERY = Metric("recovery after kill -9: restart to data served (s)", "recovery_s", "lower", "s")
RECOVERY_KEPT = Metric(
    "recovery after kill -9: share of acked records kept", "kept", "higher", "share"
)


def by_name() -> dict[str, Scenario]:
    return {s.name: s for s in SCENARIOS}
