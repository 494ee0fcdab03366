"""Exact quantities: no drift, readable spellings."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from ontrack.model import Duration, Estimate, Rate, RateUnit


def test_duration_days_are_exact() -> None:
    total = sum((Duration(20) for _ in range(24 * 1000)), Duration(0))
    assert total.days(8) == Fraction(1000)
    assert Duration(90).days(Fraction(15, 2)) == Fraction(1, 5)


def test_duration_format_picks_the_shortest_exact_unit() -> None:
    assert Duration(480).format() == "1d"
    assert Duration(720).format() == "1.5d"
    assert Duration(-480).format() == "-1d"
    assert Duration(60).format() == "1h"
    assert Duration(90).format() == "1.5h"
    assert Duration(7).format() == "7m"
    assert Duration(0).format() == "0d"
    assert not Duration(0) and Duration(1)


def test_estimate_pert_mean_and_format() -> None:
    est = Estimate(Duration(480), Duration(960), Duration(2880))
    assert est.pert_mean_minutes == Fraction(480 + 4 * 960 + 2880, 6)
    assert est.format() == "1d/2d/6d"
    assert Estimate.single(Duration(480)).format() == "1d"
    assert Estimate.single(Duration(480)).is_single


def test_rate_per_minute_is_exact_decimal() -> None:
    assert Rate(Decimal(120), RateUnit.HOUR).per_minute(8) == Decimal(2)
    assert Rate(Decimal(960), RateUnit.DAY).per_minute(8) == Decimal(2)
    assert Rate(Decimal(900), RateUnit.DAY).per_minute(Fraction(15, 2)) == Decimal(2)
    assert str(Rate(Decimal(850), RateUnit.DAY)) == "850/day"
