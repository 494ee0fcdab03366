"""Plan diffs: tasks added, removed and changed field by field; risks added, closed, reopened."""

from __future__ import annotations

from ontrack.engines.diff import diff_plans
from ontrack.model import Plan
from tests.conftest import HEADER, load_doc

BEFORE = """
people:
  - {id: ana, name: Ana, skills: [dev]}
  - {id: bo, name: Bo, skills: [dev]}
tasks:
  - {id: a, title: Design, estimate: 3d}
  - {id: b, title: Build, estimate: 5d/8d/13d, depends: a, assignee: ana}
  - {id: c, title: Docs, estimate: 2d}
risks:
  - {id: r1, title: Vendor late, probability: 30%, impact: 5d, affects: b}
  - {id: r2, title: Key person leaves, probability: 10%, impact: 10d}
"""

AFTER = """
people:
  - {id: ana, name: Ana, skills: [dev]}
  - {id: bo, name: Bo, skills: [dev]}
tasks:
  - {id: a, title: Design, estimate: 3d}
  - {id: b, title: Build, estimate: 8d/10d/20d, depends: {task: a, type: SS, lag: 2d}, assignee: bo,
     deadline: 2026-03-02}
  - {id: d, title: Security review, estimate: 4d, depends: b}
risks:
  - {id: r1, title: Vendor late, probability: 30%, impact: 5d, affects: b, status: closed}
  - {id: r3, title: Pen test findings, probability: 40%, impact: 3d/5d/10d}
"""


def plan(text: str) -> Plan:
    loaded, diagnostics = load_doc(HEADER + text)
    assert loaded is not None, [d.format() for d in diagnostics]
    return loaded


def test_tasks_and_risks() -> None:
    changes = diff_plans(plan(BEFORE), plan(AFTER))
    kinds = {(t.kind, t.id) for t in changes.tasks}
    assert kinds == {("changed", "b"), ("added", "d"), ("removed", "c")}
    [build] = [t for t in changes.tasks if t.id == "b"]
    fields = {f.field: (f.old, f.new) for f in build.fields}
    assert fields == {
        "estimate": ("5d/8d/13d", "8d/10d/20d"),
        "depends": ("a", "a SS +2d"),
        "assignees": ("ana", "bo"),
        "deadline": ("", "2026-03-02"),
    }
    risks = {(r.kind, r.id) for r in changes.risks}
    assert risks == {("closed", "r1"), ("added", "r3"), ("removed", "r2")}
    summary = changes.to_json()["summary"]
    assert summary == {
        "tasks_added": 1,
        "tasks_removed": 1,
        "tasks_changed": 1,
        "risks_added": 1,
        "risks_closed": 1,
    }


def test_reopened_and_unchanged() -> None:
    before, after = plan(AFTER), plan(AFTER.replace("status: closed", "status: open"))
    [reopened] = diff_plans(before, after).risks
    assert (reopened.kind, reopened.id) == ("reopened", "r1")
    assert diff_plans(before, before).empty


def test_moved_dates_are_changes_when_schedules_are_given() -> None:
    import datetime as dt

    before, after = plan(BEFORE), plan(BEFORE)
    old = {"a": (dt.date(2026, 1, 5), dt.date(2026, 1, 7))}
    new = {"a": (dt.date(2026, 1, 5), dt.date(2026, 1, 9))}
    [moved] = diff_plans(before, after, old, new).tasks
    assert (moved.id, [(f.field, f.old, f.new) for f in moved.fields]) == (
        "a",
        [("scheduled finish", "2026-01-07", "2026-01-09")],
    )
    assert diff_plans(before, after, old, old).empty
