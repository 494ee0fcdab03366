"""R131 unmitigated-risk: a high or critical risk with no response or mitigation."""

from __future__ import annotations

from decimal import Decimal

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating, round_days
from ontrack.model import RiskStatus


def unmitigated_risks(ctx: Context) -> list[Finding]:
    """R131: an open (not yet mitigating) high or critical risk with no response, or with a
    response other than accept and no mitigation written."""
    out = []
    for s in ctx.register:
        r = s.risk
        if r.status is not RiskStatus.OPEN or s.rating.rank < Rating.HIGH.rank:
            continue
        if r.response is not None and (r.response.value == "accept" or r.mitigation.strip()):
            continue
        out.append(
            Finding(
                "R131",
                Rating.CRITICAL if s.rating is Rating.CRITICAL else Rating.HIGH,
                f"'{r.id}' is rated {s.rating.value} (P{s.probability_band} x "
                f"I{s.impact_band} = {s.score}) with "
                + (
                    "no response"
                    if r.response is None
                    else f"'{r.response.value}' but no mitigation"
                ),
                (r.id,),
                {
                    "score": s.score,
                    "rating": s.rating.value,
                    "response": r.response.value if r.response else None,
                    "exposure_days": round_days(s.exposure_days),
                    "exposure_money": str(s.exposure_money.quantize(Decimal("0.01"))),
                },
                "decide the response (avoid, mitigate, transfer or accept) and write down "
                "the actions, their owner and date",
                float(s.exposure_days),
                r.loc,
            )
        )
    return out
