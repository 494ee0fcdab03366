"""An independent reading of docs/scheduling.md: does a reported schedule keep the plan's rules?

It reads only the plan and what the scheduler reports (dates, people, drivers), with its own
working-day arithmetic, and shares no code with the engine (not its problem, its calendar, nor
its checker), so a bug there cannot hide behind the same bug here.

Instants, as the docs define them: working days are numbered from 0 (the first working day on or
after the program start); a task worked from day ``s`` through day ``f`` spans ``[s, f + 1)``; a
milestone dated day ``d`` is the instant ``d + 1``, except one at the very start of the program
that closes nothing (no dependency, none on its summaries), which is dated day 0 and is the
instant 0. A summary spans its leaf tasks.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction

from ontrack.engines.schedule.result import Schedule, TaskSchedule
from ontrack.model import Dependency, Plan, Task

_DRIVER = re.compile(
    r"after '(?P<task>[^']+)'(?P<what> starts| is done)? "
    r"\((?P<type>FS|SS|FF|SF)(?: (?P<lag>[+-]\d+)d)?\)$"
)
_BUSY = re.compile(r"waits for (?P<person>\S+), busy on '(?P<other>[^']+)' until (?P<day>\S+)$")


class Days:
    """The program calendar's working days, numbered from the program start."""

    def __init__(self, plan: Plan) -> None:
        calendar = plan.calendar_by_id.get(plan.program.calendar or "", plan.calendar)
        self.workweek = calendar.workweek
        self.holidays = frozenset(calendar.holidays)
        self.dates: list[dt.date] = []
        self.numbers: dict[dt.date, int] = {}
        self.next = plan.program.start

    def _extend(self, until: dt.date | None = None, count: int = 0) -> None:
        while (until is not None and self.next <= until) or len(self.dates) <= count:
            day = self.next
            self.next += dt.timedelta(days=1)
            if day.weekday() in self.workweek and day not in self.holidays:
                self.numbers[day] = len(self.dates)
                self.dates.append(day)

    def number(self, day: dt.date) -> int | None:
        """The working day's number, None when ``day`` is not a working day (or before day 0)."""
        self._extend(until=day)
        return self.numbers.get(day)

    def date(self, number: int) -> dt.date:
        self._extend(count=number)
        return self.dates[number]


def _ancestors(plan: Plan, task: Task) -> Iterator[Task]:
    while task.parent is not None:
        task = plan.task_by_id[task.parent]
        yield task


def _leaves(plan: Plan, task: Task) -> list[Task]:
    if not task.is_summary:
        return [task]
    return [leaf for c in task.children for leaf in _leaves(plan, plan.task_by_id[c])]


def _lag_days(plan: Plan, dep: Dependency) -> int:
    """The lag in whole working days, rounded away from zero."""
    value = Fraction(dep.lag.minutes) / plan.calendar.minutes_per_day
    return math.ceil(value) if value >= 0 else -math.ceil(-value)


def _held_by(plan: Plan, task: Task) -> list[tuple[Task, Dependency]]:
    """Every dependency that holds for ``task``: its own and its summaries'."""
    return [(owner, dep) for owner in (task, *_ancestors(plan, task)) for dep in owner.depends]


