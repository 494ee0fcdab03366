"""load_plan: files and folders in, the model (or every problem) out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from ontrack.model import DepType, Duration, RateUnit
from ontrack.planfile import load_plan, plan_files
from tests.conftest import FIXTURES, HEADER, codes, load_doc


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_model_from_the_clean_fixture() -> None:
    plan, _ = load_plan(FIXTURES / "plans" / "clean.yaml")
    assert plan is not None
    assert plan.program.currency == "EUR"
    assert plan.program.budget == Decimal(250000)
    assert plan.calendar.workweek == frozenset(range(5))
    assert dt.date(2026, 12, 25) in plan.calendar.holidays
    alice = plan.person_by_id["alice"]
    assert alice.rate is not None and alice.rate.per is RateUnit.DAY
    assert [r.days for r in alice.time_off] == [5, 1]
    bob = plan.person_by_id["bob"]
    assert bob.allocation == Fraction(1, 2)
    assert plan.calendar_of(bob).id == "uk"
    build = plan.task_by_id["build"]
    assert build.is_summary and build.children == ("design", "api", "ui")
    api = plan.task_by_id["api"]
    assert api.parent == "build"
    assert api.team == "payments" and api.tags == ("q1",)  # inherited from the summary
    assert api.estimate is not None
    assert api.estimate.likely == Duration(8 * 8 * 60)
    assert api.priority == 700
    ui = plan.task_by_id["ui"]
    assert [(d.task, d.type, d.lag) for d in ui.depends] == [
        ("design", DepType.SS, Duration(2 * 480)),
        ("api", DepType.FF, Duration(-480)),
    ]
    assert ui.assignees == ("bob",)
    assert plan.task_by_id["vendor"].duration is not None
    assert plan.task_by_id["launch"].milestone
    risk = plan.risks[0]
    assert risk.probability == Fraction(3, 10)
    assert risk.impact is not None and risk.impact.pessimistic == Duration(20 * 480)
    assert [t.id for t in plan.descendants("build")] == ["design", "api", "ui"]


def test_records_know_where_they_came_from() -> None:
    plan, _ = load_plan(FIXTURES / "plans" / "clean.yaml")
    assert plan is not None
    api = plan.task_by_id["api"]
    assert api.loc.line == 39
    assert api.locs["depends[0]"].line == 42
    assert plan.task_by_id["ui"].depends[1].loc.line == 48


def test_hours_per_day_defines_a_day() -> None:
    plan, diags = load_doc(
        HEADER + "calendar: {hours_per_day: 6}\ntasks: [{id: a, title: A, estimate: 2d/1w/2w}]\n"
    )
    assert diags == []
    assert plan is not None
    estimate = plan.tasks[0].estimate
    assert estimate is not None
    assert (estimate.optimistic, estimate.likely) == (Duration(720), Duration(1800))


def test_named_default_calendar() -> None:
    plan, diags = load_doc(
        "program: {name: P, start: 2026-01-05, calendar: ops}\n"
        "calendars: [{id: ops, workweek: [mon, tue, wed, thu, fri, sat], hours_per_day: 10}]\n"
        "tasks: [{id: a, title: A, estimate: 1w}]\n"
    )
    assert diags == []
    assert plan is not None
    assert plan.calendar.id == "ops"
    assert plan.tasks[0].estimate is not None
    assert plan.tasks[0].estimate.likely == Duration(60 * 60)  # 6 days of 10 hours


def test_folder_of_files_merges(tmp_path: Path) -> None:
    write(tmp_path, "program.yaml", HEADER)
    write(tmp_path, "people.yaml", "people: [{id: alice, skills: [backend]}]\n")
    write(tmp_path, "teams/core.yaml", "tasks: [{id: a, title: A, estimate: 1d}]\n")
    write(tmp_path, "teams/web.yml", "tasks: [{id: b, title: B, estimate: 1d, depends: [a]}]\n")
    write(tmp_path, ".ontrack/ignored.yaml", "nonsense: [")
    write(tmp_path, "README.md", "not a plan")
    assert [p.name for p in plan_files(tmp_path)] == [
        "people.yaml",
        "program.yaml",
        "core.yaml",
        "web.yml",
    ]
    plan, diags = load_plan(tmp_path)
    assert diags == []
    assert plan is not None
    assert [t.id for t in plan.tasks] == ["a", "b"]
    assert len(plan.sources) == 4


def test_duplicates_across_files_name_both_places(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", HEADER + "tasks: [{id: x, title: X, estimate: 1d}]\n")
    b = write(tmp_path, "b.yaml", "tasks:\n  - id: x\n    title: X again\n    estimate: 1d\n")
    plan, diags = load_plan(tmp_path)
    assert plan is None
    (dup,) = diags
    assert dup.code == "E200"
    assert (dup.loc.file, dup.loc.line) == (str(b), 2)
    assert dup.related[0].file.endswith("a.yaml")


def test_program_in_two_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", HEADER)
    write(tmp_path, "b.yaml", HEADER)
    _, diags = load_plan(tmp_path)
    assert codes(diags) == ["E120"]


def test_missing_program_and_empty_folder(tmp_path: Path) -> None:
    _, diags = load_plan(tmp_path)
    assert codes(diags) == ["E001"]
    write(tmp_path, "tasks.yaml", "tasks: [{id: a, title: A, estimate: 1d}]\n")
    plan, diags = load_plan(tmp_path)
    assert plan is None
    assert codes(diags) == ["E121"]


def test_missing_path(tmp_path: Path) -> None:
    plan, diags = load_plan(tmp_path / "nope.yaml")
    assert plan is None and codes(diags) == ["E001"]


def test_top_level_must_be_a_mapping() -> None:
    _, diags = load_doc("- a\n- b\n")
    assert codes(diags) == ["E102"]


def test_every_problem_in_one_pass_and_no_echo_for_invalid_items() -> None:
    # 'b' is invalid (bad estimate); 'c' depends on it: only the estimate is reported, not an
    # unknown task, while the unrelated bad reference in 'd' still is.
    plan, diags = load_doc(
        HEADER
        + """\
tasks:
  - id: b
    title: B
    estimate: lots
  - id: c
    title: C
    estimate: 1d
    depends: [b]
  - id: d
    title: D
    estimate: 1d
    depends: [nope]
"""
    )
    assert plan is None
    assert [(d.loc.line, d.code) for d in diags] == [(7, "E110"), (15, "E201")]


def test_broken_child_keeps_its_parent() -> None:
    plan, diags = load_doc(
        HEADER
        + """\
tasks:
  - id: epic
    title: Epic
    tasks:
      - id: ok
        title: Fine
        estimate: 1d
      - id: bad
        title: Bad
        estimate: 1q
  - id: after
    title: After
    estimate: 1d
    depends: [epic, bad]
"""
    )
    assert plan is None
    assert codes(diags) == ["E110"]


def test_warnings_alone_still_give_a_plan() -> None:
    plan, diags = load_doc(HEADER + "tasks: [{id: a, title: A}]\n")
    assert plan is not None
    assert codes(diags) == ["W301"]


def test_diagnostics_are_sorted_by_position() -> None:
    _, diags = load_doc(
        HEADER + "tasks:\n  - {id: a, title: A, estimate: 1q}\n  - {id: b, title: B, estimate: x}\n"
    )
    assert [d.loc.line for d in diags] == sorted(d.loc.line for d in diags)
