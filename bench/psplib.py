"""Schedule PSPLIB instances and compare the makespans with the best known ones.

Run: ``.venv/bin/python bench/psplib.py --set j120 --sample-every 30 --time-limit 10
--backend cpsat`` (``--backend heuristic``, ``auto`` for the portfolio, or ``plain`` for the bare
CP-SAT model). Prints a Markdown table, one row per instance as it finishes, then the averages.
Every schedule is checked with the independent feasibility checker; a violation stops the run.

The sample is every n-th instance in PSPLIB's own order (parameter group, then instance number:
j1201_1, j1201_2, …, j12010_1), so ``--sample-every 30`` on j120 is the fixed 20-instance sample
j1201_1, j1204_1, …, j12058_1 of the benchmark results.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from ontrack.engines.schedule.bounds import critical_path_bound
from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.cpsat import CpSatBackend
from ontrack.engines.schedule.ga import GaBackend
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.portfolio import AutoBackend
from ontrack.engines.schedule.problem import Backend, SolveOptions
from ontrack.interop.psplib import read_best_known, read_psplib

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "psplib"


def backend_named(name: str) -> Backend:
    if name == "heuristic":
        return HeuristicBackend()
    if name == "plain":
        return CpSatBackend(plain=True)
    if name == "ga":
        return GaBackend()
    if name == "auto":
        return AutoBackend()
    return CpSatBackend()


def psplib_order(path: Path) -> tuple[int, int]:
    """j1204_1 before j12010_1: PSPLIB numbers groups and instances, names sort as text."""
    group, _, number = path.stem.partition("_")
    return int(group[3:]) if len(group) > 3 else 0, int(number or 0)


def instances(data: Path, set_name: str, every: int, only: list[str]) -> list[Path]:
    files = sorted((data / set_name).glob("*.sm"), key=psplib_order)[::every]
    return [f for f in files if not only or f.stem in only]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", default="j30", choices=["j30", "j60", "j90", "j120"])
    parser.add_argument("--sample-every", type=int, default=1, help="take every n-th file")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument(
        "--backend", default="cpsat", choices=["cpsat", "heuristic", "plain", "auto", "ga"]
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DATA, help="folder with j30/ ... tables/")
    parser.add_argument("--only", nargs="*", default=[], help="instance names, e.g. j301_1")
    args = parser.parse_args(argv)

    best = read_best_known(args.data / "tables", args.set)
    backend = backend_named(args.backend)
    options = SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    print(f"{args.set}, every {args.sample_every}, {args.backend}, {args.time_limit:g} s limit")
    print()
    print("| instance | makespan | best known | CP bound | gap % | time s | status |")
    print("|---|---:|---:|---:|---:|---:|---|")
    gaps: list[float] = []
    times: list[float] = []
    optimal = at_best = 0
    for path in instances(args.data, args.set, args.sample_every, args.only):
        problem = read_psplib(path)
        began = time.perf_counter()
        solution = backend.solve(problem, options)
        seconds = time.perf_counter() - began
        if found := violations(problem, solution.starts, solution.modes):
            raise SystemExit(f"{problem.name}: infeasible schedule: {found[:3]}")
        known = best[problem.name]
        gap = 100.0 * (solution.objective - known) / known
        gaps.append(gap)
        times.append(seconds)
        optimal += solution.status == "optimal"
        at_best += solution.objective <= known
        print(
            f"| {problem.name} | {solution.objective} | {known} | "
            f"{critical_path_bound(problem)} | {gap:.2f} | {seconds:.2f} | {solution.status} |",
            flush=True,
        )
    if not gaps:
        raise SystemExit("no instances")
    print()
    print(
        f"{len(gaps)} instances: mean gap {statistics.mean(gaps):.2f} %, "
        f"{at_best} at the best known, {optimal} proven optimal, "
        f"time median {statistics.median(times):.2f} s, max {max(times):.2f} s"
    )


if __name__ == "__main__":
    main()
