"""Lower bounds: exact on small cases, never above a feasible schedule on random ones."""

from __future__ import annotations

import random

import pytest

from ontrack.engines.schedule.bounds import (
    critical_path_bound,
    earliest_times,
    energy_bound,
    lateness_lower_bound,
    makespan_lower_bound,
    objective_lower_bound,
    resource_bound,
    tails,
    topological_order,
)
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.problem import (
    Job,
    Link,
    LinkType,
    Mode,
    Problem,
    Resource,
    SolveOptions,
)


def job(name: str, *durations: int, release: int = 0, due: int | None = None, w: int = 1) -> Job:
    return Job(name, tuple(Mode(d) for d in durations), release=release, due=due, weight=w)


def on(name: str, duration: int, *people: int, units: int = 1) -> Job:
    """A job any one of ``people`` can do."""
    return Job(name, tuple(Mode(duration, ((p, units),)) for p in people))


def test_chain_and_releases() -> None:
    jobs = (job("a", 3), job("b", 2), job("c", 4, release=10))
    links = (Link(0, 1), Link(1, 2))
    assert critical_path_bound(Problem(jobs, links)) == 14
    assert critical_path_bound(Problem(jobs[:2], links[:1])) == 5
    assert critical_path_bound(Problem(())) == 0


@pytest.mark.parametrize(
    ("kind", "lag", "b_start", "b_end"),
    [
        (LinkType.FS, 0, 5, 7),
        (LinkType.FS, -2, 3, 5),
        (LinkType.SS, 2, 2, 4),
        (LinkType.FF, 1, 4, 6),  # b ends >= 6, so it starts >= 4
        (LinkType.SF, 1, 0, 2),  # b ends >= 1, and it takes 2 anyway
        (LinkType.SF, 9, 7, 9),
    ],
)
def test_generalised_links(kind: LinkType, lag: int, b_start: int, b_end: int) -> None:
    problem = Problem((job("a", 5), job("b", 2)), (Link(0, 1, kind, lag),))
    es, ef = earliest_times(problem)
    assert (es[1], ef[1]) == (b_start, b_end)


def test_ff_link_relaxes_to_the_longest_mode_for_the_start() -> None:
    # b ends >= 5; in its 10-day mode it could start at 0, so 0 is the valid start bound.
    problem = Problem((job("a", 5), job("b", 2, 10)), (Link(0, 1, LinkType.FF),))
    es, ef = earliest_times(problem)
    assert (es[1], ef[1]) == (0, 5)


def test_resource_bound_per_resource_with_time_off() -> None:
    people = (Resource("p", 1),)
    jobs = tuple(on(f"j{i}", 4, 0) for i in range(3))
    assert resource_bound(Problem(jobs, resources=people)) == 12
    away = (Resource("p", 1, ((0, 3, 1),)),)
    assert resource_bound(Problem(jobs, resources=away)) == 15
    # Overlapping time off loses the person once, not twice.
    twice = (Resource("p", 1, ((0, 5, 1), (2, 4, 1))),)
    assert resource_bound(Problem(jobs, resources=twice)) == 17


def test_resource_bound_cumulative_and_pooled() -> None:
    team = (Resource("t", 2),)
    jobs = tuple(on(f"j{i}", 3, 0) for i in range(4))
    assert resource_bound(Problem(jobs, resources=team)) == 6
    # Four 5-day tasks, each for either of two people: no single person must do any of them,
    # but together they need 20 person-days.
    pair = (Resource("a", 1), Resource("b", 1))
    jobs = tuple(on(f"j{i}", 5, 0, 1) for i in range(4))
    assert resource_bound(Problem(jobs, resources=pair)) == 10
    assert makespan_lower_bound(Problem(jobs, resources=pair)) == 10


def test_lateness_bound() -> None:
    jobs = (job("a", 3, due=1, w=2), job("b", 2, due=9), job("c", 1))
    links = (Link(0, 1),)
    assert lateness_lower_bound(Problem(jobs, links, objective="lateness")) == 4
    assert objective_lower_bound(Problem(jobs, links, objective="lateness")) == 4
    assert objective_lower_bound(Problem(jobs, links)) == 5
    negative = (job("a", 3, due=1, w=-1),)
    assert lateness_lower_bound(Problem(negative, objective="lateness")) is None


