"""From a plan to the scheduling problem: modes per capable person, effort over allocation,
summary brackets, calendars, and the reasons a plan cannot be scheduled."""

from __future__ import annotations

from ontrack.engines.calendar import WorkGrid
from ontrack.engines.schedule.planproblem import build_problem
from ontrack.engines.schedule.problem import LinkType
from ontrack.model import Plan
from ontrack.planfile import load_plan
from tests.conftest import FIXTURES, HEADER, load_doc


def clean() -> Plan:
    plan, _ = load_plan(FIXTURES / "plans" / "clean.yaml")
    assert plan is not None
    return plan


def test_jobs_modes_and_durations() -> None:
    plan = clean()
    built, diags = build_problem(plan, WorkGrid.for_plan(plan), horizon=300)
    assert diags == [] and built is not None
    jobs = built.problem.jobs
    kinds = [(r.task, r.kind) for r in built.refs]
    assert kinds[:3] == [("build", "start"), ("build", "finish"), ("design", "task")]
    design = jobs[built.index[("design", "task")]]
    assert [m.duration for m in design.modes] == [5]  # likely 5d, alice only (backend)
    assert built.mode_people[built.index[("design", "task")]] == (("alice",),)
    ui = jobs[built.index[("ui", "task")]]
    assert [m.duration for m in ui.modes] == [16]  # 8d of effort by bob at 50%
    vendor = jobs[built.index[("vendor", "task")]]
    assert [(m.duration, m.demands) for m in vendor.modes] == [(10, ())]  # lead time: nobody
    assert vendor.release == 5  # start no earlier than 2026-01-12: the 6th working day
    launch = jobs[built.index[("launch", "task")]]
    assert launch.modes[0].duration == 0
    deadline = plan.task_by_id["launch"].deadline
    assert deadline is not None
    assert launch.due == built.grid.index_on_or_before(deadline) + 1
    retro = jobs[built.index[("retro", "task")]]
    assert len(retro.modes) == 2  # anyone may do a task that names no skill, team or person


def test_links_bracket_summaries_and_keep_types() -> None:
    plan = clean()
    built, _ = build_problem(plan, WorkGrid.for_plan(plan), horizon=300)
    assert built is not None
    links = {
        (built.refs[k.pred].task, built.refs[k.pred].kind, built.refs[k.succ].task, k.type, k.lag)
        for k in built.problem.links
    }
    assert ("build", "start", "design", LinkType.SS, 0) in links
    assert ("api", "task", "build", LinkType.FF, 0) in links
    assert ("design", "task", "ui", LinkType.SS, 2) in links
    assert ("api", "task", "ui", LinkType.FF, -1) in links
    assert ("build", "finish", "launch", LinkType.FS, 0) in links  # launch depends on the summary
    assert ("launch", "task", "retro", LinkType.FS, 5) in links  # lag 1w


def test_time_off_becomes_unavailability() -> None:
    plan = clean()
    built, _ = build_problem(plan, WorkGrid.for_plan(plan), horizon=300)
    assert built is not None
    alice = built.problem.resources[built.people.index("alice")]
    grid = built.grid
    days_off = {i for a, b, _ in alice.unavailable for i in range(a, b)}
    assert grid.index_on_or_after(plan.person_by_id["alice"].time_off[0].start) in days_off


def test_nobody_can_do_it() -> None:
    plan, _ = load_doc(
        HEADER
        + """\
people: [{id: ann, skills: [web]}]
tasks:
  - {id: ml, title: Train model, estimate: 3d, skills: [ml]}
"""
    )
    assert plan is not None
    built, diags = build_problem(plan, WorkGrid.for_plan(plan))
    assert built is None
    assert [(d.code, d.subjects) for d in diags] == [("E301", ("ml",))]


def test_a_plan_without_people_is_a_pure_network() -> None:
    plan, _ = load_doc(HEADER + "tasks: [{id: a, title: A, estimate: 1.5d}]\n")
    assert plan is not None
    built, diags = build_problem(plan, WorkGrid.for_plan(plan))
    assert built is not None and diags == []
    assert [(m.duration, m.demands) for m in built.problem.jobs[0].modes] == [(2, ())]
