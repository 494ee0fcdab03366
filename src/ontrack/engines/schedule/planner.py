"""``schedule(plan, options)``: who does what, when, and why — from a plan to a Schedule."""

from __future__ import annotations

import bisect
import datetime as dt
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ontrack.diagnostics import Diagnostic, error, warning
from ontrack.engines.calendar import WorkGrid
from ontrack.engines.schedule.cpm import CpmResult, cpm
from ontrack.engines.schedule.planproblem import PlanProblem, build_network, with_people
from ontrack.engines.schedule.problem import (
    Backend,
    LinkType,
    Objective,
    Solution,
    SolveOptions,
    ends,
    marker_bound,
)
from ontrack.engines.schedule.progress import Status, plan_status
from ontrack.engines.schedule.result import Driver, PersonLoad, Schedule, TaskSchedule
from ontrack.model import Plan

BackendName = Literal["heuristic", "cpsat", "auto", "ga"]
CODES = ("E301", "E303", "E304", "W310", "W311")

#: Backends by name, imported on first use (OR-Tools takes a while to import).
BACKENDS: Mapping[str, tuple[str, str]] = {
    # The default: the priority-rule heuristic, then the GA where it may still gain.
    "heuristic": ("ontrack.engines.schedule.staged", "StagedBackend"),
    "cpsat": ("ontrack.engines.schedule.cpsat", "CpSatBackend"),
    "auto": ("ontrack.engines.schedule.portfolio", "AutoBackend"),
    "ga": ("ontrack.engines.schedule.ga", "GaBackend"),
}


def get_backend(name: str) -> Backend:
    module, cls = BACKENDS[name]
    backend: Backend = getattr(importlib.import_module(module), cls)()
    return backend


@dataclass(frozen=True, slots=True)
class ScheduleOptions:
    backend: BackendName = "heuristic"
    time_limit: float = 10.0
    seed: int = 0
    objective: Objective = "makespan"
    near_critical_days: int = 5
    progress: Callable[[float, int | None], None] | None = None
    # Progress to plan around: None takes what is written in the plan (if anything).
    status: Status | None = None


@dataclass(frozen=True, slots=True)
class SolvedPlan:
    """A schedule with the problem and solution behind it, for engines that build on it (the
    forecaster keeps its assignments and re-runs its network).

    In ``built`` each summary's start marker keeps only the link from the child that opens the
    summary in this schedule, as a plain job (see :func:`opened`): the solution satisfies it,
    and an engine that knows only plain links sees the same dates."""

    schedule: Schedule
    built: PlanProblem
    solution: Solution
    status: Status | None = None


def schedule(
    plan: Plan, options: ScheduleOptions | None = None
) -> tuple[Schedule | None, list[Diagnostic]]:
    """Schedule a plan. Returns None and the reasons when it cannot be scheduled."""
    solved, diagnostics = solve_plan(plan, options)
    return (solved.schedule if solved else None), diagnostics