def violations(plan: Plan, schedule: Schedule) -> list[str]:
    """Every way the reported schedule breaks a rule of docs/scheduling.md; empty when none."""
    days = Days(plan)
    found: list[str] = []
    reported = {t.id: t for t in schedule.tasks}
    if sorted(reported) != sorted(t.id for t in plan.tasks) or len(schedule.tasks) != len(
        plan.tasks
    ):
        return [f"tasks reported {sorted(reported)}, planned {sorted(t.id for t in plan.tasks)}"]

    # -- the span of each task, in instants --------------------------------------------------
    span: dict[str, tuple[int, int]] = {}
    for task in plan.tasks:
        if task.is_summary:
            continue
        ts = reported[task.id]
        first, last = days.number(ts.start), days.number(ts.finish)
        if first is None or last is None:
            found.append(f"{task.id}: dated {ts.start}..{ts.finish}, not working days")
            continue
        if ts.duration_days == 0:
            if ts.start != ts.finish:
                found.append(f"{task.id}: zero days from {ts.start} to {ts.finish}")
            opens = last == 0 and not _held_by(plan, task)
            instant = 0 if opens else last + 1
            span[task.id] = (instant, instant)
        else:
            if last - first + 1 != ts.duration_days:
                found.append(f"{task.id}: {ts.duration_days} days from {ts.start} to {ts.finish}")
            span[task.id] = (first, last + 1)
    if found:
        return found
    for task in plan.tasks:
        if task.is_summary:
            leaves = [span[leaf.id] for leaf in _leaves(plan, task)]
            span[task.id] = (min(s for s, _ in leaves), max(e for _, e in leaves))
            found += _summary_dates(days, reported[task.id], span[task.id])

    # -- dependencies and constraints --------------------------------------------------------
    for task in plan.tasks:
        start, end = span[task.id]
        for owner, dep in _held_by(plan, task):
            lag = _lag_days(plan, dep)
            pred_start, pred_end = span[dep.task]
            bound = {"FS": pred_end, "SS": pred_start, "FF": pred_end, "SF": pred_start}[
                dep.type.value
            ] + lag
            value = start if dep.type.value in ("FS", "SS") else end
            if value < bound:
                found.append(
                    f"{task.id}: {dep.type.value}{lag:+d} after '{dep.task}' (of '{owner.id}') "
                    f"needs {'start' if dep.type.value in ('FS', 'SS') else 'end'} >= {bound}, "
                    f"has {value}"
                )
        for owner in (task, *_ancestors(plan, task)):
            snet = owner.start_no_earlier_than
            if snet is not None and reported[task.id].start < snet:
                found.append(
                    f"{task.id}: starts {reported[task.id].start}, before '{owner.id}' may ({snet})"
                )

    # -- people ------------------------------------------------------------------------------
    worked: dict[str, dict[int, str]] = defaultdict(dict)
    for task in plan.tasks:
        if task.is_summary:
            continue
        ts = reported[task.id]
        found += _staffing(plan, task, ts)
        start, end = span[task.id]
        for person_id in ts.assignees:
            person = plan.person_by_id.get(person_id)
            if person is None:
                continue
            own = plan.calendar_by_id.get(person.calendar) if person.calendar else None
            for number in range(start, end):
                day = days.date(number)
                if any(day in off for off in person.time_off) or (
                    own is not None and not own.is_working_day(day)
                ):
                    found.append(f"{task.id}: {person_id} works on {day}, a day off")
                other = worked[person_id].setdefault(number, task.id)
                if other != task.id:
                    found.append(f"{person_id}: on {day} both '{other}' and '{task.id}'")

    # -- drivers -----------------------------------------------------------------------------
    for task in plan.tasks:
        if not task.is_summary:
            found += _driver(plan, days, task, reported, span)
    return found


def _summary_dates(days: Days, ts: TaskSchedule, span: tuple[int, int]) -> list[str]:
    """A summary is dated with its subtasks' span: first day worked to last (all milestones:
    the day they close)."""
    start, end = span
    if end > start:
        want = (days.date(start), days.date(end - 1))
    else:
        want = (days.date(max(start - 1, 0)),) * 2
    if (ts.start, ts.finish) != want or ts.duration_days != end - start:
        return [
            f"{ts.id}: reported {ts.start}..{ts.finish} ({ts.duration_days}d), its subtasks "
            f"span {want[0]}..{want[1]} ({end - start}d)"
        ]
    return []


