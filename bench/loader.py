"""How long loading a plan takes, against plain libyaml parsing of the same file.

Run: ``.venv/bin/python bench/loader.py [--sizes 1000,5000,10000] [--repeat 5]``. Prints a
Markdown table of medians. The target is a 10,000-task plan in under 2 seconds. ``--no-gc``
measures with the cyclic garbage collector off, which shows how much of the time it takes.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from ontrack.planfile import load_plan
from ontrack.planfile.generate import dump_plan, generate_plan
from ontrack.planfile.yamlread import read_yaml_file


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def bench_size(folder: Path, tasks: int, repeat: int) -> str:
    path = folder / f"plan-{tasks}.yaml"
    path.write_text(dump_plan(generate_plan(tasks, max(5, tasks // 100), seed=1)), encoding="utf-8")
    plan, diagnostics = load_plan(path)
    if plan is None or diagnostics:
        raise SystemExit(f"{path}: generated plan has {len(diagnostics)} diagnostics")
    count = len(plan.tasks)
    del plan, diagnostics  # a live plan would make every garbage collection while timing slower

    def parse() -> object:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)

    parse_s = median_seconds(parse, repeat)
    read_s = median_seconds(lambda: read_yaml_file(path), repeat)
    load_s = median_seconds(lambda: load_plan(path), repeat)
    size_kib = path.stat().st_size / 1024
    return (
        f"| {count:,} | {size_kib:,.0f} KiB | {parse_s:.3f} | {read_s:.3f} | "
        f"{load_s:.3f} | {load_s / parse_s:.1f}× |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        default="1000,5000,10000",
        help="comma-separated task counts (default 1000,5000,10000)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument(
        "--no-gc",
        action="store_true",
        help="disable Python's cyclic garbage collector while measuring, to see "
        "how much of the time it takes",
    )
    args = parser.parse_args(argv)
    if args.no_gc:
        gc.disable()
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    print(
        "| tasks | file | (a) yaml.load CSafeLoader s | (b) read_yaml_file s | "
        "(c) load_plan s | (c)/(a) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="ontrack-bench-") as tmp:
        for tasks in sizes:
            print(bench_size(Path(tmp), tasks, args.repeat), flush=True)


if __name__ == "__main__":
    main()
