"""``python -m bench compare``: every broker, same machine, same clients, interleaved rounds.

Round r runs brokers in the given order (A B C D, then again A B C D...) so slow drift of a
shared machine spreads over all of them. Per broker and round: start from an empty data
dir (start-up time, idle RSS), run the scenarios in catalogue order, stop; then the
recovery check (fill N GB, kill -9, restart, time until ListOffsets serves the data).
Medians over rounds go into the table together with moldau's ratio to each reference.

A broker that cannot be obtained is reported as missing, one that does not serve as
failed to start, a scenario that errors or times out as such: nothing is dropped silently.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import procs
from bench.brokers import DRIVERS
from bench.brokers.base import HOST, Broker, BrokerMissing, BrokerStartFailed, tail
from bench.loadgen import wire
from bench.scenarios import SCENARIOS, Scenario

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Options:
    brokers: list[str]
    rounds: int
    scenarios: list[str]  # names; empty = all (or the quick subset)
    quick: bool
    recovery_gb: float
    idle_settle: float = 2.0


@dataclass
class Results:
    options: Options
    command: str
    started: str
    descriptions: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)  # broker -> "ok" / reason
    values: dict[str, dict[str, list[float]]] = field(
        default_factory=dict
    )  # broker -> field key -> per round
    raw: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # broker -> records
    errors: dict[str, list[str]] = field(default_factory=dict)
    load: dict[str, list[float]] = field(default_factory=dict)  # 1-min load avg at round start
    finished: str = ""
    interrupted: bool = False

    def add(self, broker: str, key: str, value: float) -> None:
        self.values.setdefault(broker, {}).setdefault(key, []).append(value)

    def error(self, broker: str, what: str) -> None:
        self.errors.setdefault(broker, []).append(what)
        print(f"  ! {broker}: {what}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def load_average() -> float:
    """1-minute load average: how busy the shared 2-core machine was (noise indicator)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def merged_args(sc: Scenario, quick: bool) -> list[str]:
    """Scenario args with quick_args' flag values replacing (or adding to) the full ones."""
    args = list(sc.args)
    if not quick:
        return args
    q = sc.quick_args
    for i in range(0, len(q), 2):
        flag, val = q[i], q[i + 1]
        if flag in args:
            args[args.index(flag) + 1] = val
        else:
            args += [flag, val]
    return args


def metric_key(sc_name: str, fld: str) -> str:
    return f"{sc_name}.{fld}"


def run_generator(argv: list[str], timeout: float) -> dict[str, Any]:
    """Run one generator subprocess; return its metrics or raise RuntimeError."""
    proc = procs.spawn([sys.executable, "-m", *argv], capture=True, cwd=REPO)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        procs.stop(proc, grace=2)
        raise RuntimeError(f"timed out after {timeout:.0f} s") from exc
    finally:
        procs.stop(proc, grace=2)
    lines = out.decode(errors="replace").strip().splitlines()
    if not lines:
        raise RuntimeError(f"no output; stderr: {err.decode(errors='replace')[-300:]}")
    try:
        last = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"unreadable output: {lines[-1][:200]}") from exc
    if "error" in last:
        raise RuntimeError(str(last["error"]))
    return dict(last["metrics"])


def selected(opts: Options) -> list[Scenario]:
    if opts.scenarios:
        known = {s.name for s in SCENARIOS}
        unknown = [n for n in opts.scenarios if n not in known and n != "recovery"]
        if unknown:
            raise SystemExit(f"unknown scenarios {unknown}; known: {sorted(known)} and recovery")
        return [s for s in SCENARIOS if s.name in opts.scenarios]
    return [s for s in SCENARIOS if s.quick or not opts.quick]


def _list_offsets(port: int, topic: str, partitions: int) -> dict[int, tuple[int, int]]:
    body = wire.request_blocking(
        HOST, port, wire.list_offsets_v1(7, topic, list(range(partitions)), -1), timeout=2.0
    )
    return wire.parse_list_offsets_v1(body)


