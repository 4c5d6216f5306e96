"""Turn a run's Results into the Markdown table, the target check and the JSON file.

Files written (bench/results/):
- ``<UTC timestamp>.md`` / ``.json``: this run (not committed; see .gitignore there).
- ``latest.md`` / ``latest.json``: copies of the newest run, the ones that are committed.
JSON layout: {"started", "finished", "command", "machine", "options", "brokers":
{name: {"description", "status"}}, "figures": [{"key", "figure", "unit", "better",
"median": {broker: value|null}, "values": {broker: [per round]}, "ratio":
{ref: moldau/ref|null}}], "targets": [{"target", "verdict", "detail"}], "errors",
"raw"}.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import statistics
from pathlib import Path
from typing import Any

from bench.compare import Results, metric_key
from bench.scenarios import (
    CPU_PER_GB,
    IDLE_RSS,
    RECOVERY,
    RECOVERY_KEPT,
    SCENARIOS,
    STARTUP,
    Metric,
)

RESULTS = Path(__file__).resolve().parent / "results"
REFERENCES = ("kafka", "noida", "tansu")


def rows() -> list[tuple[str, Metric]]:
    out = [(STARTUP.field, STARTUP), (IDLE_RSS.field, IDLE_RSS)]
    for s in SCENARIOS:
        out.extend((metric_key(s.name, m.field), m) for m in s.metrics)
        if s.cpu_per_gb:
            out.append((CPU_PER_GB.field, CPU_PER_GB))
    out += [(RECOVERY.field, RECOVERY), (RECOVERY_KEPT.field, RECOVERY_KEPT)]
    return out


def median(res: Results, broker: str, key: str) -> float | None:
    vals = res.values.get(broker, {}).get(key)
    return statistics.median(vals) if vals else None


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "disk_free_gb": round(shutil.disk_usage("/tmp").free / 1e9),
    }


def _fmt(v: float | None, unit: str = "") -> str:
    if v is None:
        return "—"
    if unit == "share":
        return f"{v:.0%}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def targets(res: Results) -> list[dict[str, str]]:
    """Issue 4 and 8 targets, each met / missed (by how much) / not measured."""
    out: list[dict[str, str]] = []

    def m(b: str, key: str) -> float | None:
        return median(res, b, key)

    def verdict(name: str, ok: bool | None, detail: str) -> None:
        v = "not measured" if ok is None else ("met" if ok else "missed")
        out.append({"target": name, "verdict": v, "detail": detail})

    def floor(name: str, key: str, minimum: float, unit: str) -> None:
        v = m("moldau", key)
        if v is None:
            verdict(name, None, "moldau has no figure")
        else:
            verdict(
                name,
                v >= minimum,
                f"moldau {_fmt(v)} {unit} vs >= {_fmt(minimum)} ({v / minimum:.2f}x)",
            )

    def ceiling(name: str, key: str, maximum: float, unit: str) -> None:
        v = m("moldau", key)
        if v is None:
            verdict(name, None, "moldau has no figure")
        else:
            verdict(
                name,
                v <= maximum,
                f"moldau {_fmt(v)} {unit} vs <= {_fmt(maximum)} ({v / maximum:.2f}x the limit)",
            )

    def ran(key: str) -> bool:
        return any(res.values.get(b, {}).get(key) for b in res.options.brokers)

    def versus(name: str, key: str, better: str, refs: tuple[str, ...] = REFERENCES) -> None:
        if not ran(key):
            out.append({"target": name, "verdict": "not run", "detail": "scenario not in this run"})
            return
        v = m("moldau", key)
        have: dict[str, float] = {}
        for r in refs:
            rv = m(r, key)
            if rv is not None:
                have[r] = rv
        if v is None or not have:
            verdict(name, None, "moldau has no figure" if v is None else "no reference figure")
            return
        best_ref = (
            max(have, key=lambda r: have[r])
            if better == "higher"
            else min(have, key=lambda r: have[r])
        )
        bv = have[best_ref]
        ok = v >= bv if better == "higher" else v <= bv
        verdict(
            name,
            ok,
            f"moldau {_fmt(v)} vs best reference {best_ref} {_fmt(bv)} (ratio {v / bv:.2f})",
        )

    floor("raw produce acks=1 >= 800 MB/s", metric_key("raw-produce", "mb_per_s"), 800, "MB/s")
    versus(
        "raw produce acks=1 >= 1.0x every reference",
        metric_key("raw-produce", "mb_per_s"),
        "higher",
    )
    floor("raw fetch >= 1.5 GB/s", metric_key("raw-fetch", "mb_per_s"), 1500, "MB/s")
    for s in SCENARIOS:
        if s.module.endswith(("rdkafka", "javaperf")):
            met = s.metrics[0]
            versus(
                f"{met.figure.replace(' (MB/s)', '').replace(' (msg/s)', '')} >= 1.0x every reference",
                metric_key(s.name, met.field),
                "higher",
            )
    for rate in (1000, 10000):
        versus(
            f"p99 latency at {rate:,} msg/s acks=all <= every reference",
            metric_key(f"latency-{rate}", "p99_ms"),
            "lower",
        )
    ceiling("start-up <= 0.5 s", STARTUP.field, 0.5, "s")
    mk, kk = m("moldau", STARTUP.field), m("kafka", STARTUP.field)
    verdict(
        "start-up >= 10x faster than Kafka",
        None if mk is None or kk is None else kk / mk >= 10,
        "" if mk is None or kk is None else f"Kafka/moldau = {kk / mk:.1f}x",
    )
    ceiling("idle RSS <= 60 MB", IDLE_RSS.field, 60, "MB")
    mk, kk = m("moldau", IDLE_RSS.field), m("kafka", IDLE_RSS.field)
    verdict(
        "idle RSS >= 10x smaller than Kafka's",
        None if mk is None or kk is None else kk / mk >= 10,
        "" if mk is None or kk is None else f"Kafka/moldau = {kk / mk:.1f}x",
    )
    ceiling("1,000 partitions RSS <= 300 MB", metric_key("partitions-1000", "rss_mb"), 300, "MB")
    ceiling("1,000 connections RSS <= 300 MB", metric_key("connections-1000", "rss_mb"), 300, "MB")
    kept = m("moldau", RECOVERY_KEPT.field)
    verdict(
        "every acked record survives kill -9 (issue 4)",
        None if kept is None else kept >= 1.0,
        "" if kept is None else f"moldau kept {kept:.0%} of acked records",
    )
    return out


def markdown(res: Results) -> str:
    brokers = res.options.brokers
    refs = [b for b in REFERENCES if b in brokers]
    mach = machine()
    lines = [
        f"# moldau benchmark run {res.started}",
        "",
        f"Command: `{res.command}`  ",
        f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory_gib']} GiB, Linux {mach['kernel']}, "
        f"Python {mach['python']}; shared with other work, so figures are noisy: compare ratios.  ",
        f"Rounds: {res.options.rounds} (brokers interleaved {' '.join(brokers)} per round), "
        f"{'quick' if res.options.quick else 'full'} mode, recovery fill {res.options.recovery_gb} GB, "
        f"finished {res.finished}{' (INTERRUPTED: partial)' if res.interrupted else ''}. "
        "MB = 10^6 bytes. Values are medians over rounds.",
        "",
        "| broker | what ran | status | machine load avg at its rounds' start |",
        "|---|---|---|---|",
    ]
    for b in brokers:
        load = ", ".join(f"{x:.1f}" for x in res.load.get(b, []))
        lines.append(
            f"| {b} | {res.descriptions.get(b, '')} | {res.status.get(b, 'not run')} | {load} |"
        )
    head = ["figure", *brokers] + [f"moldau/{r}" for r in refs if "moldau" in brokers]
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, met in rows():
        vals = {b: median(res, b, key) for b in brokers}
        if all(v is None for v in vals.values()):
            continue
        arrow = "↑" if met.better == "higher" else "↓"
        cells = [f"{met.figure} {arrow}"] + [_fmt(vals[b], met.unit) for b in brokers]
        if "moldau" in brokers:
            cells += [_fmt(_ratio(vals["moldau"], vals[r])) for r in refs]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "↑ higher is better, ↓ lower is better; ratio = moldau / reference.",
        "",
        "## Targets (issues 4 and 8)",
        "",
        "| target | verdict | detail |",
        "|---|---|---|",
    ]
    for t in targets(res):
        lines.append(f"| {t['target']} | {t['verdict']} | {t['detail']} |")
    if res.errors:
        lines += ["", "## Errors, skips and failures (per broker)", ""]
        for b, errs in res.errors.items():
            for e in errs:
                lines.append(f"- {b}: {e[:400]}")
    return "\n".join(lines) + "\n"


def to_json(res: Results) -> dict[str, Any]:
    brokers = res.options.brokers
    figures = []
    for key, met in rows():
        med = {b: median(res, b, key) for b in brokers}
        figures.append(
            {
                "key": key,
                "figure": met.figure,
                "unit": met.unit,
                "better": met.better,
                "median": med,
                "values": {b: res.values.get(b, {}).get(key, []) for b in brokers},
                "ratio": {r: _ratio(med.get("moldau"), med[r]) for r in REFERENCES if r in brokers},
            }
        )
    return {
        "started": res.started,
        "finished": res.finished,
        "command": res.command,
        "interrupted": res.interrupted,
        "machine": machine(),
        "options": dataclasses.asdict(res.options),
        "brokers": {
            b: {"description": res.descriptions.get(b, ""), "status": res.status.get(b, "not run")}
            for b in brokers
        },
        "figures": figures,
        "targets": targets(res),
        "errors": res.errors,
        "load": res.load,
        "raw": res.raw,
    }


def write(res: Results) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = res.started.replace(":", "").replace("-", "")
    md, js = markdown(res), json.dumps(to_json(res), indent=1, default=str)
    for name in (stamp, "latest"):
        (RESULTS / f"{name}.md").write_text(md)
        (RESULTS / f"{name}.json").write_text(js + "\n")
    return RESULTS / f"{stamp}.md"
