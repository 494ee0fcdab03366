"""The heuristic stops when it stops improving, not at its time limit (issue 16)."""

from __future__ import annotations

import random
import time

from ontrack.engines.schedule.heuristic import (
    _SAMPLE_PASSES,
    _STALL_MAX,
    _STALL_MIN,
    HeuristicBackend,
    _stall_limit,
)
from ontrack.engines.schedule.planner import ScheduleOptions, solve_plan
from ontrack.engines.schedule.problem import SolveOptions
from ontrack.planfile.generate import dump_plan, generate_plan
from ontrack.planfile.loader import load_plan_text
from tests.engines.schedule.test_heuristic import contended


def test_stall_limit_shrinks_with_the_problem_within_bounds() -> None:
    limits = [_stall_limit(n) for n in (0, 1, 30, 120, 300, 1_000, 3_000, 100_000)]
    assert limits == sorted(limits, reverse=True)
    assert limits[0] == limits[1] == _STALL_MAX
    assert limits[-1] == _STALL_MIN
    assert _STALL_MIN < _stall_limit(300) < _STALL_MAX


def test_stagnation_stop_is_deterministic_and_independent_of_a_large_time_limit() -> None:
    problem = contended(random.Random(4), 60)
    backend = HeuristicBackend()
    first = backend.solve(problem, SolveOptions(time_limit=60, seed=7))
    again = backend.solve(problem, SolveOptions(time_limit=600, seed=7))
    assert first.status == "feasible"  # the bound is not met: the stagnation rule stopped it
    assert 0 < first.stats["samples"] < _SAMPLE_PASSES
    assert first.seconds < 30 and again.seconds < 30
    assert (first.starts, first.modes, first.objective) == (
        again.starts,
        again.modes,
        again.objective,
    )
    assert first.stats["samples"] == again.stats["samples"]


def test_a_small_plan_returns_well_before_its_time_limit() -> None:
    plan, diagnostics = load_plan_text(dump_plan(generate_plan(tasks=100, people=4, seed=1)))
    assert plan is not None, diagnostics
    began = time.perf_counter()
    solved, _ = solve_plan(plan, ScheduleOptions(time_limit=60, seed=0))
    elapsed = time.perf_counter() - began
    assert solved is not None
    assert elapsed < 20  # a 60 s limit is a cap, not the run time
    assert solved.solution.stats["samples"] < _SAMPLE_PASSES
    again, _ = solve_plan(plan, ScheduleOptions(time_limit=120, seed=0))
    assert again is not None
    assert again.solution.starts == solved.solution.starts
