"""How fast and how good the priority-rule heuristic is.

Run: ``.venv/bin/python bench/heuristic.py [--jobs 5000] [--people 100] [--psplib 10]
[--set j30] [--limits 1,5]``. For a generated plan-like problem (capacity-1 people, up to 20
eligible people per task, links, time off) and for the first PSPLIB instances of a set, prints
the time to the first schedule and the objective after each time limit, against the lower
bound (and, for PSPLIB, the optimum or best known makespan).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from ontrack.engines.schedule.bounds import makespan_lower_bound
from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.problem import (
    Job,
    Link,
    LinkType,
    Mode,
    Problem,
    Resource,
    SolveOptions,
)
from ontrack.interop.psplib import read_best_known, read_psplib

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "psplib"


def plan_like(jobs: int, people: int, seed: int = 1) -> Problem:
    """A plan-shaped problem: each task one of up to 20 eligible people, chains and fan-ins
    within a sliding window, a few SS/FF links, time off, some releases and due dates."""
    rng = random.Random(seed)
    resources = tuple(
        Resource(
            f"p{i}",
            1,
            tuple(  # disjoint: the checker counts overlapping time off twice
                (b, b + rng.randint(1, 10), 1)
                for b in sorted(rng.sample(range(0, 400, 20), rng.randint(0, 4)))
            ),
        )
        for i in range(people)
    )
    out: list[Job] = []
    links: list[Link] = []
    for j in range(jobs):
        duration = rng.choice((0, 1, 2, 3, 5, 5, 8, 10, 15, 20)) if j % 50 else 0
        team = rng.sample(range(people), rng.randint(1, min(20, people)))
        modes = tuple(Mode(duration, ((p, 1),)) for p in sorted(team))
        release = rng.randint(0, 200) if rng.random() < 0.05 else 0
        due = rng.randint(50, 600) if rng.random() < 0.2 else None
        out.append(Job(f"t{j}", modes, release, due, rng.randint(1, 5), rng.randint(1, 1000)))
        for _ in range(rng.choice((0, 0, 1, 1, 2))) if j else ():
            pred = rng.randint(max(0, j - 2500), j - 1)
            kind = rng.choice((LinkType.FS,) * 8 + (LinkType.SS, LinkType.FF))
            links.append(Link(pred, j, kind, rng.choice((0, 0, 0, 1, -1))))
    return Problem(tuple(out), tuple(links), resources, "makespan", f"plan-{jobs}x{people}")


def run(problem: Problem, limit: float, seed: int = 0) -> tuple[int, float, str]:
    solution = HeuristicBackend().solve(problem, SolveOptions(time_limit=limit, seed=seed))
    problems = violations(problem, solution.starts, solution.modes)
    if problems:
        raise SystemExit(f"{problem.name}: infeasible schedule: {problems[:3]}")
    return solution.objective, solution.stats["first_schedule_seconds"], solution.status


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--psplib", type=int, default=10, help="instances of the set to run")
    parser.add_argument("--set", default="j30", help="PSPLIB set: j30, j60, j90, j120")
    parser.add_argument("--limits", default="1,5", help="comma-separated time limits, seconds")
    args = parser.parse_args(argv)
    limits = [float(x) for x in args.limits.split(",") if x.strip()]
    heads = " | ".join(f"after {x:g} s" for x in limits)

    problem = plan_like(args.jobs, args.people)
    began = time.perf_counter()
    bound = makespan_lower_bound(problem)
    print(f"## {problem.name}: lower bound {bound} ({time.perf_counter() - began:.2f} s)\n")
    print(f"| first schedule s | {heads} |")
    print("|---:|" + "---:|" * len(limits))
    cells = []
    first = 0.0
    for limit in limits:
        value, first, _ = run(problem, limit)
        cells.append(f"{value} ({value / max(bound, 1) - 1:+.1%})")
    print(f"| {first:.2f} | " + " | ".join(cells) + " |\n")

    folder = DATA / args.set
    files = sorted(folder.glob("*.sm"), key=lambda p: [int(x) for x in p.stem[3:].split("_")])
    best = read_best_known(DATA / "tables", args.set)
    print(f"## PSPLIB {args.set}: first {args.psplib} instances\n")
    print(f"| instance | best known | first schedule s | {heads} |")
    print("|---|---:|---:|" + "---:|" * len(limits))
    gaps = [0.0] * len(limits)
    for path in files[: args.psplib]:
        problem = read_psplib(path)
        cells = []
        for i, limit in enumerate(limits):
            value, first, status = run(problem, limit)
            gaps[i] += value / best[path.stem] - 1
            cells.append(f"{value}{'*' if status == 'optimal' else ''}")
        print(f"| {path.stem} | {best[path.stem]} | {first:.3f} | " + " | ".join(cells) + " |")
    count = max(1, min(args.psplib, len(files)))
    print("| mean gap to best known | | | " + " | ".join(f"{g / count:+.2%}" for g in gaps) + " |")
    print("\n(* the heuristic proved it optimal: it met the lower bound)")


if __name__ == "__main__":
    main()
