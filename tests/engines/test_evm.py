"""Earned value and earned schedule: the published Vanhoucke example, hand-worked oracles
(ahead, behind and over budget, a flat PV plateau), the edges (EV = BAC, EV > BAC, nothing
planned or earned yet, AC missing or 0, the budget spent), dates, and bad input."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from decimal import Decimal

import pytest

from ontrack.diagnostics import SourceLoc
from ontrack.engines.evm import (
    CODES,
    EvmPoint,
    EvmSeries,
    PeriodEvm,
    earned_schedule,
    evm_series,
)

D = Decimal


def points(
    pv: Sequence[str | int],
    ev: Sequence[str | int | None],
    ac: Sequence[str | int | None] | None = None,
    dates: Sequence[dt.date] | None = None,
) -> list[EvmPoint]:
    """Points for periods 1..n; ``ev`` and ``ac`` shorter than ``pv`` leave the rest empty."""
    out = []
    for i, planned in enumerate(pv):
        earned = ev[i] if i < len(ev) else None
        actual = ac[i] if ac is not None and i < len(ac) else None
        out.append(
            EvmPoint(
                period=i + 1,
                label=str(dates[i] if dates else i + 1),
                date=dates[i] if dates else None,
                pv=D(planned),
                ev=None if earned is None else D(earned),
                ac=None if actual is None else D(actual),
                loc=SourceLoc("t.csv", i + 2, 1),
            )
        )
    return out


def series_of(
    pts: list[EvmPoint], *, bac: Decimal | None = None, period_days: int | None = None
) -> EvmSeries:
    result, diagnostics = evm_series(pts, bac=bac, period_days=period_days)
    assert result is not None, diagnostics
    assert [d for d in diagnostics if d.is_error] == []
    return result


def at(series: EvmSeries, period: int) -> PeriodEvm:
    return next(p for p in series.periods if p.period == period)


# Vanhoucke, PM Knowledge Center, "Earned Schedule" example (weekly; money units arbitrary).
VANHOUCKE_PV = [5, 10, 25, 55, 85, 120, 130, 140, 150, 150, 150]
VANHOUCKE_EV = ["3.33", "6.67", "10", "22.5", "70", "82.5", "90", "120", "130", "140", "150"]


def test_vanhoucke_published_earned_schedule() -> None:
    s = series_of(points(VANHOUCKE_PV, VANHOUCKE_EV))
    # BAC is the final PV; PV first reaches it in week 9 (weeks 10 and 11 plan nothing new).
    assert s.bac == D(150)
    assert s.planned_duration == 9
    published = [0.67, 1.33, 2.00, 2.83, 4.50, 4.92]  # weeks 1-6, two decimals
    assert [round(p.es, 2) for p in s.periods[:6]] == published
    # The rest by hand: week 7, C = 5 (PV 85 <= 90 < 120): 5 + 5/35; weeks 8-10 land exactly
    # on a PV (120, 130, 140) so ES is whole; week 11 earns BAC, so ES = PD = 9.
    assert [p.es for p in s.periods[6:]] == pytest.approx([5 + 5 / 35, 6, 7, 8, 9])
    week6 = at(s, 6)
    # SV(t) = 4.9167 - 6; SPI(t) = 4.9167 / 6; IEAC(t) = 9 / SPI(t) = 9 x 6 / 4.9167.
    assert week6.sv_t == pytest.approx(-1.0833, abs=1e-4)
    assert week6.spi_t == pytest.approx(0.8194, abs=1e-4)
    assert week6.ieac_t == pytest.approx(10.983, abs=1e-3)
    # The known flaw of SPI that ES fixes: at the end SPI is 1 although the project is late.
    week11 = at(s, 11)
    assert week11.spi == 1.0
    assert week11.sv_t == -2.0
    assert week11.spi_t == pytest.approx(9 / 11)
    assert week11.ieac_t == pytest.approx(11.0)  # done: the forecast is the actual duration


def test_ahead_of_schedule_and_under_budget() -> None:
    # BAC 1000 over 5 periods: PV 100, 300, 600, 900, 1000. PD = 5.
    s = series_of(points([100, 300, 600, 900, 1000], [150, 450], [120, 400]))
    assert (s.bac, s.planned_duration) == (D(1000), 5)
    p1 = at(s, 1)
    # Period 1: EV 150, PV(1) = 100 <= 150 < PV(2) = 300, so C = 1, ES = 1 + 50/200 = 1.25.
    assert p1.es == 1.25
    assert p1.spi == 1.5  # 150 / 100
    p2 = at(s, 2)
    # Period 2: EV 450, AC 400, PV 300.
    # SV = 450 - 300 = 150, SPI = 1.5; CV = 450 - 400 = 50, CPI = 1.125.
    assert (p2.sv, p2.cv) == (D(150), D(50))
    assert (p2.spi, p2.cpi) == (1.5, 1.125)
    # C = 2 (300 <= 450 < 600), ES = 2 + 150/300 = 2.5; SV(t) = +0.5; SPI(t) = 2.5/2 = 1.25;
    # IEAC(t) = 5 / 1.25 = 4 periods: one period early.
    assert (p2.es, p2.sv_t, p2.spi_t, p2.ieac_t) == (2.5, 0.5, 1.25, 4.0)
    # EAC = AC + BAC - EV = 400 + 550 = 950.
    assert p2.eac_budget_rate == D(950)
    # EAC = BAC / CPI = 1000 x 400 / 450 = 888.89; ETC = 488.89; VAC = 111.11.
    assert p2.eac_cpi is not None and p2.etc is not None and p2.vac is not None
    assert p2.eac_cpi.quantize(D("0.01")) == D("888.89")
    assert p2.etc.quantize(D("0.01")) == D("488.89")
    assert p2.vac.quantize(D("0.01")) == D("111.11")
    # EAC = AC + (BAC - EV) / (CPI x SPI) = 400 + 550 / 1.6875 = 400 + 325.93 = 725.93.
    assert p2.eac_cpi_spi is not None
    assert p2.eac_cpi_spi.quantize(D("0.01")) == D("725.93")
    # TCPI to BAC = 550 / (1000 - 400) = 0.9167; to EAC = 550 / 488.89 = 1.125 (= CPI).
    assert p2.tcpi_bac == pytest.approx(0.916667, abs=1e-6)
    assert p2.tcpi_eac == pytest.approx(1.125)
    assert p2.null_reasons == ()
    assert s.latest is p2  # periods 3-5 have no EV yet: baseline only
    assert [b.pv for b in s.baseline] == [D(100), D(300), D(600), D(900), D(1000)]


def test_behind_schedule_and_over_budget_all_eac_variants() -> None:
    # BAC 1000 over 4 periods: PV 250, 500, 750, 1000. Period 2: EV 400, AC 500.
    s = series_of(points([250, 500, 750, 1000], [200, 400], [230, 500]))
    p = at(s, 2)
    # SV = 400 - 500 = -100, SPI = 0.8; CV = 400 - 500 = -100, CPI = 0.8.
    assert (p.sv, p.cv, p.spi, p.cpi) == (D(-100), D(-100), 0.8, 0.8)
    # EAC = AC + BAC - EV = 500 + 600 = 1100 (the rest at the budgeted rate).
    assert p.eac_budget_rate == D(1100)
    # EAC = BAC / CPI = 1000 / 0.8 = 1250 (exact: BAC x AC / EV = 1000 x 500 / 400).
    assert p.eac_cpi == D(1250)
    # EAC = AC + (BAC - EV) / (CPI x SPI) = 500 + 600 / 0.64 = 500 + 937.5 = 1437.5.
    assert p.eac_cpi_spi == D("1437.5")
    # ETC = EAC - AC = 1250 - 500 = 750; VAC = BAC - EAC = 1000 - 1250 = -250.
    assert (p.etc, p.vac) == (D(750), D(-250))
    # TCPI to BAC = (1000 - 400) / (1000 - 500) = 1.2: every remaining unit must cost 0.83.
    # TCPI to EAC = 600 / (1250 - 500) = 0.8.
    assert p.tcpi_bac == pytest.approx(1.2)
    assert p.tcpi_eac == pytest.approx(0.8)
    # ES: C = 1 (250 <= 400 < 500), ES = 1 + 150/250 = 1.6; SV(t) = -0.4; SPI(t) = 0.8;
    # IEAC(t) = PD / SPI(t) = 4 / 0.8 = 5 periods.
    assert p.es == pytest.approx(1.6)
    assert p.sv_t == pytest.approx(-0.4)
    assert p.spi_t == pytest.approx(0.8)
    assert p.ieac_t == pytest.approx(5.0)


def test_flat_pv_plateau() -> None:
    # A freeze: nothing planned in periods 3 and 4. PV 100, 200, 200, 200, 300; PD = 5.
    s = series_of(points([100, 200, 200, 200, 300], [90, 150, 200, 250]))
    # Period 2: EV 150, C = 1 (100 <= 150 < 200): ES = 1 + 50/100 = 1.5.
    assert at(s, 2).es == 1.5
    # Period 3: EV 200 equals the plateau. C is its end, 4 (PV(4) = 200 <= 200 < 300):
    # ES = 4 + 0/100 = 4, SV(t) = +1, SPI(t) = 4/3, although SPI = 200/200 = 1: the work
    # planned to be done by the end of the freeze is done.
    p3 = at(s, 3)
    assert (p3.es, p3.sv_t, p3.spi) == (4.0, 1.0, 1.0)
    assert p3.spi_t == pytest.approx(4 / 3)
    assert p3.ieac_t == pytest.approx(3.75)  # 5 / (4/3)
    # Period 4: EV 250, C = 4, ES = 4 + 50/100 = 4.5; SPI(t) = 4.5 / 4.
    assert at(s, 4).es == 4.5
    assert at(s, 4).spi_t == pytest.approx(1.125)


def test_earned_schedule_directly() -> None:
    pv = [D(0), D(10), D(30), D(30), D(60)]
    assert earned_schedule(D(0), pv, D(60), 4) == 0
    assert earned_schedule(D(5), pv, D(60), 4) == D("0.5")
    assert earned_schedule(D(30), pv, D(60), 4) == 3  # the end of the plateau
    assert earned_schedule(D(45), pv, D(60), 4) == D("3.5")
    assert earned_schedule(D(60), pv, D(60), 4) == 4  # EV = BAC: PD
    assert earned_schedule(D(75), pv, D(60), 4) == 4  # EV > BAC: capped at PD


def test_ev_above_bac_is_capped_and_warned() -> None:
    series, diagnostics = evm_series(points([50, 100], [60, 110], [50, 100]))
    assert series is not None
    assert at(series, 2).es == 2.0  # capped at the planned duration
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W433", 3)]


def test_nothing_planned_yet_and_nothing_earned() -> None:
    # Period 1 plans nothing (PV 0): SPI is null with a reason, never inf; EV 0 then means on
    # schedule: C = 1 (PV(1) = 0 <= 0 < 100), ES = 1.
    s = series_of(points([0, 100, 200], [0, 0], [0, 40]))
    p1 = at(s, 1)
    assert p1.spi is None and p1.reason("spi") == "PV is 0: nothing was planned yet"
    assert p1.cpi is None and p1.reason("cpi") == "AC is 0"
    assert p1.es == 1.0 and p1.spi_t == 1.0
    assert p1.tcpi_bac == 1.0  # (200 - 0) / (200 - 0)
    # Period 2: EV 0 with AC 40: CPI = 0, so BAC / CPI is null; ES = 1 (still PV(1) = 0).
    p2 = at(s, 2)
    assert p2.cpi == 0.0
    assert p2.eac_cpi is None and p2.reason("eac_cpi") == "CPI is 0: nothing earned yet"
    assert p2.eac_budget_rate == D(240)  # 40 + 200 - 0
    assert p2.etc is None and p2.vac is None and p2.tcpi_eac is None
    assert p2.es == 1.0 and p2.spi_t == 0.5


def test_no_schedule_earned_gives_null_forecast() -> None:
    s = series_of(points([100, 200], [0]))
    p = at(s, 1)
    assert p.es == 0.0 and p.spi_t == 0.0
    assert p.ieac_t is None and p.reason("ieac_t") == "ES is 0: no schedule earned yet"


def test_missing_ac_gives_null_cost_measures_not_a_crash() -> None:
    s = series_of(points([100, 200, 300], [100, 180, 290], [110, None, None]))
    assert at(s, 1).cpi == pytest.approx(100 / 110)
    p3 = at(s, 3)
    assert p3.ac is None
    for name in ("cv", "cpi", "eac_budget_rate", "eac_cpi", "eac_cpi_spi", "etc", "vac"):
        assert getattr(p3, name) is None
        assert p3.reason(name) == "AC not reported"
    assert p3.reason("tcpi_bac") == "AC not reported"
    assert p3.spi == pytest.approx(290 / 300)  # schedule measures are unaffected
    assert p3.es == pytest.approx(2.9)  # C = 2 (200 <= 290 < 300): 2 + 90/100


def test_budget_spent_gives_null_tcpi() -> None:
    # AC 1200 > BAC 1000: TCPI to BAC = 500 / (1000 - 1200) would be negative: null.
    s = series_of(points([500, 1000], [500], [1200]))
    p = at(s, 1)
    assert p.tcpi_bac is None
    assert p.reason("tcpi_bac") == "BAC - AC is 0 or negative: the budget is spent"
    # EAC = 1000 x 1200 / 500 = 2400; TCPI to EAC = 500 / (2400 - 1200) = 0.4167.
    assert p.eac_cpi == D(2400)
    assert p.tcpi_eac == pytest.approx(500 / 1200)


def test_work_done_gives_null_tcpi_to_eac() -> None:
    s = series_of(points([50, 100], [60, 100], [60, 90]))
    p = at(s, 2)
    # EV = BAC: EAC = 100 x 90 / 100 = 90 = AC, so EAC - AC = 0.
    assert p.etc == 0 and p.tcpi_eac is None
    assert p.reason("tcpi_eac") == "EAC - AC is 0 or negative: no work remains"
    assert p.tcpi_bac == 0.0  # (100 - 100) / (100 - 90)


def test_explicit_bac_and_its_planned_duration() -> None:
    # BAC 150 given while the PV list continues to 200 (e.g. a management reserve row):
    # PV first reaches 150 in period 2.
    s = series_of(points([100, 150, 200], [100]), bac=D(150))
    assert (s.bac, s.planned_duration) == (D(150), 2)
    _, diagnostics = evm_series(points([100, 150], [100]), bac=D(500))
    assert [d.code for d in diagnostics] == ["E439"]


def test_json_has_no_inf_or_nan_and_rounds_money_and_indices() -> None:
    s = series_of(points([0, 100, 300], [0, 40, 200], [0, 50, 250]))
    text = json.dumps(s.to_json(), allow_nan=False)  # raises on inf / NaN
    data = json.loads(text)
    assert data["bac"] == 300.0 and data["planned_duration"] == 3
    first = data["periods"][0]
    assert first["spi"] is None and first["null_reasons"]["spi"].startswith("PV is 0")
    latest = data["latest"]
    assert latest == data["periods"][-1]
    # EAC = 300 x 250 / 200 = 375; CPI = 0.8; EAC(CPI x SPI) = 250 + 100 x 250 x 300 / 200^2
    # = 250 + 187.5 = 437.5; SPI(t) = ES / 3 with C = 2 (100 <= 200 < 300): ES = 2.5.
    assert (latest["eac_cpi"], latest["cpi"], latest["eac_cpi_spi"]) == (375.0, 0.8, 437.5)
    assert latest["spi_t"] == 0.8333
    assert all(
        not isinstance(v, float) or math.isfinite(v) for p in data["periods"] for v in p.values()
    )
    assert data["baseline"][1] == {"period": 2, "label": "2", "date": None, "pv": 100.0}


def test_money_rounds_half_up_in_json() -> None:
    s = series_of(points(["10.005", "20"], ["10.005"], ["1.125"]))
    p = s.to_json()["latest"]
    assert (p["pv"], p["ac"]) == (10.01, 1.13)


# Dated periods: a period is the spacing of the status dates.
WEEKS = [dt.date(2026, 1, 9) + dt.timedelta(weeks=i) for i in range(5)]


def test_dates_interpolate_es_and_forecast_finish() -> None:
    s = series_of(points([100, 250, 400, 500, 600], [80, 200], [90, 240], dates=WEEKS))
    # Period 0 (the baseline start) is a week before the first date: 2026-01-02.
    # PD = 5: the planned finish is the fifth status date.
    assert s.planned_finish == dt.date(2026, 2, 6)
    p1 = at(s, 1)
    # ES = 80/100 = 0.8 periods: 0.8 x 7 = 5.6, rounded to 6 days after 2026-01-02.
    assert p1.es == 0.8 and p1.es_date == dt.date(2026, 1, 8)
    # IEAC(t) = 5 / 0.8 = 6.25 periods: 1.25 weeks (8.75 -> 9 days) after 2026-02-06.
    assert p1.ieac_t == 6.25 and p1.forecast_finish == dt.date(2026, 2, 15)
    p2 = at(s, 2)
    # ES = 1 + 100/150 = 1.667: 2026-01-09 + 0.667 x 7 (4.67 -> 5) = 2026-01-14;
    # IEAC(t) = 5 / (1.667 / 2) = 6 periods: a week after the planned finish.
    assert p2.es_date == dt.date(2026, 1, 14)
    assert p2.ieac_t == pytest.approx(6.0)
    assert p2.forecast_finish == dt.date(2026, 2, 13)


def test_irregular_month_ends_and_period_days() -> None:
    months = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)]
    s = series_of(points([100, 200, 300], [150, 250], dates=months))
    # Period 1: EV 150, ES = 1 + 50/100 = 1.5, in February (28 days): 2026-01-31 + 14 days.
    assert at(s, 1).es == 1.5 and at(s, 1).es_date == dt.date(2026, 2, 14)
    # Period 2: EV 250, ES = 2.5, in March (31 days): 2026-02-28 + 15.5 -> 16 days.
    assert at(s, 2).es == 2.5 and at(s, 2).es_date == dt.date(2026, 3, 16)
    # Period 0 is the first spacing (28 days) before 2026-01-31, 2026-01-03: ES 0.5 at
    # period 1 (EV 50 of PV 100) is 14 days after it.
    assert series_of(points([100, 200, 300], [50], dates=months)).periods[0].es_date == dt.date(
        2026, 1, 17
    )
    # With period_days 31, period 0 is 2025-12-31 and ES 0.5 is 15.5 -> 16 days later.
    s2 = series_of(points([100, 200, 300], [50], dates=months), period_days=31)
    assert at(s2, 1).es_date == dt.date(2026, 1, 16)
    # IEAC(t) = PD / SPI(t) = 3 / 0.5 = 6 periods: 3 periods of 31 days (93 days) after
    # 2026-03-31 is 2026-07-02.
    assert at(s2, 1).forecast_finish == dt.date(2026, 7, 2)


def test_one_dated_point_without_period_days_has_no_dates() -> None:
    s = series_of(points([100], [50], dates=[dt.date(2026, 1, 9)]))
    assert s.planned_finish is None and at(s, 1).es_date is None
    s = series_of(points([100], [50], dates=[dt.date(2026, 1, 9)]), period_days=7)
    assert at(s, 1).es_date == dt.date(2026, 1, 6)  # 3.5 -> 4 days after 2026-01-02


# Bad input: the engine's own checks (the CSV reader's are in tests/interop).


def test_decreasing_cumulative_values_warn_and_still_compute() -> None:
    series, diagnostics = evm_series(points([100, 90, 300], [50, 40, 200], [60, 50, 210]))
    assert series is not None
    assert sorted((d.code, d.loc.line) for d in diagnostics) == [
        ("W430", 3),
        ("W431", 3),
        ("W432", 3),
    ]


def test_periods_out_of_order_duplicated_or_with_gaps() -> None:
    pts = points([100, 200, 300], [50])
    swapped = [pts[0], pts[2], pts[1]]
    _, diagnostics = evm_series(swapped)
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E437", 3)]
    dup = [pts[0], pts[1], pts[1]]
    _, diagnostics = evm_series(dup)
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E437", 3)]
    assert "duplicate" in diagnostics[0].message
    _, diagnostics = evm_series([pts[0], pts[2]])
    assert [d.code for d in diagnostics] == ["E438"]
    dated = points([100, 200], [50], dates=[WEEKS[1], WEEKS[0]])
    _, diagnostics = evm_series(dated)
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E437", 3)]


@pytest.mark.parametrize(
    ("pts", "period_days"),
    [
        ([], None),
        (points([0, 0], [0]), None),  # BAC 0
        (points([100, 200], []), None),  # no EV anywhere
        (points([100], [50]), 0),
    ],
)
def test_nothing_to_compute(pts: list[EvmPoint], period_days: int | None) -> None:
    series, diagnostics = evm_series(pts, period_days=period_days)
    assert series is None
    assert "E439" in [d.code for d in diagnostics]


def test_negative_or_non_finite_values_are_errors() -> None:
    bad = [
        EvmPoint(1, "1", None, D(100), D(-1), None),
        EvmPoint(2, "2", None, D("NaN"), None, None),
    ]
    series, diagnostics = evm_series(bad)
    assert series is None
    assert [d.code for d in diagnostics] == ["E435", "E435"]


def test_gaps_in_ev_and_ac_without_ev_warn() -> None:
    series, diagnostics = evm_series(points([100, 200, 300, 400], [50, None, 200], [60, 90]))
    assert series is not None
    assert [p.period for p in series.periods] == [1, 3]
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W434", 3)]
    series, diagnostics = evm_series(points([100, 200, 300], [50, None, 200]))
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W435", 3)]


def test_codes_are_in_the_evm_range() -> None:
    assert all(code[0] in "EW" and 430 <= int(code[1:]) <= 439 for code in CODES)
