"""Schedules per second: the GA's compiled serial SGS against the heuristic's pure-Python one.

Run: ``.venv/bin/python bench/sgs.py [--set j120] [--sample-every 30] [--seconds 2]``. For each
instance of the sample it prints three rates on one core, measured in the same run:

* ``compiled SGS``: bare serial SGS passes of ``ga.py`` (numba) on one random sampled list;
* ``GA``: SGS passes per second of the whole genetic algorithm (crossover, mutation,
  forward-backward improvement, list building included), one island;
* ``heuristic``: SGS passes per second of ``HeuristicBackend`` (its ``passes`` statistic: rules,
  sampling and justification), the same-run baseline.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from ontrack.engines.schedule.ga import GaBackend, sgs_rate
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.problem import SolveOptions
from ontrack.interop.psplib import read_psplib

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "psplib"


def psplib_order(path: Path) -> tuple[int, int]:
    """PSPLIB's own order (as bench/psplib.py): j1204_1 before j12010_1."""
    group, _, number = path.stem.partition("_")
    return int(group[3:]) if len(group) > 3 else 0, int(number or 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", default="j120", choices=["j30", "j60", "j90", "j120"])
    parser.add_argument("--sample-every", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=2.0, help="per backend and instance")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)

    print(f"{args.set}, every {args.sample_every}, {args.seconds:g} s per run, one core")
    print()
    print("| instance | compiled SGS /s | GA /s | heuristic /s |")
    print("|---|---:|---:|---:|")
    rates: list[tuple[float, float, float]] = []
    options = SolveOptions(time_limit=args.seconds, workers=1)
    files = sorted((args.data / args.set).glob("*.sm"), key=psplib_order)[:: args.sample_every]
    for path in files:
        problem = read_psplib(path)
        bare = sgs_rate(problem, 20_000)
        ga = GaBackend().solve(problem, options)
        heuristic = HeuristicBackend().solve(problem, options)
        row = (
            bare,
            ga.stats["schedules"] / ga.seconds,
            heuristic.stats["passes"] / heuristic.seconds,
        )
        rates.append(row)
        print(f"| {problem.name} | {row[0]:,.0f} | {row[1]:,.0f} | {row[2]:,.0f} |", flush=True)
    if not rates:
        raise SystemExit("no instances")
    print()
    means = [statistics.mean(r[k] for r in rates) for k in range(3)]
    print(
        f"{len(rates)} instances, mean: compiled SGS {means[0]:,.0f}/s, GA {means[1]:,.0f}/s, "
        f"heuristic {means[2]:,.0f}/s ({means[1] / means[2]:.0f}x)"
    )


if __name__ == "__main__":
    main()
