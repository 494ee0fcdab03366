"""CSV task lists: spreadsheet spellings, nesting by parent, WBS or level, the dependency syntax,
and our own CSV export read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from ontrack.engines.schedule.planner import schedule
from ontrack.interop.importer import load_any, parse_bytes, plan_from_import, walk_tasks
from ontrack.interop.tables import tasks_csv
from ontrack.model import DepType, Plan, Task
from ontrack.planfile import load_plan
from tests.conftest import EXAMPLES, codes


def _load(
    text: str, name: str = "tasks.csv"
) -> tuple[Plan | None, list[str], list[tuple[str, int]]]:
    imported, diagnostics = parse_bytes(text.encode(), name, "csv")
    assert imported is not None, diagnostics
    plan, problems = plan_from_import(imported)
    return plan, codes(diagnostics), [(d.code, d.loc.line) for d in problems]


def test_spreadsheet_spellings_and_wbs() -> None:
    plan, found, problems = _load(
        "WBS;Name;Effort;Predecessors;Owner;Due date;Notes;Colour\n"
        "1;Design;;;;;;red\n"
        "1.1;Sketch screens;3;;Ana Lima;;First pass;blue\n"
        "1.2;Review;0.5;2FS+1;Bo;2026-03-31;;\n"
        "2;Launch;;3;;2026-04-10T17:00:00;;\n"
    )
    assert plan is not None, problems
    assert found == ["W457"]  # Colour is not a plan field
    assert [t.id for t in plan.tasks] == ["design", "sketch-screens", "review", "launch"]
    assert plan.task_by_id["review"].parent == "design"
    assert plan.task_by_id["sketch-screens"].estimate is not None
    assert plan.task_by_id["sketch-screens"].estimate.likely.minutes == 3 * 480  # days
    (dep,) = plan.task_by_id["review"].depends
    assert (dep.task, dep.type, dep.lag.minutes) == ("sketch-screens", DepType.FS, 480)
    assert plan.task_by_id["launch"].depends[0].task == "review"  # row 3
    assert [p.id for p in plan.people] == ["ana-lima", "Bo"]  # a valid id stays as written
    assert plan.task_by_id["sketch-screens"].assignees == ("ana-lima",)
    assert str(plan.task_by_id["launch"].deadline) == "2026-04-10"


def test_parent_column_ids_and_link_syntax() -> None:
    plan, _, problems = _load(
        "id,title,parent,estimate,depends,kind,team\n"
        "epic,The epic,,,,summary,\n"
        "a-1,First,epic,2d/3d/5d,,task,core\n"
        'a-2,Second,epic,1w,"a-1 SS+2d; a-1:FF-4h",task,core\n'
        "done,All done,,,a-2,milestone,\n"
    )
    assert plan is not None, problems
    assert plan.task_by_id["a-1"].parent == "epic"
    assert [(d.type, d.lag.minutes) for d in plan.task_by_id["a-2"].depends] == [
        (DepType.SS, 960),
        (DepType.FF, -240),
    ]
    assert plan.task_by_id["done"].milestone
    assert plan.team_by_id["core"].members == ()  # nobody assigned: a team to fill in


def test_level_column_and_tabs() -> None:
    plan, _, problems = _load("Level\tTask\tDuration\n1\tPhase\t\n2\tWork\t5\n2\tMore\t2d\n")
    assert plan is not None, problems
    assert plan.task_by_id["work"].parent == "phase"
    assert plan.task_by_id["more"].duration is not None


def test_problems_point_at_rows() -> None:
    plan, _, problems = _load("id,title,estimate,depends\na,A,3d,\nb,B,lots,\nc,C,1d,zz\n")
    assert plan is None
    assert set(problems) == {("E110", 3), ("E201", 4)}


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "E458"), ("colour,size\nred,big\n", "E458")],
)
def test_unusable_files(text: str, code: str) -> None:
    imported, diagnostics = parse_bytes(text.encode(), "x.csv", "csv")
    assert imported is None
    assert codes(diagnostics) == [code]


def test_our_export_reads_back(tmp_path: Path) -> None:
    plan, _ = load_plan(EXAMPLES / "platform-migration")
    assert plan is not None
    scheduled, _ = schedule(plan)
    assert scheduled is not None
    path = tmp_path / "tasks.csv"
    path.write_text(tasks_csv(plan, scheduled), encoding="utf-8")
    back, diagnostics = load_any(path)
    assert back is not None, [d.format() for d in diagnostics]
    assert back.program.start == scheduled.start
    assert [t.id for t in back.tasks] == [t.id for t in _outline(plan)]
    for task in plan.tasks:
        got = back.task_by_id[task.id]
        assert (got.title, got.parent, got.milestone) == (task.title, task.parent, task.milestone)
        assert [(d.task, d.type, d.lag) for d in got.depends] == [
            (d.task, d.type, d.lag) for d in task.depends
        ]
        if not task.is_summary:
            assert (got.estimate, got.duration) == (task.estimate, task.duration)


def _outline(plan: Plan) -> list[Task]:
    from ontrack.interop.tables import outline

    return [t for t, _, _ in outline(plan)]


# -- a broken outline, absurd cells (the hardening issue) ---------------------------------------


def test_a_parent_cycle_is_an_error_naming_the_rows_and_every_task_is_written() -> None:
    text = "id,title,parent,estimate\na,A,b,1d\nb,B,a,1d\nc,C,,1d\nd,D,d,1d\ne,E,nope,1d\n"
    imported, diagnostics = parse_bytes(text.encode(), "cycle.csv", "csv")
    assert imported is not None
    found = [(d.code, d.loc.line, d.subjects) for d in diagnostics]
    assert found == [
        ("E459", 2, ("a", "b")),  # a under b under a: cut at a, the first row
        ("E459", 5, ("d",)),  # its own parent
        ("W451", 6, ("e",)),  # a parent not in the file: at the top, said
    ]
    assert [r.line for r in diagnostics[0].related] == [3]
    assert sorted(t["id"] for t in walk_tasks(imported.data["tasks"])) == list("abcde")
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    assert plan.task_by_id["b"].parent == "a" and plan.task_by_id["a"].parent is None


def test_a_chain_of_parents_deeper_than_python_recursion(tmp_path: Path) -> None:
    rows = "".join(f"t{k},T {k},{f't{k - 1}' if k else ''},1d\n" for k in range(3000))
    path = tmp_path / "deep.csv"
    path.write_text("id,title,parent,estimate\n" + rows)
    plan, diagnostics = load_any(path)
    assert plan is not None, [d.format() for d in diagnostics]
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W459", 22)]  # t20, moved up
    assert len(plan.tasks) == 3000
    assert max(_depth(plan, t) for t in plan.tasks) == 20


def test_absurd_cells_are_never_a_crash() -> None:
    plan, found, problems = _load(
        "id,title,level,priority,deadline,estimate\n"
        "a,A,inf,²,3000-01-01,1d\n"  # line 2
        "b,B,1e400,9" + "9" * 5000 + ",1899-12-31,1d\n"
        "c,C,nan,5,2026-03-02,1d\n"
    )
    assert found == ["W456", "W456"]  # the two deadlines out of range, left out
    assert plan is not None or problems  # a word priority is the loader's to judge
    plan, found, problems = _load("id,title,level\na,A,2.0\nb,B,3.5\nc,C,-1\n")
    assert plan is not None, problems
    assert plan.task_by_id["b"].parent == "a"


def _depth(plan: Plan, task: Task) -> int:
    depth = 1
    while task.parent is not None:
        task = plan.task_by_id[task.parent]
        depth += 1
    return depth
