"""R104 wide-estimate: a driving task's pessimistic estimate is far above its optimistic."""

from __future__ import annotations

import math

from ontrack.engines.risk.context import Context, fmt, pct
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def wide_estimates(ctx: Context) -> list[Finding]:
    """R104: a driving task whose pessimistic estimate is at least ``wide_ratio`` times its
    optimistic one and at least ``wide_spread_days`` above it (a 1d/2d/3d task is not wide)."""
    opts = ctx.options
    out = []
    for task_id in sorted(ctx.driving):
        task = ctx.plan.task_by_id[task_id]
        work = task.work
        if work is None or work.is_single or task.milestone:
            continue
        o, lk, p = (ctx.work_days(task, w) for w in ("optimistic", "likely", "pessimistic"))
        ratio = p / o if o > 0 else math.inf
        if ratio < opts.wide_ratio or p - o < opts.wide_spread_days:
            continue
        crit = ctx.criticality(task_id)
        on_cp = task_id in ctx.scheduled and ctx.scheduled[task_id].critical
        weight = 1.0 if on_cp else crit
        out.append(
            Finding(
                "R104",
                Rating.HIGH if on_cp and crit >= 0.5 else Rating.MEDIUM,
                f"'{task_id}' is estimated {work.format(ctx.plan.hours_per_day)}: pessimistic "
                f"{fmt(ratio)}x optimistic on a driving task "
                f"({'critical' if on_cp else 'critical in ' + pct(crit) + ' of iterations'})",
                (task_id,),
                {
                    "optimistic_days": round(o, 2),
                    "likely_days": round(lk, 2),
                    "pessimistic_days": round(p, 2),
                    "ratio": round(ratio, 2) if math.isfinite(ratio) else None,
                    "criticality": round(crit, 3),
                    "critical": on_cp,
                },
                "narrow it before it bites: a spike or prototype, split the unknown part out, "
                "or agree what would be cut if it runs to the pessimistic case",
                weight * (p - lk),
                ctx.loc(task_id, "estimate") if task.estimate else ctx.loc(task_id, "duration"),
            )
        )
    return out