def test_topological_order_rejects_cycles_and_bad_links() -> None:
    jobs = (job("a", 1), job("b", 1))
    assert topological_order(Problem(jobs, (Link(1, 0),))) == [1, 0]
    with pytest.raises(ValueError, match="cycle"):
        topological_order(Problem(jobs, (Link(0, 1), Link(1, 0))))
    with pytest.raises(ValueError, match="out of range"):
        topological_order(Problem(jobs, (Link(0, 5),)))


def random_problem(rng: random.Random, n: int) -> Problem:
    resources = tuple(
        Resource(f"r{i}", c, ((rng.randint(0, 10), rng.randint(11, 20), 1),) if i % 2 else ())
        for i, c in enumerate((1, 1, 3, 2))
    )
    jobs = tuple(
        Job(
            f"j{j}",
            tuple(
                Mode(rng.randint(0, 6), ((rng.randrange(4), 1),) if rng.random() < 0.9 else ())
                for _ in range(rng.randint(1, 3))
            ),
            release=rng.choice((0, 0, 0, rng.randint(0, 15))),
            due=rng.choice((None, rng.randint(0, 30))),
        )
        for j in range(n)
    )
    links = tuple(
        Link(a, b, rng.choice(list(LinkType)), rng.randint(-3, 3))
        for b in range(1, n)
        for a in rng.sample(range(b), min(b, rng.randint(0, 2)))
    )
    return Problem(jobs, links, resources)


@pytest.mark.parametrize("seed", range(25))
def test_bounds_never_exceed_a_feasible_schedule(seed: int) -> None:
    problem = random_problem(random.Random(seed), 12)
    solution = HeuristicBackend().solve(problem, SolveOptions(time_limit=0.05, seed=seed))
    assert makespan_lower_bound(problem) <= solution.objective
    late = Problem(problem.jobs, problem.links, problem.resources, "lateness")
    solution = HeuristicBackend().solve(late, SolveOptions(time_limit=0.05, seed=seed))
    assert (lateness_lower_bound(late) or 0) <= solution.objective


def test_a_first_marker_is_bounded_by_its_earliest_link() -> None:
    jobs = (
        Job("a", (Mode(2),), release=4),
        Job("b", (Mode(3),), release=1),
        Job("m", (Mode(0),), marker="first"),
        Job("c", (Mode(1),)),
    )
    links = (Link(0, 2, LinkType.SS), Link(1, 2, LinkType.SS), Link(2, 3, LinkType.SF, 1))
    es, ef = earliest_times(Problem(jobs, links))
    assert es[2] == ef[2] == 1  # b's start, not a's
    assert es[3] == 1 and ef[3] == 2


def test_tails_follow_every_link_kind() -> None:
    jobs = (job("a", 3), job("b", 4), job("c", 2), job("d", 5))
    links = (
        Link(0, 1),  # FS: b and its tail after a ends: 4 + 2
        Link(1, 2, lag=0),
        Link(0, 3, LinkType.SS, 1),  # d starts >= a's start + 1: 1 + 5 - 3 after a ends
    )
    assert tails(Problem(jobs, links)) == [6, 2, 0, 0]
    ff = Problem((job("a", 3), job("b", 4)), (Link(0, 1, LinkType.FF, 2),))
    assert tails(ff) == [2, 0]


def test_a_link_into_a_first_marker_leaves_no_tail() -> None:
    jobs = (job("a", 3), Job("m", (Mode(0),), marker="first"), job("c", 9))
    links = (Link(0, 1), Link(1, 2))
    assert tails(Problem(jobs, links))[0] == 0


