"""R130 unowned-risk: open risks with no owner."""

from __future__ import annotations

from ontrack.engines.risk.context import Context, risk_severity
from ontrack.engines.risk.findings import Finding


def unowned_risks(ctx: Context) -> list[Finding]:
    """R130: risks not closed with no owner (one finding for all of them)."""
    found = [s for s in ctx.register if s.unowned]
    if not found:
        return []
    return [
        Finding(
            "R130",
            risk_severity(s.rating for s in found),
            f"{len(found)} risk(s) have no owner: "
            + ", ".join(f"{s.risk.id} ({s.rating.value})" for s in found),
            tuple(s.risk.id for s in found),
            {"risks": [{"id": s.risk.id, "rating": s.rating.value} for s in found]},
            "give each an owner who watches it and acts on it; a risk nobody owns is nobody's job",
            float(sum(s.exposure_days for s in found)),
            found[0].risk.loc,
        )
    ]
