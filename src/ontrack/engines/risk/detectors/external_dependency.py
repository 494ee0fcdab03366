"""R120 external-dependency: a vendor or outside lead time on the driving path."""

from __future__ import annotations

from ontrack.engines.risk.context import Context, pct
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def external_dependency(ctx: Context) -> list[Finding]:
    """R120: work done outside the program (tagged ``vendor``, ``external``, ...; in a plan
    with no such tags, a fixed duration naming no people or skills) on the driving path."""
    out = []
    for task_id in sorted(ctx.external & ctx.driving):
        task = ctx.plan.task_by_id[task_id]
        s = ctx.scheduled.get(task_id)
        crit = ctx.criticality(task_id)
        on_cp = s is not None and s.critical
        work = task.work
        lk = ctx.work_days(task)
        p = ctx.work_days(task, "pessimistic")
        risks = [r.risk.id for r in ctx.register if r.active and task_id in r.risk.affects]
        exposure = (1.0 if on_cp else crit) * max(p - lk, 0.0)
        out.append(
            Finding(
                "R120",
                Rating.HIGH if on_cp or crit >= 0.5 or exposure >= 5 else Rating.MEDIUM,
                f"'{task_id}' is outside the program's control "
                f"({work.format(ctx.plan.hours_per_day) if work else 'no estimate'}) and "
                + (
                    "on the critical path"
                    if on_cp
                    else f"critical in {pct(crit)} of iterations"
                    + (f" (float {s.total_float_days} d)" if s else "")
                )
                + (f"; register: {', '.join(risks)}" if risks else "; no risk in the register"),
                (task_id, *risks),
                {
                    "likely_days": round(lk, 2),
                    "pessimistic_days": round(p, 2),
                    "criticality": round(crit, 3),
                    "critical": on_cp,
                    "total_float_days": s.total_float_days if s else None,
                    "tags": list(task.tags),
                    "risks": risks,
                },
                "get a committed date in writing, track it weekly with the supplier, and plan "
                "a fallback (interim option, earlier order, penalty clause)"
                + ("" if risks else "; add it to the risk register"),
                exposure,
                ctx.loc(task_id),
            )
        )
    return out
