"""R132 stale-risk: risks whose review date has passed."""

from __future__ import annotations

from ontrack.engines.risk.context import Context, risk_severity
from ontrack.engines.risk.findings import Finding


def stale_risks(ctx: Context) -> list[Finding]:
    """R132: risks not closed whose review date has passed (one finding for all of them)."""
    found = sorted(
        (s for s in ctx.register if s.review_overdue_days is not None),
        key=lambda s: (-(s.review_overdue_days or 0), s.risk.id),
    )
    if not found:
        return []
    return [
        Finding(
            "R132",
            risk_severity(s.rating for s in found),
            f"{len(found)} risk review(s) overdue as of {ctx.options.as_of}: "
            + ", ".join(f"{s.risk.id} ({s.review_overdue_days} d)" for s in found[:6])
            + (f" and {len(found) - 6} more" if len(found) > 6 else ""),
            tuple(s.risk.id for s in found),
            {
                "as_of": ctx.options.as_of.isoformat(),
                "risks": [
                    {
                        "id": s.risk.id,
                        "review_date": s.risk.review_date.isoformat()
                        if s.risk.review_date
                        else None,
                        "days_overdue": s.review_overdue_days,
                        "rating": s.rating.value,
                    }
                    for s in found
                ],
            },
            "review them at the next risk meeting: update probability, impact and status, "
            "and set the next review date",
            float(sum(s.exposure_days for s in found)),
            found[0].risk.loc,
        )
    ]
