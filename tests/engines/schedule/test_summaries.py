"""Dependencies to and from summary tasks: a summary's dates are its subtasks' span, on every
backend, for every link type and lag, nested summaries too (docs/scheduling.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from ontrack.engines.schedule.check import violations as problem_violations
from ontrack.engines.schedule.planner import ScheduleOptions, solve_plan
from ontrack.engines.schedule.result import Schedule, TaskSchedule
from ontrack.model import Plan
from tests.conftest import load_doc
from tests.engines.schedule.rules import Days, violations

BACKENDS = ["heuristic", "cpsat"]
TYPES = ["FS", "SS", "FF", "SF"]

HEAD = """\
program: {name: R, start: 2026-01-05}
people: [{id: ann}, {id: bob}]
tasks:
"""


def solve(text: str, backend: str) -> tuple[Plan, Schedule]:
    plan, diags = load_doc(HEAD + text)
    assert plan is not None, [d.format() for d in diags]
    solved, diags = solve_plan(plan, ScheduleOptions(backend=backend, time_limit=2))  # type: ignore[arg-type]
    assert solved is not None, [d.format() for d in diags]
    starts, modes = solved.solution.starts, solved.solution.modes
    assert problem_violations(solved.built.problem, starts, modes) == []
    assert violations(plan, solved.schedule) == []
    return plan, solved.schedule


def task(result: Schedule, task_id: str) -> TaskSchedule:
    return next(t for t in result.tasks if t.id == task_id)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ss_from_a_summary_waits_for_its_first_subtask(backend: str) -> None:
    # The plan from the issue: the summary's start used to be a marker at day 0, before its
    # only subtask could start, and its SS successor started before the summary did.
    _, result = solve(
        """\
  - {id: first, title: F, estimate: 5d, assignee: ann}
  - id: phase
    title: P
    tasks: [{id: child, title: C, estimate: 2d, assignee: ann, depends: first}]
  - {id: succ, title: S, estimate: 1d, assignee: bob, depends: [{task: phase, type: SS, lag: 1d}]}
""",
        backend,
    )
    phase, succ = task(result, "phase"), task(result, "succ")
    assert phase.start == dt.date(2026, 1, 12)
    assert succ.start == dt.date(2026, 1, 13)
    assert succ.driver is not None and succ.driver.kind == "predecessor"
    assert succ.driver.text == "after 'phase' starts (SS +1d)"


# A summary spanning working days [5, 10): a on 5-6, b on 7-9 (ann, after `first`). Its
# one-day successor on bob starts at the index below for each type and lag.
FROM_SUMMARY = """\
  - {id: first, title: F, estimate: 5d, assignee: ann}
  - id: phase
    title: P
    tasks:
      - {id: a, title: A, estimate: 2d, assignee: ann, depends: first}
      - {id: b, title: B, estimate: 3d, assignee: ann, depends: a}
  - {id: succ, title: S, estimate: 1d, assignee: bob, depends: [{task: phase, type: %s, lag: %s}]}
"""
SUCC_START = {
    ("FS", 1): 11,
    ("FS", -1): 9,
    ("SS", 1): 6,
    ("SS", -1): 4,
    ("FF", 1): 10,
    ("FF", -1): 8,
    ("SF", 1): 5,
    ("SF", -1): 3,
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("kind", "lag"), sorted(SUCC_START))
def test_links_from_a_summary_measure_its_subtasks_span(backend: str, kind: str, lag: int) -> None:
    plan, result = solve(FROM_SUMMARY % (kind, f"{lag}d"), backend)
    days = Days(plan)
    assert (task(result, "phase").start, task(result, "phase").finish) == (
        days.date(5),
        days.date(9),
    )
    succ = task(result, "succ")
    assert succ.start == days.date(SUCC_START[kind, lag])
    assert succ.driver is not None and succ.driver.task == "phase"
    what = "starts" if kind in ("SS", "SF") else "is done"
    assert succ.driver.text == f"after 'phase' {what} ({kind} {lag:+d}d)"


# `pred` on ann over working days [0, 4); the summary's subtasks are bob's.
TO_SUMMARY = """\
  - {id: pred, title: X, estimate: 4d, assignee: ann}
  - id: phase
    title: P
    depends: [{task: pred, type: %s, lag: %s}]
    tasks:
      - {id: a, title: A, estimate: 2d, assignee: bob}
      - {id: b, title: B, estimate: 1d, assignee: bob}
      - {id: m, title: M, milestone: true, depends: a}
