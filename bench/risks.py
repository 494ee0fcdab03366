"""Risk assessment benchmark: the register and every detector on a generated plan.

Run: ``.venv/bin/python bench/risks.py [--tasks 5000 --people 100 --iterations 500]``. Prints
the time of each step and of each detector; the goal is a 5,000-task, 100-person plan assessed in
seconds (plan loading excluded). The forecast the detectors read runs fewer iterations than the
CLI's default here: its time is the forecast benchmark's business (bench/forecast.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections import Counter

from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast
from ontrack.engines.risk import DETECTORS, RiskOptions, assess, build_context
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--time-limit", type=float, default=1.0)
    args = parser.parse_args()

    began = time.perf_counter()
    plan, diagnostics = load_plan_text(
        dump_plan(generate_plan(tasks=args.tasks, people=args.people, seed=args.seed))
    )
    assert plan is not None, diagnostics
    loaded = time.perf_counter()
    scheduled, _ = schedule(plan, ScheduleOptions(time_limit=args.time_limit))
    assert scheduled is not None
    planned = time.perf_counter()
    simulated, _ = forecast(
        plan,
        ForecastOptions(
            iterations=args.iterations, seed=args.seed, schedule_time_limit=args.time_limit
        ),
    )
    forecast_done = time.perf_counter()
    options = RiskOptions(as_of=dt.date(2026, 1, 5))
    result = assess(plan, scheduled, simulated, options)
    assessed = time.perf_counter()

    # Each detector on its own, for where the time goes.
    ctx = build_context(plan, scheduled, simulated, options)
    per_detector = []
    for code, detector in DETECTORS:
        t0 = time.perf_counter()
        found = detector(ctx)
        per_detector.append((code, time.perf_counter() - t0, len(found)))

    print(f"plan: {len(plan.tasks):,} tasks, {len(plan.people)} people, {len(plan.risks)} risks")
    print("| step | seconds |")
    print("|---|---:|")
    print(f"| load (generate, dump, parse) | {loaded - began:.2f} |")
    print(f"| schedule (heuristic, {args.time_limit:g} s limit) | {planned - loaded:.2f} |")
    print(f"| forecast ({args.iterations:,} iterations) | {forecast_done - planned:.2f} |")
    print(f"| register + {len(DETECTORS)} detectors | {assessed - forecast_done:.2f} |")
    print(f"| **assessment, loading excluded** | **{assessed - loaded:.2f}** |")
    print()
    print("| detector | seconds | findings |")
    print("|---|---:|---:|")
    for code, seconds, count in per_detector:
        print(f"| {code} | {seconds:.3f} | {count} |")
    counts = Counter(f.code for f in result.findings)
    print()
    print("findings:", ", ".join(f"{code} x{n}" for code, n in sorted(counts.items())) or "none")


if __name__ == "__main__":
    main()
