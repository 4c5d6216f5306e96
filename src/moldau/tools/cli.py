"""`moldau <command> [args]`: one entry point for every tool, under short names and under
Kafka's script names (so `moldau server` and `moldau kafka-server-start` both start the
broker, exactly like the `kafka-server-start` script)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from moldau import __version__

# short command -> (module in moldau.tools, Kafka's script name)
COMMANDS: dict[str, tuple[str, str]] = {
    "server": ("server_start", "kafka-server-start"),
    "server-stop": ("server_stop", "kafka-server-stop"),
    "zookeeper": ("zookeeper_start", "zookeeper-server-start"),
    "topics": ("topics", "kafka-topics"),
    "console-producer": ("console_producer", "kafka-console-producer"),
    "console-consumer": ("console_consumer", "kafka-console-consumer"),
    "consumer-groups": ("consumer_groups", "kafka-consumer-groups"),
    "configs": ("configs", "kafka-configs"),
    "producer-perf-test": ("producer_perf_test", "kafka-producer-perf-test"),
    "consumer-perf-test": ("consumer_perf_test", "kafka-consumer-perf-test"),
    "get-offsets": ("get_offsets", "kafka-get-offsets"),
    "delete-records": ("delete_records", "kafka-delete-records"),
}

_BY_SCRIPT = {script: module for module, script in COMMANDS.values()}


def usage() -> str:
    lines = [f"moldau {__version__}: a Kafka-compatible broker", "", "usage: moldau COMMAND [ARGS...]", ""]
    for name, (_module, script) in COMMANDS.items():
        lines.append(f"  {name:<20} same as {script}")
    lines.append("")
    lines.append("Run `moldau COMMAND --help` for a command's flags.")
    return "\n".join(lines)


def resolve(command: str) -> str | None:
    """The tools module for a command given by short name or by Kafka's script name."""
    if command in COMMANDS:
        return COMMANDS[command][0]
    name = command.removesuffix(".sh")
    return _BY_SCRIPT.get(name)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if args else 1
    if args[0] in ("--version", "version"):
        print(f"moldau {__version__}")
        return 0
    module_name = resolve(args[0])
    if module_name is None:
        print(f"moldau: unknown command '{args[0]}'\n\n{usage()}", file=sys.stderr)
        return 1
    module = importlib.import_module(f"moldau.tools.{module_name}")
    result: int = module.main(args[1:])
    return result


if __name__ == "__main__":
    sys.exit(main())
