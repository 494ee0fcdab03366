"""The priority-rule heuristic: known optima on small cases, feasibility everywhere."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ontrack.engines.schedule.bounds import objective_lower_bound
from ontrack.engines.schedule.check import violations
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
from tests.conftest import SHARED_DATA, needs_shared
from tests.engines.schedule.test_bounds import random_problem
from tests.engines.schedule.test_check import markers

PSPLIB = SHARED_DATA / "psplib"


def solve(problem: Problem, time_limit: float = 1.0, **options: object) -> Solution:
    """Solve and check: every solution must pass the independent checker."""
    solution = HeuristicBackend().solve(
        problem,
        SolveOptions(time_limit=time_limit, **options),  # type: ignore[arg-type]
    )
    assert solution.status in ("feasible", "optimal")
    assert violations(problem, solution.starts, solution.modes) == []
    assert solution.objective == objective_value(problem, solution.starts, solution.modes)
    assert solution.backend == "heuristic"
    return solution


def task(name: str, duration: int, *people: int, **fields: Any) -> Job:
    """A job any one of ``people`` can do (one mode each, in order); no people: no resource."""
    modes = tuple(Mode(duration, ((p, 1),)) for p in people) or (Mode(duration),)
    return Job(name, modes, **fields)


def people(n: int, *away: tuple[int, int, int, int]) -> tuple[Resource, ...]:
    """n people; ``away`` holds (person, start, end, units) periods of time off."""
    return tuple(
        Resource(f"p{i}", 1, tuple((b, e, u) for who, b, e, u in away if who == i))
        for i in range(n)
    )


def test_satisfies_the_backend_protocol() -> None:
    backend: Backend = HeuristicBackend()
    assert backend.name == "heuristic"


def test_chain() -> None:
    problem = Problem((task("a", 3), task("b", 2), task("c", 4)), (Link(0, 1), Link(1, 2)))
    solution = solve(problem)
    assert solution.starts == (0, 3, 5)
    assert (solution.objective, solution.status, solution.lower_bound) == (9, "optimal", 9)


def test_parallel_jobs_share_one_person() -> None:
    problem = Problem(tuple(task(f"j{d}", d, 0) for d in (2, 3, 4)), resources=people(1))
    solution = solve(problem)
    assert (solution.objective, solution.status) == (9, "optimal")
    assert sorted(solution.starts) == [0, 2, 5]


@pytest.mark.parametrize(
    ("kind", "lag", "b_start", "span"),
    [
        (LinkType.FS, 0, 5, 8),
        (LinkType.FS, -2, 3, 6),
        (LinkType.FS, 4, 9, 12),
        (LinkType.SS, 2, 2, 5),
        (LinkType.SS, -3, 0, 5),
        (LinkType.FF, 0, 2, 5),  # b ends with a
        (LinkType.FF, -1, 1, 5),
        (LinkType.SF, 4, 1, 5),  # b ends >= a's start + 4
        (LinkType.SF, 8, 5, 8),
    ],
)
def test_generalised_links(kind: LinkType, lag: int, b_start: int, span: int) -> None:
    problem = Problem((task("a", 5), task("b", 3)), (Link(0, 1, kind, lag),))
    solution = solve(problem)
    assert solution.starts == (0, b_start)
    assert solution.objective == span


def test_negative_lag_lets_the_successor_start_first() -> None:
    # b may start 2 days before a; a waits for its release, b for its person.
    problem = Problem(
        (task("a", 3, release=4), task("b", 2, 0)),
        (Link(0, 1, LinkType.SS, -2),),
        people(1),
    )
    solution = solve(problem)
    assert solution.starts == (4, 2)


def test_release() -> None:
    solution = solve(Problem((task("a", 2, release=7), task("b", 3))))
    assert solution.starts == (7, 0)
    assert solution.objective == 9


def test_time_off_makes_a_job_wait_for_a_long_enough_gap() -> None:
    # The person is away over [2, 5): the 3-day job cannot fit before, the 2-day one can.
    problem = Problem((task("long", 3, 0), task("short", 2, 0)), resources=people(1, (0, 2, 5, 1)))
    solution = solve(problem)
    assert solution.starts == (5, 0)
    assert (solution.objective, solution.status) == (8, "optimal")


def test_partial_capacity_loss_on_a_team() -> None:
    team = (Resource("team", 2, ((0, 4, 1),)),)
    jobs = tuple(Job(f"j{i}", (Mode(4, ((0, 1),)),)) for i in range(3))
    solution = solve(Problem(jobs, resources=team))
    assert sorted(solution.starts) == [0, 4, 4]
    assert solution.objective == 8


def test_mode_choice_takes_the_person_who_finishes_first() -> None:
    # p0 is quicker (3 days) but away over [0, 2): still ends first, at 5.
    quick = Job("t", (Mode(3, ((0, 1),)), Mode(6, ((1, 1),))))
    solution = solve(Problem((quick,), resources=people(2, (0, 0, 2, 1))))
    assert (solution.modes, solution.starts) == ((0,), (2,))
    # Away over [0, 4): p1 ends at 6, before p0 could (7).
    solution = solve(Problem((quick,), resources=people(2, (0, 0, 4, 1))))
    assert (solution.modes, solution.starts) == ((1,), (0,))


def test_mode_choice_around_a_busy_person() -> None:
    # Two jobs both prefer p0 (lower index); the second goes to p1 rather than wait.
    jobs = (task("a", 4, 0), task("b", 4, 0, 1))
    solution = solve(Problem(jobs, resources=people(2)))
    assert (solution.modes, solution.objective) == ((0, 1), 4)


def test_mode_tie_goes_to_less_work_then_lower_index() -> None:
    pair = Mode(3, ((0, 1), (1, 1)))
    single = Mode(3, ((1, 1),))
    solution = solve(Problem((Job("t", (pair, single, single)),), resources=people(2)))
    assert solution.modes == (1,)


def test_milestones_hold_no_resources() -> None:
    problem = Problem(
        (task("work", 5, 0), Job("gate", (Mode(0, ((0, 1),)),))),
        resources=people(1),
    )
    solution = solve(problem)
    assert solution.starts == (0, 0)


def test_priority_decides_between_equally_good_schedules() -> None:
    jobs = (task("low", 3, 0, priority=100), task("high", 3, 0, priority=900))
    solution = solve(Problem(jobs, resources=people(1)))
    assert solution.starts == (3, 0)


def test_lateness_objective() -> None:
    # One person, both due at 1: the heavy short job first costs 3 (the long one 3 late);
    # the other way round costs 2 + 5 * 3 = 17.
    jobs = (task("long", 3, 0, due=1), task("short", 1, 0, due=1, weight=5))
    problem = Problem(jobs, resources=people(1), objective="lateness")
    solution = solve(problem)
    assert solution.starts == (1, 0)
    assert solution.objective == 3
    assert solution.lower_bound == 2  # the long job ends at 3 at the earliest
    # Due dates far enough apart: no lateness at all, proven by the bound.
    jobs = (task("long", 3, 0, due=10), task("short", 1, 0, due=1))
    solution = solve(Problem(jobs, resources=people(1), objective="lateness"))
    assert (solution.objective, solution.status) == (0, "optimal")


def test_infeasible_empty_and_cyclic_problems() -> None:
    too_big = Job("t", (Mode(2, ((0, 2),)),))
    solution = HeuristicBackend().solve(Problem((too_big,), resources=people(1)), SolveOptions())
    assert solution.status == "infeasible"
    solution = HeuristicBackend().solve(Problem(()), SolveOptions())
    assert (solution.starts, solution.status) == ((), "optimal")
    cycle = Problem((task("a", 1), task("b", 1)), (Link(0, 1), Link(1, 0)))
    with pytest.raises(ValueError, match="cycle"):
        HeuristicBackend().solve(cycle, SolveOptions())


def test_unusable_modes_are_skipped() -> None:
    job = Job("t", (Mode(2, ((0, 5),)), Mode(4, ((0, 1),))))
    solution = solve(Problem((job,), resources=(Resource("team", 3),)))
    assert solution.modes == (1,)


def contended(rng: random.Random, n: int) -> Problem:
    """PSPLIB-like: cumulative resources in short supply, so the bound is rarely met."""
    resources = tuple(Resource(f"r{i}", rng.randint(4, 8)) for i in range(4))
    jobs = tuple(
        Job(
            f"j{j}",
            tuple(
                Mode(rng.randint(1, 10), tuple((r, rng.randint(1, 4)) for r in sorted(two)))
                for two in (rng.sample(range(4), 2) for _ in range(rng.randint(1, 2)))
            ),
        )
        for j in range(n)
    )
    links = tuple(
        Link(a, b) for b in range(1, n) if rng.random() < 0.6 for a in (rng.randrange(b),)
    )
    return Problem(jobs, links, resources)


def test_deterministic_for_a_seed() -> None:
    problem = contended(random.Random(1), 25)
    first = solve(problem, time_limit=30, seed=3)
    assert first.status == "feasible" and first.stats["samples"] > 0  # the search ran its course
    again = solve(problem, time_limit=30, seed=3)
    assert (first.starts, first.modes) == (again.starts, again.modes)


def test_hint_is_an_incumbent_and_a_bad_hint_is_ignored() -> None:
    problem = random_problem(random.Random(11), 30)
    seed = solve(problem, time_limit=0.2)
    hinted = solve(problem, time_limit=0, hint=seed)
    assert hinted.objective <= seed.objective
    bad = Solution(starts=(0,) * 30, modes=(0,) * 30)
    solve(problem, time_limit=0, hint=bad)


def test_progress_and_zero_time_limit() -> None:
    calls: list[tuple[float, int | None]] = []
    problem = random_problem(random.Random(5), 40)
    solution = solve(problem, time_limit=0, progress=lambda f, b: calls.append((f, b)))
    assert calls[-1] == (1.0, solution.objective)
    assert all(0 <= f <= 1 for f, _ in calls)


@pytest.mark.parametrize("seed", range(30))
def test_random_problems_are_always_feasible(seed: int) -> None:
    rng = random.Random(seed)
    problem = (contended if seed % 3 else random_problem)(rng, rng.randint(1, 40))
    if seed % 2:
        problem = Problem(problem.jobs, problem.links, problem.resources, "lateness")
    solution = solve(problem, time_limit=0.05, seed=seed)
    lower = objective_lower_bound(problem)
    assert solution.lower_bound == lower
    assert lower is None or lower <= solution.objective


def plan_like(jobs: int, persons: int, seed: int = 1) -> Problem:
    """A plan-shaped problem: each task for one of up to 20 people, links, time off."""
    rng = random.Random(seed)
    resources = tuple(
        Resource(f"p{i}", 1, tuple((b, b + rng.randint(1, 9), 1) for b in (rng.randint(0, 90),)))
        for i in range(persons)
    )
    out = []
    links = []
    for j in range(jobs):
        team = sorted(rng.sample(range(persons), rng.randint(1, 20)))
        out.append(task(f"t{j}", rng.choice((0, 1, 2, 3, 5, 8, 13)), *team))
        for _ in range(rng.choice((0, 0, 1, 2))) if j else ():
            kind = rng.choice((LinkType.FS, LinkType.FS, LinkType.SS, LinkType.FF))
            links.append(Link(rng.randint(max(0, j - 2000), j - 1), j, kind, rng.randint(-1, 1)))
    return Problem(tuple(out), tuple(links), resources)


def test_large_plan_like_problem() -> None:
    problem = plan_like(5000, 100)
    solution = solve(problem, time_limit=2)
    assert solution.lower_bound is not None
    assert solution.objective >= solution.lower_bound


@needs_shared(PSPLIB / "j30", "the shared PSPLIB data")
def test_psplib_j30_instance_reaches_its_optimum() -> None:
    from ontrack.interop.psplib import read_psplib

    solution = solve(read_psplib(PSPLIB / "j30" / "j301_1.sm"), time_limit=5)
    assert solution.objective == 43  # j30opt.sm


def test_markers_sit_at_the_first_and_last_of_their_children() -> None:
    p = markers()
    s = HeuristicBackend().solve(p, SolveOptions(time_limit=1))
    assert violations(p, s.starts, s.modes) == []
    assert s.starts[2] == min(s.starts[0], s.starts[1]) and s.starts[4] == s.starts[2] + 1
    assert s.starts[3] == max(s.starts[0] + 2, s.starts[1] + 3) == s.objective == 5
