"""The budget position, worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ontrack.engines.budget import budget_position
from ontrack.engines.evm import EvmPoint, evm_series
from ontrack.engines.forecast.result import CostForecast

D = dt.date


def test_position() -> None:
    # BAC 1000 over two weeks; after week 1: EV 400, AC 500; after week 2: EV 700, AC 900.
    points = [
        EvmPoint(1, "w1", D(2026, 1, 9), Decimal(500), Decimal(400), Decimal(500)),
        EvmPoint(2, "w2", D(2026, 1, 16), Decimal(1000), Decimal(700), Decimal(900)),
    ]
    series, problems = evm_series(points)
    assert series is not None, problems
    left = CostForecast("USD", 300, 350, 340, 420, 500, None, None)
    position = budget_position(
        currency="USD",
        budget=Decimal(1200),
        bac=Decimal(1000),
        points=points,
        series=series,
        remaining_cost=left,
    )
    assert position.actual_cost == 900 and position.earned_value == 700
    assert position.eac_budget_rate == 1200  # 900 + (1000 - 700)
    assert position.eac_cpi is not None
    assert round(position.eac_cpi, 2) == Decimal("1285.71")  # 1000 / (700 / 900)
    assert (position.eac_p50, position.eac_p80) == (Decimal(1240), Decimal(1320))  # 900 + ...
    assert position.burn_per_week == 400  # 900 - 500 over 7 days
    assert position.average_burn_per_week == 400
    assert position.weeks_of_budget_left == 0.75  # (1200 - 900) / 400
    assert position.headline.startswith("forecast at completion 1,320 USD (P80): over the approved")
    assert position.to_json()["eac"]["simulation_p80"] == 1320.0


def test_nothing_spent_yet() -> None:
    position = budget_position(
        currency="USD", budget=None, bac=Decimal(800), points=[], series=None, remaining_cost=None
    )
    assert position.actual_cost is None and position.burn_per_week is None
    assert "nothing spent is recorded yet" in position.headline


def test_the_headline_says_why_over_the_baseline_and_within_the_budget_both_hold() -> None:
    from ontrack.engines.budget import BudgetPosition

    position = BudgetPosition(
        currency="USD",
        budget=Decimal(2_400_000),
        bac=Decimal(359_420),
        status_date=None,
        actual_cost=Decimal(235_787),
        earned_value=Decimal(216_570),
        cpi=0.92,
        eac_budget_rate=None,
        eac_cpi=None,
        eac_cpi_spi=None,
        eac_p50=Decimal(462_847),
        eac_p80=Decimal(593_767),
        burn_per_week=None,
        average_burn_per_week=None,
        weeks_of_budget_left=None,
    )
    # 593,767 - 359,420 = 234,347 over the baseline's cost: 65.2 %; 359,420 / 2,400,000 = 15 %.
    assert position.headline == (
        "forecast at completion 593,767 USD (P80): within the approved budget 2,400,000 by "
        "1,806,233 (75.3 %); that is 65.2 % over the baseline's planned cost 359,420 (CPI 0.92), "
        "which prices only 15 % of the approved budget"
    )
