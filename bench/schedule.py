"""Plan scheduling benchmark: generated plans through the whole `schedule()` pipeline.

Run: ``.venv/bin/python bench/schedule.py [--big 5000 --people 100] [--small 500]
[--cpsat-limit 60]``. Prints a Markdown table. The goals: a 5,000-task, 100-person plan gets a
heuristic schedule in under 10 s; on a 500-task plan, CP-SAT within 60 s is at least as good as the
heuristic and says how far it is from its proven bound.
"""

from __future__ import annotations

import argparse
import time

from ontrack.engines.calendar import WorkGrid
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.model import Plan
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan


def plan_of(tasks: int, people: int, seed: int) -> Plan:
    plan, diagnostics = load_plan_text(
        dump_plan(generate_plan(tasks=tasks, people=people, seed=seed))
    )
    assert plan is not None, diagnostics
    return plan


def row(label: str, plan: Plan, backend: str, limit: float) -> str:
    began = time.perf_counter()
    result, _ = schedule(plan, ScheduleOptions(backend=backend, time_limit=limit))  # type: ignore[arg-type]
    wall = time.perf_counter() - began
    assert result is not None
    lb_days = None
    gap = ""
    if result.lower_bound_finish is not None:
        # The bound in working days on the plan's grid (finish day index + 1).
        lb_days = WorkGrid.for_plan(plan).index_on_or_before(result.lower_bound_finish) + 1
        gap = f"{100 * (result.makespan_days - lb_days) / max(lb_days, 1):.1f} %"
    return (
        f"| {label} | {backend} | {limit:g} | {wall:.2f} | {result.makespan_days} | "
        f"{lb_days if lb_days is not None else ''} | {gap} | {result.status} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", type=int, default=5000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--small-people", type=int, default=25)
    parser.add_argument("--cpsat-limit", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("| plan | backend | limit s | wall s | makespan d | lower bound d | gap | status |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    big = plan_of(args.big, args.people, args.seed)
    label = f"{args.big} tasks, {args.people} people"
    print(row(label, big, "heuristic", 0.1), flush=True)
    print(row(label, big, "heuristic", 5), flush=True)
    small = plan_of(args.small, args.small_people, args.seed)
    label = f"{args.small} tasks, {args.small_people} people"
    print(row(label, small, "heuristic", 5), flush=True)
    print(row(label, small, "cpsat", args.cpsat_limit), flush=True)


if __name__ == "__main__":
    main()
