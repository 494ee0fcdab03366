"""The register scored on the 5x5 probability-impact matrix: bands, score, rating, exposure and
the heat map; the assumptions, issues and decisions with the ones past their due date.

Bands (documented in docs/risks.md, tested at their edges): probability 1 <= 10 % < 2 <= 30 % <
3 <= 50 % < 4 <= 70 % < 5; impact from days as a share of the program's planned working days
and from money as a share of the budget (else of the planned cost), 1 <= 2 % < 2 <= 5 % < 3 <=
10 % < 4 <= 20 % < 5, the larger of the two. Score = P x I; 1-4 low, 5-9 medium, 10-16 high,
20-25 critical. Every output that shows a risk's score takes it from ``score_risk`` here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from ontrack.model import Plan, RaidItem, RaidStatus, Risk, RiskStatus

#: Upper bounds (inclusive) of probability bands 1-4; above the last is band 5.
PROBABILITY_BANDS: tuple[Fraction, ...] = (
    Fraction(1, 10),
    Fraction(3, 10),
    Fraction(1, 2),
    Fraction(7, 10),
)
#: Upper bounds (inclusive) of impact bands 1-4, as a share of the program's planned working
#: days (schedule impact) or of the budget (cost impact); above the last is band 5.
IMPACT_BANDS: tuple[Fraction, ...] = (
    Fraction(2, 100),
    Fraction(5, 100),
    Fraction(10, 100),
    Fraction(20, 100),
)


class Rating(StrEnum):
    """A risk's rating on the matrix, and a finding's severity."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Rating.LOW: 0, Rating.MEDIUM: 1, Rating.HIGH: 2, Rating.CRITICAL: 3}


def band(share: Fraction, bounds: Sequence[Fraction]) -> int:
    """1 + the number of bounds ``share`` is above: 1..len(bounds) + 1."""
    return 1 + sum(share > b for b in bounds)


def rating(score: int) -> Rating:
    """1-4 low, 5-9 medium, 10-16 high, 20-25 critical."""
    if score >= 20:
        return Rating.CRITICAL
    if score >= 10:
        return Rating.HIGH
    if score >= 5:
        return Rating.MEDIUM
    return Rating.LOW


def round_days(value: Fraction | float) -> float:
    return round(float(value), 2)


@dataclass(frozen=True, slots=True)
class ScoredRisk:
    risk: Risk
    probability: Fraction  # effective: 1 once it occurred, 0 once closed
    probability_band: int
    time_band: int
    cost_band: int
    impact_days: Fraction  # PERT mean of the impact, in working days
    exposure_days: Fraction
    exposure_money: Decimal
    review_overdue_days: int | None  # calendar days past the review date; None when not due
    forecast_delay_days: float | None  # working days it adds to the mean finish (forecast)

    @property
    def impact_band(self) -> int:
        return max(self.time_band, self.cost_band)

    @property
    def score(self) -> int:
        return self.probability_band * self.impact_band

    @property
    def rating(self) -> Rating:
        return rating(self.score)

    @property
    def active(self) -> bool:
        """Open or being mitigated: still a risk (occurred ones are issues now)."""
        return self.risk.status in (RiskStatus.OPEN, RiskStatus.MITIGATING)

    @property
    def unowned(self) -> bool:
        return self.risk.owner is None and self.risk.status is not RiskStatus.CLOSED

    def to_json(self, hours_per_day: Fraction) -> dict[str, Any]:
        r = self.risk

        def days(value: Any) -> float:
            return round_days(value.days(hours_per_day))

        impact = (
            None
            if r.impact is None
            else {
                "optimistic": days(r.impact.optimistic),
                "likely": days(r.impact.likely),
                "pessimistic": days(r.impact.pessimistic),
                "mean": round_days(self.impact_days),
            }
        )
        return {
            "id": r.id,
            "title": r.title,
            "status": r.status.value,
            "owner": r.owner,
            "response": r.response.value if r.response else None,
            "mitigation": r.mitigation,
            "review_date": r.review_date.isoformat() if r.review_date else None,
            "review_overdue_days": self.review_overdue_days,
            "unowned": self.unowned,
            "affects": list(r.affects),
            "probability": round(float(r.probability), 4),
            "effective_probability": round(float(self.probability), 4),
            "impact_days": impact,
            "cost_impact": str(r.cost_impact) if r.cost_impact is not None else None,
            "probability_band": self.probability_band,
            "time_band": self.time_band,
            "cost_band": self.cost_band,
            "impact_band": self.impact_band,
            "score": self.score,
            "rating": self.rating.value,
            "exposure_days": round_days(self.exposure_days),
            "exposure_money": str(self.exposure_money.quantize(Decimal("0.01"))),
            "forecast_delay_days": None
            if self.forecast_delay_days is None
            else round(self.forecast_delay_days, 2),
            "file": r.loc.file,
            "line": r.loc.line,
        }


