"""``python -m bench``: run the benchmark from the command line (see bench/README.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from restsync.emulator import RECORD_SHAPES

from . import FULL, QUICK, WORKLOADS, BenchError, run_workloads
from ._report import markdown


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="restsync vs dlt's rest_api_source against the emulator (issues 3, 9).",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated workloads to run (default: {','.join(WORKLOADS)})",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (medians reported)")
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, dlt measured once (a few minutes)"
    )
    parser.add_argument(
        "--dlt-repeat", type=int, default=None, help="runs per dlt variant (default: --repeat)"
    )
    parser.add_argument(
        "--shape",
        choices=RECORD_SHAPES,
        default=FULL.shape,
        help="the emulators' records: realistic (lists, nested objects, mixed types) or flat",
    )
    parser.add_argument(
        "--out", default="bench/results/latest.json", help="where to write the JSON results"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run clients in this process instead of a fresh one per run (W4 never is)",
    )
    parser.add_argument(
        "--markdown",
        metavar="JSON",
        default=None,
        help="print the results table of an earlier run's JSON file as Markdown, run nothing",
    )
    parser.add_argument("--keep", action="store_true", help="keep the DuckDB files of every run")
    parser.add_argument("--workdir", default=None, help="folder for DuckDB files (default: temp)")
    args = parser.parse_args(argv)
    if args.markdown is not None:
        print(markdown(json.loads(Path(args.markdown).read_text(encoding="utf-8"))))
        return 0
    workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    sizes = replace(QUICK if args.quick else FULL, shape=args.shape)
    if args.dlt_repeat is not None:
        sizes = replace(sizes, dlt_repeat=args.dlt_repeat)
    try:
        report = run_workloads(
            workloads,
            repeat=args.repeat,
            quick=args.quick,
            sizes=sizes,
            isolate=not args.in_process,
            out=args.out,
            workdir=args.workdir,
            keep_files=args.keep,
        )
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    print(f"results written to {args.out}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
