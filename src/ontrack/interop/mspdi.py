"""MS Project XML (MSPDI): a plan and its schedule out, MS Project files in.

Export writes what MS Project and other readers (MPXJ, ProjectLibre, Primavera's importer) need
to rebuild the plan: the WBS (outline levels and numbers, summary tasks), working-time durations,
dependencies with MSPDI's own encoding (link types 0=FF 1=FS 2=SF 3=SS, lags in tenths of a
minute), people as work resources with their calendars and time off as calendar exceptions, and
the schedule's assignments. What MSPDI has no field for travels in custom fields that MS Project
shows and keeps: task ids in Text1 ("ontrack id") and three-point estimates in Duration1-3, the
fields of MS Project's own PERT analysis.

Import reads any MSPDI file through defusedxml: a DTD, entity declarations (the billion laughs)
and external entities are refused before anything is expanded. Effort and duration are told
apart as the plan language needs: fixed-work tasks, and tasks whose work is their duration times
their people's allocation, become ``estimate`` (effort); the rest keep their elapsed working
time as ``duration``.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ontrack.diagnostics import Diagnostic, SourceLoc, error, sorted_diagnostics, warning
from ontrack.engines.schedule.result import Schedule, TaskSchedule
from ontrack.interop.kit import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_WORK_DAYS,
    IdMaker,
    ImportedPlan,
    arrange,
    date_ranges,
    duration_text,
    hours_text,
    in_horizon,
    left_out,
    max_minutes,
    outline,
    outline_problems,
    percent_text,
    range_days,
    shown,
)
from ontrack.model import WEEKDAYS, Calendar, DepType, Person, Plan, RateUnit, Task

NS = "http://schemas.microsoft.com/project"

#: MSPDI's numbering of link types (not the usual FS, SS, FF, SF order).
LINK_TYPE: Mapping[DepType, int] = {DepType.FF: 0, DepType.FS: 1, DepType.SF: 2, DepType.SS: 3}
_LINK_OF = {number: kind for kind, number in LINK_TYPE.items()}

# DurationFormat / LagFormat codes: 3 m, 5 h, 7 d, 9 w, 11 mo; the even codes are elapsed time,
# 19/20 percentages; 35 and above the same with a question mark (estimated).
FORMAT_MINUTES, FORMAT_HOURS, FORMAT_DAYS = 3, 5, 7
_ELAPSED = frozenset({4, 6, 8, 10, 12, 36, 38, 40, 42, 44})
_PERCENT = frozenset({19, 20, 51, 52})

# Task types: 0 fixed units, 1 fixed duration, 2 fixed work.
TYPE_FIXED_UNITS, TYPE_FIXED_DURATION, TYPE_FIXED_WORK = 0, 1, 2
# Constraint types we carry: 2 must start on, 4 start no earlier than, 7 finish no later than.
_MUST_START_ON, _START_NO_EARLIER, _FINISH_NO_LATER = 2, 4, 7

#: Custom fields: Text1 holds task ids, Duration1-3 the PERT estimates, resource Text1 skills.
FIELD_TASK_ID = 188743731
FIELD_PERT = (188743783, 188743784, 188743785)
FIELD_SKILLS = 205520904
ALIAS_ID = "ontrack id"
ALIAS_PERT = ("Optimistic", "Likely", "Pessimistic")
ALIAS_SKILLS = "skills"
NO_RESOURCE = -65535  # an assignment with nobody (MS Project's 'unassigned' resource id)

# XML 1.0 cannot hold most control characters, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# -- export -------------------------------------------------------------------------------------


def export_mspdi(plan: Plan, schedule: Schedule | None = None) -> str:
    """MSPDI XML of a plan; with a schedule, its dates and assignments (else the plan's own
    assignees, and every task at the program start)."""
    return _Exporter(plan, schedule).xml()


def pt(minutes: int) -> str:
    """MSPDI duration text: ``PT40H0M0S``."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}PT{hours}H{rest}M0S"


def day_spans(minutes: int) -> list[tuple[int, int]]:
    """Working times of a day of ``minutes``, in minutes after midnight: 8-12 and 13-17 for
    eight hours; one span from 08:00 for short days; from midnight for very long ones."""
    if minutes <= 0:
        return []
    if minutes <= 240:
        return [(480, 480 + minutes)]
    if minutes <= 660:
        return [(480, 720), (780, 780 + minutes - 240)]
    return [(0, min(minutes, 1440))]


def _clock(minute: int) -> str:
    minute %= 1440  # the end of a 24-hour day is written 00:00:00
    return f"{minute // 60:02d}:{minute % 60:02d}:00"


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _decimal(value: Fraction | Decimal) -> str:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return format(value.quantize(Decimal("0.000001")).normalize(), "f")


