"""The plan as a TaskJuggler 3 project (``.tjp``): the same scheduling problem, for ``tj3``.

The point is a second opinion: schedule the very plan ontrack schedules in TaskJuggler and
compare the finishes. So the export describes ontrack's problem as faithfully as tj3 allows:

* time: the program calendar's workweek and hours per day (``workinghours``,
  ``dailyworkinghours``), its holidays as global ``leaves holiday``; each person's time off
  (``leaves annual``, whose end tj3 reads as exclusive, hence the day after) and their own
  calendar's days off and holidays;
* staffing: exactly the people the scheduler would consider (``planproblem.staffing``): named
  assignees work together (``allocate a { mandatory }, b { mandatory }``: all present or none),
  otherwise one person among the capable ones for the whole task (``alternative ...
  persistent``, chosen by tj3's ``select`` rule). A part-time person has ``efficiency`` equal
  to their allocation: tj3 then takes effort / allocation working days and books them whole
  days, as ontrack does (``limits { dailymax }`` would leave the rest of the day to other
  tasks);
* work: ``effort`` rounded up as ontrack rounds it (whole working days for the people who do
  it: with alternatives of different allocations, for the slowest), a fixed ``duration`` as
  ``length`` (working days) when it names nobody and as effort that takes its fastest people
  that long when it holds people (tj3 books people on a ``length`` task only where they are
  free); milestones and zero-length tasks as ``milestone``;
* links: finish-to-start, start-to-start (``onstart``) with their lag as ``gaplength``; a
  summary's links are given to every leaf below it, as ontrack does. tj3 cannot say
  finish-to-finish, start-to-finish or a negative lag for as-soon-as-possible tasks: they
  become the nearest stricter link (FS, SS, no lag), with a W460 warning;
* ``start_no_earlier_than`` (and the day after the status date for work not done) as a
  dependency on a helper milestone with a fixed ``start``: tj3 refuses a task with both a fixed
  ``start`` and a ``depends`` that ends later ("This condition could not be met");
* progress: done work is fixed where it happened (``start``/``end``, nobody allocated, no links
  into it), work under way is the effort left from the day after the status date, with
  ``complete``.

What tj3 does differently remains: it may pause a task over a person's time off (ontrack moves
the whole task after it), works in hours (ontrack in whole days) and picks people by its own
rule. Deadlines are not exported (they are targets; ``maxend`` would make a late plan an
error).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Literal, get_args

from ontrack.diagnostics import Diagnostic, SourceLoc, warning
from ontrack.engines.schedule.planproblem import staffing
from ontrack.engines.schedule.progress import Status, TaskProgress, plan_status
from ontrack.engines.schedule.result import Schedule
from ontrack.interop.kit import code_identifier, slug
from ontrack.model import WEEKDAYS, Calendar, DepType, Person, Plan, Priority, Task

#: tj3's rules for picking one of several alternative resources.
Select = Literal["minloaded", "maxloaded", "minallocated", "order", "random"]
SELECTIONS: tuple[Select, ...] = get_args(Select)

#: Timing resolutions tj3 accepts, in minutes, coarsest first.
_RESOLUTIONS = (60, 30, 20, 15, 10, 5)
_ONE_DAY = dt.timedelta(days=1)
#: tj3 3.7 refuses dates after 2035.
LATEST_END = dt.date(2035, 12, 31)


@dataclass(frozen=True, slots=True)
class TjpExport:
    """The project text, each ontrack task's full tj3 id (dotted, as tj3 reports it), and the
    approximations made (W460)."""

    text: str
    ids: Mapping[str, str]
    diagnostics: tuple[Diagnostic, ...]


def tj_string(text: str) -> str:
    """A tj3 double-quoted string: one line, ``\\`` and ``"`` escaped."""
    one_line = " ".join(text.split())
    return '"' + one_line.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tj_id(text: str, used: set[str]) -> str:
    """An identifier tj3 takes (``[A-Za-z_][A-Za-z0-9_]*``) made from ``text``: other
    characters become ``_``, a leading digit gets ``t_``, a repeat a ``_2``, ``_3``, ..."""
    return code_identifier(text, used)