def score_risk(
    risk: Risk,
    *,
    hours_per_day: Fraction,
    program_days: int,
    money_basis: Decimal | None,
    as_of: dt.date,
    forecast_delay_days: float | None = None,
) -> ScoredRisk:
    """Bands, score and exposure of one risk.

    ``program_days`` is the program's planned length in working days (the impact in days is
    banded as a share of it); ``money_basis`` the budget, else the planned cost (None: cost
    impact is not banded). An occurred risk counts as certain, a closed one as gone.
    """
    if risk.status is RiskStatus.OCCURRED:
        probability = Fraction(1)
    elif risk.status is RiskStatus.CLOSED:
        probability = Fraction(0)
    else:
        probability = Fraction(risk.probability)
    mean = (
        risk.impact.pert_mean_minutes / 60 / Fraction(hours_per_day)
        if risk.impact is not None
        else Fraction(0)
    )
    time_band = band(mean / program_days, IMPACT_BANDS) if program_days > 0 and mean > 0 else 1
    cost = risk.cost_impact or Decimal(0)
    cost_band = (
        band(Fraction(cost) / Fraction(money_basis), IMPACT_BANDS)
        if money_basis is not None and money_basis > 0 and cost > 0
        else 1
    )
    overdue = (
        (as_of - risk.review_date).days
        if risk.review_date is not None
        and risk.review_date < as_of
        and risk.status is not RiskStatus.CLOSED
        else None
    )
    # The band is of the stated probability (the matrix is what the register says); an
    # occurred risk sits in the top row, since it is certain now.
    p_band = band(
        probability if risk.status is RiskStatus.OCCURRED else risk.probability, PROBABILITY_BANDS
    )
    return ScoredRisk(
        risk=risk,
        probability=probability,
        probability_band=p_band,
        time_band=time_band,
        cost_band=cost_band,
        impact_days=mean,
        exposure_days=probability * mean,
        exposure_money=Decimal(probability.numerator) * cost / Decimal(probability.denominator),
        review_overdue_days=overdue,
        forecast_delay_days=forecast_delay_days,
    )


def money_basis(plan: Plan, planned_cost: float | None) -> Decimal | None:
    """What a cost impact is banded against: the budget, else the planned cost (None when
    neither is known: cost impact is then not banded)."""
    if plan.program.budget is not None:
        return plan.program.budget
    if planned_cost is None:
        return None
    return Decimal(str(round(planned_cost, 2))) or None


def score_register(
    plan: Plan,
    *,
    program_days: int,
    money_basis: Decimal | None,
    as_of: dt.date,
    forecast_delays: Mapping[str, float] | None = None,
) -> tuple[ScoredRisk, ...]:
    """Every risk of the plan scored (``score_risk``), in plan order: the one scoring that
    ``ontrack risks``, the program report and the status report show."""
    delays = forecast_delays or {}
    return tuple(
        score_risk(
            r,
            hours_per_day=plan.hours_per_day,
            program_days=program_days,
            money_basis=money_basis,
            as_of=as_of,
            forecast_delay_days=delays.get(r.id),
        )
        for r in plan.risks
    )


@dataclass(frozen=True, slots=True)
class HeatCell:
    probability: int
    impact: int
    risks: tuple[str, ...]

    @property
    def score(self) -> int:
        return self.probability * self.impact

    def to_json(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "impact": self.impact,
            "score": self.score,
            "rating": rating(self.score).value,
            "count": len(self.risks),
            "risks": list(self.risks),
        }


def heatmap(register: Iterable[ScoredRisk]) -> tuple[HeatCell, ...]:
    """All 25 cells, probability 5 to 1, impact 1 to 5; occurred and closed risks left out
    (they are no longer uncertain)."""
    cells: dict[tuple[int, int], list[str]] = defaultdict(list)
    for s in register:
        if s.active:
            cells[(s.probability_band, s.impact_band)].append(s.risk.id)
    return tuple(
        HeatCell(p, i, tuple(cells.get((p, i), ()))) for p in range(5, 0, -1) for i in range(1, 6)
    )


@dataclass(frozen=True, slots=True)
class RaidEntry:
    kind: str  # assumption | issue | decision
    item: RaidItem
    overdue_days: int | None

    def to_json(self) -> dict[str, Any]:
        i = self.item
        return {
            "id": i.id,
            "kind": self.kind,
            "title": i.title,
            "owner": i.owner,
            "status": i.status.value,
            "severity": i.severity,
            "raised": i.raised.isoformat() if i.raised else None,
            "due": i.due.isoformat() if i.due else None,
            "overdue_days": self.overdue_days,
            "affects": list(i.affects),
            "notes": i.notes,
            "file": i.loc.file,
            "line": i.loc.line,
        }


def raid_log(plan: Plan, as_of: dt.date) -> tuple[RaidEntry, ...]:
    """Assumptions, issues and decisions, each with the calendar days it is past due (if open)."""
    out = []
    for kind, items in (
        ("assumption", plan.assumptions),
        ("issue", plan.issues),
        ("decision", plan.decisions),
    ):
        for item in items:
            overdue = (
                (as_of - item.due).days
                if item.due is not None and item.due < as_of and item.status is RaidStatus.OPEN
                else None
            )
            out.append(RaidEntry(kind, item, overdue))
    return tuple(out)
