"""The ``auto`` portfolio: feasible, never worse than the heuristic, proves small instances."""

from __future__ import annotations

import random
import time
from dataclasses import replace

import pytest

from ontrack.engines.schedule.bounds import critical_path_bound
from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.ga import GaBackend, supported
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.planner import get_backend
from ontrack.engines.schedule.portfolio import AutoBackend
from ontrack.engines.schedule.problem import (
    Backend,
    LinkType,
    Problem,
    Solution,
    SolveOptions,
    objective_value,
)
from ontrack.interop.psplib import read_best_known, read_psplib
from tests.conftest import SHARED_DATA, needs_shared
from tests.engines.schedule.test_bounds import random_problem
from tests.engines.schedule.test_check import markers

PSPLIB = SHARED_DATA / "psplib"


def solve(
    problem: Problem,
    time_limit: float = 2.0,
    backend: AutoBackend | None = None,
    **options: object,
) -> Solution:
    """Solve and check: every solution must pass the independent checker."""
    solution = (backend or AutoBackend()).solve(
        problem,
        SolveOptions(time_limit=time_limit, **options),  # type: ignore[arg-type]
    )
    assert solution.status in ("feasible", "optimal")
    assert violations(problem, solution.starts, solution.modes) == []
    assert solution.objective == objective_value(problem, solution.starts, solution.modes)
    assert solution.backend == "auto"
    assert solution.lower_bound is not None and solution.lower_bound <= solution.objective
    assert (solution.status == "optimal") == (solution.objective <= solution.lower_bound)
    return solution


def test_satisfies_the_backend_protocol_and_is_registered() -> None:
    backend: Backend = AutoBackend()
    assert backend.name == "auto"
    assert isinstance(get_backend("auto"), AutoBackend)


def test_empty_problem() -> None:
    assert AutoBackend().solve(Problem(()), SolveOptions()).status == "optimal"


@pytest.mark.parametrize("seed", range(4))
def test_random_problems_are_feasible_and_proven(seed: int) -> None:
    # Modes, time off, releases and every link type; small enough for CP-SAT to prove.
    problem = random_problem(random.Random(seed), 8)
    for objective in ("makespan", "lateness"):
        variant = Problem(problem.jobs, problem.links, problem.resources, objective)
        assert solve(variant).status == "optimal"


def test_markers() -> None:
    problem = markers()
    solution = solve(problem)
    assert solution.status == "optimal" and solution.objective == 5


@needs_shared(PSPLIB, "the shared PSPLIB data")
@pytest.mark.parametrize("workers", [1, 2])
def test_never_worse_than_the_heuristic_with_the_same_seed(workers: int) -> None:
    # No budget at all: the heuristic schedules its first priority rule and stops, which does
    # not depend on the machine's speed (any budget above 0 cuts its improvement passes at a
    # wall-clock moment, so two runs of the heuristic alone can differ). The portfolio runs
    # the same search with the same seed first; CP-SAT can only improve on it. (PSPLIB
    # problems go to the GA by default; ``use_ga=False`` is the heuristic's path, the one of
    # every problem the GA does not support.)
    for name in ("j120/j12013_1", "j30/j3029_1"):
        problem = read_psplib(PSPLIB / f"{name}.sm")
        for seed in (0, 7):
            options = SolveOptions(time_limit=0.0, seed=seed, workers=workers)
            alone = HeuristicBackend().solve(problem, options)
            auto = solve(
                problem,
                time_limit=0.0,
                backend=AutoBackend(use_ga=False),
                seed=seed,
                workers=workers,
            )
            assert auto.objective <= alone.objective


def test_ga_is_registered() -> None:
    assert isinstance(get_backend("ga"), GaBackend)


@needs_shared(PSPLIB, "the shared PSPLIB data")
@pytest.mark.parametrize("workers", [1, 2])
def test_never_worse_than_the_ga_with_the_same_seed_and_budget(workers: int) -> None:
    # A budget of SGS passes, not the clock, stops the GA (deterministic for a seed); the
    # portfolio runs the same island with the same seed and budget, and CP-SAT can only
    # improve on it.
    problem = read_psplib(PSPLIB / "j120" / "j12013_1.sm")
    assert supported(problem)
    for seed in (0, 7):
        options = SolveOptions(time_limit=30.0, seed=seed, workers=1)
        alone = GaBackend(max_schedules=1500).solve(problem, options)
        auto = solve(
            problem,
            time_limit=1.5,
            backend=AutoBackend(ga_max_schedules=1500),
            seed=seed,
            workers=workers,
        )
        assert auto.objective <= alone.objective
        assert auto.stats["schedules"] >= 1500  # the GA ran its whole budget


def test_zero_budget_with_the_ga_is_feasible() -> None:
    problem = random_problem(random.Random(3), 8)
    # One mode each, FS links only, no time off: the GA's kind of problem.
    single = Problem(
        tuple(replace(job, modes=job.modes[:1]) for job in problem.jobs),
        tuple(link for link in problem.links if link.type == LinkType.FS),
        tuple(replace(r, unavailable=()) for r in problem.resources),
    )
    assert supported(single)
    for workers in (1, 2):
        assert solve(single, time_limit=0.0, workers=workers).objective is not None


@needs_shared(PSPLIB, "the shared PSPLIB data")
def test_proves_a_j30_instance_optimal_with_its_bound() -> None:
    # j3029_1: the heuristic alone stalls at 89; the optimum is 85.
    name = "j3029_1"
    best = read_best_known(PSPLIB / "tables", "j30")
    problem = read_psplib(PSPLIB / "j30" / f"{name}.sm")
    seen: list[tuple[float, int | None]] = []
    solution = solve(problem, time_limit=10.0, progress=lambda f, b: seen.append((f, b)))
    assert solution.status == "optimal"
    assert solution.objective == solution.lower_bound == best[name]
    assert solution.lower_bound > critical_path_bound(problem)  # CP-SAT's bound, not the path's
    assert solution.seconds < 10.0  # stopped once proven
    assert seen and all(0 <= f <= 1 for f, _ in seen)


@needs_shared(PSPLIB, "the shared PSPLIB data")
def test_time_limit_is_respected() -> None:
    # j12013_1 is not proven in a second: the portfolio must still return about on time.
    problem = read_psplib(PSPLIB / "j120" / "j12013_1.sm")
    began = time.perf_counter()
    solution = solve(problem, time_limit=1.0)
    assert time.perf_counter() - began < 1.6
    assert solution.status == "feasible"
    assert solution.stats["cpsat_runs"] >= 1
