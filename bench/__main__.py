"""Command line: ``python -m bench compare [--brokers ...] [--rounds N] [--scenarios ...] [--quick]``."""

from __future__ import annotations

import argparse
import shlex
import sys

from bench.brokers import DRIVERS
from bench.compare import Options, compare
from bench.report import markdown, write
from bench.scenarios import SCENARIOS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="run every broker side by side and write bench/results/")
    c.add_argument(
        "--brokers",
        default="moldau,kafka,noida,tansu",
        help=f"comma-separated, in round order; known: {','.join(DRIVERS)}",
    )
    c.add_argument(
        "--rounds", type=int, default=None, help="interleaved rounds (default 3, quick 1)"
    )
    c.add_argument(
        "--scenarios",
        nargs="*",
        default=[],
        help="names to run (default all; quick subset with --quick); 'recovery' "
        f"adds the kill -9 check. Known: {' '.join(s.name for s in SCENARIOS)}",
    )
    c.add_argument(
        "--quick", action="store_true", help="short runs, one round: ~5 min for four brokers"
    )
    c.add_argument(
        "--recovery-gb",
        type=float,
        default=None,
        help="data written before kill -9 (default 2, quick 0.25)",
    )
    sub.add_parser("list", help="list the scenarios")
    pr = sub.add_parser("profile", help="py-spy profile of moldau during the last named scenario")
    pr.add_argument("scenarios", nargs="+", help="run in order; the last one is profiled")
    pr.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    if args.cmd == "list":
        for s in SCENARIOS:
            print(f"{s.name:28} {'quick' if s.quick else '     '} {s.metrics[0].figure}")
        print(f"{'recovery':28} quick  fill N GB, kill -9, time until served again")
        return 0
    if args.cmd == "profile":
        from bench.profile import profile

        path = profile(args.scenarios, args.quick)
        print(path.read_text())
        return 0
    names = [b.strip() for b in args.brokers.split(",") if b.strip()]
    bad = [b for b in names if b not in DRIVERS]
    if bad:
        p.error(f"unknown brokers {bad}; known: {list(DRIVERS)}")
    opts = Options(
        brokers=names,
        rounds=args.rounds if args.rounds is not None else (1 if args.quick else 3),
        scenarios=list(args.scenarios),
        quick=args.quick,
        recovery_gb=args.recovery_gb
        if args.recovery_gb is not None
        else (0.25 if args.quick else 2.0),
        idle_settle=1.0 if args.quick else 2.0,
    )
    command = "python -m bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    res = compare(opts, command)
    path = write(res)
    print()
    print(markdown(res))
    print(f"written: {path} and bench/results/latest.md/.json")
    return 130 if res.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
