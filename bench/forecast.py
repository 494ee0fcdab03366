"""Schedule Monte Carlo benchmark: task-iterations per second, re-levelling, memory.

Run: ``.venv/bin/python bench/forecast.py [--tasks 5000 --people 100 --iterations 10000]
[--memory]``. Prints a Markdown table. The goals: network mode at least 50 million
task-iterations per second end to end (plan loading excluded); resource mode, 1,000 iterations
of a 300-task, 20-person plan in under 10 s; 100,000 iterations of a 10,000-task plan in
bounded memory (``--memory``, well under 4 GB).

The baseline in the same run is the textbook approach: a plain Python forward pass per
iteration with ``random.betavariate`` draws (what a spreadsheet add-in or a simple script does),
timed on a few iterations of the same plan.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import time
from dataclasses import replace

from ontrack.engines.forecast.montecarlo import ForecastOptions, _Simulation, forecast
from ontrack.engines.forecast.simnet import FF, FS, SS, SimNet, compile_network
from ontrack.engines.schedule.planner import ScheduleOptions, solve_plan
from ontrack.gcpause import gc_paused
from ontrack.model import Plan
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan


def plan_of(tasks: int, people: int, seed: int) -> Plan:
    plan, diagnostics = load_plan_text(
        dump_plan(generate_plan(tasks=tasks, people=people, seed=seed))
    )
    assert plan is not None, diagnostics
    return plan


def baseline(net: SimNet, iterations: int) -> float:
    """Seconds per iteration of a scalar Python forward pass with Beta draws."""
    estimates: list[tuple[float, float, float] | None] = []
    for j in range(len(net.base)):
        table = net.tables[j]
        if table is None:
            estimates.append(None)
        else:
            low, high = float(table.min()), float(table.max())
            estimates.append((low, (low + high) / 2, high))
    rng = random.Random(1)
    began = time.perf_counter()
    for _ in range(iterations):
        start = [0] * len(net.base)
        end = [0] * len(net.base)
        for j in net.order:
            est = estimates[j]
            if est is None:
                d = net.base[j]
            else:
                o, m, p = est
                a = 1 + 4 * (m - o) / (p - o) if p > o else 1
                b = 1 + 4 * (p - m) / (p - o) if p > o else 1
                d = math.ceil(o + (p - o) * rng.betavariate(a, b))
            s = net.release[j]
            for q, kind, lag in net.incoming[j]:
                v = {FS: end[q], SS: start[q], FF: end[q] - d}.get(kind, start[q] - d) + lag
                s = max(s, v)
            start[j], end[j] = s, s + d
    return (time.perf_counter() - began) / iterations


def network_row(tasks: int, people: int, iterations: int, seed: int) -> list[str]:
    plan = plan_of(tasks, people, seed)
    began = time.perf_counter()
    solved, _ = solve_plan(plan, ScheduleOptions(time_limit=1.0, seed=seed))
    assert solved is not None
    scheduled = time.perf_counter() - began
    net = compile_network(plan, solved)
    compiled = time.perf_counter() - began - scheduled
    jobs = len(net.base)
    per_iteration = baseline(net, 5)
    base_rate = jobs / per_iteration / 1e6
    rows = []
    for label, options in (
        ("2 processes", ForecastOptions(iterations=iterations)),
        ("1 process", ForecastOptions(iterations=iterations, workers=1)),
    ):
        warm = _Simulation(plan, solved, net, replace(options, iterations=64))
        warm.run()  # first-call costs (imports, caches) out of the timing
        with gc_paused():  # as forecast() runs it
            began = time.perf_counter()
            simulation = _Simulation(plan, solved, net, options)
            simulation.run()
            simulation.result(0.0)
            simulated = time.perf_counter() - began
        rate = jobs * iterations / simulated / 1e6
        rows.append(
            f"| network ({label}), {tasks} tasks ({jobs} jobs), {people} people | "
            f"{iterations:,} | {scheduled:.2f} | {compiled:.2f} | {simulated:.2f} | {rate:.1f} | "
            f"{base_rate:.3f} | {rate / base_rate:,.0f}x |"
        )
    return rows


def resource_row(tasks: int, people: int, iterations: int, seed: int) -> list[str]:
    plan = plan_of(tasks, people, seed)
    began = time.perf_counter()
    result, _ = forecast(plan, ForecastOptions(iterations=iterations, resources=True, seed=seed))
    wall = time.perf_counter() - began
    assert result is not None
    return [
        f"| resources, {tasks} tasks, {people} people | {iterations:,} | (incl.) | (incl.) | "
        f"{wall:.2f} | {tasks * iterations / wall / 1e6:.2f} | | |"
    ]


def memory_row(tasks: int, people: int, iterations: int, seed: int) -> list[str]:
    plan = plan_of(tasks, people, seed)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    result, _ = forecast(plan, ForecastOptions(iterations=iterations, seed=seed))
    wall = time.perf_counter() - began
    assert result is not None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return [
        f"| memory: network, {tasks} tasks, {people} people | {iterations:,} | | | {wall:.2f} | "
        f"{tasks * iterations / wall / 1e6:.1f} | peak RSS {peak / 1024:.0f} MiB "
        f"(before {before / 1024:.0f}) | |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory", action="store_true", help="also 100,000 x 10,000 tasks")
    args = parser.parse_args()
    print(
        "| run | iterations | schedule s | compile s | simulate s | M task-it/s | "
        "baseline M task-it/s | speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for line in network_row(args.tasks, args.people, args.iterations, args.seed):
        print(line, flush=True)
    for line in resource_row(300, 20, 1000, args.seed):
        print(line, flush=True)
    if args.memory:
        for line in memory_row(10_000, 150, 100_000, args.seed):
            print(line, flush=True)


if __name__ == "__main__":
    main()