def solve_plan(
    plan: Plan, options: ScheduleOptions | None = None
) -> tuple[SolvedPlan | None, list[Diagnostic]]:
    """:func:`schedule`, keeping the problem and the solution."""
    options = options or ScheduleOptions()
    grid = WorkGrid.for_plan(plan)
    status = options.status if options.status is not None else plan_status(plan)
    network, diagnostics = build_network(plan, grid, options.objective, status)
    if network is None:
        return None, diagnostics
    passes = cpm(network.problem)
    # A deadline is a target, as in MS Project: it never moves or stops the schedule. One that
    # even the unlevelled network misses is reported with how late it finishes (W311).
    impossible = _impossible_deadlines(plan, network, passes, status)
    # People's calendars are laid out to a horizon; a schedule past it is solved again wider.
    horizon = max(passes.project_end * 2, passes.project_end + 260)
    backend = get_backend(options.backend)
    while True:
        built, diagnostics = with_people(plan, network, horizon)
        if built is None:
            return None, diagnostics
        solution = backend.solve(
            built.problem,
            SolveOptions(
                time_limit=options.time_limit, seed=options.seed, progress=options.progress
            ),
        )
        if len(solution.starts) != len(built.problem.jobs):  # the backend found nothing
            return None, [
                error(
                    "E304",
                    plan.program.loc,
                    f"no schedule found ({solution.status}) within {options.time_limit:g} s",
                    "raise --time-limit, or try the other backend",
                    subjects=(),
                )
            ]
        end = max(ends(built.problem, solution.starts, solution.modes), default=0)
        if end <= horizon:
            break
        horizon = end * 2  # terminates: the next horizon holds this schedule's length
    built = opened(built, solution)
    result = _result(plan, built, solution, options, status)
    late = [
        _late_warning(plan, t, impossible.get(t.id), status)
        for t in result.tasks
        if t.late_days > 0
    ]
    return SolvedPlan(result, built, solution, status), late


def opened(built: PlanProblem, solution: Solution) -> PlanProblem:
    """The problem with each ``"first"`` marker (a summary's start) cut down to the one link
    that sets it in ``solution`` (from the child that starts first; the first such link on a
    tie), as a plain job.

    The solution satisfies the result, and floats, drivers and the forecaster's network, which
    read plain links, see the summary start where it is. (Re-run with other durations, the
    summary then waits for that child rather than whichever starts first: never earlier than
    it should, as the forecaster's network keeps the scheduled order of people's work too.)
    """
    problem = built.problem
    if all(job.marker != "first" for job in problem.jobs):
        return built
    job_ends = ends(problem, solution.starts, solution.modes)
    setting: dict[int, tuple[int, int]] = {}  # marker -> (its earliest bound, that link)
    for k, link in enumerate(problem.links):
        if problem.jobs[link.succ].marker == "first":
            bound = marker_bound(link, solution.starts, job_ends)
            if link.succ not in setting or bound < setting[link.succ][0]:
                setting[link.succ] = (bound, k)
    kept = {k for _, k in setting.values()}
    links = tuple(
        link
        for k, link in enumerate(problem.links)
        if k in kept or problem.jobs[link.succ].marker != "first"
    )
    jobs = tuple(
        replace(job, marker=None) if job.marker == "first" else job for job in problem.jobs
    )
    return replace(built, problem=replace(problem, jobs=jobs, links=links))


def _impossible_deadlines(
    plan: Plan, built: PlanProblem, network: CpmResult, status: Status | None = None
) -> dict[str, tuple[dt.date, int]]:
    """Tasks whose deadline even the unlevelled network misses: their earliest possible finish
    and the working days it lies past the deadline."""
    found: dict[str, tuple[dt.date, int]] = {}
    for task in plan.tasks:
        if task.deadline is None:
            continue
        if status is not None and task.deadline <= status.date:
            continue  # already passed: a missed deadline (W310)
        job = built.finish_job(task.id)
        due = built.problem.jobs[job].due
        if due is None or network.early_finish[job] <= due:
            continue
        earliest = _finish_date(built.grid, network.early_start[job], network.early_finish[job])
        found[task.id] = (earliest, network.early_finish[job] - due)
    return found