def _staffing(plan: Plan, task: Task, ts: TaskSchedule) -> list[str]:
    """Only capable people, enough of their allocation for the effort, nobody for lead times
    and milestones."""
    people = [plan.person_by_id[p] for p in ts.assignees if p in plan.person_by_id]
    if len(people) != len(ts.assignees):
        return [f"{task.id}: unknown people in {ts.assignees}"]
    minutes_per_day = plan.calendar.minutes_per_day
    if task.milestone:
        return [f"{task.id}: a milestone held {ts.assignees}"] if ts.assignees else []
    # A team inherited from a summary names nobody (docs: who can do a task).
    names_people = bool(task.assignees or task.skills or (task.team and not task.team_inherited))
    if task.estimate is None and task.duration is not None and not names_people:
        wanted = math.ceil(Fraction(task.duration.likely.minutes) / minutes_per_day)
        out = [f"{task.id}: a lead time held {ts.assignees}"] if ts.assignees else []
        if ts.duration_days != wanted:
            out.append(f"{task.id}: lead time of {wanted}d took {ts.duration_days}d")
        return out
    if not plan.people:
        return []
    if task.assignees:
        if sorted(ts.assignees) != sorted(task.assignees):
            return [f"{task.id}: assigned {ts.assignees}, the plan names {task.assignees}"]
    elif len(people) != 1:
        return [f"{task.id}: needs one person, has {ts.assignees}"]
    else:
        person = people[0]
        team = plan.team_by_id.get(task.team) if task.team else None
        if not set(task.skills) <= set(person.skills) or (
            team is not None and person.id not in team.members
        ):
            return [f"{task.id}: {person.id} lacks {task.skills} (team {task.team})"]
    if any(p.allocation <= 0 for p in people):
        return [f"{task.id}: assigned someone with no time on the program"]
    work = task.estimate if task.estimate is not None else task.duration
    if work is not None and task.estimate is not None:
        capacity = ts.duration_days * sum(p.allocation for p in people) * minutes_per_day
        if capacity < work.likely.minutes:
            return [
                f"{task.id}: {work.likely.minutes} minutes of effort in {ts.duration_days}d by "
                f"{ts.assignees}: above their allocation"
            ]
    return []


def _driver(
    plan: Plan,
    days: Days,
    task: Task,
    reported: dict[str, TaskSchedule],
    span: dict[str, tuple[int, int]],
) -> list[str]:
    """What the driver says must be true: the named link or person pins the task's start."""
    ts = reported[task.id]
    driver = ts.driver
    if driver is None:
        return [f"{task.id}: no driver"]
    start, end = span[task.id]
    if driver.kind == "predecessor":
        match = _DRIVER.match(driver.text)
        if match is None or match["task"] != driver.task:
            return [f"{task.id}: driver {driver.text!r} names no link"]
        pred = plan.task_by_id[match["task"]]
        kind, lag = match["type"], int(match["lag"] or 0)
        what = match["what"] or ""
        if pred.is_summary != bool(what) or (
            what and (what == " starts") != (kind in ("SS", "SF"))
        ):
            return [f"{task.id}: driver {driver.text!r} misnames '{pred.id}''s dates"]
        pred_start, pred_end = span[pred.id]
        for _, dep in _held_by(plan, task):
            if dep.task != pred.id or dep.type.value != kind or _lag_days(plan, dep) != lag:
                continue
            bound = (pred_end if kind in ("FS", "FF") else pred_start) + lag
            if (start if kind in ("FS", "SS") else end) == bound:
                return []
        return [
            f"{task.id}: driver {driver.text!r} is not what pins it: starts {start}, ends {end}, "
            f"'{pred.id}' spans {pred_start}..{pred_end}"
        ]
    if driver.kind == "person":
        match = _BUSY.match(driver.text)
        if match is None or match["person"] not in ts.assignees:
            return [f"{task.id}: driver {driver.text!r} names none of {ts.assignees}"]
        other = reported.get(match["other"])
        if (
            other is None
            or match["person"] not in other.assignees
            or str(other.finish) != match["day"]
            or span[other.id][1] != start
        ):
            return [f"{task.id}: driver {driver.text!r} is not true"]
        return []
    if driver.kind == "time-off":
        person = plan.person_by_id.get(driver.person or "")
        if person is None or person.id not in ts.assignees or start == 0:
            return [f"{task.id}: driver {driver.text!r} names none of {ts.assignees}"]
        before = days.date(start - 1)
        own = plan.calendar_by_id.get(person.calendar) if person.calendar else None
        if not any(before in off for off in person.time_off) and (
            own is None or own.is_working_day(before)
        ):
            return [f"{task.id}: driver {driver.text!r}, but {person.id} worked {before}"]
        return []
    if driver.kind == "program-start" and start != 0:
        return [f"{task.id}: 'starts with the program' but starts at {start}"]
    return []
