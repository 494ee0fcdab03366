"""Progress as the scheduler needs it: per task, what is done, what is under way and how much is
left, as of a status date.

Two sources give the same records: fields written on the plan's tasks (``actual_start``,
``actual_finish``, ``percent_complete``, ``remaining``, with the program's ``status_date``), and
the dated facts recorded in the store (``ontrack progress``), of which the latest on or before
the status date counts.

Rules (the scheduler's and the forecaster's): done work is fixed where it happened; work under
way continues from the status date with what is left (``remaining``, else the estimate's likely
value times what is not complete, else all of it); nothing else starts before the status date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal, Protocol

from ontrack.model import Plan, Task

State = Literal["done", "in-progress", "planned"]


@dataclass(frozen=True, slots=True)
class TaskProgress:
    actual_start: dt.date | None = None
    actual_finish: dt.date | None = None
    percent_complete: Fraction | None = None  # 0..1
    remaining_minutes: int | None = None  # working minutes of work left

    @property
    def state(self) -> State:
        if self.actual_finish is not None or self.percent_complete == 1:
            return "done"
        if self.actual_start is not None or self.percent_complete or self.remaining_minutes:
            return "in-progress"
        return "planned"

    def left(self, task: Task) -> int | None:
        """Working minutes of the task's work still to do (None: all of it)."""
        if self.remaining_minutes is not None:
            return self.remaining_minutes
        work = task.work
        if self.percent_complete is not None and work is not None:
            return round(work.likely.minutes * (1 - self.percent_complete))
        return None


@dataclass(frozen=True, slots=True)
class Status:
    """The status date and each task's progress (tasks not named have not started)."""

    date: dt.date
    tasks: Mapping[str, TaskProgress]


def plan_status(plan: Plan) -> Status | None:
    """The progress written on the plan's tasks, as of the program's status date."""
    tasks = {
        t.id: TaskProgress(
            t.actual_start,
            t.actual_finish,
            t.percent_complete,
            t.remaining.minutes if t.remaining is not None else None,
        )
        for t in plan.tasks
        if t.actual_start or t.actual_finish or t.percent_complete is not None or t.remaining
    }
    if plan.program.status_date is None and not tasks:
        return None
    date = plan.program.status_date or max(
        (d for p in tasks.values() for d in (p.actual_start, p.actual_finish) if d), default=None
    )
    return Status(date, tasks) if date is not None else None


class Fact(Protocol):
    """A dated progress fact (the store's ``ProgressFact``)."""

    @property
    def task_id(self) -> str: ...
    @property
    def status_date(self) -> dt.date: ...
    @property
    def actual_start(self) -> dt.date | None: ...
    @property
    def actual_finish(self) -> dt.date | None: ...
    @property
    def percent_complete(self) -> Decimal | None: ...
    @property
    def remaining_days(self) -> Decimal | None: ...


def facts_status(
    plan: Plan, facts: Iterable[Fact], status_date: dt.date | None = None
) -> Status | None:
    """The latest fact per task on or before ``status_date`` (default: the latest one)."""
    chosen = [f for f in facts if status_date is None or f.status_date <= status_date]
    if not chosen:
        return None
    date = status_date or max(f.status_date for f in chosen)
    minutes_per_day = plan.calendar.minutes_per_day
    latest: dict[str, Fact] = {}
    for fact in sorted(chosen, key=lambda f: f.status_date):
        latest[fact.task_id] = fact
    tasks = {}
    for task_id, fact in latest.items():
        percent = (
            Fraction(fact.percent_complete) / 100 if fact.percent_complete is not None else None
        )
        remaining = (
            round(Fraction(fact.remaining_days) * minutes_per_day)
            if fact.remaining_days is not None
            else None
        )
        tasks[task_id] = TaskProgress(fact.actual_start, fact.actual_finish, percent, remaining)
    return Status(date, tasks)