def run_broker_round(broker: Broker, res: Results, opts: Options, work: Path, rnd: int) -> None:
    name = broker.name
    data = work / f"{name}-r{rnd}"
    res.load.setdefault(name, []).append(load_average())
    try:
        startup = broker.start(free_port(), data)
    except BrokerStartFailed as exc:
        res.status[name] = f"failed to start: {exc}"
        res.error(name, f"round {rnd}: failed to start: {exc}")
        return
    res.status.setdefault(name, "ok")
    print(
        f"  {name}: serving after {startup:.3f} s (pid {broker.pid}) at {time.strftime('%H:%M:%S')}",
        flush=True,
    )
    res.add(name, "startup_s", startup)
    try:
        time.sleep(opts.idle_settle)
        res.add(name, "idle_rss_mb", procs.rss_bytes(broker.pid) / 1e6)
        outputs: dict[str, dict[str, Any]] = {}
        for sc in selected(opts):
            if sc.expect_from and sc.expect_from not in outputs:
                res.error(name, f"round {rnd}: {sc.name} skipped: {sc.expect_from} gave no result")
                continue
            expect = outputs.get(sc.expect_from, {}).get("delivered") or outputs.get(
                sc.expect_from, {}
            ).get("records", 0)
            args = [
                a.format(boot=f"{HOST}:{broker.port}", pid=broker.pid, expect=expect)
                for a in merged_args(sc, opts.quick)
            ]
            if sc.fresh_broker:
                broker.stop()
                shutil.rmtree(data, ignore_errors=True)
                data = work / f"{name}-r{rnd}-{sc.name}"
                try:
                    broker.start(free_port(), data)
                except BrokerStartFailed as exc:
                    res.error(name, f"round {rnd}: {sc.name}: restart failed: {exc}")
                    break
                time.sleep(opts.idle_settle)
                args = [
                    a.format(boot=f"{HOST}:{broker.port}", pid=broker.pid, expect=expect)
                    for a in merged_args(sc, opts.quick)
                ]
            if broker.proc is None or broker.proc.poll() is not None:
                code = broker.proc.poll() if broker.proc is not None else None
                res.error(
                    name,
                    f"round {rnd}: broker exited (code {code}) before {sc.name}; log: "
                    f"{tail(broker.log_path)}; restarting it with an empty data dir",
                )
                broker.stop()
                data = work / f"{name}-r{rnd}-after-exit-{sc.name}"
                try:
                    broker.start(free_port(), data)
                except BrokerStartFailed as exc:
                    res.error(name, f"round {rnd}: restart failed: {exc}")
                    break
                args = [
                    a.format(boot=f"{HOST}:{broker.port}", pid=broker.pid, expect=expect)
                    for a in merged_args(sc, opts.quick)
                ]
            cpu0 = procs.cpu_seconds(broker.pid)
            t0 = time.monotonic()
            try:
                m = run_generator([sc.module, *args], sc.timeout)
            except RuntimeError as exc:
                res.error(name, f"round {rnd}: {sc.name}: {exc}")
                continue
            cpu = procs.cpu_seconds(broker.pid) - cpu0
            outputs[sc.name] = m
            res.raw.setdefault(name, []).append(
                {
                    "round": rnd,
                    "scenario": sc.name,
                    "wall_s": time.monotonic() - t0,
                    "broker_cpu_s": cpu,
                    "metrics": m,
                }
            )
            for met in sc.metrics:
                if met.field in m:
                    res.add(name, metric_key(sc.name, met.field), float(m[met.field]))
            if sc.cpu_per_gb and m.get("bytes_incl_warmup"):
                res.add(name, "cpu_s_per_gb", cpu / (m["bytes_incl_warmup"] / 1e9))
            shown = ", ".join(
                f"{met.field}={m[met.field]:.3g}" for met in sc.metrics if met.field in m
            )
            print(f"  {name} {sc.name}: {shown}", flush=True)
    finally:
        broker.stop()
        shutil.rmtree(data, ignore_errors=True)
        print(f"  {name}: stopped at {time.strftime('%H:%M:%S')}", flush=True)
    if not opts.scenarios or "recovery" in opts.scenarios:
        recovery(broker, res, opts, work, rnd)


