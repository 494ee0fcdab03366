"""The plan model: frozen, slotted records that every engine reads.

The model knows nothing of YAML: a record's ``loc`` may point at a plan file line, an element of
an imported MS Project file, or a tracker item's URL. ``locs`` holds the places of individual
fields ("depends[2]", "assignee[0]", …) so checks can point at the exact token; engines ignore it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Protocol, TypeVar

from ontrack.diagnostics import UNKNOWN_LOC, SourceLoc
from ontrack.model.quantities import ZERO, Duration, Estimate, Rate
from ontrack.model.tracker import Source, TrackerLink

_NO_LOCS: Mapping[str, SourceLoc] = MappingProxyType({})

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _locs() -> Mapping[str, SourceLoc]:
    return _NO_LOCS


@dataclass(frozen=True, slots=True)
class DateRange:
    """An inclusive range of calendar days."""

    start: dt.date
    end: dt.date
    loc: SourceLoc = UNKNOWN_LOC

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Calendar:
    """Working time: which weekdays are worked, how long a day is, which days are holidays."""

    id: str = "default"
    workweek: frozenset[int] = frozenset(range(5))  # 0 = Monday, as datetime.weekday()
    hours_per_day: Fraction = Fraction(8)
    holidays: tuple[dt.date, ...] = ()
    loc: SourceLoc = UNKNOWN_LOC

    @property
    def minutes_per_day(self) -> Fraction:
        return self.hours_per_day * 60

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.workweek and day not in self.holidays


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    start: dt.date
    currency: str = "USD"
    calendar: str | None = None
    budget: Decimal | None = None
    description: str = ""
    # (below, above) as fractions of a single-point estimate; None: single points are exact.
    uncertainty: tuple[Fraction, Fraction] | None = None
    status_date: dt.date | None = None  # the day progress written in the plan is as of
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    skills: tuple[str, ...] = ()
    allocation: Fraction = Fraction(1)
    rate: Rate | None = None
    time_off: tuple[DateRange, ...] = ()
    calendar: str | None = None
    email: str = ""
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    members: tuple[str, ...] = ()
    lead: str | None = None
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)


class DepType(StrEnum):
    """Dependency types, as in MS Project and Primavera."""

    FS = "FS"  # successor starts after predecessor finishes
    SS = "SS"  # successor starts after predecessor starts
    FF = "FF"  # successor finishes after predecessor finishes
    SF = "SF"  # successor finishes after predecessor starts


@dataclass(frozen=True, slots=True)
class Dependency:
    """``task`` is the predecessor; the record lives on the successor."""

    task: str
    type: DepType = DepType.FS
    lag: Duration = ZERO
    loc: SourceLoc = UNKNOWN_LOC


class Priority:
    """Named priorities map onto MS Project's and TaskJuggler's 1–1000 scale."""

    LOWEST, DEFAULT, HIGHEST = 1, 500, 1000
    NAMES: Mapping[str, int] = MappingProxyType(
        {"lowest": 100, "low": 300, "medium": 500, "high": 700, "critical": 900}
    )


@dataclass(frozen=True, slots=True)
class Task:
    """A unit of work, a milestone, or (with children) a summary task of the WBS.

    ``estimate`` is effort: working time for one person at full allocation, so two people or a
    half-time person change how long it takes. ``duration`` is fixed elapsed working time that
    people do not shorten (a vendor lead time, a soak period). A task has at most one of them.
    """

    id: str
    title: str
    estimate: Estimate | None = None
    duration: Estimate | None = None
    depends: tuple[Dependency, ...] = ()
    skills: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    team: str | None = None
    team_inherited: bool = False  # the team is its summary's, not named on the task itself
    priority: int = Priority.DEFAULT
    milestone: bool = False
    deadline: dt.date | None = None
    start_no_earlier_than: dt.date | None = None
    tags: tuple[str, ...] = ()
    parent: str | None = None
    children: tuple[str, ...] = ()
    notes: str = ""
    # Progress written in the plan (the store's progress facts are the other source).
    actual_start: dt.date | None = None
    actual_finish: dt.date | None = None
    percent_complete: Fraction | None = None  # 0..1
    remaining: Duration | None = None  # work left (effort or duration, as the task's)
    fixed_cost: Decimal | None = None  # money spent on it besides people's time (licences, ...)
    deliverable: bool = False  # a deliverable stakeholders sign off (milestones are too)
    accountable: str | None = None  # RACI: the stakeholder who answers for it
    responsible: tuple[str, ...] = ()  # RACI: stakeholders or people who do it
    tracker: TrackerLink | None = None  # the tracker item this task is (``sources:``)
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)

    @property
    def is_summary(self) -> bool:
        return bool(self.children)

    @property
    def work(self) -> Estimate | None:
        """Whichever of estimate or duration the task has."""
        return self.estimate if self.estimate is not None else self.duration


class RiskResponse(StrEnum):
    AVOID = "avoid"
    MITIGATE = "mitigate"
    TRANSFER = "transfer"
    ACCEPT = "accept"


class RiskStatus(StrEnum):
    OPEN = "open"
    MITIGATING = "mitigating"
    OCCURRED = "occurred"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Risk:
    id: str
    title: str
    probability: Fraction
    impact: Estimate | None = None
    cost_impact: Decimal | None = None
    affects: tuple[str, ...] = ()
    owner: str | None = None
    response: RiskResponse | None = None
    mitigation: str = ""
    status: RiskStatus = RiskStatus.OPEN
    review_date: dt.date | None = None
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)


class RaidStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class RaidItem:
    """An assumption, an issue or a decision of the RAID log (risks have their own record).

    ``status`` is open or closed (an assumption validated or disproved, an issue resolved, a
    decision made); ``due`` is when it must be closed by.
    """

    id: str
    title: str
    owner: str | None = None
    status: RaidStatus = RaidStatus.OPEN
    severity: str = "medium"  # low | medium | high | critical
    raised: dt.date | None = None
    due: dt.date | None = None
    affects: tuple[str, ...] = ()
    notes: str = ""
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Train:
    """A release train: departures every ``every`` calendar days from ``first``."""

    id: str
    title: str
    first: dt.date
    every: int  # calendar days between departures
    until: dt.date | None = None
    code_freeze: int = 0  # working days before a departure
    hardening: int = 0  # working days of stabilisation ending the day before a departure
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)


class ChecklistStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    WAIVED = "waived"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """A readiness item a person owns: done, waived (with why), or still open."""

    id: str
    title: str
    owner: str | None = None
    due: dt.date | None = None
    status: ChecklistStatus = ChecklistStatus.OPEN
    note: str = ""
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Release:
    id: str
    title: str
    date: dt.date | None = None
    includes: tuple[str, ...] = ()
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)
    train: str | None = None
    tracker_items: tuple[str, ...] = ()  # SOURCE#KEY, each linked to a task
    min_odds: Fraction | None = None  # below it, the odds gate fails
    signoffs: tuple[str, ...] = ()  # roles that must sign the go/no-go
    checklist: tuple[ChecklistItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where the delivery history lives (paths as written, relative to ``loc.file``)."""

    deployments: str
    repo: str = "."
    incidents: str | None = None
    environment: str = "production"
    period: str = "week"
    loc: SourceLoc = UNKNOWN_LOC
    locs: Mapping[str, SourceLoc] = field(default_factory=_locs, compare=False, repr=False)


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Stakeholder:
    id: str
    name: str
    role: str = ""
    interest: Level = Level.MEDIUM
    influence: Level = Level.MEDIUM
    email: str = ""
    loc: SourceLoc = UNKNOWN_LOC


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def _index(records: tuple[_T, ...]) -> Mapping[str, _T]:
    return MappingProxyType({r.id: r for r in records})


