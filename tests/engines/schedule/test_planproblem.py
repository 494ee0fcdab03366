"""From a plan to the scheduling problem: modes per capable person, effort over allocation,
summary markers, calendars, and the reasons a plan cannot be scheduled."""

from __future__ import annotations

from ontrack.engines.calendar import WorkGrid
from ontrack.engines.schedule.planproblem import PlanProblem, build_problem
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


def links_of(built: PlanProblem) -> set[tuple[str, str, str, str, LinkType, int]]:
    refs = built.refs
    return {
        (refs[k.pred].task, refs[k.pred].kind, refs[k.succ].task, refs[k.succ].kind, k.type, k.lag)
        for k in built.problem.links
    }


def test_summaries_are_markers_that_follow_their_children() -> None:
    plan = clean()
    built, _ = build_problem(plan, WorkGrid.for_plan(plan), horizon=300)
    assert built is not None
    links = links_of(built)
    jobs = built.problem.jobs
    start, finish = built.index[("build", "start")], built.index[("build", "finish")]
    assert jobs[start].marker == "first" and jobs[finish].marker == "last"
    assert built.start_job("build") == start and built.finish_job("build") == finish
    # Each child sets the summary's start (the earliest of them) and finish (the latest).
    for child in ("design", "api", "ui"):
        assert (child, "task", "build", "start", LinkType.SS, 0) in links
        assert (child, "task", "build", "finish", LinkType.FS, 0) in links
    # Nothing holds the children back from the summary's side.
    assert not any(p == "build" and s in ("design", "api", "ui") for p, _, s, *_ in links)
    assert ("design", "task", "ui", "task", LinkType.SS, 2) in links
    assert ("api", "task", "ui", "task", LinkType.FF, -1) in links
    assert ("build", "finish", "launch", "task", LinkType.FS, 0) in links  # after the summary
    assert ("launch", "task", "retro", "task", LinkType.FS, 5) in links  # lag 1w


def test_links_to_a_summary_go_to_every_leaf_below_it() -> None:
    plan, _ = load_doc(
        HEADER
        + """\
tasks:
  - {id: x, title: X, estimate: 1d}
  - id: outer
    title: Outer
    start_no_earlier_than: 2026-01-12
    depends: [{task: x, type: FF, lag: 2d}]
    tasks:
      - {id: a, title: A, estimate: 1d}
      - id: inner
        title: Inner
        depends: [{task: x, type: SS, lag: -1d}]
        tasks:
          - {id: b, title: B, estimate: 1d}
          - {id: m, title: M, milestone: true}
"""
    )
    assert plan is not None
    built, _ = build_problem(plan, WorkGrid.for_plan(plan), horizon=300)
    assert built is not None
    links = links_of(built)
    for leaf in ("a", "b", "m"):
        assert ("x", "task", leaf, "task", LinkType.FF, 2) in links
    for leaf in ("b", "m"):
        assert ("x", "task", leaf, "task", LinkType.SS, -1) in links
    assert ("x", "task", "a", "task", LinkType.SS, -1) not in links
    # Nested summaries: the inner one's markers set the outer one's.
    assert ("inner", "start", "outer", "start", LinkType.SS, 0) in links
    assert ("inner", "finish", "outer", "finish", LinkType.FS, 0) in links
    # The summary's start_no_earlier_than holds its leaves; its markers have no release.
    jobs = built.problem.jobs
    assert jobs[built.index[("a", "task")]].release == 5
    assert jobs[built.index[("b", "task")]].release == 5
    assert jobs[built.index[("m", "task")]].release == 6  # dated with the day it closes
    assert jobs[built.index[("outer", "start")]].release == 0


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