def _number(value: Fraction) -> str:
    """A decimal tj3 reads, rounded down to six places (so rounding never adds a time slot)."""
    scaled = math.floor(value * 1_000_000)
    whole, part = divmod(scaled, 1_000_000)
    return f"{whole}.{part:06d}".rstrip("0").rstrip(".") if part else str(whole)


def _ceil_days(minutes: int, per_day: Fraction) -> int:
    """Working days as ontrack counts them: rounded away from zero."""
    value = Fraction(minutes) / per_day
    return math.ceil(value) if value >= 0 else -math.ceil(-value)


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _day_span(calendar: Calendar, resolution: int) -> tuple[str, int]:
    """The working hours of a day (one block, from 9:00 when it fits) and their length in
    minutes, rounded to the resolution."""
    length = round(calendar.minutes_per_day / resolution) * resolution
    length = min(max(length, resolution), 24 * 60)
    begin = max(0, min(9 * 60, 24 * 60 - length))
    return f"{_clock(begin)} - {_clock(begin + length)}", length


def _resolution(calendar: Calendar) -> int:
    minutes = calendar.minutes_per_day
    for step in _RESOLUTIONS:
        if minutes.denominator == 1 and minutes.numerator % step == 0:
            return step
    return 5


def _days(weekdays: list[int]) -> str:
    return ", ".join(WEEKDAYS[d] for d in sorted(weekdays))


def _horizon(plan: Plan, status: Status | None) -> dt.date:
    """A generous project end: every task done one after another by the slowest person, after
    the latest date the plan names, plus a year (tj3 fails on work past the end), but not past
    the last day tj3 takes."""
    per_day = plan.calendar.minutes_per_day
    slowest = min((p.allocation for p in plan.people if p.allocation > 0), default=Fraction(1))
    days = 0
    for task in plan.leaf_tasks():
        work = task.work
        minutes = work.likely.minutes if work else 0
        days += _ceil_days(minutes, per_day) * math.ceil(1 / slowest) + sum(
            max(0, _ceil_days(d.lag.minutes, per_day)) for d in task.depends
        )
    dates = [plan.program.start]
    dates += [t.start_no_earlier_than for t in plan.tasks if t.start_no_earlier_than]
    dates += [d for t in plan.tasks for d in (t.actual_start, t.actual_finish) if d]
    dates += [r.end for p in plan.people for r in p.time_off]
    if status is not None:
        dates.append(status.date)
    per_week = max(1, len(plan.calendar.workweek))
    calendar_days = math.ceil(days * 7 / per_week)
    return min(LATEST_END, max(dates) + dt.timedelta(days=calendar_days + 366))


