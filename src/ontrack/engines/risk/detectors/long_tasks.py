"""R105 long-task: a task too long to track without decomposing it."""

from __future__ import annotations

from ontrack.engines.risk.context import Context, fmt, people_work
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def long_tasks(ctx: Context) -> list[Finding]:
    """R105: a leaf task of people's work whose likely work exceeds ``long_task_days``: too long
    to know whether it is on track."""
    limit = ctx.options.long_task_days
    out = []
    for task in ctx.plan.leaf_tasks():
        if not people_work(task) or ctx.done(task.id):
            continue
        days = ctx.work_days(task)
        if days <= limit:
            continue
        driving = task.id in ctx.driving
        out.append(
            Finding(
                "R105",
                Rating.MEDIUM if driving else Rating.LOW,
                f"'{task.id}' is {fmt(days)} working days of work in one task "
                f"(more than {fmt(limit)})" + (" on a driving path" if driving else ""),
                (task.id,),
                {"likely_days": round(days, 2), "limit_days": limit, "driving": driving},
                "break it into pieces of two weeks or less with something to show at the end "
                "of each, so a slip shows early",
                0.0,
                ctx.loc(task.id, "estimate" if task.estimate else "duration"),
            )
        )
    return out
