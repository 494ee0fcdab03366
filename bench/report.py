"""HTML report benchmark: a generated plan from text to a written report.

Run: ``.venv/bin/python bench/report.py [--tasks 1000 --people 40 --iterations 2000]``. The goal:
a 1,000-task report is written in under 5 seconds, end to end after loading (scheduling, the
Monte Carlo forecast, gathering, rendering and the atomic write); loading is timed apart.
Prints a Markdown table of the stages, best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from ontrack.app.asof import resolve_as_of
from ontrack.app.assessment import AssessOptions, assess
from ontrack.fileio import write_text_atomic
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan
from ontrack.reports import render_report

GOAL_SECONDS = 5.0


def run(tasks: int, people: int, iterations: int, out: Path) -> dict[str, float]:
    text = dump_plan(generate_plan(tasks=tasks, people=people, seed=1))
    began = time.perf_counter()
    plan, diagnostics = load_plan_text(text)
    assert plan is not None, diagnostics
    loaded = time.perf_counter()
    # The report renders the program assessment, as `ontrack report` does.
    assessed, problems = assess(
        plan,
        AssessOptions(iterations=iterations, seed=0),
        as_of=resolve_as_of(plan, (), plan.program.start + dt.timedelta(days=60)),
    )
    assert assessed is not None, problems
    data = assessed.report
    gathered = time.perf_counter()
    html = render_report(data)
    rendered = time.perf_counter()
    write_text_atomic(out, html)
    written = time.perf_counter()
    return {
        "load": loaded - began,
        "assessment (schedule, forecast, risks, audit)": gathered - loaded,
        "render": rendered - gathered,
        "write": written - rendered,
        "report (after loading)": written - loaded,
        "size KiB": len(html.encode()) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.html"
        runs = [run(args.tasks, args.people, args.iterations, out) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["report (after loading)"])
    print(f"{args.tasks:,} tasks, {args.people} people, {args.iterations:,} iterations")
    print("| stage | seconds |\n|---|---:|")
    for stage, value in best.items():
        shown = f"{value:,.0f}" if stage == "size KiB" else f"{value:.3f}"
        print(f"| {stage} | {shown} |")
    total = best["report (after loading)"]
    verdict = "met" if total < GOAL_SECONDS else "MISSED"
    print(f"\ngoal: under {GOAL_SECONDS:g} s after loading: {verdict} ({total:.2f} s)")


if __name__ == "__main__":
    main()