@dataclass
class _Exporter:
    plan: Plan
    schedule: Schedule | None
    by_task: dict[str, TaskSchedule] = field(init=False)
    minutes_per_day: int = field(init=False)
    spans: list[tuple[int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_task = {t.id: t for t in self.schedule.tasks} if self.schedule else {}
        self.minutes_per_day = round(self.plan.calendar.minutes_per_day)
        self.spans = day_spans(self.minutes_per_day) or [(480, 960)]

    # Times of day at which work starts and ends on the program calendar.
    def at_start(self, day: dt.date) -> str:
        return f"{day.isoformat()}T{_clock(self.spans[0][0])}"

    def at_end(self, day: dt.date) -> str:
        end = self.spans[-1][1]
        if end >= 1440:  # a 24-hour day ends at midnight, the start of the next day
            return f"{(day + dt.timedelta(days=1)).isoformat()}T00:00:00"
        return f"{day.isoformat()}T{_clock(end)}"

    def people_of(self, task: Task) -> tuple[Person, ...]:
        placed = self.by_task.get(task.id)
        ids = placed.assignees if placed is not None else task.assignees
        return tuple(self.plan.person_by_id[i] for i in ids if i in self.plan.person_by_id)

    def xml(self) -> str:
        plan = self.plan
        root = ET.Element("Project", {"xmlns": NS})
        add = _adder(root)
        add("SaveVersion", 14)
        add("Name", plan.program.name)
        add("Title", plan.program.name)
        if plan.program.description:
            add("Subject", plan.program.description.strip())
        add("ScheduleFromStart", 1)
        start = self.schedule.start if self.schedule else plan.program.start
        add("StartDate", self.at_start(min(start, plan.program.start)))
        if self.schedule is not None:
            add("FinishDate", self.at_end(self.schedule.finish))
        add("CurrencyCode", plan.program.currency)
        add("CalendarUID", 1)
        add("DefaultStartTime", _clock(self.spans[0][0]))
        add("DefaultFinishTime", _clock(self.spans[-1][1]))
        add("MinutesPerDay", self.minutes_per_day)
        add("MinutesPerWeek", self.minutes_per_day * len(plan.calendar.workweek))
        add("DaysPerMonth", 20)
        add("DurationFormat", FORMAT_DAYS)
        add("WorkFormat", 2)  # hours
        add("NewTasksEffortDriven", 1)
        add("WeekStartDay", 1)  # Monday
        if plan.program.status_date is not None:
            add("StatusDate", self.at_end(plan.program.status_date))
        self.extended_attributes(root)
        calendar_uids = self.calendars(ET.SubElement(root, "Calendars"))
        task_uids = self.tasks(ET.SubElement(root, "Tasks"))
        person_uids = self.resources(ET.SubElement(root, "Resources"), calendar_uids)
        self.assignments(ET.SubElement(root, "Assignments"), task_uids, person_uids)
        ET.indent(root, space="  ")
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body + "\n"

    def extended_attributes(self, root: ET.Element) -> None:
        holder = ET.SubElement(root, "ExtendedAttributes")
        fields: list[tuple[int, str, str]] = [(FIELD_TASK_ID, "Text1", ALIAS_ID)]
        if any(t.work is not None and not t.work.is_single for t in self.plan.tasks):
            fields += [
                (fid, f"Duration{n}", alias)
                for n, (fid, alias) in enumerate(zip(FIELD_PERT, ALIAS_PERT, strict=True), 1)
            ]
        if any(p.skills for p in self.plan.people):
            fields.append((FIELD_SKILLS, "Text1", ALIAS_SKILLS))
        for fid, name, alias in fields:
            attr = ET.SubElement(holder, "ExtendedAttribute")
            a = _adder(attr)
            a("FieldID", fid)
            a("FieldName", name)
            a("Alias", alias)

    # -- calendars
    def calendars(self, parent: ET.Element) -> dict[str, int]:
        """Base calendars (the program's first) and one resource calendar per person, whose
        exceptions are their time off. Returns the UID of each calendar and of each person's."""
        uids: dict[str, int] = {}
        base = [
            self.plan.calendar,
            *(c for c in self.plan.calendars if c.id != self.plan.calendar.id),
        ]
        for n, cal in enumerate(base, start=1):
            uids[f"calendar:{cal.id}"] = n
            name = "Standard" if n == 1 and cal.id == "default" else cal.id
            self.calendar(parent, n, name, cal, None, cal.holidays)
        uid = len(base)
        for person in self.plan.people:
            uid += 1
            uids[f"person:{person.id}"] = uid
            cal = self.plan.calendar_of(person)
            days = [d for r in person.time_off for d in range_days(r.start, r.end)]
            self.calendar(
                parent, uid, person.name or person.id, cal, uids[f"calendar:{cal.id}"], days
            )
        return uids

    def calendar(
        self,
        parent: ET.Element,
        uid: int,
        name: str,
        cal: Calendar,
        base_uid: int | None,
        days_off: Sequence[dt.date],
    ) -> None:
        element = ET.SubElement(parent, "Calendar")
        add = _adder(element)
        add("UID", uid)
        add("Name", name)
        add("IsBaseCalendar", int(base_uid is None))
        add("BaseCalendarUID", -1 if base_uid is None else base_uid)
        if base_uid is None:  # a resource calendar inherits its base calendar's week
            week = ET.SubElement(element, "WeekDays")
            spans = day_spans(round(cal.minutes_per_day))
            for day_type in range(1, 8):  # 1 = Sunday ... 7 = Saturday
                weekday = (day_type + 5) % 7  # datetime's 0 = Monday
                entry = ET.SubElement(week, "WeekDay")
                a = _adder(entry)
                a("DayType", day_type)
                working = weekday in cal.workweek
                a("DayWorking", int(working))
                if working:
                    times = ET.SubElement(entry, "WorkingTimes")
                    for begin, end in spans:
                        span = ET.SubElement(times, "WorkingTime")
                        s = _adder(span)
                        s("FromTime", _clock(begin))
                        s("ToTime", _clock(end))
        ranges = _runs(days_off)
        if ranges:
            exceptions = ET.SubElement(element, "Exceptions")
            for first, last in ranges:
                exc = ET.SubElement(exceptions, "Exception")
                a = _adder(exc)
                a("EnteredByOccurrences", 0)
                period = ET.SubElement(exc, "TimePeriod")
                p = _adder(period)
                p("FromDate", f"{first.isoformat()}T00:00:00")
                p("ToDate", f"{last.isoformat()}T23:59:00")
                a("Occurrences", 1)
                a("Name", "Holiday" if base_uid is None else "Time off")
                a("Type", 1)  # daily: every day of the period
                a("DayWorking", 0)

    # -- tasks
    def ordered(self) -> Iterator[tuple[Task, int, str]]:
        """Tasks depth first with their outline level and number (MSPDI lists the outline in
        order, each summary before its subtasks)."""
        plan = self.plan

        def visit(ids: Sequence[str], level: int, prefix: str) -> Iterator[tuple[Task, int, str]]:
            for n, ident in enumerate(ids, start=1):
                task = plan.task_by_id[ident]
                number = f"{prefix}{n}"
                yield task, level, number
                yield from visit(task.children, level + 1, f"{number}.")

        roots = [t.id for t in plan.tasks if t.parent is None or t.parent not in plan.task_by_id]
        yield from visit(roots, 1, "")

    def tasks(self, parent: ET.Element) -> dict[str, int]:
        ordered = list(self.ordered())
        uids = {task.id: n for n, (task, _, _) in enumerate(ordered, start=1)}
        self.project_task(parent)
        for task, level, number in ordered:
            self.task(parent, task, uids, level, number)
        return uids

    def project_task(self, parent: ET.Element) -> None:
        """Task 0, the project summary MS Project keeps (and hides) above the outline."""
        element = ET.SubElement(parent, "Task")
        add = _adder(element)
        add("UID", 0)
        add("ID", 0)
        add("Name", self.plan.program.name)
        add("Type", TYPE_FIXED_DURATION)
        add("IsNull", 0)
        add("WBS", 0)
        add("OutlineNumber", 0)
        add("OutlineLevel", 0)
        if self.schedule is not None:
            add("Start", self.at_start(self.schedule.start))
            add("Finish", self.at_end(self.schedule.finish))
            add("Duration", pt(self.schedule.makespan_days * self.minutes_per_day))
            add("DurationFormat", FORMAT_DAYS)
        add("Milestone", 0)
        add("Summary", 1)

    def task(
        self, parent: ET.Element, task: Task, uids: Mapping[str, int], level: int, number: str
    ) -> None:
        placed = self.by_task.get(task.id)
        people = () if task.is_summary or task.milestone else self.people_of(task)
        element = ET.SubElement(parent, "Task")
        add = _adder(element)
        add("UID", uids[task.id])
        add("ID", uids[task.id])
        add("Name", task.title)
        add("Active", 1)
        add("Manual", 0)
        effort = task.estimate is not None and not task.is_summary
        if task.is_summary or task.milestone:
            add("Type", TYPE_FIXED_DURATION)
        else:
            add("Type", TYPE_FIXED_WORK if effort else TYPE_FIXED_DURATION)
        add("IsNull", 0)
        add("WBS", number)
        add("OutlineNumber", number)
        add("OutlineLevel", level)
        add("Priority", task.priority)
        if placed is not None:
            begin = placed.start
            add("Start", self.at_end(begin) if task.milestone else self.at_start(begin))
            add("Finish", self.at_end(placed.finish))
        minutes, work = self.duration_and_work(task, people, placed)
        if minutes is not None:
            add("Duration", pt(minutes))
            add("DurationFormat", FORMAT_DAYS)
        if work is not None:
            add("Work", pt(work))
        add("EffortDriven", int(effort))
        add("Estimated", 0)
        add("Milestone", int(task.milestone))
        add("Summary", int(task.is_summary))
        if placed is not None:
            add("Critical", int(placed.critical))
        if task.percent_complete is not None and not task.is_summary:
            add("PercentComplete", round(task.percent_complete * 100))
        if task.actual_start is not None and not task.is_summary:
            add("ActualStart", self.at_start(task.actual_start))
        if task.actual_finish is not None and not task.is_summary:
            add("ActualFinish", self.at_end(task.actual_finish))
        if task.start_no_earlier_than is not None:
            add("ConstraintType", _START_NO_EARLIER)
            add("CalendarUID", -1)
            add("ConstraintDate", self.at_start(task.start_no_earlier_than))
        else:
            add("ConstraintType", 0)
            add("CalendarUID", -1)
        if task.deadline is not None:
            add("Deadline", self.at_end(task.deadline))
        if task.notes:
            add("Notes", task.notes.strip())
        for dep in task.depends:
            if dep.task not in uids:
                continue
            link = ET.SubElement(element, "PredecessorLink")
            a = _adder(link)
            a("PredecessorUID", uids[dep.task])
            a("Type", LINK_TYPE[dep.type])
            a("CrossProject", 0)
            a("LinkLag", dep.lag.minutes * 10)  # tenths of a minute
            a("LagFormat", self.lag_format(dep.lag.minutes))
        custom = ET.SubElement(element, "ExtendedAttribute")
        c = _adder(custom)
        c("FieldID", FIELD_TASK_ID)
        c("Value", task.id)
        work_estimate = None if task.is_summary else task.work
        if work_estimate is not None and not work_estimate.is_single:
            points = (work_estimate.optimistic, work_estimate.likely, work_estimate.pessimistic)
            for fid, value in zip(FIELD_PERT, points, strict=True):
                custom = ET.SubElement(element, "ExtendedAttribute")
                c = _adder(custom)
                c("FieldID", fid)
                c("Value", pt(value.minutes))
                c("DurationFormat", FORMAT_DAYS)

    def lag_format(self, minutes: int) -> int:
        if minutes % self.minutes_per_day == 0 or (4 * minutes) % self.minutes_per_day == 0:
            return FORMAT_DAYS
        return FORMAT_HOURS if minutes % 60 == 0 else FORMAT_MINUTES

    def duration_and_work(
        self, task: Task, people: Sequence[Person], placed: TaskSchedule | None
    ) -> tuple[int | None, int | None]:
        """Working minutes of the task's duration and of its work (None: not written)."""
        if task.milestone:
            return 0, 0
        if task.is_summary:
            if placed is None:
                return None, None
            return placed.duration_days * self.minutes_per_day, None
        if task.work is None:
            return 0, 0
        likely = task.work.likely.minutes
        allocation = sum((p.allocation for p in people), Fraction(0))
        if task.estimate is not None:  # effort: the people share it, each at their allocation
            return round(likely / allocation) if allocation > 0 else likely, likely
        work = sum(round(likely * p.allocation) for p in people)
        return likely, work

    # -- resources and assignments
    def resources(self, parent: ET.Element, calendar_uids: Mapping[str, int]) -> dict[str, int]:
        uids: dict[str, int] = {}
        hours = self.plan.calendar.hours_per_day
        for n, person in enumerate(self.plan.people, start=1):
            uids[person.id] = n
            element = ET.SubElement(parent, "Resource")
            add = _adder(element)
            add("UID", n)
            add("ID", n)
            add("Name", person.name or person.id)
            add("Type", 1)  # work
            add("IsNull", 0)
            add("Initials", "".join(w[0] for w in (person.name or person.id).split() if w)[:8])
            add("Code", person.id)
            if person.email:
                add("EmailAddress", person.email)
            add("MaxUnits", _decimal(person.allocation))
            if person.rate is not None:
                # MSPDI keeps every rate per hour; the format is only how it is shown.
                per_day = person.rate.per is RateUnit.DAY
                hourly = person.rate.amount
                if per_day:
                    hourly = hourly * hours.denominator / hours.numerator
                add("StandardRate", _decimal(hourly))
                add("StandardRateFormat", 3 if per_day else 2)
            add("CalendarUID", calendar_uids[f"person:{person.id}"])
            if person.skills:
                custom = ET.SubElement(element, "ExtendedAttribute")
                c = _adder(custom)
                c("FieldID", FIELD_SKILLS)
                c("Value", ", ".join(person.skills))
        return uids

    def assignments(
        self, parent: ET.Element, task_uids: Mapping[str, int], person_uids: Mapping[str, int]
    ) -> None:
        uid = 0
        for task, _, _ in self.ordered():
            if task.is_summary or task.milestone:
                continue
            people = self.people_of(task)
            placed = self.by_task.get(task.id)
            minutes, _ = self.duration_and_work(task, people, placed)
            for person, work in zip(people, self.shares(task, people, minutes or 0), strict=True):
                uid += 1
                element = ET.SubElement(parent, "Assignment")
                add = _adder(element)
                add("UID", uid)
                add("TaskUID", task_uids[task.id])
                add("ResourceUID", person_uids[person.id])
                if placed is not None:
                    add("Finish", self.at_end(placed.finish))
                    add("Start", self.at_start(placed.start))
                add("Units", _decimal(person.allocation))
                add("Work", pt(work))

    @staticmethod
    def shares(task: Task, people: Sequence[Person], duration: int) -> list[int]:
        """Each person's work: their allocation of the duration; an effort's shares add up to
        the effort exactly (the last person takes the rounding)."""
        works = [round(duration * p.allocation) for p in people]
        if task.estimate is not None and works:
            works[-1] = task.estimate.likely.minutes - sum(works[:-1])
        return works


class _adder:
    """Appends ``<Tag>value</Tag>`` children to an element, in call order (MSPDI readers that
    validate want the schema's order, which the callers follow)."""

    def __init__(self, root: ET.Element) -> None:
        self.root = root

    def __call__(self, tag: str, value: object) -> None:
        child = ET.SubElement(self.root, tag)
        child.text = _xml_text(str(value))


def _runs(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    ordered = sorted(set(days))
    runs: list[tuple[dt.date, dt.date]] = []
    for day in ordered:
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


# -- import -------------------------------------------------------------------------------------


class _Builder:
    """An ElementTree target that drops namespaces and remembers each element's line."""

    def __init__(self) -> None:
        self.inner = ET.TreeBuilder()
        self.parser: Any = None
        self.lines: dict[int, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = self.inner.start(tag.rpartition("}")[2], attrs)
        self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag: str) -> ET.Element:
        return self.inner.end(tag.rpartition("}")[2])

    def data(self, text: str) -> None:
        self.inner.data(text)

    def close(self) -> ET.Element:
        return self.inner.close()


def parse_xml(data: bytes, name: str) -> tuple[ET.Element | None, dict[int, int], list[Diagnostic]]:
    """Parse XML safely: no DTD, no entities, no external references. Returns the root (tags
    without namespaces), each element's line, and the reason when the file is refused."""
    from defusedxml import DefusedXmlException  # noqa: PLC0415 - only imports need it
    from defusedxml.ElementTree import DefusedXMLParser  # noqa: PLC0415

    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber
        return (
            None,
            {},
            [
                error(
                    "E452",
                    SourceLoc(name, line),
                    f"XML with a DTD or entity declarations is refused ({type(exc).__name__})",
                    "MS Project files have neither; this file may be an attack (external entities, "
                    "entity expansion) or not an MS Project export",
                )
            ],
        )
    except ET.ParseError as exc:
        line, col = exc.position
        reason = str(exc).split(":")[0]
        return (
            None,
            {},
            [
                error(
                    "E451",
                    SourceLoc(name, line, col + 1),
                    f"not well-formed XML: {reason}",
                    "the file is damaged or not XML; export it again",
                )
            ],
        )
    return root, builder.lines, []


_DURATION_RE = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


_MAX_INT = Decimal(10) ** 15  # integers of an MSPDI file (ids, codes, tenths of minutes)
_MAX_DECIMAL = Decimal(10) ** 15  # rates, units


class _Bad(ValueError):
    """A value the importer cannot read; becomes E454 at the element's line."""


def parse_pt(text: str) -> int:
    """Minutes of an MSPDI (xsd) duration such as ``PT8H30M0S``; days count 24 hours."""
    match = _DURATION_RE.match(text.strip()) if len(text) <= 10_000 else None
    if not match or text.strip() in ("P", "PT"):
        raise _Bad(f"'{shown(text)}' is not a duration")
    # A number of more than 15 digits is beyond any duration a plan holds: it stands for 10^15
    # (the caller clamps it), so a thousand digits cost no more than three.
    parts = {
        k: Fraction(v) if len(v.partition(".")[0]) <= 15 else Fraction(10**15)
        for k, v in match.groupdict().items()
        if v and k != "sign"
    }
    minutes = (
        parts.get("y", Fraction(0)) * 525_600
        + parts.get("mo", Fraction(0)) * 43_200
        + parts.get("d", Fraction(0)) * 1440
        + parts.get("h", Fraction(0)) * 60
        + parts.get("m", Fraction(0))
        + parts.get("s", Fraction(0)) / 60
    )
    value = round(minutes)
    return -value if match["sign"] else value


@dataclass
class _Calendar:
    uid: str
    name: str
    base_uid: str | None
    weekdays: dict[int, int]  # DayType (1 = Sunday) -> working minutes (0: not worked)
    days_off: list[dt.date]
    line: int


@dataclass
class _Task:
    element: ET.Element
    uid: str
    id: str
    level: int
    line: int
    parent: str | None = None
    children: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, root: ET.Element, lines: dict[int, int], name: str) -> None:
        self.root = root
        self.lines = lines
        self.name = name
        self.diagnostics: list[Diagnostic] = []
        self.out = ImportedPlan({}, name, "mspdi")
        minutes_per_day = self.int_of(root, "MinutesPerDay", 480) or 480
        if not 0 < minutes_per_day <= 1440:
            self.out_of_range(root, "MinutesPerDay", str(minutes_per_day), "480 is used")
            minutes_per_day = 480
        self.hours_per_day = Fraction(minutes_per_day, 60)
        week = self.int_of(root, "MinutesPerWeek", minutes_per_day * 5) or minutes_per_day * 5
        if not 0 < week <= 7 * 1440:
            self.out_of_range(root, "MinutesPerWeek", str(week), f"{minutes_per_day * 5} is used")
            week = minutes_per_day * 5
        self.minutes_per_week = week
        self.longest = max_minutes(self.hours_per_day)
        self.aliases = self.extended_attributes()
        self.calendar_ids: dict[str, str] = {}  # base calendars' plan ids, by UID
        self.summaries: set[str] = set()  # tasks with subtasks, as the outline is written

    # -- small readers
    def loc(self, element: ET.Element | None) -> SourceLoc:
        if element is None:
            return SourceLoc(self.name)
        return SourceLoc(self.name, self.lines.get(id(element), 0))

    def text(self, element: ET.Element, tag: str) -> str | None:
        child = element.find(tag)
        if child is None or child.text is None:
            return None
        value = child.text.strip()
        return value or None

    def bad(self, element: ET.Element, tag: str, problem: str) -> None:
        child = element.find(tag)
        self.diagnostics.append(
            error(
                "E454",
                self.loc(child if child is not None else element),
                f"<{tag}>: {problem}",
                "fix the value in MS Project and export again",
            )
        )

    def out_of_range(self, element: ET.Element, tag: str, value: str, outcome: str) -> None:
        """W456: a value that reads but no plan can hold (NaN, a duration of centuries)."""
        child = element.find(tag)
        self.diagnostics.append(
            warning(
                "W456",
                self.loc(child if child is not None else element),
                f"<{tag}> '{shown(value)}' is out of range: {outcome}",
                "fix the value in MS Project and export again",
            )
        )

    def int_of(self, element: ET.Element, tag: str, default: int | None = None) -> int | None:
        found = self.decimal_of(element, tag, limit=_MAX_INT)
        return default if found is None else int(found)

    def decimal_of(
        self, element: ET.Element, tag: str, limit: Decimal | None = None
    ) -> Decimal | None:
        """A finite number of at most ``limit`` (10^15 unless told) in size; E454 when it is
        not a number, W456 (and None) when it is NaN, infinite or too large."""
        value = self.text(element, tag)
        if value is None:
            return None
        try:
            found = Decimal(value) if len(value) <= 64 else None
        except InvalidOperation:
            self.bad(element, tag, f"'{shown(value)}' is not a number")
            return None
        if found is None or not found.is_finite() or found.copy_abs() >= (limit or _MAX_DECIMAL):
            self.out_of_range(element, tag, value, "ignored")
            return None
        return found

    def flag(self, element: ET.Element, tag: str) -> bool:
        return self.text(element, tag) in ("1", "true")

    def when(self, element: ET.Element, tag: str) -> dt.datetime | None:
        """A date and time; E454 when it is not one, W456 (and None) outside 1900-2200."""
        value = self.text(element, tag)
        if value is None:
            return None
        try:
            found = dt.datetime.fromisoformat(value)
        except ValueError:
            self.bad(element, tag, f"'{shown(value)}' is not a date and time")
            return None
        if not in_horizon(found.date()):
            self.out_of_range(
                element, tag, value, f"not in {EARLIEST_DATE.year}-{LATEST_DATE.year}, ignored"
            )
            return None
        return found

    def day(self, element: ET.Element, tag: str) -> dt.date | None:
        moment = self.when(element, tag)
        return moment.date() if moment is not None else None

    def minutes(self, element: ET.Element, tag: str, *, warn: bool = True) -> int | None:
        """A duration in minutes, from zero to ``MAX_WORK_DAYS`` working days (W456 when it is
        clamped); E454 when it is not a duration."""
        value = self.text(element, tag)
        if value is None:
            return None
        try:
            found = parse_pt(value)
        except _Bad as exc:
            if warn:
                self.bad(element, tag, str(exc))
            return None
        return self.bounded(found, element, tag, value) if warn else self.clamp(found)

    def clamp(self, minutes: int, *, lag: bool = False) -> int:
        return min(max(minutes, -self.longest if lag else 0), self.longest)

    def bounded(
        self, minutes: int, element: ET.Element, tag: str, value: str, *, lag: bool = False
    ) -> int:
        """``minutes`` within what a plan holds: W456 when they are clamped."""
        kept = self.clamp(minutes, lag=lag)
        if kept != minutes:
            problem = "negative" if kept == 0 else f"beyond {MAX_WORK_DAYS} working days"
            self.out_of_range(
                element,
                tag,
                value,
                f"{problem}, {duration_text(kept, self.hours_per_day)} is used",
            )
        return kept

    def elapsed_to_working(self, minutes: int) -> int:
        """Elapsed (calendar) time as working time: a week of seven days is a working week."""
        return round(Fraction(minutes * self.minutes_per_week, 7 * 1440))

    def extended_attributes(self) -> dict[str, int]:
        """Custom field ids by alias (``ontrack id``, ``Optimistic``, ...)."""
        found: dict[str, int] = {}
        for attr in self.root.findall("ExtendedAttributes/ExtendedAttribute"):
            alias, fid = self.text(attr, "Alias"), self.int_of(attr, "FieldID")
            if alias and fid is not None:
                found[alias] = fid
        return found

    def custom(self, element: ET.Element, alias: str) -> str | None:
        fid = self.aliases.get(alias)
        if fid is None:
            return None
        for attr in element.findall("ExtendedAttribute"):
            if self.int_of(attr, "FieldID") == fid:
                return self.text(attr, "Value")
        return None

    # -- the whole file
    def read(self) -> tuple[ImportedPlan | None, list[Diagnostic]]:
        root = self.root
        calendars = self.calendars()
        start = self.day(root, "StartDate")
        tasks = self.task_elements()
        if start is None:
            starts = [d for t in tasks if (d := self.day(t.element, "Start")) is not None]
            start = min(starts, default=None)
        if start is None:
            self.diagnostics.append(
                error(
                    "E457",
                    self.loc(root),
                    "the project has no start date and no dated task",
                    "set the project start in MS Project (Project > Project Information)",
                )
            )
            return None, self.diagnostics
        program: dict[str, Any] = {
            "name": self.text(root, "Title") or self.text(root, "Name") or self.name,
            "start": start,
        }
        currency = self.text(root, "CurrencyCode")
        if currency and re.fullmatch(r"[A-Z]{3}", currency):
            program["currency"] = currency
        subject = self.text(root, "Subject")
        if subject:
            program["description"] = subject
        status = self.day(root, "StatusDate")
        data = self.out.data
        data["program"] = program
        self.out.origins[("program", "")] = self.loc(root)
        project_uid = self.text(root, "CalendarUID")
        project_cal = calendars.get(project_uid or "") or next(
            (c for c in calendars.values() if c.base_uid is None), None
        )
        data["calendar"] = self.calendar_data(project_cal, calendars, own_hours=False)
        if project_cal is not None:
            self.out.origins[("calendar", "")] = SourceLoc(self.name, project_cal.line)
        people, resources = self.people(calendars, project_cal)
        extra = self.other_calendars(calendars, project_cal, people)
        if extra:
            data["calendars"] = extra
        if people:
            data["people"] = people
        assignments = self.assignments(resources)
        # An outline deeper than a plan reads is moved up: what is a summary follows from that.
        placed = arrange([t.id for t in tasks], {t.id: t.parent for t in tasks})
        self.summaries = placed.summaries
        flat, _ = self.tasks(tasks, assignments, resources)
        nested = outline(flat, placed.parent)
        data["tasks"] = nested.tasks
        self.diagnostics += outline_problems(placed, self.task_loc)
        read = [(t.id, SourceLoc(self.name, t.line)) for t in tasks]
        self.diagnostics += left_out(read, nested.tasks)
        actuals = [t[k] for t in flat for k in ("actual_start", "actual_finish") if k in t]
        if status is not None or actuals:
            latest = max([d for d in [status, *actuals] if d is not None])
            if status is not None and latest > status:
                self.out.remark(
                    ("program", ""),
                    f"status date moved from {status} to {latest}, the last actual date",
                )
            program["status_date"] = latest
        self.out.header = [
            f"Imported from {self.name} (MS Project XML) by `ontrack import`.",
            f"Durations are working time; a day (d) is {hours_text(self.hours_per_day)} hours, "
            "as in the project.",
        ]
        return self.out, self.diagnostics

    def task_loc(self, ident: str) -> SourceLoc:
        return self.out.origins.get(("tasks", ident), SourceLoc(self.name))

    # -- calendars
    def calendars(self) -> dict[str, _Calendar]:
        found: dict[str, _Calendar] = {}
        for element in self.root.findall("Calendars/Calendar"):
            uid = self.text(element, "UID")
            if uid is None:
                continue
            base = self.text(element, "BaseCalendarUID")
            is_base = self.flag(element, "IsBaseCalendar") or base in (None, "-1")
            weekdays: dict[int, int] = {}
            days_off: list[dt.date] = []
            for weekday in element.findall("WeekDays/WeekDay"):
                day_type = self.int_of(weekday, "DayType")
                working = self.flag(weekday, "DayWorking")
                if day_type == 0:  # an exception, as MS Project 2003 wrote them
                    if not working:
                        days_off += self.period(weekday)
                elif day_type is not None and 1 <= day_type <= 7:
                    weekdays[day_type] = self.working_minutes(weekday) if working else 0
            for exc in element.findall("Exceptions/Exception"):
                if self.flag(exc, "DayWorking"):
                    self.out.remark(
                        ("calendar", ""),
                        f"calendar '{self.text(element, 'Name')}': extra working days "
                        "(exceptions that add work) are not carried over",
                    )
                    continue
                days_off += self.exception_days(exc, self.text(element, "Name") or uid)
            found[uid] = _Calendar(
                uid,
                self.text(element, "Name") or f"calendar-{uid}",
                None if is_base else base,
                weekdays,
                days_off,
                self.lines.get(id(element), 0),
            )
        return found

    def period(self, element: ET.Element) -> list[dt.date]:
        period = element.find("TimePeriod")
        if period is None:
            return []
        first, last = self.day(period, "FromDate"), self.day(period, "ToDate")
        if first is None or last is None:
            return []
        return range_days(first, last)

    def exception_days(self, exc: ET.Element, calendar: str) -> list[dt.date]:
        days = self.period(exc)
        kind = self.int_of(exc, "Type", 1)
        occurrences = self.int_of(exc, "Occurrences", 1) or 1
        if kind == 1 or occurrences <= 1 or not days:
            return days  # daily: every day of the period
        if kind == 2:  # yearly on a date: that day in each year of the period
            first = days[0]
            return [d for d in days if (d.month, d.day) == (first.month, first.day)]
        self.diagnostics.append(
            warning(
                "W450",
                self.loc(exc),
                f"calendar '{calendar}': a recurring exception (type {kind}) is imported as "
                f"its first day only ({days[0]})",
                "add the other days to the plan's holidays by hand",
            )
        )
        return days[:1]

    def working_minutes(self, weekday: ET.Element) -> int:
        total = 0
        for span in weekday.findall("WorkingTimes/WorkingTime"):
            begin, end = self.text(span, "FromTime"), self.text(span, "ToTime")
            if begin is None or end is None:
                continue
            try:
                a, b = dt.time.fromisoformat(begin), dt.time.fromisoformat(end)
            except ValueError:
                self.bad(span, "FromTime", f"'{begin}'..'{end}' is not a time span")
                continue
            start, stop = a.hour * 60 + a.minute, b.hour * 60 + b.minute
            total += (stop - start) if stop > start else (1440 - start + stop)
        return total

    def week_of(self, cal: _Calendar, calendars: Mapping[str, _Calendar]) -> dict[int, int]:
        """A calendar's week, days it leaves unsaid taken from its base calendar."""
        week: dict[int, int] = {}
        seen: set[str] = set()
        current: _Calendar | None = cal
        while current is not None and current.uid not in seen:
            seen.add(current.uid)
            for day, minutes in current.weekdays.items():
                week.setdefault(day, minutes)
            current = calendars.get(current.base_uid or "")
        for day in range(1, 8):  # MS Project's default: Monday to Friday
            week.setdefault(day, 480 if 2 <= day <= 6 else 0)
        return week

    def calendar_data(
        self,
        cal: _Calendar | None,
        calendars: Mapping[str, _Calendar],
        *,
        own_hours: bool,
    ) -> dict[str, Any]:
        week = (
            self.week_of(cal, calendars)
            if cal
            else self.week_of(_Calendar("", "", None, {}, [], 0), calendars)
        )
        workweek = [WEEKDAYS[(d + 5) % 7] for d in (2, 3, 4, 5, 6, 7, 1) if week[d] > 0]
        hours = self.hours_per_day
        if own_hours:  # another calendar: its own day length (most common among working days)
            lengths = [m for m in week.values() if m > 0]
            if lengths:
                hours = Fraction(max(set(lengths), key=lengths.count), 60)
        data: dict[str, Any] = {
            "workweek": workweek or ["mon", "tue", "wed", "thu", "fri"],
            "hours_per_day": hours_text(min(hours, Fraction(24))),
        }
        if cal is not None and cal.days_off:
            data["holidays"] = date_ranges(cal.days_off)
        return data

    def other_calendars(
        self,
        calendars: Mapping[str, _Calendar],
        project: _Calendar | None,
        people: Sequence[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        used = {p["calendar"] for p in people if "calendar" in p}
        out = []
        for cal in calendars.values():
            if cal.base_uid is not None or cal is project:
                continue
            ident = self.calendar_ids.get(cal.uid)
            if ident is None or ident not in used:
                continue
            out.append({"id": ident, **self.calendar_data(cal, calendars, own_hours=True)})
            self.out.origins[("calendars", ident)] = SourceLoc(self.name, cal.line)
        return out

    # -- people
    def people(
        self, calendars: Mapping[str, _Calendar], project: _Calendar | None
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """People from work resources; returns them and person ids by resource UID."""
        ids = IdMaker("person")
        cal_ids = IdMaker("calendar")
        for cal in calendars.values():
            if cal.base_uid is None and cal is not project:
                self.calendar_ids[cal.uid] = cal_ids.make(cal.name)
        ours = ALIAS_ID in self.aliases  # written by ontrack: Code holds the person's id
        people: list[dict[str, Any]] = []
        resources: dict[str, str] = {}
        for element in self.root.findall("Resources/Resource"):
            uid = self.text(element, "UID")
            name = self.text(element, "Name")
            if uid is None or self.flag(element, "IsNull") or (name is None and uid == "0"):
                continue
            kind = self.int_of(element, "Type", 1)
            if kind != 1 or self.flag(element, "IsCostResource"):
                self.diagnostics.append(
                    warning(
                        "W452",
                        self.loc(element),
                        f"resource '{name or uid}' is a "
                        f"{'material' if kind == 0 else 'cost'} resource, not a person: left out",
                        "plans schedule people; record costs as a task's `cost`",
                    )
                )
                continue
            code = self.text(element, "Code")
            ident = (ids.take(code) if ours and code else None) or ids.make(name or "", f"r{uid}")
            resources[uid] = ident
            person: dict[str, Any] = {"id": ident, "name": name or ident}
            email = self.text(element, "EmailAddress")
            if email:
                person["email"] = email
            skills = self.custom(element, ALIAS_SKILLS)
            if skills:
                person["skills"] = [s.strip() for s in skills.split(",") if s.strip()]
            units = self.decimal_of(element, "MaxUnits")
            if units is not None and units != 1:
                if units > 1:
                    self.out.remark(
                        ("people", ident),
                        f"max units {percent_text(units)} in MS Project (a group of people?); "
                        "a person's allocation is at most 100%",
                    )
                person["allocation"] = percent_text(min(max(units, Decimal(0)), Decimal(1)))
            rate = self.decimal_of(element, "StandardRate")
            if rate:
                if self.int_of(element, "StandardRateFormat", 2) == 3:  # shown per day
                    per_day = (
                        rate
                        * Decimal(self.hours_per_day.numerator)
                        / self.hours_per_day.denominator
                    )
                    person["rate"] = f"{_money(per_day)}/day"
                else:
                    person["rate"] = f"{_money(rate)}/hour"
            own = calendars.get(self.text(element, "CalendarUID") or "")
            if own is not None:
                base = own.uid if own.base_uid is None else own.base_uid
                if base in self.calendar_ids:
                    person["calendar"] = self.calendar_ids[base]
                if own.base_uid is not None and own.days_off:
                    person["time_off"] = date_ranges(own.days_off)
            people.append(person)
            self.out.origins[("people", ident)] = self.loc(element)
        return people, resources

    def assignments(self, resources: Mapping[str, str]) -> dict[str, list[tuple[str, Decimal]]]:
        """(person id, units) of each task UID."""
        found: dict[str, list[tuple[str, Decimal]]] = {}
        listed = {self.text(r, "UID") for r in self.root.findall("Resources/Resource")}
        for element in self.root.findall("Assignments/Assignment"):
            task, resource = self.text(element, "TaskUID"), self.text(element, "ResourceUID")
            if task is None or resource is None or resource == str(NO_RESOURCE):
                continue
            person = resources.get(resource)
            if person is None and resource not in listed:
                self.diagnostics.append(
                    warning(
                        "W455",
                        self.loc(element),
                        f"an assignment names resource UID {resource}, which is not in the "
                        "file: dropped",
                        "assign the task in the plan by hand",
                    )
                )
            if person is None:  # else a material or cost resource, reported with it
                continue
            units = self.decimal_of(element, "Units")
            entry = (person, units if units is not None else Decimal(1))
            if entry[0] not in [p for p, _ in found.get(task, [])]:
                found.setdefault(task, []).append(entry)
        return found

    # -- tasks
    def task_elements(self) -> list[_Task]:
        """The outline: tasks in order with their level, the project summary (task 0) and blank
        rows left out, each task's parent found from the levels."""
        ids = IdMaker("task")
        ours = ALIAS_ID in self.aliases
        out: list[_Task] = []
        stack: list[_Task] = []
        for element in self.root.findall("Tasks/Task"):
            if self.flag(element, "IsNull"):
                continue  # a blank row
            # A task without a UID is still work: it is known by its line.
            uid = self.text(element, "UID") or f"@{self.lines.get(id(element), 0)}"
            level = self.int_of(element, "OutlineLevel")
            if level is None:
                number = self.text(element, "OutlineNumber")
                level = number.count(".") + 1 if number else 1
            if uid == "0":
                continue  # the project summary task: the program itself
            if level <= 0:
                self.out_of_range(element, "OutlineLevel", str(level), "1 is used")
                level = 1
            wanted = self.custom(element, ALIAS_ID) if ours else None
            name = self.text(element, "Name") or ""
            ident = (ids.take(wanted) if wanted else None) or ids.make(name, f"task-{uid}")
            task = _Task(element, uid, ident, level, self.lines.get(id(element), 0))
            while stack and stack[-1].level >= level:
                stack.pop()
            if stack:
                task.parent = stack[-1].id
                stack[-1].children.append(ident)
            stack.append(task)
            out.append(task)
        return out

    def tasks(
        self,
        tasks: Sequence[_Task],
        assignments: Mapping[str, list[tuple[str, Decimal]]],
        resources: Mapping[str, str],
    ) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
        by_uid = {t.uid: t for t in tasks}
        people = {p["id"]: p for p in self.out.data.get("people", [])}
        flat: list[dict[str, Any]] = []
        parents: dict[str, str | None] = {}
        for task in tasks:
            data = self.task(task, by_uid, assignments.get(task.uid, []), people)
            flat.append(data)
            parents[task.id] = task.parent
            self.out.origins[("tasks", task.id)] = SourceLoc(self.name, task.line)
        return flat, parents

    def task(
        self,
        task: _Task,
        by_uid: Mapping[str, _Task],
        assigned: Sequence[tuple[str, Decimal]],
        people: Mapping[str, dict[str, Any]],
    ) -> dict[str, Any]:
        element = task.element
        key = ("tasks", task.id)
        data: dict[str, Any] = {"id": task.id, "title": self.text(element, "Name") or task.id}
        summary = task.id in self.summaries
        duration = self.minutes(element, "Duration") or 0
        if (self.int_of(element, "DurationFormat") or 7) in _ELAPSED and duration:
            working = self.elapsed_to_working(duration)
            self.out.remark(
                key,
                f"duration was {duration / 1440:g} elapsed days in MS Project; "
                f"{duration_text(working, self.hours_per_day)} of working time here",
            )
            duration = working
        milestone = self.flag(element, "Milestone") and not summary
        if milestone and duration:
            self.out.remark(key, "a milestone with a duration in MS Project: imported as a task")
            milestone = False
        if not summary:
            if milestone:
                data["milestone"] = True
            else:
                self.work(task, data, duration, assigned, people)
        depends = self.links(task, by_uid)
        if depends:
            data["depends"] = depends
        if assigned and not summary and not milestone:
            names = [p for p, _ in assigned]
            data["assignee"] = names[0] if len(names) == 1 else names
        priority = self.int_of(element, "Priority", 500)
        if priority is not None and priority != 500:
            data["priority"] = min(max(priority, 1), 1000)
        deadline = self.day(element, "Deadline")
        self.constraint(task, data, deadline)
        if deadline is not None:
            data["deadline"] = deadline
        notes = self.text(element, "Notes")
        if notes:
            data["notes"] = "\n".join(
                line.rstrip() for line in notes.replace("\r\n", "\n").split("\n")
            ).strip()
        if not summary:
            self.progress(element, data)
        return data

    def work(
        self,
        task: _Task,
        data: dict[str, Any],
        duration: int,
        assigned: Sequence[tuple[str, Decimal]],
        people: Mapping[str, dict[str, Any]],
    ) -> None:
        """``estimate`` (effort) or ``duration`` (elapsed working time), see the module doc."""
        element = task.element
        kind = self.int_of(element, "Type", TYPE_FIXED_UNITS)
        work = self.minutes(element, "Work") or 0
        effort = False
        if kind == TYPE_FIXED_WORK and work > 0:
            effort = True
        elif kind != TYPE_FIXED_DURATION and work > 0 and assigned:
            allocations = [_allocation(people.get(p, {})) for p, _ in assigned]
            units = [Fraction(u) for _, u in assigned]
            effort = units == allocations and abs(work - duration * sum(units, Fraction(0))) <= len(
                units
            )
        value = work if effort else duration
        points = [self.custom_minutes(element, alias) for alias in ALIAS_PERT]
        text = duration_text(value, self.hours_per_day)
        if all(p is not None for p in points):
            o, m, p = (int(x) for x in points if x is not None)
            if o <= m <= p and m > 0:
                text = "/".join(duration_text(x, self.hours_per_day) for x in (o, m, p))
        data["estimate" if effort else "duration"] = text

    def custom_minutes(self, element: ET.Element, alias: str) -> int | None:
        value = self.custom(element, alias)
        if value is None:
            return None
        try:
            found = parse_pt(value)
        except _Bad:
            return None
        return self.bounded(found, element, "ExtendedAttribute", f"{alias} {value}")

    def links(self, task: _Task, by_uid: Mapping[str, _Task]) -> list[Any]:
        out: list[Any] = []
        for link in task.element.findall("PredecessorLink"):
            pred_uid = self.text(link, "PredecessorUID")
            pred = by_uid.get(pred_uid or "")
            if pred is None or self.flag(link, "CrossProject"):
                self.diagnostics.append(
                    warning(
                        "W451",
                        self.loc(link),
                        f"'{task.id}' depends on task UID {pred_uid}, which is not in the file "
                        "(another project, or the project summary): dropped",
                        "add the dependency by hand if it matters",
                        subjects=(task.id,),
                    )
                )
                continue
            kind = _LINK_OF.get(self.int_of(link, "Type", 1) or 0, DepType.FS)
            tenths = self.int_of(link, "LinkLag", 0) or 0
            lag = round(Fraction(tenths, 10))
            lag_format = self.int_of(link, "LagFormat", FORMAT_DAYS) or FORMAT_DAYS
            if lag and lag_format in _PERCENT:
                share = Fraction(tenths, 10)  # LinkLag holds the percentage in tenths
                base = self.minutes(pred.element, "Duration", warn=False) or 0
                lag = round(base * share / 100)
                self.out.remark(
                    ("tasks", task.id),
                    f"lag of {share}% of '{pred.id}' became "
                    f"{duration_text(lag, self.hours_per_day)}",
                )
            elif lag and lag_format in _ELAPSED:
                working = self.elapsed_to_working(lag)
                self.out.remark(
                    ("tasks", task.id),
                    f"elapsed lag on '{pred.id}' ({lag / 1440:g} calendar days) became "
                    f"{duration_text(working, self.hours_per_day)} of working time",
                )
                lag = working
            lag = self.bounded(lag, link, "LinkLag", str(tenths), lag=True)
            if kind is DepType.FS and lag == 0:
                out.append(pred.id)
                continue
            entry: dict[str, Any] = {"task": pred.id, "type": kind.value}
            if lag:
                entry["lag"] = duration_text(lag, self.hours_per_day)
            out.append(entry)
        return out

    def constraint(self, task: _Task, data: dict[str, Any], deadline: dt.date | None) -> None:
        element = task.element
        kind = self.int_of(element, "ConstraintType", 0) or 0
        if kind == 0:
            return
        when = self.day(element, "ConstraintDate")
        if when is None:
            return
        key = ("tasks", task.id)
        if kind in (_START_NO_EARLIER, _MUST_START_ON):
            data["start_no_earlier_than"] = when
            if kind == _MUST_START_ON:
                self.out.remark(key, f"'must start on {when}' became 'start no earlier than'")
        elif kind == _FINISH_NO_LATER and deadline is None:
            data["deadline"] = when
            self.out.remark(key, f"'finish no later than {when}' became its deadline")
        else:
            names = {
                1: "as late as possible",
                3: "must finish on",
                5: "start no later than",
                6: "finish no earlier than",
            }
            self.out.remark(key, f"constraint '{names.get(kind, kind)}' {when} not carried over")

    def progress(self, element: ET.Element, data: dict[str, Any]) -> None:
        started = self.day(element, "ActualStart")
        finished = self.day(element, "ActualFinish")
        percent = self.int_of(element, "PercentComplete", 0) or 0
        if started is not None:
            data["actual_start"] = started
        if finished is not None and (started is None or finished >= started):
            data["actual_finish"] = finished
        if 0 < percent < 100 and finished is None:
            data["percent_complete"] = f"{percent}%"


def _allocation(person: Mapping[str, Any]) -> Fraction:
    text = str(person.get("allocation", "100%")).rstrip("%")
    return Fraction(text) / 100


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def parse_mspdi(data: bytes, name: str) -> tuple[ImportedPlan | None, list[Diagnostic]]:
    """Plan data from the bytes of an MSPDI file."""
    root, lines, problems = parse_xml(data, name)
    if root is None:
        return None, problems
    if root.tag != "Project":
        return None, [
            error(
                "E453",
                SourceLoc(name, lines.get(id(root), 1)),
                f"<{root.tag}> is not an MS Project XML file (its root is <Project>)",
                "in MS Project: File > Save As > XML Format (*.xml)",
            )
        ]
    reader = _Reader(root, lines, name)
    imported, diagnostics = reader.read()
    if any(d.is_error for d in diagnostics):
        return None, sorted_diagnostics(diagnostics)
    return imported, sorted_diagnostics(diagnostics)
