"""Rules about a single task: what kind of work it is, and whether its dates can hold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ontrack.diagnostics import Diagnostic, error, warning
from ontrack.model import Plan, Task

CODES = ("E220", "E221", "E222", "E223", "E225", "E226", "W301", "W304", "W307", "W309")


def check_tasks(plan: Plan) -> Iterator[Diagnostic]:
    start = plan.program.start
    status = plan.program.status_date
    for task in plan.tasks:
        at = task.locs.get
        yield from _progress(task, status)
        if task.milestone and task.work is not None:
            field = "estimate" if task.estimate is not None else "duration"
            yield error(
                "E220",
                at(field, task.loc),
                f"milestone '{task.id}' has an {field}"
                if field == "estimate"
                else f"milestone '{task.id}' has a duration",
                f"a milestone is an instant; remove `{field}` or `milestone: true`",
                subjects=(task.id,),
            )
        if task.estimate is not None and task.duration is not None:
            yield error(
                "E221",
                at("duration", task.loc),
                f"task '{task.id}' has both an estimate and a duration",
                "use `estimate` for effort that people do, `duration` for fixed "
                "elapsed time; not both",
                subjects=(task.id,),
            )
        if task.is_summary and task.work is not None:
            field = "estimate" if task.estimate is not None else "duration"
            yield error(
                "E222",
                at(field, task.loc),
                f"summary task '{task.id}' has its own {field}",
                "a summary's work is its subtasks'; move the work into a subtask",
                subjects=(task.id,),
            )
        if task.is_summary and task.milestone:
            yield error(
                "E223",
                at("milestone", task.loc),
                f"milestone '{task.id}' has subtasks",
                "make the milestone a sibling that depends on the work",
                subjects=(task.id,),
            )
        if not task.is_summary and not task.milestone and task.work is None:
            yield warning(
                "W301",
                task.loc,
                f"task '{task.id}' has no estimate",
                "add `estimate: 3d` (or `3d/5d/10d`), or `milestone: true`",
                subjects=(task.id,),
            )
        if task.deadline is not None and task.deadline < start:
            yield warning(
                "W304",
                at("deadline", task.loc),
                f"deadline {task.deadline} of '{task.id}' is before the program starts ({start})",
                "check the year of the deadline",
                subjects=(task.id,),
            )
        snet = task.start_no_earlier_than
        if task.deadline is not None and snet is not None and task.deadline < snet:
            # A deadline is a target: the task is scheduled from its start constraint and shows
            # how late it is (W311 when scheduled), never refused.
            yield warning(
                "W309",
                at("deadline", task.loc),
                f"task '{task.id}' is due {task.deadline} but cannot start before {snet}: it "
                "will miss its deadline",
                "move the deadline or the start constraint",
                subjects=(task.id,),
            )
        seen: set[str] = set()
        for dep in task.depends:
            if dep.task in seen:
                yield warning(
                    "W307",
                    dep.loc,
                    f"task '{task.id}' depends on '{dep.task}' more than once",
                    "keep the one dependency that says what you mean",
                    subjects=(task.id, dep.task),
                )
            seen.add(dep.task)


def _progress(task: Task, status: dt.date | None) -> Iterator[Diagnostic]:
    at = task.locs.get
    has_progress = (
        task.actual_start
        or task.actual_finish
        or task.percent_complete is not None
        or task.remaining
    )
    if task.is_summary and has_progress:
        yield error(
            "E226",
            at("actual_start", at("actual_finish", at("percent_complete", task.loc))),
            f"summary task '{task.id}' has progress of its own",
            "record progress on its subtasks; a summary's progress is theirs",
            subjects=(task.id,),
        )
    if task.actual_start and task.actual_finish and task.actual_finish < task.actual_start:
        yield error(
            "E225",
            at("actual_finish", task.loc),
            f"'{task.id}' finished {task.actual_finish}, before it started {task.actual_start}",
            "check the two dates",
            subjects=(task.id,),
        )
    if status is not None:
        for field, day in (
            ("actual_start", task.actual_start),
            ("actual_finish", task.actual_finish),
        ):
            if day is not None and day > status:
                yield error(
                    "E225",
                    at(field, task.loc),
                    f"'{task.id}' has {field} {day}, after the status date {status}",
                    "progress cannot be reported before it happens; move the status_date",
                    subjects=(task.id,),
                )
