"""The network the forecaster simulates, compiled from a scheduled plan.

Network mode keeps the deterministic schedule's assignments as sequencing constraints: each
person does their tasks in the scheduled order (a finish-to-start link from each to the next),
and a task never overlaps its people's days off. With likely estimates and no risks, the forward
pass over this network gives exactly the scheduler's dates.

Zero-length jobs (milestones, the finish of a summary) get their finish-type links turned into
start-type ones (FF -> FS, SF -> SS), which changes nothing while they last zero days and lets a
risk that delays a milestone or a summary lengthen it *after* its inputs are done.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ontrack.engines.cost import day_cost as cost_of_day
from ontrack.engines.forecast.distributions import LEVELS, Distribution, Table, day_table
from ontrack.engines.schedule.bounds import topological_order
from ontrack.engines.schedule.planner import SolvedPlan
from ontrack.engines.schedule.problem import Link, LinkType, Problem
from ontrack.engines.schedule.progress import TaskProgress
from ontrack.model import Duration, Estimate, Plan, RiskStatus, Task

FS, SS, FF, SF = 0, 1, 2, 3
_KIND = {LinkType.FS: FS, LinkType.SS: SS, LinkType.FF: FF, LinkType.SF: SF}

Incoming = tuple[tuple[int, int, int], ...]  # (pred job, kind, lag)


@dataclass(frozen=True, slots=True)
class SimRisk:
    id: str
    title: str
    probability: float
    impact: Table | None  # working days of delay when it happens (None: cost only)
    cost: float
    jobs: tuple[int, ...]  # the jobs it lengthens


@dataclass(frozen=True, slots=True)
class SimNet:
    problem: Problem  # links converted as in the module doc; the scheduler's modes
    order: tuple[int, ...]  # topological, sequencing links included
    incoming: tuple[Incoming, ...]  # per job: network links and sequencing links
    network_incoming: tuple[Incoming, ...]  # per job: network links only
    release: tuple[int, ...]
    base: tuple[int, ...]  # deterministic working days in the scheduled mode
    tables: tuple[Table | None, ...]  # per job: its day counts, None when fixed
    mode_tables: tuple[tuple[Table | None, ...], ...]  # per job and mode (re-levelling)
    off: tuple[tuple[tuple[int, int], ...], ...]  # per job: its people's days off, merged
    day_cost: tuple[float, ...]  # per job: what a day of it costs (its people's rates)
    fixed_cost: float  # the tasks' fixed costs (of work not done yet)
    risks: tuple[SimRisk, ...]
    starts: tuple[int, ...]  # the deterministic schedule's starts (priority for levelling)
    modes: tuple[int, ...]


def _spread(task: Task, plan: Plan) -> Estimate | None:
    """The three-point estimate to draw from: the task's own, or its single point widened by
    the program's default uncertainty."""
    work = task.work
    if work is None or not work.is_single or plan.program.uncertainty is None:
        return work
    below, above = plan.program.uncertainty
    minutes = work.likely.minutes
    return Estimate(
        type(work.likely)(round(minutes * (1 - below))),
        work.likely,
        type(work.likely)(round(minutes * (1 + above))),
    )


def _scheduled_order(problem: Problem, starts: Sequence[int], base: Sequence[int]) -> list[int]:
    """Each job's place in a topological order of the links that takes, among the jobs ready,
    the one the schedule starts first (Kahn's algorithm with a heap)."""
    n = len(problem.jobs)
    indegree = [0] * n
    successors: list[list[int]] = [[] for _ in range(n)]
    for link in problem.links:
        successors[link.pred].append(link.succ)
        indegree[link.succ] += 1
    ready = [(starts[j], starts[j] + base[j], j) for j in range(n) if indegree[j] == 0]
    heapq.heapify(ready)
    position = [0] * n
    placed = 0
    while ready:
        _, _, j = heapq.heappop(ready)
        position[j] = placed
        placed += 1
        for s in successors[j]:
            indegree[s] -= 1
            if indegree[s] == 0:
                heapq.heappush(ready, (starts[s], starts[s] + base[s], s))
    return position


