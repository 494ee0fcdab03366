"""The GA on plans' problems: several modes, time off, all link kinds with negative lags,
"first" and "last" markers, releases. Its decoder places jobs exactly as the heuristic's serial
SGS does; every schedule passes the independent checker and is the GA's own (not the
heuristic's fallback); a seed and a budget of schedules fix the answer."""

from __future__ import annotations

import random

import numpy as np
import pytest

from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.ga import GaBackend, _any_arrays, _arrays, supported
from ontrack.engines.schedule.ga_modes import _sgs_modes
from ontrack.engines.schedule.heuristic import _compile, _job_list, _profiles, _sgs
from ontrack.engines.schedule.planner import ScheduleOptions, solve_plan
from ontrack.engines.schedule.problem import (
    Job,
    Link,
    LinkType,
    Mode,
    Problem,
    Resource,
    Solution,
    SolveOptions,
    makespan,
    objective_value,
)
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan


def plan_like(rng: random.Random, n: int) -> Problem:
    """A random problem shaped like a plan's: people of capacity 1 (some away for a while) and a
    team of 2, jobs with one mode per capable person (or two people at once), all four link
    kinds with lags from -3 to 3, releases, and summaries as "first"/"last" marker pairs."""
    resources = tuple(
        Resource(
            f"r{i}",
            c,
            tuple(
                (a, a + rng.randint(1, 6), 1)
                for a in rng.sample(range(40), rng.randint(0, 2) if i != 2 else 0)
            ),
        )
        for i, c in enumerate((1, 1, 1, 2))
    )
    jobs: list[Job] = []
    for j in range(n):
        modes = []
        for r in rng.sample(range(4), rng.randint(1, 3)):
            d = rng.randint(0, 6)
            demands = ((r, 1),) if rng.random() < 0.8 else ((r, 1), ((r + 1) % 4, 1))
            modes.append(Mode(d, demands if rng.random() < 0.95 else ()))
        jobs.append(Job(f"j{j}", tuple(modes), release=rng.choice((0, 0, 0, rng.randint(0, 12)))))
    links = [
        Link(a, b, rng.choice(list(LinkType)), rng.randint(-3, 3))
        for b in range(1, n)
        for a in rng.sample(range(b), min(b, rng.randint(0, 2)))
    ]
    # Summaries over runs of jobs: a "first" marker linked from each child's start (SS), a
    # "last" marker from each child's end (FS), and the summary's start/finish linked on.
    for _ in range(rng.randint(1, 3)):
        a = rng.randrange(n)
        children = range(a, min(n, a + rng.randint(1, 4)))
        first, last = len(jobs), len(jobs) + 1
        jobs.append(Job(f"s{first}", (Mode(0),), release=rng.choice((0, 5)), marker="first"))
        jobs.append(Job(f"f{last}", (Mode(0),), marker="last"))
        for c in children:
            links.append(Link(c, first, LinkType.SS))
            links.append(Link(c, last, LinkType.FS))
        if rng.random() < 0.7:  # a task after the summary
            later = len(jobs)
            jobs.append(Job(f"after{later}", (Mode(rng.randint(1, 4), ((0, 1),)),)))
            links.append(Link(first, later, rng.choice((LinkType.SS, LinkType.FS)), 1))
            links.append(Link(last, later, LinkType.FF, rng.randint(-2, 2)))
    return Problem(tuple(jobs), tuple(links), resources)


def solve(problem: Problem, **options: object) -> Solution:
    budget = options.pop("budget", None)
    solution = GaBackend(max_schedules=budget).solve(  # type: ignore[arg-type]
        problem,
        SolveOptions(**options),  # type: ignore[arg-type]
    )
    assert violations(problem, solution.starts, solution.modes) == []
    assert solution.objective == objective_value(problem, solution.starts, solution.modes)
    return solution