class _Writer:
    def __init__(self, plan: Plan, status: Status | None, select: Select) -> None:
        self.plan = plan
        self.status = status
        self.select = select
        self.lines: list[str] = []
        self.diagnostics: list[Diagnostic] = []
        self.per_day = plan.calendar.minutes_per_day
        self.resolution = _resolution(plan.calendar)
        self.hours, day_minutes = _day_span(plan.calendar, self.resolution)
        self.hours_per_day = Fraction(day_minutes, 60)
        used: set[str] = set()
        self.people = {p.id: tj_id(p.id, used) for p in plan.people}
        used_tasks: set[str] = set()
        local = {t.id: tj_id(t.id, used_tasks) for t in plan.tasks}
        full: dict[str, str] = {}
        for task in plan.tasks:  # a summary comes before its children
            parent = full.get(task.parent) if task.parent else None
            full[task.id] = f"{parent}.{local[task.id]}" if parent else local[task.id]
        self.local, self.full = local, full
        self.helpers: dict[dt.date, str] = {}
        self.helper_used = used_tasks
        self.capable: dict[tuple[str | None, frozenset[str]], tuple[Person, ...]] = {}

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def progress(self, task: Task) -> TaskProgress | None:
        if self.status is None or task.is_summary:
            return None
        return self.status.tasks.get(task.id)

    def helper(self, day: dt.date) -> str:
        """The id of the milestone fixed at the start of ``day`` (made on first use)."""
        if day not in self.helpers:
            self.helpers[day] = tj_id(f"not_before_{day:%Y_%m_%d}", self.helper_used)
        return self.helpers[day]

    def not_before(self, task: Task) -> dt.date | None:
        """The task's earliest start as ontrack holds it: its own and its summaries'
        ``start_no_earlier_than`` (only its own once started), and the day after the status
        date for work not done."""
        state = p.state if (p := self.progress(task)) else "planned"
        dates = [task.start_no_earlier_than]
        if state == "planned":
            parent = self.plan.task_by_id.get(task.parent) if task.parent else None
            while parent is not None:
                dates.append(parent.start_no_earlier_than)
                parent = self.plan.task_by_id.get(parent.parent) if parent.parent else None
        if self.status is not None:
            dates.append(self.status.date + _ONE_DAY)
        found = [d for d in dates if d is not None]
        return max(found) if found else None

    def links_into(self, task: Task) -> list[str]:
        """tj3 ``depends`` items of a leaf: its own links and its summaries'."""
        items: list[str] = []
        owners = [task]
        parent = self.plan.task_by_id.get(task.parent) if task.parent else None
        while parent is not None:
            owners.append(parent)
            parent = self.plan.task_by_id.get(parent.parent) if parent.parent else None
        for owner in owners:
            for dep in owner.depends:
                if dep.task not in self.full:
                    continue
                items.append(self.link(owner, dep.task, dep.type, dep.lag.minutes, dep.loc))
        return items

    def link(
        self, owner: Task, pred: str, kind: DepType, lag_minutes: int, where: SourceLoc
    ) -> str:
        shown = f"{pred} {kind.value} -> {owner.id}"
        if kind in (DepType.FF, DepType.SF):
            stricter = "FS" if kind is DepType.FF else "SS"
            self.diagnostics.append(
                warning(
                    "W460",
                    where,
                    f"TaskJuggler has no {kind.value} link for as-soon-as-possible tasks: "
                    f"{shown} exported as {stricter} (stricter)",
                    "tj3 may finish later than ontrack because of it",
                    subjects=(owner.id, pred),
                )
            )
        lag = _ceil_days(lag_minutes, self.per_day)
        if lag < 0:
            self.diagnostics.append(
                warning(
                    "W460",
                    where,
                    f"TaskJuggler has no negative lag: {shown} exported without its lead",
                    "tj3 may finish later than ontrack because of it",
                    subjects=(owner.id, pred),
                )
            )
            lag = 0
        options = []
        if kind in (DepType.SS, DepType.SF):
            options.append("onstart")
        if lag:
            options.append(f"gaplength {lag}d")
        return self.full[pred] + (f" {{ {' '.join(options)} }}" if options else "")

    def header(self, schedule: Schedule | None) -> None:
        plan, calendar = self.plan, self.plan.calendar
        program = plan.program
        self.emit(0, "/* TaskJuggler 3 project exported by ontrack: the plan's scheduling")
        self.emit(0, "   problem, to schedule with tj3 and compare. Each task's note has its")
        self.emit(0, "   ontrack id. */")
        if schedule is not None:
            self.emit(0, f"# ontrack's schedule finishes on {schedule.finish.isoformat()}")
        ident = tj_id(slug(program.name).replace("-", "_") or "program", set())
        end = _horizon(plan, self.status)
        self.emit(0, f"project {ident} {tj_string(program.name)} {program.start} - {end} {{")
        self.emit(1, 'timezone "UTC"')
        self.emit(1, 'timeformat "%Y-%m-%d"')
        if self.resolution != 60:
            self.emit(1, f"timingresolution {self.resolution}min")
        if self.status is not None and program.start <= self.status.date < end:
            self.emit(1, f"now {self.status.date}")
        self.emit(1, f"dailyworkinghours {_number(self.hours_per_day)}")
        working = sorted(calendar.workweek)
        off = [d for d in range(7) if d not in calendar.workweek]
        if working:
            self.emit(1, f"workinghours {_days(working)} {self.hours}")
        if off:
            self.emit(1, f"workinghours {_days(off)} off")
        self.emit(0, "}")
        if calendar.holidays:
            self.emit(0, "")
        for day in sorted(set(calendar.holidays)):
            self.emit(0, f'leaves holiday "holiday" {day}')

    def resources(self) -> None:
        plan = self.plan
        for person in plan.people:
            body: list[str] = []
            if person.allocation != 1 and person.allocation > 0:
                body.append(f"efficiency {_number(person.allocation)}")
            own = plan.calendar_of(person)
            if own is not plan.calendar:
                off = [d for d in plan.calendar.workweek if d not in own.workweek]
                if off:
                    body.append(f"workinghours {_days(off)} off")
                body += [
                    f'leaves holiday "holiday" {day}'
                    for day in sorted(set(own.holidays) - set(plan.calendar.holidays))
                ]
            body += [
                f"leaves annual {r.start} - {r.end + _ONE_DAY}"
                for r in sorted(person.time_off, key=lambda r: (r.start, r.end))
            ]
            head = f"resource {self.people[person.id]} {tj_string(person.name or person.id)}"
            if not body:
                self.emit(0, head)
                continue
            self.emit(0, head + " {")
            for line in body:
                self.emit(1, line)
            self.emit(0, "}")

    def task(self, task: Task, depth: int) -> None:
        self.emit(depth, f"task {self.local[task.id]} {tj_string(task.title or task.id)} {{")
        self.emit(depth + 1, f"note {tj_string('ontrack id: ' + task.id)}")
        if task.is_summary:
            for child in task.children:
                self.task(self.plan.task_by_id[child], depth + 1)
        else:
            for line in self.leaf(task):
                self.emit(depth + 1, line)
        self.emit(depth, "}")

    def leaf(self, task: Task) -> list[str]:
        progress = self.progress(task)
        state = progress.state if progress else "planned"
        if progress is not None and state == "done":
            return self.done(task, progress)
        lines: list[str] = []
        work = task.work
        minutes = work.likely.minutes if work is not None else 0
        if progress is not None and state == "in-progress":
            left = progress.left(task)
            minutes = max(0, left) if left is not None else minutes
            if progress.percent_complete is not None:
                lines.append(f"complete {_number(progress.percent_complete * 100)}")
        ways = staffing(self.plan, task, self.capable)
        if not ways:
            self.diagnostics.append(
                warning(
                    "W460",
                    task.loc,
                    f"nobody can do task '{task.id}': exported without people",
                    "add the skill to someone, assign a person, or change the task's team",
                    subjects=(task.id,),
                )
            )
        fixed = task.estimate is None and task.duration is not None
        days = max(0, _ceil_days(minutes, self.per_day))
        if task.milestone or (days == 0 and (fixed or ways == ((),))) or minutes <= 0:
            lines.append("milestone")
        elif ways == ((),) or not ways:
            lines.append(f"length {days}d")
        elif fixed:
            lines.append(f"effort {self.fixed_effort(task, days, ways)}")
        else:
            lines.append(f"effort {self.effort(minutes, ways)}")
        if task.priority != Priority.DEFAULT:
            lines.append(f"priority {max(Priority.LOWEST, min(Priority.HIGHEST, task.priority))}")
        allocate = self.allocate(ways) if not task.milestone and minutes > 0 else None
        if allocate:
            lines.append(allocate)
        depends = self.links_into(task) if state == "planned" else []
        floor = self.not_before(task)
        if floor is not None and floor > self.plan.program.start:
            depends.append(self.helper(floor))
        if depends:
            lines.append("depends " + ", ".join(depends))
        return lines

    def effort(self, minutes: int, ways: tuple[tuple[str, ...], ...]) -> str:
        """Effort that takes each way the whole working days ontrack gives it (the slowest
        way's, when they differ): tj3 takes effort / (sum of efficiencies) days."""
        exact = Fraction(minutes) / self.per_day
        chosen = exact
        for way in ways:
            share = sum((self.plan.person_by_id[p].allocation for p in way), Fraction(0))
            if share > 0:
                chosen = max(chosen, max(1, math.ceil(exact / share)) * share)
        return f"{_number(chosen * self.hours_per_day)}h"

    def fixed_effort(self, task: Task, days: int, ways: tuple[tuple[str, ...], ...]) -> str:
        """A fixed duration that holds people, as effort: tj3 books people on a ``length`` task
        only where they happen to be free (and runs it without them), while ontrack holds one
        way of staffing it for the whole duration. The effort takes the fastest way exactly
        ``days``; a slower (part-time) way takes longer in tj3, with a W460 warning."""
        shares = {
            sum((self.plan.person_by_id[p].allocation for p in way), Fraction(0)) for way in ways
        }
        top = max(shares)
        if len(shares) > 1:
            self.diagnostics.append(
                warning(
                    "W460",
                    task.locs.get("duration", task.loc),
                    "TaskJuggler holds people for effort, not for a fixed duration: "
                    f"'{task.id}' ({days}d) exported as effort that takes its fastest people "
                    f"{days}d and part-time ones longer",
                    "tj3 may finish later than ontrack because of it",
                    subjects=(task.id,),
                )
            )
        return f"{_number(days * top * self.hours_per_day)}h"

    def allocate(self, ways: tuple[tuple[str, ...], ...]) -> str | None:
        plan = self.plan
        ways = tuple(tuple(p for p in way if plan.person_by_id[p].allocation > 0) for way in ways)
        ways = tuple(way for way in ways if way)
        if not ways:
            return None
        if len(ways) == 1:
            way = ways[0]
            if len(way) == 1:
                return f"allocate {self.people[way[0]]}"
            return "allocate " + ", ".join(f"{self.people[p]} {{ mandatory }}" for p in way)
        first, *others = (self.people[way[0]] for way in ways)
        return (
            f"allocate {first} {{ alternative {', '.join(others)} "
            f"select {self.select} persistent }}"
        )

    def done(self, task: Task, progress: TaskProgress) -> list[str]:
        """Done work where it happened, holding nobody (as ontrack's ``_done_job``)."""
        finish = progress.actual_finish
        if finish is None:  # done without a date: at the program's start
            return ["milestone", f"start {self.plan.program.start}", "complete 100"]
        if task.milestone:
            return ["milestone", f"start {finish}", "complete 100"]
        start = progress.actual_start or finish
        start = min(start, finish)
        return [f"start {start}", f"end {finish + _ONE_DAY}", "complete 100"]

    def helpers_block(self) -> None:
        if not self.helpers:
            return
        self.emit(0, "")
        self.emit(0, "# Earliest starts (start_no_earlier_than, the status date) as milestones.")
        for day, ident in sorted(self.helpers.items()):
            self.emit(0, f'task {ident} "Not before {day}" {{ milestone start {day} }}')


