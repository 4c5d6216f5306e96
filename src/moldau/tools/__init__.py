"""The command-line tools under Apache Kafka's names (kafka-topics, kafka-console-producer, ...).

Each module has `main(argv) -> int`, installed as a console script (see pyproject.toml) and
reachable as `moldau <command>` through `cli`. The tools are Kafka clients built on
confluent-kafka (librdkafka); only `server_start` reaches into the broker package, to run it.
See docs/tools.md for flags, output formats and differences from Kafka's tools.
"""