def compile_network(
    plan: Plan, solved: SolvedPlan, distribution: Distribution = Distribution.PERT
) -> SimNet:
    built, solution = solved.built, solved.solution
    problem = built.problem
    per_day = float(plan.calendar.minutes_per_day)
    n = len(problem.jobs)
    zero_length = [all(m.duration == 0 for m in job.modes) for job in problem.jobs]
    links = [_converted(link, zero_length[link.succ]) for link in problem.links]
    converted = Problem(problem.jobs, tuple(links), problem.resources, problem.objective)

    network_in: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
    for link in links:
        network_in[link.succ].append((link.pred, _KIND[link.type], link.lag))
    modes = solution.modes
    starts = solution.starts
    base = [problem.jobs[j].modes[modes[j]].duration for j in range(n)]
    # An order of the jobs that every link respects, as close to the schedule's as the links
    # allow: a lead (an SF or FF link, a negative lag) can let a successor start before its
    # predecessor, and chaining one person's jobs by start alone would then close a cycle.
    topological_order(converted)  # raises on a cycle in the plan's own links
    position = _scheduled_order(converted, starts, base)

    # Each person's jobs in that order, chained finish-to-start.
    by_person: list[list[int]] = [[] for _ in problem.resources]
    for j, job in enumerate(problem.jobs):
        for r, _ in job.modes[modes[j]].demands:
            by_person[r].append(j)
    incoming = [list(x) for x in network_in]
    sequencing: list[Link] = []
    for jobs in by_person:
        jobs.sort(key=lambda j: position[j])
        for a, b in itertools.pairwise(jobs):
            incoming[b].append((a, FS, 0))
            sequencing.append(Link(a, b))
    order = topological_order(
        Problem(problem.jobs, (*links, *sequencing), problem.resources, problem.objective)
    )

    off: list[tuple[tuple[int, int], ...]] = []
    for j, job in enumerate(problem.jobs):
        spans = [
            (a, b)
            for r, _ in job.modes[modes[j]].demands
            for a, b, _ in problem.resources[r].unavailable
        ]
        off.append(_merged(spans) if base[j] > 0 else ())

    tables: list[Table | None] = []
    mode_tables: list[tuple[Table | None, ...]] = []
    day_cost: list[float] = []
    progress = solved.status.tasks if solved.status else {}
    fixed_cost = 0.0
    for j, ref in enumerate(built.refs):
        task = plan.task_by_id[ref.task]
        staff = built.mode_people[j]
        state = progress.get(ref.task)
        per_mode = tuple(
            _table(plan, task, staff[m], per_day, distribution, state)
            if ref.kind == "task"
            else None
            for m in range(len(problem.jobs[j].modes))
        )
        mode_tables.append(per_mode)
        tables.append(per_mode[modes[j]])
        # Done work is paid for (its actual cost is the tracker's): only what is left costs.
        costs = ref.kind == "task" and not (state is not None and state.state == "done")
        day_cost.append(float(cost_of_day(plan, staff[modes[j]])) if costs else 0.0)
        fixed_cost += float(task.fixed_cost or 0) if costs else 0.0

    done = {t for t, p in progress.items() if p.state == "done"}
    risks = _risks(plan, built.index, per_day, distribution, done)
    return SimNet(
        problem=converted,
        order=tuple(order),
        incoming=tuple(tuple(x) for x in incoming),
        network_incoming=tuple(tuple(x) for x in network_in),
        release=tuple(job.release for job in problem.jobs),
        base=tuple(base),
        tables=tuple(tables),
        mode_tables=tuple(mode_tables),
        off=tuple(off),
        day_cost=tuple(day_cost),
        fixed_cost=fixed_cost,
        risks=risks,
        starts=tuple(starts),
        modes=tuple(modes),
    )


def _converted(link: Link, zero_length_succ: bool) -> Link:
    if zero_length_succ and link.type is LinkType.FF:
        return Link(link.pred, link.succ, LinkType.FS, link.lag)
    if zero_length_succ and link.type is LinkType.SF:
        return Link(link.pred, link.succ, LinkType.SS, link.lag)
    return link


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def _table(
    plan: Plan,
    task: Task,
    people: tuple[str, ...],
    per_day: float,
    distribution: Distribution,
    progress: TaskProgress | None = None,
) -> Table | None:
    """The task's day counts in one mode, or None when it cannot vary (done work cannot)."""
    if task.milestone or (progress is not None and progress.state == "done"):
        return None
    spread = _spread(task, plan)
    if spread is None or spread.is_single:
        return None
    left = progress.left(task) if progress is not None else None
    if left is not None and spread.likely.minutes > 0:
        # Under way: what is left, spread as the whole estimate was.
        share = Fraction(max(0, left), spread.likely.minutes)
        spread = Estimate(
            Duration(round(spread.optimistic.minutes * share)),
            Duration(max(0, left)),
            Duration(round(spread.pessimistic.minutes * share)),
        )
    fixed = task.estimate is None
    allocation = (
        Fraction(1)
        if fixed or not people
        else sum((plan.person_by_id[p].allocation for p in people), Fraction(0))
    )
    unit = per_day * float(allocation)
    return day_table(
        distribution,
        float(spread.optimistic.minutes),
        float(spread.likely.minutes),
        float(spread.pessimistic.minutes),
        unit,
        True,
    )


def _risks(
    plan: Plan,
    jobs_of: Mapping[tuple[str, str], int],
    per_day: float,
    distribution: Distribution,
    done: set[str],
) -> tuple[SimRisk, ...]:
    out: list[SimRisk] = []
    for risk in plan.risks:
        if risk.status is RiskStatus.CLOSED:
            continue
        probability = 1.0 if risk.status is RiskStatus.OCCURRED else float(risk.probability)
        if probability <= 0:
            continue
        impact: Table | None = None
        if risk.impact is not None and risk.impact.pessimistic.minutes > 0:
            o, m, p = (
                float(d.minutes)
                for d in (risk.impact.optimistic, risk.impact.likely, risk.impact.pessimistic)
            )
            if risk.impact.is_single:
                days = max(1, int(np.ceil(m / per_day - 1e-9)))
                impact = np.full(LEVELS, days, dtype=np.int32)
            else:
                impact = day_table(distribution, o, m, p, per_day, True)
        # Done work happened: a risk can no longer delay it.
        jobs = tuple(
            jobs_of.get((t, "finish"), jobs_of.get((t, "task"), -1))
            for t in risk.affects
            if t not in done
        )
        out.append(
            SimRisk(
                risk.id,
                risk.title,
                probability,
                impact,
                float(risk.cost_impact or 0),
                tuple(j for j in jobs if j >= 0),
            )
        )
    return tuple(out)
