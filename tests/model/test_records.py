"""Records are frozen, and a plan's indexes always agree with its records."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ontrack.model import Calendar, DateRange, Plan, Program, Task


def test_records_are_frozen_and_slotted() -> None:
    task = Task("a", "A")
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.title = "B"  # type: ignore[misc]
    assert not hasattr(task, "__dict__")


def test_plan_indexes_and_wbs() -> None:
    plan = Plan(
        Program("P", dt.date(2026, 1, 5)),
        tasks=(
            Task("epic", "Epic", children=("a", "b")),
            Task("a", "A", parent="epic", children=("a1",)),
            Task("a1", "A1", parent="a"),
            Task("b", "B", parent="epic"),
        ),
    )
    assert plan.task_by_id["a1"].parent == "a"
    assert [t.id for t in plan.descendants("epic")] == ["a", "a1", "b"]
    assert [t.id for t in plan.leaf_tasks()] == ["a1", "b"]
    with pytest.raises(TypeError):
        plan.task_by_id["x"] = Task("x", "X")  # type: ignore[index]


def test_calendar_and_ranges() -> None:
    cal = Calendar(holidays=(dt.date(2026, 5, 25),))
    assert cal.is_working_day(dt.date(2026, 5, 26))
    assert not cal.is_working_day(dt.date(2026, 5, 25))
    assert not cal.is_working_day(dt.date(2026, 5, 23))  # a Saturday
    span = DateRange(dt.date(2026, 2, 9), dt.date(2026, 2, 13))
    assert span.days == 5 and dt.date(2026, 2, 10) in span
