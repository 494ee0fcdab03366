"""The small value syntaxes: durations, estimates, percentages, dates, money, rates, ids."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from ontrack.checks.limits import MAX_WORK_DAYS
from ontrack.model import Duration, RateUnit
from ontrack.planfile import values as v


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90m", 90),
        ("4h", 240),
        ("3d", 1440),
        ("1.5d", 720),
        ("2w", 4800),
        (".5h", 30),
        ("3 days", 1440),
        ("2 weeks", 4800),
        ("1 hour", 60),
        (0, 0),
    ],
)
def test_durations_resolve_to_exact_minutes(text: object, minutes: int) -> None:
    assert v.parse_duration(text).to_duration(Fraction(8), 5) == Duration(minutes)


def test_day_and_week_follow_the_calendar() -> None:
    assert v.parse_duration("1w").to_duration(Fraction(15, 2), 4) == Duration(30 * 60)


def test_lags_may_be_negative_but_durations_not() -> None:
    assert v.parse_duration("-1d", allow_negative=True).amount == -1
    with pytest.raises(v.ValueProblem) as caught:
        v.parse_duration("-1d")
    assert caught.value.code == "E110"


@pytest.mark.parametrize("bad", ["5", "3 days please", "d", "1.2.3d", "", True, None, [1]])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(v.ValueProblem) as caught:
        v.parse_duration(bad)
    assert caught.value.code == "E110"
    assert caught.value.hint


def test_unitless_number_gets_a_unit_hint() -> None:
    with pytest.raises(v.ValueProblem) as caught:
        v.parse_duration(5)
    assert "5d" in caught.value.hint


def test_estimates() -> None:
    three = v.parse_estimate("5d/8d/15d")
    assert not three.is_single
    assert three.pessimistic.amount == 15
    assert v.parse_estimate("8d").is_single
    with pytest.raises(v.ValueProblem) as caught:
        v.parse_estimate("1d/2d/3d/4d")
    assert caught.value.code == "E111"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("30%", Fraction(3, 10)),
        ("12.5%", Fraction(1, 8)),
        (0.3, Fraction(3, 10)),
        (1, Fraction(1)),
        ("0%", Fraction(0)),
    ],
)
def test_percentages(text: object, value: Fraction) -> None:
    assert v.parse_percent(text) == value


@pytest.mark.parametrize("bad", ["30", "150%", 7, "-5%", "x%", None, True])
def test_bad_percentages(bad: object) -> None:
    with pytest.raises(v.ValueProblem) as caught:
        v.parse_percent(bad)
    assert caught.value.code == "E113"


def test_dates_and_ranges() -> None:
    assert v.parse_date("2026-03-02") == dt.date(2026, 3, 2)
    assert v.parse_date_range("2026-02-09..2026-02-13") == (
        dt.date(2026, 2, 9),
        dt.date(2026, 2, 13),
    )
    assert v.parse_date_range(dt.date(2026, 1, 1)) == (dt.date(2026, 1, 1),) * 2
    for bad, code in (
        ("2026-02-30", "E114"),
        (dt.datetime(2026, 1, 1, 9), "E114"),
        (20260101, "E114"),
    ):
        with pytest.raises(v.ValueProblem) as caught:
            v.parse_date(bad)
        assert caught.value.code == code
    for bad in ("2026-02-13..2026-02-09", "soon", 5):
        with pytest.raises(v.ValueProblem) as caught:
            v.parse_date_range(bad)
        assert caught.value.code == "E115"


def test_money_and_rates() -> None:
    assert v.parse_money("25,000.50") == Decimal("25000.50")
    assert v.parse_money(0.1) == Decimal("0.1")
    rate = v.parse_rate("850/day")
    assert (rate.amount, rate.per) == (Decimal(850), RateUnit.DAY)
    assert v.parse_rate("110 / h").per is RateUnit.HOUR
    assert rate.per_minute(Fraction(8)) == Decimal(850) / Decimal(480)
    for bad in ("850", 850, "850/month", "x/day"):
        with pytest.raises(v.ValueProblem) as caught:
            v.parse_rate(bad)
        assert caught.value.code == "E116"


@pytest.mark.parametrize("good", ["api", "PROJ-123", "v1.2", "t_00042", 42])
def test_ids(good: object) -> None:
    assert v.parse_id(good) == str(good)


@pytest.mark.parametrize("bad", ["-lead", "has space", "", "é", None, 1.5, "x" * 200])
def test_bad_ids(bad: object) -> None:
    with pytest.raises(v.ValueProblem) as caught:
        v.parse_id(bad)
    assert caught.value.code == "E117"


def test_values_out_of_range_are_refused_with_their_codes() -> None:
    for text in ("2601d", "521w", "62401h", "99999999d", f"{MAX_WORK_DAYS * 24 * 60 + 1}m"):
        with pytest.raises(v.ValueProblem) as caught:
            v.parse_duration(text, allow_negative=True)
        assert caught.value.code == "E110"
    assert v.parse_duration("-2600d", allow_negative=True).amount == -2600
    for day in ("1899-12-31", "2201-01-01", "9999-12-31", "0001-01-01"):
        with pytest.raises(v.ValueProblem) as caught:
            v.parse_date(day)
        assert caught.value.code == "E114"
        with pytest.raises(v.ValueProblem) as caught:
            v.parse_date_range(f"2026-01-01..{day}" if day > "2026" else f"{day}..2026-01-01")
        assert caught.value.code == "E115"
    assert v.parse_date("1900-01-01") == dt.date(1900, 1, 1)
    assert v.parse_date_range("2200-12-31") == (dt.date(2200, 12, 31),) * 2
    for share in ("0.5%", 0.0000001, "0.99%"):
        with pytest.raises(v.ValueProblem) as caught:
            v.parse_allocation(share)
        assert caught.value.code == "E113"
    assert v.parse_allocation("0%") == 0 and v.parse_allocation("1%") == Fraction(1, 100)


def test_money_is_bounded_so_totals_keep_their_precision() -> None:
    """Found by the fuzz suite: a rate or budget of 1e30 loaded, then the MS Project export
    failed to round it (decimal.InvalidOperation)."""
    import pytest

    from ontrack.planfile.values import ValueProblem, parse_money, parse_rate

    assert parse_money("1000000000000") == 10**12
    for bad in ("1e30", "1000000000001", "0.0000001"):
        with pytest.raises(ValueProblem) as found:
            parse_money(bad)
        assert found.value.code == "E116"
    with pytest.raises(ValueProblem):
        parse_rate("1e30/day")