@dataclass(frozen=True, slots=True)
class Plan:
    """A whole program. Tasks are in document order, a summary task before its children."""

    program: Program
    calendar: Calendar = field(default_factory=Calendar)
    calendars: tuple[Calendar, ...] = ()
    people: tuple[Person, ...] = ()
    teams: tuple[Team, ...] = ()
    tasks: tuple[Task, ...] = ()
    risks: tuple[Risk, ...] = ()
    releases: tuple[Release, ...] = ()
    trains: tuple[Train, ...] = ()
    delivery: Delivery | None = None
    stakeholders: tuple[Stakeholder, ...] = ()
    assumptions: tuple[RaidItem, ...] = ()
    issues: tuple[RaidItem, ...] = ()
    decisions: tuple[RaidItem, ...] = ()
    sources: tuple[str, ...] = ()  # the plan files (or imported file) it was read from
    trackers: tuple[Source, ...] = ()  # ``sources:``: the trackers its tasks are linked to
    task_by_id: Mapping[str, Task] = field(init=False, compare=False, repr=False)
    person_by_id: Mapping[str, Person] = field(init=False, compare=False, repr=False)
    team_by_id: Mapping[str, Team] = field(init=False, compare=False, repr=False)
    calendar_by_id: Mapping[str, Calendar] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Indexes are derived, so they are built here rather than passed in (and cannot disagree).
        object.__setattr__(self, "task_by_id", _index(self.tasks))
        object.__setattr__(self, "person_by_id", _index(self.people))
        object.__setattr__(self, "team_by_id", _index(self.teams))
        object.__setattr__(self, "calendar_by_id", _index(self.calendars))

    @property
    def hours_per_day(self) -> Fraction:
        return self.calendar.hours_per_day

    def leaf_tasks(self) -> Iterator[Task]:
        return (t for t in self.tasks if not t.is_summary)

    def calendar_of(self, person: Person) -> Calendar:
        if person.calendar is not None and person.calendar in self.calendar_by_id:
            return self.calendar_by_id[person.calendar]
        return self.calendar

    def release_scope(self, release: Release) -> tuple[str, ...]:
        """The tasks a release ships, in plan order: what it includes (a summary task with
        everything below it) and the tasks linked to its tracker items. Unknown ids are left
        out (the reference check reports them)."""
        wanted: set[str] = set()
        keys = set(release.tracker_items)
        for task in self.tasks:
            if task.tracker is not None and f"{task.tracker.source}#{task.tracker.key}" in keys:
                wanted.add(task.id)
        for ident in release.includes:
            if ident in self.task_by_id:
                wanted.add(ident)
                wanted.update(t.id for t in self.descendants(ident))
        return tuple(t.id for t in self.tasks if t.id in wanted)

    def release_work(self, release: Release) -> tuple[str, ...]:
        """Its scope and everything the scope waits for: the scope's tasks, their predecessors
        (any link type) and their summaries' predecessors, transitively, in plan order. This
        is the work that must be done before the release can ship."""
        seen: set[str] = set()
        stack = list(self.release_scope(release))
        while stack:
            ident = stack.pop()
            task = self.task_by_id.get(ident)
            if task is None or ident in seen:
                continue
            seen.add(ident)
            stack.extend(task.children)
            holder: Task | None = task
            while holder is not None:
                stack.extend(d.task for d in holder.depends)
                holder = self.task_by_id.get(holder.parent) if holder.parent else None
        return tuple(t.id for t in self.tasks if t.id in seen)

    def descendants(self, task_id: str) -> Iterator[Task]:
        """All tasks below ``task_id`` in the WBS, depth first."""
        stack = list(reversed(self.task_by_id[task_id].children))
        while stack:
            task = self.task_by_id[stack.pop()]
            yield task
            stack.extend(reversed(task.children))
