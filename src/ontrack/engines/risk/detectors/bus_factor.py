"""R110 bus-factor: most of the driving work rests on one person."""

from __future__ import annotations

from collections import defaultdict

from ontrack.diagnostics import UNKNOWN_LOC
from ontrack.engines.risk.context import Context, fmt, pct, people_work, task_days_left
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def bus_factor(ctx: Context) -> list[Finding]:
    """R110: one person holds at least ``bus_factor_share`` of the driving work left (and at
    least ``bus_factor_days`` of it): their absence moves the finish."""
    if ctx.schedule is None:
        return []
    per_person: dict[str, float] = defaultdict(float)
    tasks_of: dict[str, list[str]] = defaultdict(list)
    total = 0.0
    for task_id in ctx.driving:
        task = ctx.plan.task_by_id[task_id]
        s = ctx.scheduled.get(task_id)
        if s is None or not people_work(task) or not s.assignees:
            continue
        days = task_days_left(ctx, task)
        total += days
        for person in s.assignees:
            per_person[person] += days / len(s.assignees)
            tasks_of[person].append(task_id)
    if total <= 0:
        return []
    out = []
    opts = ctx.options
    for person, days in sorted(per_person.items()):
        share = days / total
        if share < opts.bus_factor_share or days < opts.bus_factor_days:
            continue
        who = ctx.plan.person_by_id.get(person)
        out.append(
            Finding(
                "R110",
                Rating.HIGH,
                f"{who.name if who else person} holds {pct(share)} of the driving work left "
                f"({fmt(days)} of {fmt(total)} working days, {len(tasks_of[person])} tasks)",
                (person, *sorted(tasks_of[person])),
                {
                    "person": person,
                    "days": round(days, 2),
                    "driving_days": round(total, 2),
                    "share": round(share, 3),
                    "tasks": sorted(tasks_of[person]),
                },
                "pair someone with them on the driving tasks, move some of the work to others "
                "with the skills, and write down what only they know",
                days * share,
                who.loc if who else UNKNOWN_LOC,
            )
        )
    return out
