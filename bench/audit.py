"""DCMA 14-point assessment and plan lint benchmark: how long `ontrack audit` takes on a big plan.

Run: ``.venv/bin/python bench/audit.py [--tasks 5000 --people 100 --seed 1 --limits 0.1,2]
[--repeat 1]``. Prints a Markdown table. The goal: a generated 5,000-task, 100-person plan is
assessed in seconds (plan loading excluded), with and without tracking data. Most of the time
is levelling the schedule the checks measure, which searches until its time limit (`ontrack
audit --time-limit`, 2 s by default); the 0.1 s row is about the first levelled schedule plus
the checks.

Tracking data is made up from the plan's own schedule, frozen as the baseline: the status date
falls a third of the way through it; tasks baselined to finish by then are done (one in five a
few days late, one in ten still under way at half), tasks baselined to start by then are under
way. So every check runs, none is n/a.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from fractions import Fraction

from ontrack.engines.compliance import Audit, AuditOptions, Tracking, audit
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.engines.schedule.progress import Status, TaskProgress
from ontrack.gcpause import gc_paused
from ontrack.model import BaselineTask, Plan
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan


def plan_of(tasks: int, people: int, seed: int) -> Plan:
    plan, diagnostics = load_plan_text(
        dump_plan(generate_plan(tasks=tasks, people=people, seed=seed))
    )
    assert plan is not None, diagnostics
    return plan


def tracking_of(plan: Plan, time_limit: float, seed: int) -> Tracking:
    """A baseline from the plan's schedule and progress as of a third of the way through."""
    result, diagnostics = schedule(plan, ScheduleOptions(time_limit=time_limit))
    assert result is not None, diagnostics
    baseline = {
        t.id: BaselineTask(
            t.start, t.finish, t.duration_days, summary=t.summary, milestone=t.milestone
        )
        for t in result.tasks
    }
    date = result.start + (result.finish - result.start) / 3
    rng = random.Random(seed)
    progress: dict[str, TaskProgress] = {}
    for t in result.tasks:
        if t.summary or t.start > date:
            continue
        late = dt.timedelta(days=rng.randint(1, 4)) if rng.random() < 0.2 else dt.timedelta(0)
        if t.finish <= date and rng.random() >= 0.1:
            progress[t.id] = TaskProgress(t.start, min(t.finish + late, date))
        else:
            progress[t.id] = TaskProgress(t.start, percent_complete=Fraction(1, 2))
    return Tracking(Status(date, progress), baseline, "bench")


def timed(plan: Plan, tracking: Tracking | None, options: AuditOptions) -> tuple[float, Audit]:
    began = time.perf_counter()
    with gc_paused():  # as the CLI's loader does; the audit allocates many small records
        result, _ = audit(plan, tracking, options)
    return time.perf_counter() - began, result


def tally(result: Audit) -> str:
    data = result.to_json()["summary"]["dcma"]
    return f"{data['pass']} / {data['fail']} / {data['n/a']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--limits", default="0.1,2", help="levelling time limits in seconds, comma-separated"
    )
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    limits = [float(x) for x in args.limits.split(",")]
    began = time.perf_counter()
    plan = plan_of(args.tasks, args.people, args.seed)
    load = time.perf_counter() - began
    tracking = tracking_of(plan, max(limits), args.seed)

    print(
        f"{len(plan.tasks):,} tasks ({sum(1 for _ in plan.leaf_tasks()):,} leaves), "
        f"{len(plan.people)} people; plan generated and loaded in {load:.2f} s (not counted); "
        f"median of {args.repeat}"
    )
    print()
    print("| tracking data | levelling limit s | audit s | DCMA pass / fail / n/a | basis |")
    print("|---|---:|---:|---|---|")
    result = None
    for label, data in (("none", None), ("baseline + progress", tracking)):
        for limit in limits:
            options = AuditOptions(schedule=ScheduleOptions(time_limit=limit))
            runs = [timed(plan, data, options) for _ in range(args.repeat)]
            seconds = statistics.median(s for s, _ in runs)
            result = runs[-1][1]
            print(f"| {label} | {limit:g} | {seconds:.2f} | {tally(result)} | {result.basis} |")
    assert result is not None
    print()
    print(f"With tracking data, levelling limit {limits[-1]:g} s:")
    for check in result.dcma:
        print(f"- {check.number:>2} {check.name}: {check.count} of {check.total} -> {check.passed}")


if __name__ == "__main__":
    main()
