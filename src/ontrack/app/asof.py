"""The one rule for the as-of date: the day every output describes.

1. the day the user asks for (``--status-date`` / ``--as-of``);
2. else the later of the program's ``status_date`` and the latest status date of the progress
   recorded in the store;
3. else the latest actual date written on the plan's tasks;
4. else today (``ONTRACK_TODAY`` pins "today" for reproducible runs: CI, demos, bug reports).

Work is done only when progress says so: whatever the as-of date, nothing is finished because
the calendar passed it, and no remaining work is planned before it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ontrack.checks.limits import in_horizon
from ontrack.engines.schedule.progress import Fact, Status, TaskProgress, facts_status, plan_status
from ontrack.model import Plan

AsOfSource = Literal["option", "program", "progress", "plan", "today"]
TODAY_ENV = "ONTRACK_TODAY"


def today() -> dt.date:
    """Today, or the day ``ONTRACK_TODAY`` (YYYY-MM-DD) pins."""
    pinned = os.environ.get(TODAY_ENV)
    if pinned:
        try:
            day = dt.date.fromisoformat(pinned)
        except ValueError:
            pass  # a malformed pin is ignored rather than fatal: the real date is still right
        else:
            if in_horizon(day):  # as the dates of a plan, or no engine could date work from it
                return day
    return dt.date.today()


@dataclass(frozen=True, slots=True)
class AsOf:
    """The as-of date, where it came from, and the last day progress was recorded for."""

    date: dt.date
    source: AsOfSource
    last_progress: dt.date | None  # None: no progress recorded at all

    @property
    def stale_days(self) -> int | None:
        """Calendar days between the last progress and the as-of date (None: no progress)."""
        return None if self.last_progress is None else (self.date - self.last_progress).days

    @property
    def statement(self) -> str:
        """One sentence every output can print under its heading."""
        where = {
            "option": "as asked",
            "program": "the program's status date",
            "progress": "the latest recorded progress",
            "plan": "the latest actual date in the plan",
            "today": "today: no status date or progress is recorded",
        }[self.source]
        if self.last_progress is None:
            tail = "no progress has been recorded"
        elif self.last_progress < self.date:
            tail = f"no progress has been recorded since {self.last_progress}"
        else:
            tail = f"progress recorded to {self.last_progress}"
        return f"as of {self.date} ({where}); {tail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "source": self.source,
            "last_progress": self.last_progress.isoformat() if self.last_progress else None,
            "statement": self.statement,
        }


def _plan_dates(plan: Plan) -> list[dt.date]:
    return [d for t in plan.tasks for d in (t.actual_start, t.actual_finish) if d is not None]


def resolve_as_of(plan: Plan, facts: Iterable[Fact] = (), given: dt.date | None = None) -> AsOf:
    """The as-of date for ``plan`` with the store's ``facts`` (rule in the module docstring)."""
    recorded = [f.status_date for f in facts if given is None or f.status_date <= given]
    written = plan.program.status_date
    has_plan_progress = any(
        t.actual_start or t.actual_finish or t.percent_complete is not None or t.remaining
        for t in plan.tasks
    )
    last_candidates = [*recorded]
    if has_plan_progress:
        as_written = written or max(_plan_dates(plan), default=plan.program.start)
        if given is None or as_written <= given:
            last_candidates.append(as_written)
        else:  # seen from an earlier day: only what had happened by then (status_as_of)
            last_candidates += [d for d in _plan_dates(plan) if d <= given]
    last = max(last_candidates, default=None)
    if given is not None:
        return AsOf(given, "option", last)
    if written is not None and (not recorded or written >= max(recorded)):
        return AsOf(written, "program", last)
    if recorded:
        return AsOf(max(recorded), "progress", last)
    dates = _plan_dates(plan)
    if dates:
        return AsOf(max(dates), "plan", last)
    return AsOf(today(), "today", last)


def status_as_of(plan: Plan, facts: Iterable[Fact], as_of: AsOf) -> Status:
    """Each task's progress as of the as-of date: the store's latest facts on or before it,
    over what the plan's own fields say; tasks named by neither have not started."""
    tasks: dict[str, TaskProgress] = {}
    written = plan_status(plan)
    if written is not None:
        if as_of.date >= written.date:
            tasks.update(written.tasks)
        else:  # an earlier day than the plan's progress: only what had happened by then
            tasks.update(_before(p, as_of.date) for p in written.tasks.items())
    recorded = facts_status(plan, list(facts), as_of.date)
    if recorded is not None:
        tasks.update(recorded.tasks)
    return Status(as_of.date, _reached_milestones(plan, tasks))


def _reached_milestones(plan: Plan, tasks: dict[str, TaskProgress]) -> dict[str, TaskProgress]:
    """A milestone nobody reports on is reached when all the work it closes is done: on the
    day the last of it finished (progress files name work, rarely milestones)."""

    def finish(task_id: str) -> dt.date | None:
        task = plan.task_by_id[task_id]
        ids = (
            [d.id for d in plan.descendants(task_id) if not d.is_summary]
            if task.is_summary
            else [task_id]
        )
        days = []
        for i in ids:
            p = tasks.get(i)
            if p is None or p.state != "done":
                return None
            day = p.actual_finish or p.actual_start
            if day is None:
                return None
            days.append(day)
        return max(days, default=None)

    changed = True
    while changed:  # a milestone may close another
        changed = False
        for task in plan.tasks:
            if not task.milestone or task.id in tasks or not task.depends:
                continue
            ends = [finish(d.task) for d in task.depends]
            if all(e is not None for e in ends):
                day = max(e for e in ends if e is not None)
                tasks[task.id] = TaskProgress(actual_start=day, actual_finish=day)
                changed = True
    return tasks


def _before(item: tuple[str, TaskProgress], day: dt.date) -> tuple[str, TaskProgress]:
    """A task's written progress seen from an earlier day: its actual dates up to that day,
    no share complete (unknown then)."""
    task_id, p = item
    start = p.actual_start if p.actual_start and p.actual_start <= day else None
    finish = p.actual_finish if p.actual_finish and p.actual_finish <= day else None
    return task_id, TaskProgress(start, finish if start else None)