def export_tjp(
    plan: Plan,
    *,
    status: Status | None = None,
    select: Select = "minloaded",
    schedule: Schedule | None = None,
) -> TjpExport:
    """The plan as a TaskJuggler 3 project (see the module docstring for what maps to what).

    ``status`` is the progress to plan around (default: the progress written in the plan, as
    ``ontrack schedule`` does); ``select`` is tj3's rule for choosing among the people who
    could do a task; ``schedule``, when given, only adds ontrack's finish as a comment."""
    if select not in SELECTIONS:
        raise ValueError(f"select must be one of {', '.join(SELECTIONS)}, not {select!r}")
    if status is None:
        status = plan_status(plan)
    writer = _Writer(plan, status, select)
    writer.header(schedule)
    if plan.people:
        writer.emit(0, "")
    writer.resources()
    for task in plan.tasks:
        if task.parent is None or task.parent not in plan.task_by_id:
            writer.emit(0, "")
            writer.task(task, 0)
    writer.helpers_block()
    return TjpExport(
        "\n".join(writer.lines) + "\n",
        MappingProxyType(dict(writer.full)),
        tuple(writer.diagnostics),
    )


def csv_taskreport(name: str = "ontrack_check") -> str:
    """A tj3 report to append to an export: ``name.csv`` with each task's full id, start and
    end (``YYYY-MM-DD HH:MM``, ``;``-separated), all tasks shown. Read it with
    :func:`read_taskreport`."""
    return (
        f"\ntaskreport {tj_string(name)} {{\n"
        "  formats csv\n"
        "  columns id, start, end\n"
        "  hidetask 0\n"
        '  timeformat "%Y-%m-%d %H:%M"\n'
        "}\n"
    )


def read_taskreport(text: str) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """The (start, end) of each task id of a :func:`csv_taskreport` file's text."""
    rows: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    for line in text.splitlines()[1:]:
        cells = [c.strip().strip('"') for c in line.split(";")]
        if len(cells) < 3 or not cells[1] or not cells[2]:
            continue
        rows[cells[0]] = (
            dt.datetime.strptime(cells[1], "%Y-%m-%d %H:%M"),
            dt.datetime.strptime(cells[2], "%Y-%m-%d %H:%M"),
        )
    return rows
