"""The web app's service (ontrack.app.programs) used directly on SQLite and PostgreSQL: the
cached assessment and its key, edits as revisions, refused stale edits, what-if, progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from ontrack.app.assessment import AssessOptions
from ontrack.app.programs import (
    Conflict,
    Edited,
    EditRefused,
    Programs,
    progress_fact,
    render_value,
    unified_diff,
)
from ontrack.app.workspace import Workspace
from ontrack.planfile import load_plan_texts
from ontrack.planfile.edit import FieldEdit
from tests.conftest import HEADER

PLAN = (
    HEADER
    + """people:
  - {id: ana, name: Ana}
  - {id: bo, name: Bo}
tasks:
  # the first task
  - id: a
    title: First
    estimate: 2d/3d/5d
    assignee: ana
  - id: b
    title: Second
    estimate: 4d
    depends: [a]
    assignee: ana
  - id: done
    title: Done
    milestone: true
    depends: [b]
    deadline: 2026-03-02
risks:
  - id: r1
    title: A risk
    probability: 30%
    impact: 2d
    affects: [b]
"""
)
TODAY = dt.date(2026, 12, 6)


@pytest.fixture
def programs(db_url: str) -> Iterator[Programs]:
    plan, diagnostics = load_plan_texts([("plan.yaml", PLAN)])
    assert plan is not None, diagnostics
    workspace = Workspace.open(db_url, None, create=True)
    workspace.apply(plan, [("plan.yaml", PLAN)], author="ana", message="first")
    service = Programs(
        workspace, AssessOptions(iterations=300, time_limit=1.0), today=lambda: TODAY
    )
    yield service
    service.close()
    workspace.close()


def _edit(programs: Programs, base: int, **fields: str) -> Edited | Conflict:
    edits = [FieldEdit("task", "a", k, render_value("task", k, v)) for k, v in fields.items()]
    return programs.edit("Test program", base, edits, author="bo", message="web edit")


def test_the_view_is_cached_until_the_store_changes(programs: Programs) -> None:
    first = programs.view("Test program")
    assert programs.view("Test program") is first  # same key: the cached object
    assert first.revision.number == 1 and first.baseline is None
    fact = progress_fact("a", dt.date(2026, 1, 7), percent="50", source="test")
    programs.record_progress("Test program", [fact])
    second = programs.view("Test program")
    assert second is not first and second.key != first.key
    assert [f.task_id for f in second.tracked.facts] == ["a"]
    programs.set_baseline("Test program", "approved")
    third = programs.view("Test program")
    assert third.baseline == "approved" and third.assessment.tracking is not None


def test_an_edit_is_a_new_revision_with_its_diff(programs: Programs) -> None:
    before = programs.view("Test program").assessment.solved.schedule.finish
    result = _edit(programs, 1, estimate="10d", title='New "title" <b>')
    assert isinstance(result, Edited)
    assert result.revision.number == 2 and result.revision.author == "bo"
    assert "-    estimate: 2d/3d/5d\n" in result.diff and "+    estimate: 10d\n" in result.diff
    files = programs.workspace.files("Test program", 2)
    text = dict(files)["plan.yaml"]
    assert "  # the first task\n" in text  # comments kept
    plan, _ = load_plan_texts(files)
    assert plan is not None and plan.task_by_id["a"].title == 'New "title" <b>'
    view = programs.view("Test program")
    assert view.revision.number == 2
    assert view.assessment.solved.schedule.finish > before


def test_a_stale_edit_is_refused_with_the_changes_and_writes_nothing(programs: Programs) -> None:
    assert isinstance(_edit(programs, 1, estimate="6d"), Edited)
    stale = _edit(programs, 1, assignee="bo")
    assert isinstance(stale, Conflict)
    assert (stale.base, stale.latest) == (1, 2)
    assert stale.changes and "estimate: 6d" in stale.diff
    assert len(programs.revisions("Test program")) == 2


def test_an_edit_that_breaks_the_plan_is_refused_with_its_diagnostics(programs: Programs) -> None:
    with pytest.raises(EditRefused) as caught:
        _edit(programs, 1, assignee="nobody")
    assert [d.code for d in caught.value.diagnostics] == ["E202"]
    assert len(programs.revisions("Test program")) == 1


def test_a_field_not_written_yet_is_added_under_the_id(programs: Programs) -> None:
    edit = FieldEdit("risk", "r1", "status", render_value("risk", "status", "closed"))
    result = programs.edit("Test program", 1, [edit], author="bo", message="closed")
    assert isinstance(result, Edited)
    plan, _ = load_plan_texts(programs.workspace.files("Test program", 2))
    assert plan is not None and plan.risks[0].status.value == "closed"


@pytest.mark.parametrize(
    ("field", "value"),
    [("estimate", "3d\nfoo: bar"), ("estimate", "3d # x"), ("assignee", "ana: x"), ("title", "")],
)
def test_values_that_could_change_the_files_shape_are_refused(field: str, value: str) -> None:
    with pytest.raises(EditRefused):
        render_value("task", field, value)


def test_free_text_is_written_as_one_quoted_scalar() -> None:
    text = render_value("task", "title", "a: b # c 'd' \"e\"")
    plan, diagnostics = load_plan_texts(
        [("p.yaml", HEADER + f"tasks:\n  - id: a\n    title: {text}\n    estimate: 1d\n")]
    )
    assert plan is not None, diagnostics
    assert plan.tasks[0].title == "a: b # c 'd' \"e\""


def test_what_if_moves_the_dates_and_saves_nothing(programs: Programs) -> None:
    edits = [FieldEdit("task", "a", "estimate", "30d")]
    result = programs.what_if("Test program", edits)
    assert result.after.report.final.p80 > result.before.report.final.p80
    assert len(programs.revisions("Test program")) == 1


def test_a_progress_csv_is_recorded_whole_or_not_at_all(programs: Programs) -> None:
    good = "task,status_date,percent_complete\na,2026-01-07,40\n"
    added, replaced, problems = programs.record_progress_csv("Test program", good)
    assert (added, replaced, problems) == (1, 0, ())
    bad = "task,status_date,percent_complete\nb,2026-01-08,40\nzzz,2026-01-08,10\n"
    added, _, problems = programs.record_progress_csv("Test program", bad)
    assert added == 0 and problems
    assert [f.task_id for f in programs.workspace.progress("Test program")] == ["a"]


def test_progress_from_a_form_is_checked() -> None:
    fact = progress_fact("a", TODAY, percent="100%", source="web:ana")
    assert fact.actual_finish == TODAY and fact.percent_complete == 100
    for percent, remaining in (("x", ""), ("120", ""), ("", "-1"), ("", "")):
        with pytest.raises(EditRefused):
            progress_fact("a", TODAY, percent=percent, remaining=remaining, source="web")


def test_the_revision_diff_is_what_git_apply_takes(programs: Programs) -> None:
    _edit(programs, 1, estimate="6d")
    diff, changes = programs.revision_diff("Test program", 2)
    assert diff.startswith("--- a/plan.yaml\n+++ b/plan.yaml\n")
    assert changes is not None and changes.count("changed") >= 1
    first, none = programs.revision_diff("Test program", 1)
    assert none is None and first.startswith("--- a/plan.yaml")


def test_unified_diff_of_added_and_removed_files() -> None:
    diff = unified_diff([("a.yaml", "x\n")], [("b.yaml", "y")])
    assert "-x\n" in diff and "+y\n" in diff


def test_an_unschedulable_revision_is_an_error_value(tmp_path: Path) -> None:
    text = HEADER + (
        "people:\n  - {id: ana, name: Ana, skills: [go]}\n"
        "tasks:\n  - {id: a, title: A, estimate: 2d, skills: [rust]}\n"
    )
    plan, _ = load_plan_texts([("p.yaml", text)])
    assert plan is not None
    with Workspace.open(str(tmp_path / "s.db"), None, create=True) as workspace:
        workspace.apply(plan, [("p.yaml", text)], author="a", message="m")
        service = Programs(workspace, AssessOptions(iterations=100), today=lambda: TODAY)
        from ontrack.app.programs import Unschedulable

        with pytest.raises(Unschedulable) as caught:
            service.view("Test program")
        assert caught.value.diagnostics
        service.close()