def _late_warning(
    plan: Plan,
    late: TaskSchedule,
    impossible: tuple[dt.date, int] | None,
    status: Status | None,
) -> Diagnostic:
    """W311 when no schedule can meet the deadline, W310 when levelling or the status date
    makes it late: the deadline, the earliest and the levelled finish, the working days late."""
    task = plan.task_by_id[late.id]
    where = task.locs.get("deadline", task.loc)
    if impossible is not None:
        earliest, short = impossible
        return warning(
            "W311",
            where,
            f"deadline {late.deadline} of '{late.id}' cannot be met: even with everyone free "
            f"it finishes {earliest} at the earliest ({short} working days late); levelled, "
            f"it finishes {late.finish}, {late.late_days} working days late",
            "move the deadline, cut scope, or shorten the driving tasks (negative float marks "
            "them)",
            subjects=(late.id,),
        )
    passed = status is not None and late.deadline is not None and late.deadline <= status.date
    return warning(
        "W310",
        where,
        f"'{late.id}' finishes {late.finish}, {late.late_days} working days after its "
        f"deadline {late.deadline}, "
        + (
            f"which passed before it was done (status {status.date})"
            if passed and status is not None
            else "because people are busy"
        ),
        "add people with the skills, lower other work's priority, or move the deadline",
        subjects=(late.id,),
    )


def _finish_date(grid: WorkGrid, start: int, end: int) -> dt.date:
    """A job on [start, end) finishes on its last working day; a zero-length job at its start
    (a milestone is dated with the work it closes)."""
    return grid.date_of(max(end - 1, 0)) if end > start else grid.date_of(max(start - 1, 0))


def _result(
    plan: Plan,
    built: PlanProblem,
    solution: Solution,
    options: ScheduleOptions,
    status: Status | None = None,
) -> Schedule:
    problem, grid = built.problem, built.grid
    starts, modes = solution.starts, solution.modes
    job_ends = ends(problem, starts, modes)
    floats = cpm(problem, modes, starts=starts)
    drivers = _drivers(built, starts, modes, job_ends)
    tasks: list[TaskSchedule] = []
    for task in plan.tasks:
        first, last = built.start_job(task.id), built.finish_job(task.id)
        if task.is_summary:
            leaves = [
                built.index[(d.id, "task")]
                for d in plan.descendants(task.id)
                if (d.id, "task") in built.index
            ]
            begin = min((starts[j] for j in leaves), default=starts[first])
            end = max((job_ends[j] for j in leaves), default=job_ends[last])
            people: tuple[str, ...] = ()
            total = min((floats.total_float[j] for j in leaves), default=0)
            free = floats.free_float[last]
        else:
            begin, end = starts[first], job_ends[first]
            people = built.mode_people[first][modes[first]]
            total, free = floats.total_float[first], floats.free_float[first]
        due = problem.jobs[last].due
        progress = status.tasks.get(task.id) if status and not task.is_summary else None
        state = progress.state if progress else "planned"
        start = grid.date_of(begin) if end > begin else _finish_date(grid, begin, end)
        if progress is not None and progress.actual_start is not None:
            start = progress.actual_start  # under way or done: it started when it did
        tasks.append(
            TaskSchedule(
                id=task.id,
                title=task.title,
                start=start,
                finish=_finish_date(grid, begin, end),
                duration_days=end - begin,
                assignees=people,
                total_float_days=total,
                free_float_days=free,
                critical=total <= 0,
                near_critical=0 < total <= options.near_critical_days,
                milestone=task.milestone,
                summary=task.is_summary,
                deadline=task.deadline,
                late_days=max(0, end - due) if due is not None else 0,
                driver=None if task.is_summary else drivers[first],
                state=state,
            )
        )
    makespan = max(job_ends, default=0)
    lower = solution.lower_bound
    return Schedule(
        start=grid.date_of(0),
        finish=max((t.finish for t in tasks), default=grid.date_of(0)),
        status="optimal" if solution.status == "optimal" else "feasible",
        lower_bound_finish=grid.date_of(max(lower - 1, 0)) if lower else None,
        backend=solution.backend or options.backend,
        seconds=solution.seconds,
        tasks=tuple(tasks),
        people=_loads(built, modes, makespan),
        critical_path=tuple(
            t.id
            for t in sorted(tasks, key=lambda t: (t.start, t.finish))
            if t.critical and not t.summary
        ),
        makespan_days=makespan,
        status_date=status.date if status else None,
    )


