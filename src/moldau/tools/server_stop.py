"""kafka-server-stop: send SIGTERM to every running moldau broker on this machine, as
Kafka's script does with `ps`; the brokers then shut down cleanly.

A broker process is recognised by its command line (/proc/PID/cmdline): `-m moldau.broker`,
a `kafka-server-start` script, or `moldau server`/`moldau kafka-server-start`. `--match TEXT`
(a moldau addition) narrows that to command lines containing TEXT, e.g. a log.dirs path,
so one broker out of several can be stopped. Prints "No kafka server to stop" and exits 1
when none is running, as Kafka's script does.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from moldau.tools._common import new_parser


def is_broker_command(argv: Sequence[str]) -> bool:
    """Whether a process command line (split into arguments) runs a moldau broker."""
    names = [os.path.basename(a) for a in argv]
    for i, a in enumerate(argv):
        if a == "moldau.broker" and i > 0 and argv[i - 1] == "-m":
            return True
    for i, name in enumerate(names[:3]):
        if name == "kafka-server-start":
            return True
        if name == "moldau" and i + 1 < len(argv) and argv[i + 1] in ("server", "kafka-server-start"):
            return True
    for i in range(len(argv) - 1):
        if argv[i] == "-m" and argv[i + 1] == "moldau.tools.server_start":
            return True
        if (argv[i] == "-m" and argv[i + 1] == "moldau.tools.cli" and i + 2 < len(argv)
                and argv[i + 2] in ("server", "kafka-server-start")):
            return True
    return False


def broker_processes(match: str | None = None, proc: Path = Path("/proc")) -> Iterator[int]:
    me = os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # gone, or not ours to read
        argv = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
        if argv and is_broker_command(argv) and (match is None or match in " ".join(argv)):
            yield int(entry.name)


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-server-stop", "Stop the moldau brokers running on this machine.")
    p.add_argument("--match", metavar="TEXT", help="only brokers whose command line contains TEXT")
    p.add_argument("--signal", choices=("TERM", "KILL"), default="TERM", help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    sig = signal.SIGTERM if args.signal == "TERM" else signal.SIGKILL
    pids = sorted(broker_processes(args.match))
    # A broker started by a `kafka-server-start` wrapper runs in that same process, so each
    # pid is one broker; signal each once.
    if not pids:
        print("No kafka server to stop")
        return 1
    stopped = 0
    for pid in pids:
        try:
            os.kill(pid, sig)
            stopped += 1
        except ProcessLookupError:
            continue
        except PermissionError:
            print(f"Error: not allowed to stop process {pid}", file=sys.stderr)
    return 0 if stopped else 1


if __name__ == "__main__":
    sys.exit(main())
