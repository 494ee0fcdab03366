"""PSPLIB instances through the command line, as a user runs them, backends side by side.

Run: ``.venv/bin/python bench/psplib_cli.py --set j120 --sample-every 30 --time-limit 10``
runs, per instance in turn, ``ontrack schedule --psplib FILE --time-limit 10 --format json``
(the default backend) and the same with ``--backend ga`` and ``--backend cpsat``
(``--backends`` picks others; ``default`` is no ``--backend`` at all). Each schedule's makespan
is the ``makespan`` of the command's JSON; it is checked with the independent feasibility
checker. Prints a Markdown table, one row per instance, then per backend the mean gap to the
best known makespan, how many are at the best known and how many were proven optimal.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ontrack.engines.schedule.check import violations
from ontrack.interop.psplib import read_best_known, read_psplib

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

from bench.psplib import DATA, instances  # noqa: E402


def command(path: Path, backend: str, time_limit: float) -> list[str]:
    exe = shutil.which("ontrack", path=str(Path(sys.executable).parent)) or "ontrack"
    args = [exe, "schedule", "--psplib", str(path), "--time-limit", f"{time_limit:g}"]
    args += ["--format", "json"]
    return args if backend == "default" else [*args, "--backend", backend]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", default="j30", choices=["j30", "j60", "j90", "j120"])
    parser.add_argument("--sample-every", type=int, default=1, help="take every n-th file")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--backends", nargs="+", default=["default", "ga", "cpsat"])
    parser.add_argument("--data", type=Path, default=DATA, help="folder with j30/ ... tables/")
    parser.add_argument("--only", nargs="*", default=[], help="instance names, e.g. j301_1")
    args = parser.parse_args(argv)

    best = read_best_known(args.data / "tables", args.set)
    names = args.backends
    print(f"{args.set}, every {args.sample_every}, {args.time_limit:g} s limit, via the CLI")
    print()
    print("| instance | best known | " + " | ".join(f"{b}: makespan, wall s" for b in names) + " |")
    print("|---|---:|" + "---|" * len(names))
    gaps: dict[str, list[float]] = {b: [] for b in names}
    proven = dict.fromkeys(names, 0)
    at_best = dict.fromkeys(names, 0)
    walls: dict[str, list[float]] = {b: [] for b in names}
    for path in instances(args.data, args.set, args.sample_every, args.only):
        problem = read_psplib(path)
        known = best[problem.name]
        cells = []
        for b in names:
            began = time.perf_counter()
            done = subprocess.run(
                command(path, b, args.time_limit), capture_output=True, text=True, check=True
            )
            wall = time.perf_counter() - began
            out = json.loads(done.stdout)
            starts = [int(s) for s in out["starts"]]
            if found := violations(problem, starts, [0] * len(starts)):
                raise SystemExit(f"{problem.name} {b}: infeasible schedule: {found[:3]}")
            span = int(out["makespan"])
            gaps[b].append(100.0 * (span - known) / known)
            proven[b] += out["status"] == "optimal"
            at_best[b] += span <= known
            walls[b].append(wall)
            star = "*" if out["status"] == "optimal" else ""
            cells.append(f"{span}{star} {wall:.1f}")
        print(f"| {problem.name} | {known} | " + " | ".join(cells) + " |", flush=True)
    print()
    print("`*` proven optimal.")
    print()
    print("| backend | mean gap % | at best known | proven optimal | median wall s |")
    print("|---|---:|---:|---:|---:|")
    for b in names:
        if gaps[b]:
            print(
                f"| {b} | {statistics.mean(gaps[b]):.2f} | {at_best[b]}/{len(gaps[b])} | "
                f"{proven[b]} | {statistics.median(walls[b]):.1f} |"
            )


if __name__ == "__main__":
    main()
