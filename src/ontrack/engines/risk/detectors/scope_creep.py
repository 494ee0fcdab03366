"""R144 scope-creep: scope grew past the threshold since the baseline."""

from __future__ import annotations

from ontrack.engines.risk.context import Context, fmt, pct
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating
from ontrack.engines.scope import scope_change


def scope_creep(ctx: Context) -> list[Finding]:
    """R144: the scope (likely work plus realised risks) grew more than ``scope_threshold``
    since the baseline (see the scope engine)."""
    t = ctx.tracking
    if t is None or t.baseline_plan is None:
        return []
    change = scope_change(t.baseline_plan, ctx.plan)
    threshold = ctx.options.scope_threshold
    if not change.creep(threshold):
        return []
    growth = change.growth
    top = change.contributors(5)
    return [
        Finding(
            "R144",
            Rating.HIGH if growth is None or growth > 2 * threshold else Rating.MEDIUM,
            f"scope grew {fmt(float(change.baseline_days))} → {fmt(float(change.current_days))} "
            f"days since baseline '{t.baseline}'"
            + (f" (+{pct(float(growth))})" if growth is not None else "")
            + (
                ": largest " + ", ".join(f"{i.id} +{fmt(float(i.delta))} d" for i in top[:3])
                if top
                else ""
            ),
            tuple(i.id for i in top),
            {
                "baseline": t.baseline,
                "baseline_days": round(float(change.baseline_days), 2),
                "current_days": round(float(change.current_days), 2),
                "growth": round(float(growth), 4) if growth is not None else None,
                "threshold": round(float(threshold), 4),
                **change.components_json(),
                "contributors": [i.to_json() for i in top],
            },
            "take the additions to change control: trade them against other scope, or "
            "re-baseline with the sponsor's agreement",
            float(change.change),
            ctx.plan.program.loc,
        )
    ]
