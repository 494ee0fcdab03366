"""R106 deadline-missed: the schedule finishes a task or milestone after its deadline.

Deadlines are targets: the scheduler never stops at one it cannot meet, it finishes the work late
and marks the tasks that feed it with negative float. This detector says how late, and splits
the lateness in two: the days even the unlevelled network (everyone free) is late, which only
shorter work on the network's driving path recovers, and the days levelling adds (people busy
elsewhere or away), which more people recover.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ontrack.engines.calendar import WorkGrid
from ontrack.engines.graph import leaves
from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating
from ontrack.engines.schedule.cpm import CpmResult, cpm
from ontrack.engines.schedule.planproblem import PlanProblem, build_network
from ontrack.engines.schedule.problem import Link, LinkType
from ontrack.engines.schedule.result import TaskSchedule

#: How many of the driving path's longest tasks a finding names.
TOP = 3


def deadline_missed(ctx: Context) -> list[Finding]:
    """R106: a task or milestone not done whose scheduled finish is after its deadline (the
    schedule's ``late_days``), critical: the plan as written does not meet the date. Names the
    earliest finish with everyone free and the levelled finish, the longest tasks on the
    network's driving path and, when levelling makes it later, the people it waits for."""
    late = [
        s
        for s in (ctx.scheduled.values() if ctx.schedule is not None else ())
        if s.late_days > 0 and s.deadline is not None and s.state != "done"
    ]
    if not late:
        return []
    network, _ = build_network(ctx.plan, ctx.grid, "makespan", ctx.status)
    if network is None:
        return []
    passes = cpm(network.problem)
    out = []
    for s in sorted(late, key=lambda s: (-s.late_days, s.id)):
        out.append(_finding(ctx, network, passes, s))
    return out


def _finding(ctx: Context, network: PlanProblem, passes: CpmResult, s: TaskSchedule) -> Finding:
    job = network.finish_job(s.id)
    due = network.problem.jobs[job].due
    es, ef = passes.early_start[job], passes.early_finish[job]
    earliest = _finish_date(network.grid, es, ef)
    short = max(0, ef - due) if due is not None else 0  # late even with everyone free
    levelling = max(0, s.late_days - short)  # what people being busy or away adds
    path = _network_path(ctx, network, passes, job)
    longest = sorted(path, key=lambda t: (-t[1], t[0]))[:TOP]
    waits = _waits(ctx, s.id) if levelling else []
    people = sorted({w["person"] for w in waits if w["person"]})
    what = "milestone" if s.milestone else "task"
    message = (
        f"{what} '{s.id}' finishes {s.finish}, {s.late_days} working days after its deadline "
        f"{s.deadline}: "
        + (
            f"even with everyone free it finishes {earliest} at the earliest ({short} working "
            f"days late)"
            if short
            else f"with everyone free it could finish {earliest}"
        )
        + (
            (
                f"; levelling adds {levelling} days"
                if short
                else f"; levelling makes it {levelling} days late"
            )
            + (f" (it waits for {', '.join(people)})" if people else "")
            if levelling
            else ""
        )
    )
    recover = []
    if short:
        recover.append(
            f"recover {short} days on its driving path: shorten, split or de-scope "
            + ", ".join(f"'{t}' ({d} d)" for t, d in longest)
        )
    if levelling:
        waiting = sorted({w["task"] for w in waits})
        others = sorted({w["on"] for w in waits if w["kind"] == "person" and w["on"]})
        recover.append(
            f"recover {levelling} days with people: "
            + (
                "give "
                + ", ".join(f"'{t}'" for t in waiting)
                + " to someone else with the skills (or add a person)"
                + (
                    f", or move {', '.join(repr(t) for t in others)} out of "
                    f"{', '.join(people)}'s way"
                    if others
                    else ""
                )
                if waiting
                else "add people with the skills its driving tasks need"
            )
        )
    recover.append(f"or move the deadline to {s.finish}")
    evidence: dict[str, Any] = {
        "deadline": s.deadline.isoformat() if s.deadline else None,
        "finish": s.finish.isoformat(),
        "late_days": s.late_days,
        "earliest_finish": earliest.isoformat(),
        "earliest_late_days": short,
        "levelling_days": levelling,
        "total_float_days": s.total_float_days,
        "driving_path": [{"task": t, "days": d} for t, d in path],
        "longest": [{"task": t, "days": d} for t, d in longest],
        "waits": waits,
        "people": people,
    }
    return Finding(
        "R106",
        Rating.CRITICAL,
        message,
        (s.id, *(t for t, _ in longest), *people),
        evidence,
        "; ".join(recover),
        float(s.late_days),
        ctx.loc(s.id, "deadline"),
    )


def _finish_date(grid: WorkGrid, start: int, end: int) -> dt.date:
    """A job on [start, end) finishes on its last working day; a zero-length one the working
    day before it starts (a milestone is dated with the work it closes), as the scheduler does."""
    return grid.date_of(max(end - 1, 0)) if end > start else grid.date_of(max(start - 1, 0))


def _bound(link: Link, es: Sequence[int], ef: Sequence[int], duration: int) -> int:
    """The earliest start of the link's successor that the link allows."""
    if link.type is LinkType.FS:
        return ef[link.pred] + link.lag
    if link.type is LinkType.SS:
        return es[link.pred] + link.lag
    if link.type is LinkType.FF:
        return ef[link.pred] + link.lag - duration
    return es[link.pred] + link.lag - duration


def _network_path(
    ctx: Context, network: PlanProblem, passes: CpmResult, job: int
) -> list[tuple[str, int]]:
    """The tasks (not done, not milestones) on the unlevelled network's driving path to ``job``:
    back from it along every link that sets its successor's early start, with each task's
    working days on the path, in path order."""
    problem = network.problem
    es, ef = passes.early_start, passes.early_finish
    incoming: dict[int, list[Link]] = {}
    for link in problem.links:
        incoming.setdefault(link.succ, []).append(link)
    seen = {job}
    stack = [job]
    while stack:
        j = stack.pop()
        for link in incoming.get(j, ()):
            if link.pred not in seen and _bound(link, es, ef, ef[j] - es[j]) == es[j]:
                seen.add(link.pred)
                stack.append(link.pred)
    out = []
    for j in sorted(seen, key=lambda j: (es[j], ef[j])):
        ref = network.refs[j]
        task = ctx.plan.task_by_id.get(ref.task)
        if ref.kind != "task" or task is None or task.milestone or ctx.done(ref.task):
            continue
        if ef[j] > es[j]:
            out.append((ref.task, ef[j] - es[j]))
    return out


def _waits(ctx: Context, task_id: str) -> list[dict[str, Any]]:
    """Back along the levelled schedule's drivers from the task: where a task on the way waited
    for a person (busy on other work, or away) rather than for its predecessors."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    current: str | None = _last_leaf(ctx, task_id)
    while current is not None and current not in seen:
        seen.add(current)
        s = ctx.scheduled.get(current)
        if s is None or s.driver is None:
            break
        d = s.driver
        if d.kind in ("person", "time-off", "levelling"):
            out.append({"task": current, "kind": d.kind, "person": d.person, "on": d.task})
        current = _last_leaf(ctx, d.task) if d.task is not None else None
    return out


def _last_leaf(ctx: Context, task_id: str) -> str | None:
    """The task, or the leaf below a summary that finishes last."""
    if task_id not in ctx.plan.task_by_id:
        return None
    found = [t for t in leaves(ctx.plan, task_id) if t in ctx.scheduled]
    return max(found, key=lambda t: (ctx.scheduled[t].finish, t), default=None)
