"""The CP-SAT backend: proven optima on small cases, PSPLIB optima, never worse than a hint."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.cpsat import CpSatBackend, energetic_delays, safe_horizon
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.problem import (
    Backend,
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
from ontrack.engines.schedule.problem import ends as job_ends
from ontrack.interop.psplib import read_best_known, read_psplib
from tests.conftest import SHARED_DATA, needs_shared
from tests.engines.schedule.test_bounds import random_problem
from tests.engines.schedule.test_check import markers

PSPLIB = SHARED_DATA / "psplib"


def solve(
    problem: Problem, time_limit: float = 5.0, plain: bool = False, **options: object
) -> Solution:
    """Solve and check: every solution must pass the independent checker."""
    solution = CpSatBackend(plain=plain).solve(
        problem,
        SolveOptions(time_limit=time_limit, **options),  # type: ignore[arg-type]
    )
    assert solution.status in ("feasible", "optimal")
    assert violations(problem, solution.starts, solution.modes) == []
    assert solution.objective == objective_value(problem, solution.starts, solution.modes)
    assert solution.backend == "cpsat"
    if solution.lower_bound is not None:
        assert solution.lower_bound <= solution.objective
    return solution


def job(name: str, duration: int, *demands: tuple[int, int], **fields: Any) -> Job:
    return Job(name, (Mode(duration, demands),), **fields)


def test_satisfies_the_backend_protocol() -> None:
    backend: Backend = CpSatBackend()
    assert backend.name == "cpsat"


@pytest.mark.parametrize("plain", [False, True])
def test_cumulative_resource(plain: bool) -> None:
    # Capacity 3: a (2 units) and b (2 units) cannot overlap; c (1 unit) fits beside either.
    problem = Problem(
        jobs=(job("a", 4, (0, 2)), job("b", 3, (0, 2)), job("c", 7, (0, 1))),
        resources=(Resource("r", 3),),
    )
    solution = solve(problem, plain=plain)
    assert solution.objective == 7
    assert solution.status == "optimal"


def test_modes_are_assigned() -> None:
    # Two people; x only by p0, y only by p1, z by either (p1 is faster at it).
    people = (Resource("p0", 1), Resource("p1", 1))
    problem = Problem(
        jobs=(
            job("x", 5, (0, 1)),
            job("y", 2, (1, 1)),
            Job("z", (Mode(6, ((0, 1),)), Mode(3, ((1, 1),)))),
        ),
        resources=people,
    )
    solution = solve(problem)
    assert solution.objective == 5  # z on p1 after y: 2 + 3
    assert solution.modes[2] == 1
    assert solution.status == "optimal"


def test_unavailability_is_respected() -> None:
    # The only person is away on [2, 5): the 3-day job cannot fit before, only after.
    problem = Problem(
        jobs=(job("a", 2, (0, 1)), job("b", 3, (0, 1))),
        resources=(Resource("p", 1, ((2, 5, 1),)),),
    )
    solution = solve(problem)
    assert solution.objective == 8  # a on [0, 2), b on [5, 8)
    assert solution.status == "optimal"


def test_partial_unavailability_of_a_pool() -> None:
    # Capacity 2, one unit lost on [0, 4): two 4-day single-unit jobs cannot both start at 0.
    problem = Problem(
        jobs=(job("a", 4, (0, 1)), job("b", 4, (0, 1))),
        resources=(Resource("team", 2, ((0, 4, 1),)),),
    )
    assert solve(problem).objective == 8


def test_generalised_links_and_negative_lags() -> None:
    jobs = (job("a", 4), job("b", 3), job("c", 5), job("d", 2), job("e", 1))
    links = (
        Link(0, 1, LinkType.SS, 2),  # b starts >= 2
        Link(1, 2, LinkType.FF, 4),  # c ends >= b.end + 4 = 9
        Link(2, 3, LinkType.SF, 1),  # d ends >= c.start + 1
        Link(2, 4, LinkType.FS, -2),  # e starts >= c.end - 2 = 7
    )
    solution = solve(Problem(jobs, links))
    assert solution.objective == 9
    starts = solution.starts
    assert starts[1] >= 2 and starts[2] + 5 >= starts[1] + 3 + 4 and starts[4] >= starts[2] + 3
    assert solution.status == "optimal"


def test_release_dates() -> None:
    problem = Problem(jobs=(job("a", 3, release=4), job("b", 2)), links=(Link(0, 1),))
    solution = solve(problem)
    assert solution.starts == (4, 7) and solution.objective == 9


def test_weighted_lateness() -> None:
    # One person; a (due 3, weight 5) must go first, then b (due 4), then c (due 20).
    problem = Problem(
        jobs=(
            job("c", 4, (0, 1), due=20),
            job("b", 2, (0, 1), due=4, weight=2),
            job("a", 3, (0, 1), due=3, weight=5),
        ),
        resources=(Resource("p", 1),),
        objective="lateness",
    )
    solution = solve(problem)
    assert solution.objective == 2  # a on [0, 3), b on [3, 5): 1 day late, weight 2
    assert solution.status == "optimal"


def test_one_worker() -> None:
    # With one worker there is no race: the heuristic runs alone, then CP-SAT.
    problem = Problem(
        jobs=(job("a", 3, (0, 2)), job("b", 3, (0, 2)), job("c", 2, (0, 1)), job("d", 4)),
        links=(Link(0, 3), Link(2, 3, LinkType.SS, 1)),
        resources=(Resource("r", 3),),
    )
    solution = solve(problem, workers=1)
    assert solution.objective == 7  # a and c at 0, then b and d at 3 (d waits for a only)
    assert solution.status == "optimal"


def test_infeasible_problem() -> None:
    problem = Problem(jobs=(job("a", 2, (0, 3)),), resources=(Resource("r", 2),))
    solution = CpSatBackend().solve(problem, SolveOptions(time_limit=2))
    assert solution.status == "infeasible"
    assert CpSatBackend(plain=True).solve(problem, SolveOptions(time_limit=2)).status == (
        "infeasible"
    )


def test_empty_problem() -> None:
    assert CpSatBackend().solve(Problem(()), SolveOptions()).status == "optimal"


@needs_shared(PSPLIB, "the shared PSPLIB data")
def test_never_worse_than_the_hint_and_reports_progress() -> None:
    problem = read_psplib(PSPLIB / "j120" / "j12013_1.sm")
    hint = HeuristicBackend().solve(problem, SolveOptions(time_limit=0.3))
    seen: list[tuple[float, int | None]] = []
    solution = solve(problem, time_limit=1.0, hint=hint, progress=lambda f, b: seen.append((f, b)))
    assert solution.objective <= hint.objective
    assert seen and all(0 <= f <= 1 for f, _ in seen)
    assert min(b for _, b in seen if b is not None) == solution.objective


@pytest.mark.parametrize("seed", range(12))
def test_agrees_with_the_plain_model_on_random_problems(seed: int) -> None:
    # The redundant constraints must not cut off optimal schedules: both models prove the same
    # optimum (random problems mix modes, time off, releases and every link type).
    problem = random_problem(random.Random(seed), 8)
    for objective in ("makespan", "lateness"):
        variant = Problem(problem.jobs, problem.links, problem.resources, objective)
        tuned = solve(variant)
        plain = solve(variant, plain=True)
        assert tuned.status == plain.status == "optimal"
        assert tuned.objective == plain.objective
        assert plain.objective <= safe_horizon(variant) or objective == "lateness"


@pytest.mark.parametrize("seed", range(8))
def test_energetic_delays_hold_in_optimal_schedules(seed: int) -> None:
    problem = random_problem(random.Random(100 + seed), 10)
    solution = solve(problem, plain=True)
    heads, tails, pairs = energetic_delays(problem)
    ends = job_ends(problem, solution.starts, solution.modes)
    assert all(s >= h for s, h in zip(solution.starts, heads, strict=True))
    assert all(e + t <= solution.objective for e, t in zip(ends, tails, strict=True))
    assert all(solution.starts[j] >= ends[i] + gap for i, j, gap in pairs)


@needs_shared(PSPLIB, "the shared PSPLIB data")
@pytest.mark.parametrize("name", ["j301_1", "j3010_1", "j3025_1", "j3046_3"])
def test_psplib_j30_optima(name: str) -> None:
    best = read_best_known(PSPLIB / "tables", "j30")
    problem = read_psplib(PSPLIB / "j30" / f"{name}.sm")
    solution = solve(problem, time_limit=5.0)
    assert solution.objective == best[name]
    assert solution.status == "optimal"
    assert solution.lower_bound == best[name]


@pytest.mark.parametrize("plain", [False, True])
def test_markers_sit_at_the_first_and_last_of_their_children(plain: bool) -> None:
    p = markers()
    s = CpSatBackend(plain=plain).solve(p, SolveOptions(time_limit=5))
    assert s.status == "optimal" and s.objective == 5
    assert violations(p, s.starts, s.modes) == []
    assert s.starts[2] == min(s.starts[0], s.starts[1]) and s.starts[4] >= s.starts[2] + 1
    assert s.starts[3] == max(s.starts[0] + 2, s.starts[1] + 3)
