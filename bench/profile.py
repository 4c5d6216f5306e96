"""``python -m bench profile``: where moldau's time goes in one scenario (py-spy).

Starts moldau alone, runs the scenarios named before the profiled one (e.g. raw-produce
before raw-fetch) unprofiled, then samples the broker with py-spy (installed with pip into
the bench cache, outside git and outside any shared environment) while the last scenario
runs. Writes ``bench/results/profile-<scenario>.txt``: the top functions by own time
(leaf samples) and by inclusive time, as percentages of all samples, plus the raw
collapsed stacks next to it (``.folded``, untracked) for a flame graph.
"""

from __future__ import annotations

import collections
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import procs
from bench.brokers.base import CACHE, HOST
from bench.brokers.moldau import MoldauBroker
from bench.compare import free_port, merged_args, run_generator
from bench.report import RESULTS
from bench.scenarios import by_name

PY_SPY = "py-spy==0.4.3"


def py_spy() -> Path:
    exe = CACHE / "tools" / "bin" / "py-spy"
    if not exe.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--target",
                str(CACHE / "tools"),
                PY_SPY,
            ],
            check=True,
            timeout=600,
        )
    return exe


def summarize(folded: Path, top: int = 25) -> str:
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if f]
        if not frames:
            continue
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    if total == 0:
        return "no samples\n"
    out = [f"{total} samples", "", "own time (leaf frames):"]
    out += [f"{100 * n / total:6.1f}%  {f}" for f, n in own.most_common(top)]
    out += ["", "inclusive time (moldau frames):"]
    mine = [(f, n) for f, n in incl.most_common() if "moldau" in f]
    out += [f"{100 * n / total:6.1f}%  {f}" for f, n in mine[:top]]
    return "\n".join(out) + "\n"


def profile(names: list[str], quick: bool) -> Path:
    procs.install_cleanup()
    scenarios = by_name()
    spy = py_spy()
    broker = MoldauBroker()
    broker.ensure()
    work = Path(tempfile.mkdtemp(prefix="moldau-profile-"))
    target = names[-1]
    folded = RESULTS / f"profile-{target}.folded"
    RESULTS.mkdir(exist_ok=True)
    try:
        broker.start(free_port(), work / "data")
        outputs: dict[str, dict[str, object]] = {}
        for name in names:
            sc = scenarios[name]
            expect = 0
            if sc.expect_from in outputs:
                prev = outputs[sc.expect_from]
                expect = int(prev.get("delivered") or prev.get("records") or 0)  # type: ignore[call-overload]
            args = [
                a.format(boot=f"{HOST}:{broker.port}", pid=broker.pid, expect=expect)
                for a in merged_args(sc, quick)
            ]
            spy_proc = None
            if name == target:
                spy_proc = procs.spawn(
                    [
                        str(spy),
                        "record",
                        "-p",
                        str(broker.pid),
                        "-r",
                        "250",
                        "--format",
                        "raw",
                        "-o",
                        str(folded),
                        "--nonblocking",
                    ],
                    log_path=work / "py-spy.log",
                )
                time.sleep(0.5)
            try:
                outputs[name] = run_generator([sc.module, *args], sc.timeout)
                print(f"{name}: {outputs[name]}", flush=True)
            finally:
                if spy_proc is not None:
                    spy_proc.send_signal(signal.SIGINT)
                    try:
                        spy_proc.wait(30)
                    except subprocess.TimeoutExpired:
                        procs.stop(spy_proc)
    finally:
        broker.stop()
        procs.stop_all()
    text = f"py-spy profile of moldau during {target} ({'quick' if quick else 'full'} args)\n"
    text += f"figures: {outputs.get(target)}\n\n" + summarize(folded)
    path = RESULTS / f"profile-{target}.txt"
    path.write_text(text)
    return path
