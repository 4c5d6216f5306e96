"""Processes the harness starts, and what /proc says about them.

Every child is started in its own session (so its process group id equals its pid) and
registered here; ``stop_all`` ends exactly those groups — never anything found by name —
and runs from ``finally``, ``atexit`` and the SIGTERM handler, so a Ctrl-C or a crash
leaves no broker or load generator behind.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_started: list[subprocess.Popen[bytes]] = []


def _raise_fd_limit() -> None:
    """Children inherit a raised soft fd limit (1,000-connection scenario)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def spawn(
    argv: Sequence[str],
    *,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    capture: bool = False,
) -> subprocess.Popen[bytes]:
    """Start a tracked child in a new session; stdout+stderr go to log_path or a pipe."""
    out: int | object
    if capture:
        out = subprocess.PIPE
    elif log_path is not None:
        out = log_path.open("ab")
    else:
        out = subprocess.DEVNULL
    proc = subprocess.Popen(
        list(argv),
        stdout=out,  # type: ignore[arg-type]
        stderr=subprocess.STDOUT if not capture else subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_raise_fd_limit,
    )
    if log_path is not None and not capture:
        out.close()  # type: ignore[union-attr]
    _started.append(proc)
    return proc


def stop(proc: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the child's own process group, then SIGKILL it after ``grace`` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            kill9(proc)
    # members of the group may outlive the leader
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc in _started:
        _started.remove(proc)


def kill9(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)


def stop_all() -> None:
    for proc in list(_started):
        stop(proc, grace=5.0)


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install_cleanup() -> None:
    """Stop every child on exit, SIGTERM and SIGINT.

    SIGINT is set explicitly because a shell starting the harness in the background makes
    it ignored, and Python then keeps ignoring it.
    """
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree(pid: int) -> list[int]:
    """pid and all its live descendants."""
    kids = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def rss_bytes(pid: int) -> int:
    """Resident set size of the whole process tree (sum of VmRSS)."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/statm").read_text().split()
        except OSError:
            continue
        total += int(fields[1]) * _PAGE
    return total


def cpu_seconds(pid: int) -> float:
    """utime + stime of the live process tree, in seconds."""
    ticks = 0
    for p in tree(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / _CLK_TCK