def recovery(broker: Broker, res: Results, opts: Options, work: Path, rnd: int) -> None:
    """Fill ``recovery_gb`` with raw acks=1 produce, kill -9, restart, time until served."""
    name = broker.name
    data = work / f"{name}-rec{rnd}"
    nbytes = int(opts.recovery_gb * 1e9)
    try:
        broker.start(free_port(), data)
        m = run_generator(
            [
                "bench.loadgen.raw",
                "produce",
                "--bootstrap",
                f"{HOST}:{broker.port}",
                "--topic",
                "recovery",
                "--partitions",
                "4",
                "--connections",
                "4",
                "--acks",
                "1",
                "--warmup",
                "0",
                "--seconds",
                "120",
                "--max-bytes",
                str(nbytes),
            ],
            timeout=180,
        )
        before = _list_offsets(broker.port, "recovery", 4)
        acked = sum(off for err, off in before.values() if err == 0)
        broker.kill9()
        t0 = time.monotonic()
        # a new port: some brokers cannot re-bind the old one while the killed process's
        # connections sit in TIME_WAIT (noida-db: "Address already in use")
        port = free_port()
        broker.start(port, data, fresh=False)
        # start() returned at the first answered ApiVersions; now wait until the data is
        # served (ListOffsets without error), or give up 5 s later if the broker answers but
        # has lost the topic (memory engines); the same grace for every broker
        deadline = time.monotonic() + 5
        after: dict[int, tuple[int, int]] = {}
        while True:
            try:
                after = _list_offsets(port, "recovery", 4)
                if all(err == 0 for err, _ in after.values()):
                    break
            except (OSError, wire.WireError):
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        kept = sum(off for err, off in after.values() if err == 0)
        if after and all(err == 0 for err, _ in after.values()) and kept > 0:
            res.add(name, "recovery_s", elapsed)
        elif after and all(err == 0 for err, _ in after.values()):
            res.error(
                name,
                f"round {rnd}: recovery: serves again after {elapsed:.2f} s but "
                f"with none of the {acked} acked records (end offsets {after})",
            )
        else:
            res.error(
                name,
                f"round {rnd}: recovery: data not served after restart "
                f"(ListOffsets {after}); kept counted as 0",
            )
        res.add(name, "kept", kept / acked if acked else 0.0)
        res.raw.setdefault(name, []).append(
            {
                "round": rnd,
                "scenario": "recovery",
                "metrics": {
                    "filled_bytes": m.get("bytes"),
                    "acked_records": acked,
                    "kept_records": kept,
                    "recovery_s": elapsed,
                },
            }
        )
        print(
            f"  {name} recovery: {m.get('bytes', 0) / 1e9:.2f} GB, served again after "
            f"{elapsed:.2f} s, kept {kept}/{acked} records",
            flush=True,
        )
    except (BrokerStartFailed, RuntimeError, OSError, wire.WireError) as exc:
        res.error(name, f"round {rnd}: recovery: {exc}")
    finally:
        broker.stop()
        shutil.rmtree(data, ignore_errors=True)


def compare(opts: Options, command: str) -> Results:
    procs.install_cleanup()
    res = Results(
        options=opts, command=command, started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    )
    brokers: list[Broker] = []
    for name in opts.brokers:
        b = DRIVERS[name]()
        res.descriptions[name] = b.describe()
        print(f"ensure {name} ...", flush=True)
        try:
            b.ensure()
        except BrokerMissing as exc:
            res.status[name] = f"missing: {exc}"
            res.error(name, f"missing: {exc}")
            continue
        brokers.append(b)
    work = Path(tempfile.mkdtemp(prefix="moldau-bench-"))
    try:
        for rnd in range(1, opts.rounds + 1):
            for b in brokers:
                print(f"round {rnd}/{opts.rounds}: {b.name}", flush=True)
                run_broker_round(b, res, opts, work, rnd)
    except KeyboardInterrupt:
        res.interrupted = True
        print("interrupted: stopping everything this harness started", flush=True)
    finally:
        for b in brokers:
            b.stop()
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)
        res.finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return res
