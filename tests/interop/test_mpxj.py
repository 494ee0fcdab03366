"""An independent reader, MPXJ, against our files: it reads our MSPDI export back with the same
tasks, durations, dependencies, resources and assignments; and for every shared MS Project and
Primavera file, our importer finds as many tasks and links as MPXJ does."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from ontrack.engines.schedule.planner import schedule
from ontrack.interop.importer import import_file, plan_from_import
from ontrack.interop.mspdi import export_mspdi
from ontrack.model import Plan, Task
from ontrack.planfile import load_plan
from tests.conftest import EXAMPLES, SHARED_DATA, needs_shared, shared_or_skip
from tests.interop.conftest import Mpxj, MpxjProject

MSPDI_FILES = sorted((SHARED_DATA / "projects" / "mspdi").glob("*.xml"))
XER_FILES = sorted((SHARED_DATA / "projects" / "xer").glob("*.xer"))


def _export(example: str, tmp_path: Path) -> tuple[Plan, Path, dict[str, tuple[str, ...]]]:
    plan, diagnostics = load_plan(EXAMPLES / example)
    assert plan is not None, diagnostics
    scheduled, problems = schedule(plan)
    assert scheduled is not None, problems
    path = tmp_path / f"{example}.xml"
    path.write_text(export_mspdi(plan, scheduled), encoding="utf-8")
    return plan, path, {t.id: t.assignees for t in scheduled.tasks}


@pytest.mark.parametrize("example", ["small", "platform-migration"])
def test_mpxj_reads_our_export(mpxj: Mpxj, example: str, tmp_path: Path) -> None:
    plan, path, assignees = _export(example, tmp_path)
    read = mpxj.read(path)
    assert read is not None
    assert read.minutes_per_day == 480
    tasks = [t for t in read.tasks if t.unique_id != 0]  # 0: the project summary
    by_id = {t.text1: t for t in tasks}
    assert [t.text1 for t in tasks] == [t.id for t in _depth_first(plan)]
    uid_to_id = {t.unique_id: t.text1 for t in tasks}
    for task in plan.tasks:
        got = by_id[task.id]
        assert got.name == task.title
        assert got.summary == task.is_summary
        assert got.milestone == task.milestone
        assert got.outline_level == _depth(plan, task.id)
        deps = {(uid_to_id[u], kind, lag) for u, kind, lag in got.predecessors}
        assert deps == {(d.task, d.type.value, float(d.lag.minutes)) for d in task.depends}
        if task.is_summary or task.milestone:
            continue
        work = task.work
        assert work is not None
        if task.duration is not None:
            assert got.duration_minutes == task.duration.likely.minutes
        else:
            assert got.work_minutes == work.likely.minutes
            share = sum((plan.person_by_id[p].allocation for p in assignees[task.id]), Fraction(0))
            assert got.duration_minutes == round(work.likely.minutes / (share or 1))
        if not work.is_single:
            assert got.pert_minutes == (
                work.optimistic.minutes,
                work.likely.minutes,
                work.pessimistic.minutes,
            )
    _check_resources(plan, read, assignees, uid_to_id)


def _check_resources(
    plan: Plan,
    read: MpxjProject,
    assignees: dict[str, tuple[str, ...]],
    uid_to_id: dict[int, str | None],
) -> None:
    people = {r["code"]: r for r in read.resources if r["code"]}
    assert set(people) == {p.id for p in plan.people}
    uid_to_person = {r["unique_id"]: r["code"] for r in read.resources}
    for person in plan.people:
        got = people[person.id]
        assert got["name"] == person.name
        assert got["max_units"] == float(person.allocation * 100)
        if person.rate is not None:
            unit = "d" if person.rate.per.value == "day" else "h"
            assert got["rate"] == f"{float(person.rate.amount)}/{unit}"
        days_off = read.calendars[got["calendar"]]
        for off in person.time_off:
            assert (off.start.isoformat(), off.end.isoformat()) in days_off
    expected = {
        (task, person, float(plan.person_by_id[person].allocation * 100))
        for task, people_ in assignees.items()
        for person in people_
        if not plan.task_by_id[task].is_summary and not plan.task_by_id[task].milestone
    }
    found = {(uid_to_id[t], uid_to_person[r], units) for t, r, units in read.assignments}
    assert found == expected
    standard = read.calendars["Standard"]
    for holiday in plan.calendar.holidays:
        assert any(a <= holiday.isoformat() <= b for a, b in standard)


def _depth_first(plan: Plan) -> list[Task]:
    from ontrack.interop.tables import outline

    return [task for task, _, _ in outline(plan)]


def _depth(plan: Plan, task_id: str) -> int:
    depth, parent = 1, plan.task_by_id[task_id].parent
    while parent is not None:
        depth, parent = depth + 1, plan.task_by_id[parent].parent
    return depth


# -- shared files: our importer and MPXJ count the same ------------------------------------------


def _ours(path: Path) -> tuple[int, int]:
    imported, diagnostics = import_file(path)
    assert imported is not None, [d.format() for d in diagnostics]
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    return len(plan.tasks), sum(len(t.depends) for t in plan.tasks)


@needs_shared(SHARED_DATA / "projects" / "mspdi", "the shared MS Project files")
@pytest.mark.parametrize("path", MSPDI_FILES, ids=lambda p: p.name)
def test_mspdi_counts_match_mpxj(mpxj: Mpxj, path: Path) -> None:
    read = mpxj.read(path)
    assert read is not None
    # MPXJ lists MS Project's project summary (task 0); a plan has the program for it.
    tasks = [t for t in read.tasks if t.unique_id != 0 and t.outline_level > 0]
    assert _ours(path) == (len(tasks), read.link_count)


@needs_shared(SHARED_DATA / "projects" / "xer", "the shared Primavera files")
@pytest.mark.parametrize("path", XER_FILES, ids=lambda p: p.name)
def test_xer_counts_match_mpxj(mpxj: Mpxj, path: Path) -> None:
    read = mpxj.read(path)
    assert read is not None
    # WBS nodes, the project's own included, are summary tasks for both.
    assert _ours(path) == (len(read.tasks), read.link_count)


def test_mspdi_lag_and_link_types_match_mpxj(mpxj: Mpxj) -> None:
    path = SHARED_DATA / "projects" / "mspdi" / "sample.xml"
    shared_or_skip(path, "the shared MS Project files")
    read = mpxj.read(path)
    assert read is not None
    imported, _ = import_file(path)
    assert imported is not None
    plan, _ = plan_from_import(imported)
    assert plan is not None
    by_title = {t.title: t for t in plan.tasks}
    names = {t.unique_id: t.name for t in read.tasks}
    for task in read.tasks:
        if not task.predecessors:
            continue
        ours = by_title[task.name]
        theirs = {(names[u], kind, lag) for u, kind, lag in task.predecessors}
        mine = {
            (plan.task_by_id[d.task].title, d.type.value, float(d.lag.minutes))
            for d in ours.depends
        }
        assert mine == theirs
