"""The budget position: what was agreed, what has been spent, and what it will cost in the end,
by earned value and by simulation, with the burn rate.

* BAC: the baseline's planned cost (people's days at their rates, plus tasks' fixed costs).
* AC to date, EV, CPI and the three EVM estimates at completion, from the EVM series.
* EAC by simulation: AC plus the P50 and P80 cost of the work left (the forecaster planned only
  what is not done yet, so done work is counted once, at its actual cost).
* Burn rate: actual cost per week between the last two status dates, and on average since the
  first; weeks until the approved budget is spent at the recent rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ontrack.engines.evm import EvmPoint, EvmSeries
from ontrack.engines.forecast.result import CostForecast

_CENT = Decimal("0.01")


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(_CENT))


@dataclass(frozen=True, slots=True)
class BudgetPosition:
    currency: str
    budget: Decimal | None  # approved (the program's `budget`)
    bac: Decimal  # the baseline's planned cost
    status_date: dt.date | None
    actual_cost: Decimal | None
    earned_value: Decimal | None
    cpi: float | None
    eac_budget_rate: Decimal | None  # AC + (BAC - EV)
    eac_cpi: Decimal | None  # BAC / CPI
    eac_cpi_spi: Decimal | None  # AC + (BAC - EV) / (CPI * SPI)
    eac_p50: Decimal | None  # AC + the simulated P50 cost of the work left
    eac_p80: Decimal | None
    burn_per_week: Decimal | None  # between the last two status dates
    average_burn_per_week: Decimal | None  # since the first status date
    weeks_of_budget_left: float | None  # at the recent burn rate

    @property
    def headline(self) -> str:
        """One sentence a VP reads first."""
        eac = self.eac_p80 or self.eac_cpi or self.eac_budget_rate
        limit = self.budget if self.budget is not None else self.bac
        what = "approved budget" if self.budget is not None else "baseline cost"
        if eac is None:
            return f"{what} {limit:,.0f} {self.currency}; nothing spent is recorded yet"
        verdict = "over" if eac > limit else "within"
        gap = abs(eac - limit)
        if not limit:
            return f"forecast at completion {eac:,.0f} {self.currency}"
        basis = " (P80)" if self.eac_p80 is not None else ""
        line = (
            f"forecast at completion {eac:,.0f} {self.currency}{basis}: {verdict} the {what} "
            f"{limit:,.0f} by {gap:,.0f} ({100 * gap / limit:.1f} %)"
        )
        if self.budget is not None and self.bac and eac > self.bac:
            # Both can hold: the baseline's planned cost is what the plan prices (people's days
            # at their rates, fixed costs); the approved budget may hold far more than that.
            index = f" (CPI {self.cpi:.2f})" if self.cpi is not None else ""
            line += (
                f"; that is {100 * (eac - self.bac) / self.bac:.1f} % over the baseline's planned "
                f"cost {self.bac:,.0f}{index}, which prices only "
                f"{100 * self.bac / self.budget:.0f} % of the approved budget"
            )
        return line

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "budget": _money(self.budget),
            "bac": _money(self.bac),
            "status_date": self.status_date.isoformat() if self.status_date else None,
            "actual_cost": _money(self.actual_cost),
            "earned_value": _money(self.earned_value),
            "cpi": None if self.cpi is None else round(self.cpi, 4),
            "eac": {
                "budget_rate": _money(self.eac_budget_rate),
                "cpi": _money(self.eac_cpi),
                "cpi_spi": _money(self.eac_cpi_spi),
                "simulation_p50": _money(self.eac_p50),
                "simulation_p80": _money(self.eac_p80),
            },
            "burn_per_week": _money(self.burn_per_week),
            "average_burn_per_week": _money(self.average_burn_per_week),
            "weeks_of_budget_left": None
            if self.weeks_of_budget_left is None
            else round(self.weeks_of_budget_left, 1),
            "headline": self.headline,
        }


def budget_position(
    *,
    currency: str,
    budget: Decimal | None,
    bac: Decimal,
    points: list[EvmPoint],
    series: EvmSeries | None,
    remaining_cost: CostForecast | None,
) -> BudgetPosition:
    measured = [p for p in points if p.ac is not None and p.date is not None]
    latest = series.latest if series is not None and series.periods else None
    ac = latest.ac if latest is not None else None
    p50 = p80 = None
    if remaining_cost is not None:
        spent = ac or Decimal(0)
        p50 = spent + Decimal(str(remaining_cost.p50))
        p80 = spent + Decimal(str(remaining_cost.p80))
    burn = average = None
    if len(measured) >= 2:
        a, b = measured[-2], measured[-1]
        assert a.date is not None and b.date is not None and a.ac is not None and b.ac is not None
        days = (b.date - a.date).days
        if days > 0:
            burn = (b.ac - a.ac) * 7 / days
        first = measured[0]
        assert first.date is not None and first.ac is not None
        span = (b.date - first.date).days
        if span > 0:
            average = (b.ac - first.ac) * 7 / span
    limit = budget if budget is not None else bac
    weeks = float((limit - ac) / burn) if burn is not None and burn > 0 and ac is not None else None
    return BudgetPosition(
        currency=currency,
        budget=budget,
        bac=bac,
        status_date=measured[-1].date if measured else None,
        actual_cost=ac,
        earned_value=latest.ev if latest is not None else None,
        cpi=latest.cpi if latest is not None else None,
        eac_budget_rate=latest.eac_budget_rate if latest is not None else None,
        eac_cpi=latest.eac_cpi if latest is not None else None,
        eac_cpi_spi=latest.eac_cpi_spi if latest is not None else None,
        eac_p50=p50,
        eac_p80=p80,
        burn_per_week=burn,
        average_burn_per_week=average,
        weeks_of_budget_left=weeks,
    )