def test_a_pool_of_people_bounds_its_skill_work() -> None:
    # Three people; four 6-day tasks only the first two can do, after a 5-day start, and a
    # 3-day wrap-up after them: 5 + 24 / 2 + 3. Neither person alone must do any of them, and
    # all three pooled, without heads or tails, need only 24 / 3 days.
    people = (Resource("a", 1), Resource("b", 1), Resource("c", 1))
    jobs = (
        job("start", 5),
        *(on(f"j{i}", 6, 0, 1) for i in range(4)),
        job("wrap", 3),
    )
    links = (*(Link(0, k) for k in range(1, 5)), *(Link(k, 5) for k in range(1, 5)))
    problem = Problem(jobs, links, people)
    assert critical_path_bound(problem) == 14
    assert resource_bound(problem) == 8
    assert energy_bound(problem) == 20
    assert makespan_lower_bound(problem) == 20
    solution = HeuristicBackend().solve(problem, SolveOptions(time_limit=1))
    assert solution.objective == 20 and solution.status == "optimal"


def test_heads_and_time_off_after_the_head() -> None:
    # One person: two 4-day jobs released at 10, another at 0; away on days 12-15.
    person = (Resource("p", 1, ((12, 15, 1),)),)
    late = tuple(Job(name, (Mode(4, ((0, 1),)),), release=10) for name in ("y", "z"))
    jobs = (on("x", 4, 0), *late)
    # From 10: 8 days of work, 3 of them lost: 10 + 8 + 3.
    assert energy_bound(Problem(jobs, resources=person)) == 21


def test_part_timers_count_at_their_speed() -> None:
    # Three jobs either person can do, the half-timer in twice the time. Counted in days of
    # either person, 12 days of work over two people gives 6; at their speeds (1 and 1/2 a
    # job-day per day) the pair supplies 1.5 a day: 8, which the optimum reaches (the
    # full-timer does two, the half-timer one).
    people = (Resource("full", 1), Resource("half", 1))
    jobs = tuple(Job(f"j{i}", (Mode(4, ((0, 1),)), Mode(8, ((1, 1),)))) for i in range(3))
    problem = Problem(jobs, resources=people)
    assert resource_bound(problem) == 6
    assert energy_bound(problem) == 8
    assert HeuristicBackend().solve(problem, SolveOptions(time_limit=1)).objective == 8


def random_pooled_problem(rng: random.Random, n: int) -> Problem:
    """Skill pools, part-timers, pairs, time off and summary markers, as plans make them."""
    resources = tuple(
        Resource(f"p{i}", 1, ((rng.randint(0, 8), rng.randint(9, 16), 1),) if i % 3 == 0 else ())
        for i in range(5)
    )
    pools = ((0, 1), (1, 2, 3), (4,), (0, 1, 2, 3, 4))
    jobs: list[Job] = []
    for j in range(n):
        roll = rng.random()
        if roll < 0.1:
            jobs.append(Job(f"m{j}", (Mode(0),), marker=rng.choice(("first", "last"))))
            continue
        effort = rng.randint(1, 6)
        if roll < 0.2:
            pair = tuple(sorted(rng.sample(range(5), 2)))
            jobs.append(Job(f"j{j}", (Mode(effort, tuple((r, 1) for r in pair)),)))
            continue
        pool = rng.choice(pools)
        modes = tuple(Mode(effort * (2 if r == 3 else 1), ((r, 1),)) for r in pool)
        jobs.append(Job(f"j{j}", modes, release=rng.choice((0, 0, rng.randint(0, 10)))))
    links = tuple(
        Link(a, b, rng.choice(list(LinkType)), rng.randint(-2, 3))
        for b in range(1, n)
        for a in rng.sample(range(b), min(b, rng.randint(0, 2)))
    )
    return Problem(tuple(jobs), links, resources)


@pytest.mark.parametrize("seed", range(60))
def test_energy_bound_never_exceeds_a_feasible_schedule(seed: int) -> None:
    problem = random_pooled_problem(random.Random(seed), 16)
    solution = HeuristicBackend().solve(problem, SolveOptions(time_limit=0.05, seed=seed))
    assert energy_bound(problem) <= solution.objective
    assert makespan_lower_bound(problem) <= solution.objective
