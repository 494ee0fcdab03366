"""A start-no-earlier-than constraint on a zero-length job (a milestone): the problem's release
and the dates the schedule gives it, on every backend."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pytest

from ontrack.engines.calendar import WorkGrid
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.engines.schedule.planproblem import build_problem
from ontrack.model import Plan
from tests.conftest import load_doc

# 2024-01-01 is a Monday: working days (Mon-Fri) have indices 0-4 (01-01..01-05), 5-9
# (01-08..01-12). 2024-01-10 is a Wednesday, index 7; 2024-01-13 is a Saturday.
PLAN = """\
program:
  name: Gates
  start: 2024-01-01
tasks:
  - {id: gate, title: Gate, milestone: true, start_no_earlier_than: 2024-01-10}
  - {id: after, title: After, duration: 2d, depends: [gate]}
  - {id: weekend, title: Weekend gate, milestone: true, start_no_earlier_than: 2024-01-13}
  - {id: early, title: Early gate, milestone: true, start_no_earlier_than: 2023-12-01}
  - {id: work, title: Work, duration: 3d, start_no_earlier_than: 2024-01-10}
"""


def plan() -> Plan:
    loaded, diagnostics = load_doc(PLAN)
    assert loaded is not None, diagnostics
    return loaded


def test_release_of_a_constrained_milestone() -> None:
    p = plan()
    built, diagnostics = build_problem(p, WorkGrid.for_plan(p), horizon=100)
    assert built is not None, diagnostics
    jobs = built.problem.jobs

    def release(task: str) -> int:
        return jobs[built.index[(task, "task")]].release

    # A zero-length job at index i is dated the working day before i (the work it closes).
    # Not before 2024-01-10 (index 7) is therefore index 8, dated index 7 = 2024-01-10;
    # index 7 would be dated 2024-01-09, a day before the constraint (the bug).
    assert release("gate") == 8
    # Saturday 2024-01-13: the first working day on or after it is Monday 01-15, index 10;
    # release 11 is dated 01-15 (index 10 would be dated Friday 01-12, before the constraint).
    assert release("weekend") == 11
    # A constraint before the program start binds nothing: index 0, dated the first day.
    assert release("early") == 0
    # A task with work starts on its constraint's day: index 7, unchanged.
    assert release("work") == 7


@pytest.mark.parametrize("backend", ["heuristic", "cpsat"])
def test_a_constrained_milestone_is_dated_on_its_day(
    backend: Literal["heuristic", "cpsat"],
) -> None:
    result, diagnostics = schedule(plan(), ScheduleOptions(backend=backend, time_limit=2))
    assert result is not None, [d.format() for d in diagnostics]
    tasks = {t.id: t for t in result.tasks}
    assert (tasks["gate"].start, tasks["gate"].finish) == (dt.date(2024, 1, 10),) * 2
    # Its successor starts the next working day, as after any milestone closing 01-10's work.
    assert tasks["after"].start == dt.date(2024, 1, 11)
    assert tasks["after"].finish == dt.date(2024, 1, 12)
    assert tasks["weekend"].finish == dt.date(2024, 1, 15)
    assert tasks["early"].finish == dt.date(2024, 1, 1)
    assert tasks["work"].start == dt.date(2024, 1, 10)
    assert tasks["work"].finish == dt.date(2024, 1, 12)
