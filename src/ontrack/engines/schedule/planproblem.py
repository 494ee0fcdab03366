"""Turn a plan into the scheduling problem, and say why a plan cannot be scheduled.

Time is the program calendar's working days (index 0 = first working day on or after the program
start). Leaf tasks are jobs; each way of staffing a task is a mode: one mode per person who could
do it (their skills, their team), or one mode for the named assignees together. Effort is divided
by the people's allocation (a half-time person takes twice as long; two assignees share it), a
fixed `duration` is not. People are resources of capacity 1 that are unavailable on their time off
and on their own calendar's days off.

A summary task is two markers (zero-length jobs, see ``problem.py``) whose places are its dates: its
start, at the earliest start of its children (a ``"first"`` marker), and its finish, at the latest
finish of its children (a ``"last"`` marker). Links *from* a summary leave these markers, so a
successor is measured from when the summary's work really starts or ends. Links *to* a summary, and
its ``start_no_earlier_than``, hold for each task under it: they are given to every leaf task below
it (one link per leaf), which puts the summary's own dates where they say too. (A single marker
that both held the children back and stood for the summary's start could sit before any child
starts: a start-to-start successor then started before the summary did.)

The deterministic schedule uses the likely value of three-point estimates; the forecaster draws
the rest of the distribution.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from types import MappingProxyType

from ontrack.diagnostics import Diagnostic, error
from ontrack.engines.calendar import CalendarError, WorkGrid, person_unavailability
from ontrack.engines.schedule.problem import Job, Link, LinkType, Mode, Objective, Problem, Resource
from ontrack.engines.schedule.progress import Status, TaskProgress
from ontrack.model import DepType, Person, Plan, Task

CODES = ("E301", "E303")

_LINK_TYPES = {
    DepType.FS: LinkType.FS,
    DepType.SS: LinkType.SS,
    DepType.FF: LinkType.FF,
    DepType.SF: LinkType.SF,
}


@dataclass(frozen=True, slots=True)
class JobRef:
    """What a job of the problem stands for: a task, or the start or finish of a summary."""

    task: str
    kind: str  # "task" | "start" | "finish"


@dataclass(frozen=True, slots=True)
class PlanProblem:
    problem: Problem
    refs: tuple[JobRef, ...]
    people: tuple[str, ...]  # resource index -> person id
    mode_people: tuple[tuple[tuple[str, ...], ...], ...]  # job -> mode -> person ids
    grid: WorkGrid
    horizon: int
    index: Mapping[tuple[str, str], int]  # (task id, kind) -> job

    def start_job(self, task_id: str) -> int:
        """The job whose start is the task's start (a summary's start marker, or the task)."""
        return self.index.get((task_id, "start"), self.index.get((task_id, "task"), -1))

    def finish_job(self, task_id: str) -> int:
        return self.index.get((task_id, "finish"), self.index.get((task_id, "task"), -1))


# Cached: thousands of tasks share a few dozen (effort, allocation) pairs, and Fraction
# arithmetic is slow enough to dominate building a 5,000-task problem otherwise.
@functools.lru_cache(maxsize=4096)
def _work_days(minutes: int, minutes_per_day: Fraction, allocation: Fraction) -> int:
    """Whole working days to do ``minutes`` of work at ``allocation`` (at least one)."""
    if minutes <= 0:
        return 0
    return max(1, math.ceil(Fraction(minutes) / minutes_per_day / allocation))


@functools.lru_cache(maxsize=4096)
def _whole_days(minutes: int, minutes_per_day: Fraction) -> int:
    """A duration or lag in whole working days, rounded away from zero."""
    value = Fraction(minutes) / minutes_per_day
    return math.ceil(value) if value >= 0 else -math.ceil(-value)


def candidates(plan: Plan, task: Task) -> list[Person]:
    """Who could do a task: its assignees, or whoever has its skills (in its team, if set)."""
    if task.assignees:
        return [plan.person_by_id[a] for a in task.assignees if a in plan.person_by_id]
    return list(_capable(plan, task.team, frozenset(task.skills)))


def _capable(plan: Plan, team_id: str | None, needed: frozenset[str]) -> tuple[Person, ...]:
    team = plan.team_by_id.get(team_id) if team_id else None
    pool = (
        [plan.person_by_id[m] for m in team.members if m in plan.person_by_id]
        if team
        else (plan.people)
    )
    return tuple(p for p in pool if needed.issubset(p.skills) and p.allocation > 0)


def build_problem(
    plan: Plan,
    grid: WorkGrid,
    objective: Objective = "makespan",
    horizon: int | None = None,
    status: Status | None = None,
) -> tuple[PlanProblem | None, list[Diagnostic]]:
    """The problem for a plan, or the diagnostics that say why it has none."""
    network, diagnostics = build_network(plan, grid, objective, status)
    if network is None:
        return None, diagnostics
    return with_people(plan, network, horizon)


def build_network(
    plan: Plan, grid: WorkGrid, objective: Objective = "makespan", status: Status | None = None
) -> tuple[PlanProblem | None, list[Diagnostic]]:
    """Jobs, modes and links; people's calendars come later (:func:`with_people`), since how
    far to lay them out depends on how long the schedule turns out.

    With a ``status``, done work is fixed where it happened (no people, no links into it),
    work under way continues with what is left from the first working day after the status
    date, and nothing else starts before that day."""
    now = grid.index_on_or_after(status.date + dt.timedelta(days=1)) if status else 0
    started: set[str] = set()
    diagnostics: list[Diagnostic] = []
    per_day = plan.calendar.minutes_per_day
    staffed = bool(plan.people)  # a plan without people is scheduled on its network alone
    refs: list[JobRef] = []
    jobs: list[Job] = []
    mode_people: list[tuple[tuple[str, ...], ...]] = []
    people = list(plan.people)
    resource_of = {p.id: i for i, p in enumerate(people)}
    capable: dict[tuple[str | None, frozenset[str]], tuple[Person, ...]] = {}

    def add(ref: JobRef, job: Job, staff: tuple[tuple[str, ...], ...]) -> None:
        refs.append(ref)
        jobs.append(job)
        mode_people.append(staff)

    held: dict[str, dt.date | None] = {}  # a task's latest start_no_earlier_than, its summaries'

    def not_before(task: Task) -> dt.date | None:
        if task.id not in held:
            parent = plan.task_by_id.get(task.parent) if task.parent else None
            inherited = not_before(parent) if parent is not None else None
            dates = [d for d in (task.start_no_earlier_than, inherited) if d is not None]
            held[task.id] = max(dates, default=None)
        return held[task.id]

    for task in plan.tasks:
        progress = status.tasks.get(task.id) if status and not task.is_summary else None
        state = progress.state if progress else "planned"
        # What has started is no longer held by its summary: only its own constraint counts.
        snet = task.start_no_earlier_than if state != "planned" else not_before(task)
        release = grid.index_on_or_after(snet) if snet else 0
        due = grid.index_on_or_before(task.deadline) + 1 if task.deadline else None
        weight = max(1, task.priority // 100)
        if progress is not None and state == "done":
            started.add(task.id)
            add(JobRef(task.id, "task"), _done_job(task, progress, grid, due, weight), ((),))
            continue
        release = max(release, now)
        if task.is_summary:  # its dates are its children's: no release of its own
            add(
                JobRef(task.id, "start"),
                Job(f"{task.id}:start", (Mode(0),), 0, None, weight, task.priority, marker="first"),
                ((),),
            )
            add(
                JobRef(task.id, "finish"),
                Job(f"{task.id}:finish", (Mode(0),), 0, due, weight, task.priority, marker="last"),
                ((),),
            )
            continue
        left = None
        if progress is not None and state == "in-progress":
            started.add(task.id)
            left = progress.left(task)
        modes, staff = _modes(plan, task, per_day, staffed, resource_of, capable, left)
        if not modes:
            diagnostics.append(_nobody(plan, task))
            continue
        if snet and all(m.duration == 0 for m in modes):
            release = max(release, _zero_length_release(grid, snet))
        add(
            JobRef(task.id, "task"),
            Job(task.id, tuple(modes), release, due, weight, task.priority),
            tuple(staff),
        )
    if diagnostics:
        return None, diagnostics

    index = {(r.task, r.kind): i for i, r in enumerate(refs)}

    def start_of(task_id: str) -> int:
        return index.get((task_id, "start"), index.get((task_id, "task"), -1))

    def finish_of(task_id: str) -> int:
        return index.get((task_id, "finish"), index.get((task_id, "task"), -1))

    links: list[Link] = []
    for task in plan.tasks:
        if task.parent is not None:
            # The summary's markers follow its children. (Finish-to-start into the zero-length
            # finish is finish-to-finish, and CP-SAT's precedence-energy bounds see through it.)
            links.append(Link(start_of(task.id), start_of(task.parent), LinkType.SS, 0))
            links.append(Link(finish_of(task.id), finish_of(task.parent), LinkType.FS, 0))
        if not task.depends:
            continue
        # A dependency of a summary holds for every leaf task under it.
        leaves = (
            [d.id for d in plan.descendants(task.id) if not d.is_summary]
            if task.is_summary
            else [task.id]
        )
        # Links hold back a start; a started task's start is a fact.
        jobs_held = [index[(leaf, "task")] for leaf in leaves if leaf not in started]
        for dep in task.depends:
            if dep.task not in plan.task_by_id:
                continue
            kind = _LINK_TYPES[dep.type]
            pred = start_of(dep.task) if kind in (LinkType.SS, LinkType.SF) else finish_of(dep.task)
            lag = _whole_days(dep.lag.minutes, per_day)
            links.extend(Link(pred, succ, kind, lag) for succ in jobs_held)

    problem = Problem(tuple(jobs), tuple(links), (), objective, plan.program.name)
    return PlanProblem(
        problem,
        tuple(refs),
        tuple(p.id for p in people),
        tuple(mode_people),
        grid,
        0,
        MappingProxyType(index),
    ), []


def with_people(
    plan: Plan, network: PlanProblem, horizon: int | None = None
) -> tuple[PlanProblem | None, list[Diagnostic]]:
    """The network with each person as a resource, unavailable on their days off up to
    ``horizon`` (default: long enough for all the work done one task at a time)."""
    problem = network.problem
    span = horizon if horizon is not None else _horizon(problem)
    diagnostics: list[Diagnostic] = []
    resources: list[Resource] = []
    for person in plan.people:
        try:
            off = person_unavailability(plan, person, network.grid, span)
        except CalendarError as exc:
            diagnostics.append(
                error(
                    "E303",
                    person.locs.get("calendar", person.loc),
                    str(exc),
                    "give the calendar at least one working day",
                    subjects=(person.id,),
                )
            )
            continue
        resources.append(Resource(person.id, 1, tuple((a, b, 1) for a, b in off)))
    if diagnostics:
        return None, diagnostics
    return replace(network, problem=replace(problem, resources=tuple(resources)), horizon=span), []


def staffing(
    plan: Plan,
    task: Task,
    capable: dict[tuple[str | None, frozenset[str]], tuple[Person, ...]] | None = None,
) -> tuple[tuple[str, ...], ...]:
    """The ways the scheduler may staff a leaf task, each the ids of the people who do it
    together: ``((),)`` when it holds nobody (a milestone, a fixed duration that names nobody,
    a plan without people), one way with all its named assignees, or one way per person with
    its skills (in its team, if set). Empty: nobody can do it. ``capable`` memoises the pools
    by (team, skills) across calls."""
    if task.milestone or not plan.people:
        return ((),)
    fixed = task.estimate is None and task.duration is not None
    # A fixed duration holds people only if it names who (a vendor's lead time holds nobody).
    # (A team inherited from the summary does not name anyone: a vendor's lead time inside a
    # team's work breakdown would otherwise hold one of them for weeks.)
    if fixed and not (task.assignees or task.skills or (task.team and not task.team_inherited)):
        return ((),)
    if task.assignees:
        people = candidates(plan, task)
        if sum((p.allocation for p in people), Fraction(0)) <= 0:
            return ()
        return (tuple(p.id for p in people),)
    key = (task.team, frozenset(task.skills))
    if capable is None:
        capable = {}
    if key not in capable:
        capable[key] = _capable(plan, *key)
    return tuple((p.id,) for p in capable[key])


def _modes(
    plan: Plan,
    task: Task,
    per_day: Fraction,
    staffed: bool,
    resource_of: dict[str, int],
    capable: dict[tuple[str | None, frozenset[str]], tuple[Person, ...]],
    left: int | None = None,
) -> tuple[list[Mode], list[tuple[str, ...]]]:
    if task.milestone:
        return [Mode(0)], [()]
    work = task.work
    minutes = work.likely.minutes if work is not None else 0
    if left is not None:  # under way: only what is left
        minutes = max(0, left)
    fixed = task.estimate is None and task.duration is not None
    ways = staffing(plan, task, capable) if staffed else ((),)
    if ways == ((),):
        return [Mode(max(0, _whole_days(minutes, per_day)))], [()]
    modes: list[Mode] = []
    for way in ways:
        allocation = sum((plan.person_by_id[p].allocation for p in way), Fraction(0))
        length = (
            _whole_days(minutes, per_day) if fixed else _work_days(minutes, per_day, allocation)
        )
        modes.append(Mode(length, tuple((resource_of[p], 1) for p in way)))
    return modes, list(ways)


def _zero_length_release(grid: WorkGrid, day: dt.date) -> int:
    """The first index for a zero-length job (a milestone) not dated before ``day``: such a job
    at index i is dated the working day before i (the work it closes), so it goes after
    ``day``'s index, unless ``day`` is on or before the grid's first day."""
    index = grid.index_on_or_after(day)
    return index + 1 if index > 0 else 0


def _done_job(
    task: Task, progress: TaskProgress, grid: WorkGrid, due: int | None, weight: int
) -> Job:
    """Done work where it happened: from its actual start to its actual finish, holding nobody
    (the days are spent)."""
    finish = progress.actual_finish
    if finish is None:  # 100 % complete without a date: done as of the status date
        return Job(task.id, (Mode(0),), 0, due, weight, task.priority)
    last = grid.index_on_or_before(finish)
    if task.milestone or progress.actual_start is None:
        begin = last + 1 if task.milestone else last
        return Job(
            task.id, (Mode(0 if task.milestone else 1),), max(0, begin), due, weight, task.priority
        )
    begin = grid.index_on_or_after(progress.actual_start)
    return Job(task.id, (Mode(max(1, last - begin + 1)),), begin, due, weight, task.priority)


def _nobody(plan: Plan, task: Task) -> Diagnostic:
    if task.assignees:
        reason = "its assignees have no time on the program (allocation 0%)"
    elif task.team:
        reason = (
            f"nobody in team '{task.team}' has " + ", ".join(task.skills)
            if task.skills
            else f"team '{task.team}' has nobody with time on the program"
        )
    else:
        reason = "nobody has " + ", ".join(task.skills)
    return error(
        "E301",
        task.locs.get("skills", task.loc),
        f"task '{task.id}' cannot be scheduled: {reason}",
        "add the skill to someone, assign a person, or change the task's team",
        subjects=(task.id,),
    )


def _horizon(problem: Problem) -> int:
    """A generous end of the grid for people's calendars: all work done one task at a time."""
    jobs = problem.jobs
    longest = sum(max(m.duration for m in job.modes) for job in jobs)
    lags = sum(max(0, link.lag) for link in problem.links)
    return max(job.release for job in jobs) + longest + lags + 1 if jobs else 1
