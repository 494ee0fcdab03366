"""Generated plans: exact size, same seed same plan, and zero diagnostics when loaded."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from ontrack.model import Plan
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan


def _walk(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for task in tasks:
        yield task
        yield from _walk(task.get("tasks", []))


@cache
def _loaded(tasks: int, people: int, seed: int) -> Plan:
    plan, diagnostics = load_plan_text(dump_plan(generate_plan(tasks, people, seed)))
    assert [d.format() for d in diagnostics] == []
    assert plan is not None
    return plan


#: People and seed of the 1000-task plans several tests share (loaded once each).
MID = [(1, 0), (7, 1), (40, 2)]


@pytest.mark.parametrize("tasks", [1, 2, 3, 5, 6, 7, 8, 20, 34, 35, 200])
@pytest.mark.parametrize(("people", "seed"), [(1, 0), (3, 1), (12, 2), (40, 3)])
def test_exact_task_count_and_no_diagnostics(tasks: int, people: int, seed: int) -> None:
    data = generate_plan(tasks, people, seed)
    assert sum(1 for _ in _walk(data["tasks"])) == tasks
    assert len(data["people"]) == people
    plan = _loaded(tasks, people, seed)
    assert len(plan.tasks) == tasks
    assert len(plan.people) == people


def test_ten_thousand_tasks_load_clean() -> None:
    plan = _loaded(10_000, 100, 7)
    assert len(plan.tasks) == 10_000
    assert len(plan.risks) == 200
    assert plan.releases


def test_largest_size_is_exact() -> None:
    data = generate_plan(100_000, 1000, 0)
    assert sum(1 for _ in _walk(data["tasks"])) == 100_000


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    assert dump_plan(generate_plan(300, 20, 5)) == dump_plan(generate_plan(300, 20, 5))
    assert dump_plan(generate_plan(300, 20, 5)) != dump_plan(generate_plan(300, 20, 6))


def test_tiny_plans() -> None:
    one = generate_plan(1, 1, 0)
    assert len(one["tasks"]) == 1
    assert "tasks" not in one["tasks"][0] and not one["tasks"][0].get("milestone")
    assert len(one["teams"]) == 1 and one["teams"][0]["members"] == [one["people"][0]["id"]]


@pytest.mark.parametrize(("people", "seed"), MID)
def test_dependencies_only_point_backwards(people: int, seed: int) -> None:
    plan = _loaded(1000, people, seed)
    position = {t.id: i for i, t in enumerate(plan.tasks)}
    for task in plan.tasks:
        ancestors = set()
        parent = task.parent
        while parent is not None:
            ancestors.add(parent)
            parent = plan.task_by_id[parent].parent
        for dep in task.depends:
            assert position[dep.task] < position[task.id], (task.id, dep.task)
            assert dep.task not in ancestors, (task.id, dep.task)


def test_shape_is_realistic() -> None:
    plan = _loaded(1000, *MID[-1])
    kinds = {dep.type for t in plan.tasks for dep in t.depends}
    assert {"FS", "SS", "FF"} <= kinds
    epics = [t for t in plan.tasks if t.parent is None]
    assert all(t.is_summary and t.team for t in epics)
    assert all(plan.task_by_id[t.children[-1]].milestone for t in epics)
    assert any(t.deadline for t in plan.tasks if t.milestone)
    assert any(t.parent and t.is_summary for t in plan.tasks)  # a second WBS level
    assert all(1 <= len(p.skills) <= 3 for p in plan.people)
    assert len(plan.risks) == 1000 // 50
    assert all(r.owner in plan.person_by_id for r in plan.risks)


@pytest.mark.parametrize(("people", "seed"), MID)
def test_skills_are_satisfiable(people: int, seed: int) -> None:
    plan = _loaded(1000, people, seed)
    for task in plan.leaf_tasks():
        needed = set(task.skills)
        if task.assignees:
            pool = [plan.person_by_id[a] for a in task.assignees]
        else:
            assert task.team is not None
            pool = [plan.person_by_id[m] for m in plan.team_by_id[task.team].members]
        assert any(needed <= set(p.skills) for p in pool), task.id


@pytest.mark.parametrize(("tasks", "people"), [(0, 1), (100_001, 1), (10, 0)])
def test_out_of_range_is_refused(tasks: int, people: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        generate_plan(tasks, people, 0)
