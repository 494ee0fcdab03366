"""R102 merge-bias: many paths join at a milestone and make it later than any of them."""

from __future__ import annotations

from ontrack.engines.risk.context import Context, fmt
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def merge_bias(ctx: Context) -> list[Finding]:
    """R102: a milestone (or release) that many paths join, made later by their merging than the
    latest of them on average (the forecast's merge bias)."""
    forecast = ctx.forecast
    if forecast is None:
        return []
    opts = ctx.options
    releases = {r.id: r for r in ctx.plan.releases}
    out = []
    for m in forecast.milestones:
        if m.kind == "release":
            inputs = len(releases[m.id].includes) if m.id in releases else 0
        elif m.id in ctx.plan.task_by_id:
            inputs = len(ctx.plan.task_by_id[m.id].depends)
        else:
            continue
        if inputs < opts.merge_inputs or m.merge_bias_days < opts.merge_bias_days:
            continue
        out.append(
            Finding(
                "R102",
                Rating.MEDIUM,
                f"'{m.id}' joins {inputs} paths: merging them adds {fmt(m.merge_bias_days)} "
                f"working days on average beyond the latest single path",
                (m.id,),
                {
                    "inputs": inputs,
                    "merge_bias_days": round(m.merge_bias_days, 2),
                    "planned": m.planned.isoformat(),
                    "p50": m.p50.isoformat(),
                    "threshold_days": opts.merge_bias_days,
                },
                "finish the inputs early or in sequence, cut an input that is not needed for "
                "the milestone, or hold a buffer before it",
                m.merge_bias_days,
                ctx.loc(m.id),
            )
        )
    return out
