"""Scheduling plans end to end, on every backend: dates, assignments, floats, explanations,
and the reasons a plan cannot be scheduled."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ontrack.engines.calendar import WorkGrid
from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.engines.schedule.planproblem import build_problem
from ontrack.engines.schedule.result import Schedule
from ontrack.model import Plan
from ontrack.planfile import load_plan, load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan
from tests.conftest import EXAMPLES, FIXTURES, HEADER, load_doc

BACKENDS = ["heuristic", "cpsat"]


def run(plan: Plan, backend: str, **kw: object) -> Schedule:
    result, diags = schedule(plan, ScheduleOptions(backend=backend, time_limit=2, **kw))  # type: ignore[arg-type]
    assert result is not None, [d.format() for d in diags]
    return result


def by_id(result: Schedule) -> dict[str, object]:
    return {t.id: t for t in result.tasks}


def assert_feasible(plan: Plan, result: Schedule) -> None:
    """Rebuild the problem and check the schedule's dates against it independently."""
    grid = WorkGrid.for_plan(plan)
    built, _ = build_problem(plan, grid, horizon=result.makespan_days + 400)
    assert built is not None
    tasks = {t.id: t for t in result.tasks}
    starts, modes = [], []
    for ref, job, staff in zip(built.refs, built.problem.jobs, built.mode_people, strict=True):
        t = tasks[ref.task]
        mode = staff.index(t.assignees) if ref.kind == "task" and t.assignees else 0
        if ref.kind == "start" or (ref.kind == "task" and job.modes[mode].duration):
            start = grid.index_on_or_after(t.start)
        else:  # zero-length jobs are dated with the working day they close
            start = grid.index_on_or_before(t.finish) + 1
        starts.append(start)
        modes.append(mode)
    assert violations(built.problem, starts, modes) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_clean_fixture(backend: str) -> None:
    plan, _ = load_plan(FIXTURES / "plans" / "clean.yaml")
    assert plan is not None
    result = run(plan, backend)
    t = by_id(result)
    design, api, launch, retro = t["design"], t["api"], t["launch"], t["retro"]
    assert design.start == dt.date(2026, 1, 5) and design.finish == dt.date(2026, 1, 9)  # type: ignore[attr-defined]
    assert api.start == dt.date(2026, 1, 12)  # type: ignore[attr-defined]  # FS: next working day
    assert design.assignees == ("alice",)  # type: ignore[attr-defined]
    assert launch.milestone and launch.start == launch.finish  # type: ignore[attr-defined]
    assert retro.start == retro.finish  # type: ignore[attr-defined]  # a one-day task
    assert result.status == "optimal"
    assert result.finish == retro.finish  # type: ignore[attr-defined]
    assert_feasible(plan, result)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_person_two_tasks_explains_the_wait(backend: str) -> None:
    plan, _ = load_doc(
        HEADER
        + """\
people: [{id: ann, skills: [web]}]
tasks:
  - {id: first, title: First, estimate: 3d, skills: [web], priority: high}
  - {id: second, title: Second, estimate: 2d, skills: [web]}
"""
    )
    assert plan is not None
    result = run(plan, backend)
    t = by_id(result)
    first, second = t["first"], t["second"]
    assert first.finish < second.start or second.finish < first.start  # type: ignore[attr-defined]
    later = second if second.start > first.start else first  # type: ignore[attr-defined]
    assert later.driver.kind == "person" and later.driver.person == "ann"  # type: ignore[attr-defined]
    assert result.makespan_days == 5
    (ann,) = result.people
    assert (ann.busy_days, ann.available_days) == (5, 5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_off_delays_work_and_says_so(backend: str) -> None:
    plan, _ = load_doc(
        HEADER
        + """\
people: [{id: ann, time_off: [2026-01-05..2026-01-09]}]
tasks:
  - {id: a, title: A, estimate: 2d, assignee: ann}
"""
    )
    assert plan is not None
    result = run(plan, backend)
    a = by_id(result)["a"]
    assert a.start == dt.date(2026, 1, 12)  # type: ignore[attr-defined]
    assert a.driver.kind == "time-off"  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", BACKENDS)
def test_skills_pick_the_capable_person(backend: str) -> None:
    plan, _ = load_doc(
        HEADER
        + """\
people:
  - {id: ann, skills: [web]}
  - {id: bob, skills: [ml], allocation: 50%}
tasks:
  - {id: model, title: Model, estimate: 2d, skills: [ml]}
  - {id: page, title: Page, estimate: 2d, skills: [web]}
"""
    )
    assert plan is not None
    t = by_id(run(plan, backend))
    assert t["model"].assignees == ("bob",) and t["model"].duration_days == 4  # type: ignore[attr-defined]
    assert t["page"].assignees == ("ann",)  # type: ignore[attr-defined]


def test_a_deadline_before_the_earliest_finish_is_a_target_that_shows_how_late() -> None:
    plan, _ = load_doc(
        HEADER
        + """\
tasks:
  - {id: a, title: A, estimate: 10d}
  - {id: ship, title: Ship, milestone: true, depends: [a], deadline: 2026-01-09}
"""
    )
    assert plan is not None
    result, diags = schedule(plan)
    # The deadline never moves the schedule: it is scheduled as if absent, and shows how late.
    assert result is not None
    assert [(d.code, d.loc.line) for d in diags] == [("W311", 6)]
    assert "2026-01-16" in diags[0].message  # the earliest (and here the levelled) finish
    assert "5 working days late" in diags[0].message
    by_id = {t.id: t for t in result.tasks}
    assert by_id["ship"].finish == dt.date(2026, 1, 16)
    assert by_id["ship"].late_days == 5
    # Negative float on the driving tasks, as MS Project shows negative slack.
    assert by_id["ship"].total_float_days == -5
    assert by_id["a"].total_float_days == -5
    assert by_id["a"].critical


@pytest.mark.parametrize("backend", BACKENDS)
def test_deadline_missed_for_lack_of_people_is_a_warning(backend: str) -> None:
    plan, _ = load_doc(
        HEADER
        + """\
people: [{id: ann}]
tasks:
  - {id: a, title: A, estimate: 5d}
  - {id: b, title: B, estimate: 5d}
  - {id: ship, title: Ship, milestone: true, depends: [a, b], deadline: 2026-01-09}
"""
    )
    assert plan is not None
    result, diags = schedule(plan, ScheduleOptions(backend=backend, time_limit=2))  # type: ignore[arg-type]
    assert result is not None
    assert [d.code for d in diags] == ["W310"]
    ship = by_id(result)["ship"]
    assert ship.late_days == 5 and ship.total_float_days < 0  # type: ignore[attr-defined]


def test_nobody_has_the_skill() -> None:
    plan, _ = load_doc(
        HEADER
        + """\
people: [{id: ann, skills: [web]}]
tasks: [{id: ml, title: ML, estimate: 2d, skills: [ml]}]
"""
    )
    assert plan is not None
    result, diags = schedule(plan)
    assert result is None and [d.code for d in diags] == ["E301"]


def test_person_with_no_working_days() -> None:
    # The loader refuses such a calendar (E303, tests/planfile); a plan built otherwise (an
    # import, the API) still gets the scheduler's E303, not a crash.
    plan, _ = load_doc(
        HEADER
        + """\
calendars: [{id: never, workweek: [mon]}]
people: [{id: ann, calendar: never}]
tasks: [{id: a, title: A, estimate: 2d}]
"""
    )
    assert plan is not None
    plan = dataclasses.replace(
        plan, calendars=(dataclasses.replace(plan.calendars[0], workweek=frozenset()),)
    )
    result, diags = schedule(plan)
    assert result is None and [d.code for d in diags] == ["E303"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_generated_plan_is_feasible(backend: str) -> None:
    plan, diags = load_plan_text(dump_plan(generate_plan(tasks=150, people=10, seed=4)))
    assert plan is not None, diags
    result = run(plan, backend)
    assert_feasible(plan, result)
    assert result.lower_bound_finish is None or result.lower_bound_finish <= result.finish


def test_cpsat_is_never_worse_than_the_heuristic() -> None:
    plan, _ = load_plan_text(dump_plan(generate_plan(tasks=120, people=6, seed=9)))
    assert plan is not None
    heuristic = run(plan, "heuristic")
    exact = run(plan, "cpsat")
    assert exact.makespan_days <= heuristic.makespan_days


def test_medium_example_schedules_with_its_deadlines() -> None:
    plan, _ = load_plan(EXAMPLES / "platform-migration")
    assert plan is not None
    result = run(plan, "heuristic")
    assert result.finish < dt.date(2026, 10, 31)
    assert result.critical_path
    assert all(t.driver is not None for t in result.tasks if not t.summary)