"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("lag", [2, -1])
def test_links_to_a_summary_hold_for_each_subtask(backend: str, kind: str, lag: int) -> None:
    plan, result = solve(TO_SUMMARY % (kind, f"{lag}d"), backend)
    days = Days(plan)
    bound = (4 if kind in ("FS", "FF") else 0) + lag  # pred's end or start, plus the lag
    for sub in ("a", "b"):
        t = task(result, sub)
        start, end = days.number(t.start), days.number(t.finish)
        assert start is not None and end is not None
        assert (start if kind in ("FS", "SS") else end + 1) >= bound


@pytest.mark.parametrize("backend", BACKENDS)
def test_ff_to_a_summary_holds_its_subtasks_not_just_its_finish(backend: str) -> None:
    # Before: only the summary's finish marker waited, and its subtasks ended days earlier.
    _, result = solve(TO_SUMMARY % ("FF", "2d"), backend)
    assert task(result, "phase").finish >= dt.date(2026, 1, 12)  # pred ends day 4, + 2
    assert min(task(result, s).finish for s in ("a", "b")) >= dt.date(2026, 1, 9)


NESTED = """\
  - {id: gate, title: G, estimate: 3d, assignee: ann}
  - id: outer
    title: Outer
    tasks:
      - id: inner
        title: Inner
        tasks:
          - {id: a, title: A, estimate: 2d, assignee: ann, depends: gate}
      - {id: b, title: B, estimate: 1d, assignee: ann, depends: a}
  - id: after
    title: After
    estimate: 1d
    assignee: bob
    depends: [{task: outer, type: %s, lag: %s}]
  - id: held
    title: Held
    depends: [{task: inner, type: %s, lag: 1d}]
    tasks:
      - id: deep
        title: Deep
        tasks:
          - {id: c, title: C, estimate: 1d, assignee: bob}
"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", TYPES)
def test_nested_summaries(backend: str, kind: str) -> None:
    plan, result = solve(NESTED % (kind, "-1d", kind), backend)
    days = Days(plan)
    # outer spans [3, 6): inner's a on 3-4, b on 5.
    assert task(result, "outer").start == days.date(3)
    assert task(result, "inner").start == days.date(3)
    assert task(result, "outer").finish == days.date(5)
    after = days.number(task(result, "after").start)
    assert after == {"FS": 5, "SS": 2, "FF": 4, "SF": 1}[kind]
    c = days.number(task(result, "c").start)
    assert c == {"FS": 6, "SS": 4, "FF": 5, "SF": 3}[kind]  # from inner's [3, 5), lag 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_summarys_start_constraint_holds_its_subtasks(backend: str) -> None:
    _, result = solve(
        """\
  - id: phase
    title: P
    start_no_earlier_than: 2026-01-08
    tasks:
      - {id: a, title: A, estimate: 1d, assignee: ann}
      - {id: m, title: M, milestone: true}
  - {id: succ, title: S, estimate: 1d, assignee: bob, depends: [{task: phase, type: SS}]}
""",
        backend,
    )
    assert task(result, "a").start == dt.date(2026, 1, 8)
    assert task(result, "m").start == dt.date(2026, 1, 8)  # dated on the day, not before
    assert task(result, "phase").start == dt.date(2026, 1, 8)
    assert task(result, "succ").start == dt.date(2026, 1, 8)


def test_the_solved_network_keeps_the_child_that_opens_each_summary() -> None:
    plan, diags = load_doc(HEAD + FROM_SUMMARY % ("SS", "0d"))
    assert plan is not None, diags
    solved, _ = solve_plan(plan, ScheduleOptions(time_limit=1))
    assert solved is not None
    built = solved.built
    problem = built.problem
    assert all(job.marker != "first" for job in problem.jobs)
    assert problem_violations(problem, solved.solution.starts, solved.solution.modes) == []
    start = built.start_job("phase")
    into = [built.refs[link.pred].task for link in problem.links if link.succ == start]
    assert into == ["a"]  # a opens the summary; b no longer counts
