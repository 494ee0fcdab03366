"""The genetic algorithm: feasible, optimal on easy PSPLIB j30 cases, deterministic for a seed,
within its time limit, and the heuristic's answer where the problem is outside its scope."""

from __future__ import annotations

import time

import pytest

from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.ga import GaBackend, supported
from ontrack.engines.schedule.problem import (
    Job,
    Link,
    LinkType,
    Mode,
    Problem,
    Resource,
    Solution,
    SolveOptions,
    objective_value,
)
from ontrack.interop.psplib import read_best_known, read_psplib
from tests.conftest import SHARED_DATA, needs_shared

PSPLIB = SHARED_DATA / "psplib"


def solve(problem: Problem, **options: object) -> Solution:
    """Solve and check: every solution must pass the independent checker."""
    solution = GaBackend(max_schedules=options.pop("budget", None)).solve(  # type: ignore[arg-type]
        problem,
        SolveOptions(**options),  # type: ignore[arg-type]
    )
    assert violations(problem, solution.starts, solution.modes) == []
    assert solution.objective == objective_value(problem, solution.starts, solution.modes)
    return solution


def small() -> Problem:
    """Two jobs that cannot overlap on the one resource, a lagged link, a release."""
    return Problem(
        jobs=(
            Job("a", (Mode(3, ((0, 2),)),)),
            Job("b", (Mode(2, ((0, 2),)),)),
            Job("c", (Mode(1, ((0, 1),)),), release=1),
            Job("d", (Mode(2, ((0, 1),)),)),
        ),
        links=(Link(0, 3, lag=2), Link(2, 3, lag=-1)),
        resources=(Resource("r", 3),),
    )


def test_small_problem_is_solved_to_its_optimum() -> None:
    solution = solve(small(), time_limit=2.0, workers=1, budget=2_000)
    assert solution.backend == "ga"
    # a and b cannot overlap (2 + 2 > 3): 5 units; d after a + 2; c fits beside either.
    assert solution.objective == 7


@needs_shared(PSPLIB / "j30", "the shared PSPLIB data")
@pytest.mark.parametrize("name", ["j301_1", "j3010_1", "j3025_1"])
def test_psplib_j30_optimum_within_a_small_budget(name: str) -> None:
    best = read_best_known(PSPLIB / "tables", "j30")
    solution = solve(
        read_psplib(PSPLIB / "j30" / f"{name}.sm"), time_limit=5.0, workers=1, budget=20_000
    )
    assert solution.objective == best[name]
    assert solution.backend == "ga"


@needs_shared(PSPLIB / "j30", "the shared PSPLIB data")
def test_same_seed_same_schedule() -> None:
    problem = read_psplib(PSPLIB / "j30" / "j3029_1.sm")
    first = solve(problem, time_limit=30.0, workers=2, seed=3, budget=3_000)
    again = solve(problem, time_limit=30.0, workers=2, seed=3, budget=3_000)
    assert (first.starts, first.objective) == (again.starts, again.objective)
    assert first.stats["schedules"] == again.stats["schedules"]


@needs_shared(PSPLIB / "j120", "the shared PSPLIB data")
def test_time_limit_is_respected() -> None:
    problem = read_psplib(PSPLIB / "j120" / "j12016_1.sm")
    solve(small(), workers=1, budget=100)  # compiled (or loaded from the cache) before the clock
    began = time.perf_counter()
    solution = solve(problem, time_limit=0.5, workers=2)
    assert time.perf_counter() - began < 1.5
    assert solution.backend == "ga"
    assert solution.lower_bound is not None
    assert solution.objective >= solution.lower_bound


@pytest.mark.parametrize(
    "change",
    ["modes", "link type", "time off", "marker", "lateness"],
)
def test_plan_features_go_to_the_plan_decoder_and_lateness_to_the_heuristic(change: str) -> None:
    p = small()
    jobs = list(p.jobs)
    links = list(p.links)
    resources = list(p.resources)
    objective = p.objective
    if change == "modes":
        jobs[1] = Job("b", (Mode(2, ((0, 2),)), Mode(4, ((0, 1),))))
    elif change == "link type":
        links.append(Link(1, 2, LinkType.SS, 1))
    elif change == "time off":
        resources[0] = Resource("r", 3, unavailable=((0, 2, 1),))
    elif change == "marker":
        jobs.append(Job("end", (Mode(0),), marker="last"))
        links.append(Link(3, 4))
    else:
        jobs[3] = Job("d", (Mode(2, ((0, 1),)),), due=5)
        objective = "lateness"
    problem = Problem(tuple(jobs), tuple(links), tuple(resources), objective)
    assert supported(problem) == (change != "lateness")
    solution = solve(problem, time_limit=0.2)
    assert solution.backend == ("heuristic" if change == "lateness" else "ga")


def test_a_demand_above_capacity_is_infeasible_as_the_heuristic_says() -> None:
    problem = Problem(jobs=(Job("a", (Mode(1, ((0, 5),)),)),), resources=(Resource("r", 2),))
    solution = GaBackend().solve(problem, SolveOptions(time_limit=1.0))
    assert solution.status == "infeasible"
