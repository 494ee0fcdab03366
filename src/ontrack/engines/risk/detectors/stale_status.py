"""R143 stale-status: no progress recorded recently for the program."""

from __future__ import annotations

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def stale_status(ctx: Context) -> list[Finding]:
    """R143: with tracking, no progress recorded at all, or the latest more than ``stale_days``
    calendar days before the as-of date: the dates and odds are planned from old news."""
    t = ctx.tracking
    if t is None:
        return []
    latest = max((f.status_date for f in t.facts), default=None)
    age = (ctx.options.as_of - latest).days if latest is not None else None
    if latest is not None and age is not None and age <= ctx.options.stale_days:
        return []
    return [
        Finding(
            "R143",
            Rating.MEDIUM,
            "no progress is recorded for the program"
            if latest is None
            else f"the latest progress is from {latest}, {age} days before {ctx.options.as_of}",
            (),
            {
                "latest_status_date": latest.isoformat() if latest else None,
                "as_of": ctx.options.as_of.isoformat(),
                "days": age,
            },
            "record this period's progress (`ontrack progress FILE`) before trusting the dates",
            0.0,
            ctx.plan.program.loc,
        )
    ]
