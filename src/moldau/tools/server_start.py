"""kafka-server-start [-daemon] server.properties [--override key=value ...]

Starts a moldau broker in this process (the arguments are Kafka's). With -daemon the broker
is started again as a detached background process whose output goes to
$LOG_DIR/server.log (LOG_DIR defaults to ./logs, as Kafka's scripts use), and this command
returns once the broker is running, or fails with the tail of that log when it is not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

USAGE = "USAGE: kafka-server-start [-daemon] server.properties [--override property=value]*"

# How long -daemon watches the new process for an early exit (a bad config, a port in use).
DAEMON_GRACE_S = 2.0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    daemon = False
    rest = []
    for a in args:
        if a in ("-daemon", "--daemon"):
            daemon = True
        else:
            rest.append(a)
    if not rest or rest[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 1
    if not Path(rest[0]).is_file():
        print(f"Error: cannot read the broker configuration {rest[0]}: no such file", file=sys.stderr)
        return 1
    if daemon:
        return start_daemon(rest)
    from moldau.broker.main import main as broker_main

    return broker_main(rest)


def log_dir() -> Path:
    return Path(os.environ.get("LOG_DIR") or "logs")


def start_daemon(args: list[str]) -> int:
    """Start `python -m moldau.broker ARGS` in its own session, detached from this terminal."""
    logs = log_dir()
    try:
        logs.mkdir(parents=True, exist_ok=True)
        out = open(logs / "server.log", "ab")  # noqa: SIM115 - handed to the child
    except OSError as e:
        print(f"Error: cannot write the log directory {logs}: {e.strerror}", file=sys.stderr)
        return 1
    with out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moldau.broker", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + DAEMON_GRACE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = _tail(logs / "server.log")
            print(f"Error: the broker exited at start-up with status {proc.returncode}; "
                  f"see {logs / 'server.log'}:\n{tail}", file=sys.stderr)
            return 1
        time.sleep(0.1)
    print(f"moldau broker started in the background (pid {proc.pid}); output in {logs / 'server.log'}")
    return 0


def _tail(path: Path, lines: int = 10) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