@pytest.mark.parametrize("seed", range(30))
def test_the_decoder_places_jobs_as_the_heuristic_does(seed: int) -> None:
    rng = random.Random(seed)
    problem = plan_like(rng, 14)
    a = _any_arrays(problem)
    c = _compile(problem)
    assert a is not None and a.plan is not None and c is not None
    m_ptr = a.plan.g[0]
    for _ in range(5):
        keys = [rng.random() for _ in problem.jobs]
        order = np.zeros(len(keys), np.int64)
        order[:] = _job_list(c.forward, keys)
        profiles = _profiles(c.capacity, [r.unavailable for r in problem.resources])
        h_starts, _, h_modes = _sgs(
            order.tolist(), c.forward.preds, c.release, c.modes, profiles, c.first
        )
        starts = np.zeros(len(keys), np.int64)
        modes = np.zeros(len(keys), np.int64)
        usage = np.zeros((a.horizon, a.cap.shape[0]), np.int64)
        m_ptr, mdur, mwork, md_ptr, md_res, md_q, first, f_kind, _, base = a.plan.g
        span = _sgs_modes(
            order, True, m_ptr, mdur, mwork, md_ptr, md_res, md_q, a.cap, a.release, first,
            a.f_ptr, a.f_idx, f_kind, a.f_lag, base, -1, usage, starts, modes,
        )  # fmt: skip
        assert starts.tolist() == h_starts
        assert (modes - m_ptr[:-1]).tolist() == h_modes
        assert span == makespan(
            problem, h_starts, [c.original[j][m] for j, m in enumerate(h_modes)]
        )
        assert not usage.any()  # left clean for the next pass


@pytest.mark.parametrize("seed", range(40))
def test_random_plan_problems_are_feasible_and_the_gas_own(seed: int) -> None:
    problem = plan_like(random.Random(seed), 25)
    assert supported(problem)
    assert _arrays(problem) is None  # the portfolio keeps these for the heuristic
    solution = solve(problem, time_limit=30.0, workers=1, seed=seed, budget=400)
    assert solution.backend == "ga"
    assert solution.lower_bound is None or solution.objective >= solution.lower_bound


def test_same_seed_same_schedule_on_a_plan_problem() -> None:
    problem = plan_like(random.Random(99), 40)
    first = solve(problem, time_limit=30.0, workers=2, seed=3, budget=1_500)
    again = solve(problem, time_limit=30.0, workers=2, seed=3, budget=1_500)
    assert (first.starts, first.modes) == (again.starts, again.modes)
    assert first.stats["schedules"] == again.stats["schedules"]


def test_mode_choice_earliest_finish_then_less_work() -> None:
    # r0 is away over [0, 3): its 2-day mode ends at 5, r1's 4-day mode at 4, and r2's 4-day
    # mode with two people ends at 4 too but is more work: r1 wins.
    problem = Problem(
        jobs=(Job("a", (Mode(2, ((0, 1),)), Mode(4, ((1, 1), (2, 1))), Mode(4, ((1, 1),)))),),
        resources=(Resource("r0", 1, ((0, 3, 1),)), Resource("r1", 1), Resource("r2", 1)),
    )
    solution = solve(problem, time_limit=5.0, workers=1, budget=200)
    assert solution.backend == "ga"
    assert (solution.starts, solution.modes, solution.objective) == ((0,), (2,), 4)


def test_a_first_marker_takes_the_earliest_child_and_negative_lags_hold() -> None:
    jobs = (
        Job("a", (Mode(2, ((0, 1),)),), release=4),
        Job("b", (Mode(3, ((0, 1),)),), release=1),
        Job("m", (Mode(0),), marker="first"),
        Job("c", (Mode(2, ((1, 1),)),)),
        Job("d", (Mode(3, ((1, 1),)),)),
    )
    links = (
        Link(0, 2, LinkType.SS),
        Link(1, 2, LinkType.SS),
        Link(2, 3, LinkType.SS),
        Link(3, 4, LinkType.FS, -2),
    )
    solution = solve(Problem(jobs, links, (Resource("p", 1), Resource("q", 1))), budget=200)
    assert solution.backend == "ga"
    assert solution.starts[2] == min(solution.starts[0], solution.starts[1])
    assert solution.objective == 6  # b at 1, a at 4 (ends 6); c at 1; d at 3 (ends 6)


def test_the_lateness_objective_still_goes_to_the_heuristic() -> None:
    problem = plan_like(random.Random(1), 10)
    late = Problem(problem.jobs, problem.links, problem.resources, "lateness")
    assert not supported(late)
    assert solve(late, time_limit=0.2).backend == "heuristic"


def test_a_generated_plan_is_scheduled_by_the_ga_and_stops_by_itself() -> None:
    plan, diagnostics = load_plan_text(dump_plan(generate_plan(tasks=60, people=3, seed=2)))
    assert plan is not None, diagnostics
    heuristic, _ = solve_plan(plan, ScheduleOptions(backend="heuristic", time_limit=20.0))
    ga, _ = solve_plan(plan, ScheduleOptions(backend="ga", time_limit=20.0))
    assert heuristic is not None and ga is not None
    assert ga.solution.backend == "ga"
    assert ga.solution.seconds < 20.0  # the stall rule (or the bound) stopped it, not the clock
    assert ga.solution.objective <= heuristic.solution.objective
