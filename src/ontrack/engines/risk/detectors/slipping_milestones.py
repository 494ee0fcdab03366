"""R141 slipping-milestone: a milestone's date moved later than its baseline."""

from __future__ import annotations

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def slipping_milestones(ctx: Context) -> list[Finding]:
    """R141: a milestone (or a task with a deadline) now scheduled ``slip_days`` or more working
    days after its baseline date."""
    t = ctx.tracking
    if t is None or not t.baseline_tasks or ctx.schedule is None:
        return []
    grid = ctx.grid
    out = []
    for task in ctx.plan.tasks:
        if not (task.milestone or task.deadline) or task.id not in t.baseline_tasks:
            continue
        s = ctx.scheduled.get(task.id)
        base = t.baseline_tasks[task.id].finish
        if s is None or s.state == "done":
            continue
        slip = grid.working_days_between(base, s.finish)
        if slip < ctx.options.slip_days:
            continue
        past = task.deadline is not None and s.finish > task.deadline
        out.append(
            Finding(
                "R141",
                Rating.HIGH if past else Rating.MEDIUM,
                f"'{task.id}' now finishes {s.finish}, {slip} working days after its baseline "
                f"{base}" + (f" and past its deadline {task.deadline}" if past else ""),
                (task.id,),
                {
                    "baseline": t.baseline,
                    "baseline_finish": base.isoformat(),
                    "finish": s.finish.isoformat(),
                    "slip_days": slip,
                    "deadline": task.deadline.isoformat() if task.deadline else None,
                },
                "tell its stakeholders now, with the cause and a recovery plan (or a new "
                "baseline if the change is accepted)",
                float(slip),
                ctx.loc(task.id),
            )
        )
    return out
