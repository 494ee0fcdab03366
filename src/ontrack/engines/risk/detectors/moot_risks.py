"""R134 moot-risk: open risks whose affected tasks are all done."""

from __future__ import annotations

from ontrack.engines.risk.context import Context, moot
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def moot_risks(ctx: Context) -> list[Finding]:
    """R134: open or mitigating risks whose affected tasks are all done: close them, or point
    them at the work they still threaten (one finding for all of them)."""
    found = [s for s in ctx.register if s.active and moot(ctx, s)]
    if not found:
        return []
    return [
        Finding(
            "R134",
            Rating.LOW,
            f"{len(found)} open risk(s) only affect work that is done: "
            + ", ".join(f"{s.risk.id} ({', '.join(s.risk.affects)})" for s in found),
            tuple(s.risk.id for s in found),
            {
                "risks": [
                    {
                        "id": s.risk.id,
                        "affects": list(s.risk.affects),
                        "status": s.risk.status.value,
                    }
                    for s in found
                ]
            },
            "close them (the register overstates the exposure), or update what they affect "
            "if the threat moved to later work",
            0.0,
            found[0].risk.loc,
        )
    ]
