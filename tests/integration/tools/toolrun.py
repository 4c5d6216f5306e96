"""Run a command-line tool as a user would, in a subprocess, and capture what it printed."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

# Unreachable on purpose: nothing listens on port 1 of the loopback interface.
DEAD_BOOTSTRAP = "127.0.0.1:1"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def run(tool: str, *args: str, input: str | None = None, timeout: float = 90.0) -> Result:
    """`tool` is Kafka's script name (kafka-topics, ...), run through `moldau`'s dispatcher
    with this interpreter so the test does not depend on PATH. The timeout only stops a
    hung tool from hanging the suite; it is not what a test checks."""
    cmd = [sys.executable, "-m", "moldau.tools.cli", tool, *args]
    p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
    return Result(p.returncode, p.stdout, p.stderr)


def eventually(check: Callable[[], bool], attempts: int = 100, pause: float = 0.1) -> bool:
    """Re-check a condition that the broker makes true asynchronously (topic deletion...)."""
    for _ in range(attempts):
        if check():
            return True
        time.sleep(pause)
    return check()