def _loads(built: PlanProblem, modes: Sequence[int], makespan: int) -> tuple[PersonLoad, ...]:
    busy = [0] * len(built.people)
    count = [0] * len(built.people)
    for job, mode in zip(built.problem.jobs, modes, strict=True):
        for index, _ in job.modes[mode].demands:
            busy[index] += job.modes[mode].duration
            count[index] += 1
    loads = []
    for i, resource in enumerate(built.problem.resources):
        off = sum(min(b, makespan) - a for a, b, _ in resource.unavailable if a < makespan)
        loads.append(PersonLoad(built.people[i], count[i], busy[i], max(0, makespan - off)))
    return tuple(loads)


def _drivers(
    built: PlanProblem, starts: Sequence[int], modes: Sequence[int], job_ends: Sequence[int]
) -> list[Driver | None]:
    """For each job, the constraint its start is pinned to (or who it waited for)."""
    problem, grid, refs = built.problem, built.grid, built.refs
    incoming: list[list[int]] = [[] for _ in problem.jobs]
    for k, link in enumerate(problem.links):
        incoming[link.succ].append(k)
    # Per person: the jobs they do, by start, to find who kept them busy.
    busy: list[list[tuple[int, int, int]]] = [[] for _ in problem.resources]
    for j, (job, mode) in enumerate(zip(problem.jobs, modes, strict=True)):
        for resource, _ in job.modes[mode].demands:
            busy[resource].append((starts[j], job_ends[j], j))
    for spans in busy:
        spans.sort()
    out: list[Driver | None] = []
    for j, job in enumerate(problem.jobs):
        start = starts[j]
        duration = job.modes[modes[j]].duration
        best, best_link = max(0, job.release), None
        for k in incoming[j]:
            link = problem.links[k]
            pred_start, pred_end = starts[link.pred], job_ends[link.pred]
            bound = {
                LinkType.FS: pred_end,
                LinkType.SS: pred_start,
                LinkType.FF: pred_end - duration,
                LinkType.SF: pred_start - duration,
            }[link.type] + link.lag
            if bound > best or (bound == best and best_link is None and bound > 0):
                best, best_link = bound, k
        if start > best:
            out.append(_waiting(built, j, modes[j], busy, start))
        elif best_link is not None:
            link = problem.links[best_link]
            pred = refs[link.pred]
            name = pred.task
            what = {"task": "", "start": " starts", "finish": " is done"}[pred.kind]
            out.append(
                Driver(
                    "predecessor",
                    f"after '{name}'{what} ({link.type.value}"
                    + (f" {link.lag:+d}d" if link.lag else "")
                    + ")",
                    task=name,
                )
            )
        elif start > 0 and start == job.release:
            out.append(Driver("constraint", f"start no earlier than {grid.date_of(start)}"))
        else:
            out.append(Driver("program-start", "starts with the program"))
    return out


def _waiting(
    built: PlanProblem, job: int, mode: int, busy: list[list[tuple[int, int, int]]], start: int
) -> Driver:
    """The task could have started earlier by its links: which of its people held it up?"""
    problem, grid = built.problem, built.grid
    for resource, _ in problem.jobs[job].modes[mode].demands:
        person = built.people[resource]
        spans = busy[resource]
        at = bisect.bisect_left(spans, (start, -1, -1))
        before = [s for s in spans[:at] if s[1] == start and s[2] != job]
        if before:
            other = built.refs[before[-1][2]].task
            return Driver(
                "person",
                f"waits for {person}, busy on '{other}' until {grid.date_of(start - 1)}",
                task=other,
                person=person,
            )
        for a, b, _ in problem.resources[resource].unavailable:
            if b == start:
                return Driver(
                    "time-off",
                    f"waits for {person}, away until {grid.date_of(a)}..{grid.date_of(b - 1)}",
                    person=person,
                )
    return Driver(
        "levelling",
        "placed later by levelling to keep people free for higher-priority or critical work",
    )
