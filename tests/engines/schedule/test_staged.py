"""The default backend for plans: the heuristic, then the GA where it may still gain. Proven or
near-optimal schedules never load the GA; big plans go from the rules to the GA, which stops by
itself; the answer is feasible, never worse than the heuristic's rules, and fixed by the seed."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from ontrack.engines.calendar import WorkGrid
from ontrack.engines.schedule import ga, staged
from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.planner import get_backend
from ontrack.engines.schedule.planproblem import build_problem
from ontrack.engines.schedule.problem import Problem, Solution, SolveOptions, objective_value
from ontrack.engines.schedule.staged import StagedBackend
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan
from tests.engines.schedule.test_ga_modes import plan_like


def generated(tasks: int, people: int, seed: int) -> Problem:
    plan, diagnostics = load_plan_text(dump_plan(generate_plan(tasks, people, seed=seed)))
    assert plan is not None, diagnostics
    built, problems = build_problem(plan, WorkGrid.for_plan(plan), horizon=3000)
    assert built is not None, problems
    return built.problem


def checked(problem: Problem, **options: float) -> Solution:
    solution = StagedBackend().solve(problem, SolveOptions(**options))  # type: ignore[arg-type]
    assert violations(problem, solution.starts, solution.modes) == []
    assert solution.objective == objective_value(problem, solution.starts, solution.modes)
    assert solution.backend == "heuristic"
    return solution


def test_the_default_for_plans_is_the_staged_backend() -> None:
    assert isinstance(get_backend("heuristic"), StagedBackend)


def test_a_plan_the_heuristic_proves_never_reaches_the_ga() -> None:
    problem = generated(20, 3, seed=4)
    solution = checked(problem, time_limit=10)
    alone = HeuristicBackend().solve(problem, SolveOptions(time_limit=10))
    if alone.status == "optimal" or (
        alone.lower_bound is not None
        and alone.objective - alone.lower_bound <= staged._WORTH * alone.lower_bound
    ):
        assert "ga_objective" not in solution.stats
        assert (solution.starts, solution.modes) == (alone.starts, alone.modes)
    else:
        assert solution.objective <= alone.objective


def test_a_big_plan_goes_from_the_rules_to_the_ga_which_stops_by_itself() -> None:
    problem = generated(260, 6, seed=3)
    assert len(problem.jobs) > staged._SAMPLED_JOBS
    rules = HeuristicBackend(sample=False).solve(problem, SolveOptions(time_limit=30))
    solution = checked(problem, time_limit=30)
    assert solution.objective <= rules.objective
    assert solution.seconds < 30  # the stall rule or the bound stopped it, not the clock
    # The rules leave this plan 5 % above its bound; the GA takes it most of the way.
    assert solution.stats["ga_objective"] < solution.stats["heuristic_objective"]
    assert solution.objective == solution.stats["ga_objective"]
    again = checked(problem, time_limit=30)
    assert (again.starts, again.modes) == (solution.starts, solution.modes)


@pytest.mark.parametrize("seed", range(6))
def test_random_plan_problems_are_feasible(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small problems take the GA path too once the size threshold is lowered.
    monkeypatch.setattr(staged, "_SAMPLED_JOBS", 5)
    problem = plan_like(random.Random(seed), 24)
    rules = HeuristicBackend(sample=False).solve(problem, SolveOptions(time_limit=5))
    assert checked(problem, time_limit=5).objective <= rules.objective


def test_lateness_stays_with_the_heuristic() -> None:
    problem = plan_like(random.Random(1), 12)
    late = Problem(problem.jobs, problem.links, problem.resources, "lateness")
    solution = checked(late, time_limit=1)
    assert "ga_objective" not in solution.stats
    alone = HeuristicBackend().solve(late, SolveOptions(time_limit=1))
    assert solution.objective == alone.objective


def test_warm_up_compiles_both_decoders() -> None:
    ga.warm_up()  # compiled or loaded from numba's cache; either way it must run cleanly


def test_progress_follows_the_ga_to_the_answer() -> None:
    problem = generated(260, 6, seed=3)
    calls: list[tuple[float, int | None]] = []
    solution = StagedBackend().solve(
        problem, SolveOptions(time_limit=30, progress=lambda f, b: calls.append((f, b)))
    )
    assert calls and all(0.0 <= f <= 1.0 for f, _ in calls)
    # The heuristic's closing tick no longer claims the whole limit while the GA goes on.
    assert all(f < 1.0 for f, _ in calls)
    assert calls[-1][1] == solution.objective == solution.stats["ga_objective"]


def test_the_job_limit_matches_the_gas_table_limit() -> None:
    assert staged._GA_MAX_JOBS**2 <= ga._MAX_CELLS < (staged._GA_MAX_JOBS + 1) ** 2
    assert ga.supported(generated(30, 3, seed=1))  # a plan within both limits


def test_a_plan_replanned_late_is_measured_on_the_work_left() -> None:
    # Everything with work released at day 900 (a status date long after the start), markers
    # at 0: the gap to the bound counts against the ~190 days left, not the 1,100 since day 0.
    problem = generated(260, 6, seed=3)
    late = Problem(
        tuple(
            replace(job, release=900) if any(m.duration for m in job.modes) else job
            for job in problem.jobs
        ),
        problem.links,
        problem.resources,
    )
    assert staged._earliest(late) == 900 and staged._earliest(problem) == 0
    solution = checked(late, time_limit=30)
    assert solution.stats["ga_objective"] < solution.stats["heuristic_objective"]
