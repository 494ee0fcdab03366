"""Earned value and earned schedule: the published Vanhoucke example, hand-worked oracles
(ahead, behind and over budget, a flat PV plateau), the edges (EV = BAC, EV > BAC, nothing
planned or earned yet, AC missing or 0, the budget spent), dates, bad input, and earned
schedule in working days from a daily PV curve."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from decimal import Decimal

import pytest

from ontrack.diagnostics import SourceLoc
from ontrack.engines.calendar import WorkCalendar
from ontrack.engines.evm import (
    CODES,
    WORKING_DAYS,
    DailyPv,
    EvmPoint,
    EvmSeries,
    PeriodEvm,
    PlannedWork,
    daily_pv,
    earned_schedule,
    evm_series,
)
from ontrack.engines.tracking import evm_points
from ontrack.model import BaselineTask
from ontrack.model.records import Calendar
from ontrack.store.repo import ProgressFact
from tests.conftest import HEADER, load_doc

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
    # Period 3: EV 200 equals the plateau PV(2) = PV(3) = PV(4) = 200, and AT = 3 falls
    # inside it: ES = AT = 3 (the convention, docs/evm.md): what was planned by period 3 is
    # done, so SV(t) = 0 and SPI(t) = 1, as SPI = 200/200 = 1 says; IEAC(t) = 5 / 1 = 5.
    # (Lipke's formula alone would give the plateau's end, ES 4 and SPI(t) 4/3.)
    p3 = at(s, 3)
    assert (p3.es, p3.at, p3.sv_t, p3.spi, p3.spi_t) == (3.0, 3, 0.0, 1.0, 1.0)
    assert p3.ieac_t == 5.0
    # Period 4: EV 250, C = 4 (200 <= 250 < 300), ES = 4 + 50/100 = 4.5; SPI(t) = 4.5 / 4.
    assert at(s, 4).es == 4.5
    assert at(s, 4).spi_t == pytest.approx(1.125)


def test_flat_pv_plateau_with_status_before_or_after_it() -> None:
    # PV 100, 200, 200, 200, 300: the plateau at 200 spans periods 2-4.
    # Ahead: EV 200 already at period 1 (AT 1 < 2): the formula, C = 4 (the plateau's end),
    # ES = 4 + 0/100 = 4, SV(t) = +3, SPI(t) = 4.
    s = series_of(points([100, 200, 200, 200, 300], [200]))
    assert (at(s, 1).es, at(s, 1).sv_t, at(s, 1).spi_t) == (4.0, 3.0, 4.0)
    # Behind: EV still 200 at period 5 (AT 5 > 4): C = 4, ES = 4, SV(t) = -1, SPI(t) = 0.8.
    s = series_of(points([100, 200, 200, 200, 300], [100, 200, 200, 200, 200]))
    assert (at(s, 5).es, at(s, 5).sv_t, at(s, 5).spi_t) == (4.0, -1.0, 0.8)
    # Inside at both ends of the plateau: AT 2 gives ES 2, AT 4 gives ES 4 (SV(t) = 0).
    assert (at(s, 2).es, at(s, 4).es) == (2.0, 4.0)
    assert at(s, 2).sv_t == at(s, 4).sv_t == 0.0


def test_earned_schedule_directly() -> None:
    pv = [D(0), D(10), D(30), D(30), D(60)]
    assert earned_schedule(D(0), pv, D(60), 4) == 0
    assert earned_schedule(D(5), pv, D(60), 4) == D("0.5")
    assert earned_schedule(D(30), pv, D(60), 4) == 3  # the end of the plateau
    # With AT: inside the plateau (periods 2-3), ES = AT; before it or after it, its end.
    assert [earned_schedule(D(30), pv, D(60), 4, at) for at in (1, 2, 3, 4)] == [3, 2, 3, 3]
    assert earned_schedule(D(45), pv, D(60), 4, 2) == D("3.5")  # not on a plateau: AT unused
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


# Earned schedule in working days, from the baseline's daily PV curve.

WEEKDAYS = WorkCalendar.of(Calendar())  # Monday to Friday, no holidays
JAN = {d: dt.date(2024, 1, d) for d in range(1, 32)}  # JAN[d] is 2024-01-d, the 1st a Monday


def dated(
    daily: DailyPv, rows: Sequence[tuple[dt.date, str | int, str | int, str | int | None]]
) -> EvmSeries:
    """A series from (status date, PV, EV, AC) rows measured against ``daily``."""
    pts = [
        EvmPoint(
            i + 1,
            day.isoformat(),
            day,
            D(pv),
            D(ev),
            None if ac is None else D(ac),
            SourceLoc("t", i + 1, 1),
        )
        for i, (day, pv, ev, ac) in enumerate(rows)
    ]
    result, diagnostics = evm_series(pts, daily=daily)
    assert result is not None, diagnostics
    assert diagnostics == []
    return result


def test_daily_pv_spreads_each_budget_over_its_working_days() -> None:
    # A holiday on Tuesday 2024-01-02. Task a: 3 working days from 01-01 to 01-04 (Mon, Wed,
    # Thu), 300: 100 a day. The gate (a milestone, no days) costs 50 from its day, 01-04.
    # Task b: 2 days, Tue 01-09 and Wed 01-10, 200: nothing is planned on Fri 01-05 and
    # Mon 01-08. Working days: 1 = 01-01, 2 = 01-03, 3 = 01-04, 4 = 01-05, 5 = 01-08,
    # 6 = 01-09, 7 = 01-10.
    calendar = WorkCalendar.of(Calendar(holidays=(JAN[2],)))
    work = [
        PlannedWork(JAN[1], JAN[4], 3, D(300)),
        PlannedWork(JAN[4], JAN[4], 0, D(50)),
        PlannedWork(JAN[9], JAN[10], 2, D(200)),
    ]
    daily = daily_pv(work, calendar)
    assert daily is not None and daily.first == JAN[1]
    assert daily.pv == tuple(map(D, (0, 100, 200, 350, 350, 350, 450, 550)))
    # AT: working days from the first through a date (a Saturday counts as the Friday before).
    assert [daily.through(JAN[d]) for d in (1, 2, 3, 6, 8, 31)] == [1, 1, 2, 4, 5, 22]
    assert daily.through(dt.date(2023, 12, 29)) == 0
    # The working day in which an amount of working days is reached: (k - 1, k] is day k.
    assert [daily.date_of(D(x)) for x in ("0", "0.5", "1", "2.2", "7", "8")] == [
        JAN[1],
        JAN[1],
        JAN[1],
        JAN[4],
        JAN[10],
        JAN[11],
    ]
    assert daily_pv([], calendar) is None


def test_daily_pv_agrees_with_the_period_pv_of_tracking() -> None:
    # The daily curve is the period PV of evm_points, read at every working day.
    plan, diagnostics = load_doc(HEADER + "tasks:\n  - {id: a, title: A, estimate: 5d}\n")
    assert plan is not None, diagnostics
    day = dt.date.fromisoformat
    schedule = {
        "a": BaselineTask(day("2026-01-05"), day("2026-01-09"), 5, D(500)),
        "b": BaselineTask(day("2026-01-07"), day("2026-01-20"), 10, D(1000)),
        "c": BaselineTask(day("2026-01-21"), day("2026-01-21"), 0, D(30)),
    }
    facts = [ProgressFact("a", JAN[1].replace(year=2026, day=d)) for d in (6, 9, 13, 15)]
    points, _ = evm_points(plan, schedule, facts)
    work = [PlannedWork(t.start, t.finish, t.days, t.cost) for t in schedule.values()]
    daily = daily_pv(work, WEEKDAYS)
    assert daily is not None
    assert len(points) == 7  # 01-06, 01-09, 01-13, 01-15, then every 2 days to 01-21
    for point in points:
        assert point.date is not None
        assert daily.pv[daily.through(point.date)] == point.pv, point


def test_working_days_late_finish() -> None:
    # Plan: build, 10 working days from Mon 2024-01-01 to Fri 01-12, 1000: 100 a day, so
    # PV(k) = 100 k for working day k and the planned duration PD is 10 working days.
    daily = daily_pv([PlannedWork(JAN[1], JAN[12], 10, D(1000))], WEEKDAYS)
    assert daily is not None
    # Status 01-05: 30 % done (EV 300), PV 500 (5 of 10 days). Status 01-19: done, EV 1000.
    s = dated(daily, [(JAN[5], 500, 300, 300), (JAN[19], 1000, 1000, 1000)])
    assert (s.time_unit, s.planned_duration, s.planned_finish) == (WORKING_DAYS, 10, JAN[12])
    first, done = s.periods
    # 01-05: EV 300 = PV(3), so ES = 3 working days, dated the 3rd working day, 01-03 (not
    # before the program's start). AT = 5 (01-01..01-05). SV(t) = 3 - 5 = -2; SPI(t) = 3/5;
    # IEAC(t) = 10 / 0.6 = 16.67 working days, in working day 17: 2024-01-23.
    assert (first.es, first.es_date, first.at, first.sv_t) == (3.0, JAN[3], 5, -2.0)
    assert first.spi_t == pytest.approx(0.6)
    assert first.ieac_t == pytest.approx(50 / 3)
    assert first.forecast_finish == JAN[23]
    # 01-19: EV = BAC, so ES = PD = 10 working days (dated 01-12, the planned finish).
    # AT = 15 working days (01-01..01-19, three weeks). SV(t) = 10 - 15 = -5 working days;
    # SPI(t) = 10/15 = 0.67 (periods would say 2/2 = 1.00: late but "on schedule");
    # IEAC(t) = PD / SPI(t) = 15 working days: the actual finish, 01-19.
    assert (done.es, done.es_date, done.at, done.sv_t) == (10.0, JAN[12], 15, -5.0)
    assert done.spi_t == pytest.approx(2 / 3)
    assert done.ieac_t == pytest.approx(15.0)
    assert done.forecast_finish == JAN[19]
    assert done.spi == 1.0  # SPI cannot tell
    data = s.to_json()
    assert (data["time_unit"], data["planned_duration"]) == ("working days", 10)
    assert (data["latest"]["at"], data["latest"]["spi_t"]) == (15, 0.6667)


def test_working_days_do_not_depend_on_the_reporting_grid() -> None:
    # Plan: 20 working days from Mon 2024-01-01 to Fri 01-26, 2000: PV(k) = 100 k.
    daily = daily_pv([PlannedWork(JAN[1], JAN[26], 20, D(2000))], WEEKDAYS)
    assert daily is not None
    # Reported on 01-05 (25 %: EV 500) and 01-26 (75 %: EV 1500).
    sparse = dated(daily, [(JAN[5], 500, 500, None), (JAN[26], 2000, 1500, None)])
    # Reported weekly in between as well (40 % on 01-12, 55 % on 01-19).
    weekly = dated(
        daily,
        [
            (JAN[5], 500, 500, None),
            (JAN[12], 1000, 800, None),
            (JAN[19], 1500, 1100, None),
            (JAN[26], 2000, 1500, None),
        ],
    )
    # At 01-26 either way: EV 1500 = PV(15), ES = 15 working days; AT = 20 (four weeks);
    # SPI(t) = 15/20 = 0.75, SV(t) = -5. (In periods, the sparse grid gave ES = 1 + 1000/1500
    # of the 21-day period and AT = 2, SPI(t) 0.8333; the weekly grid 3/4 = 0.75.)
    for s in (sparse, weekly):
        assert (s.latest.es, s.latest.at, s.latest.sv_t) == (15.0, 20, -5.0)
        assert s.latest.spi_t == 0.75
    # The weekly points on their own: 01-12, EV 800, ES 8, AT 10; 01-19, EV 1100, ES 11, AT 15.
    assert [(p.es, p.at) for p in weekly.periods] == [(5, 5), (8, 10), (11, 15), (15, 20)]


def test_working_days_on_a_flat_stretch_of_pv() -> None:
    # PV per working day 0, 100, 200, 300, 300, 300, 400, 500: a 3-day task (Mon 01-01 to
    # Wed 01-03), nothing planned on days 4 and 5 (Thu 01-04, Fri 01-05), a 2-day task on
    # Mon 01-08 and Tue 01-09. EV 300 matches the flat stretch of days 3-5.
    daily = daily_pv(
        [PlannedWork(JAN[1], JAN[3], 3, D(300)), PlannedWork(JAN[8], JAN[9], 2, D(200))],
        WEEKDAYS,
    )
    assert daily is not None
    assert daily.pv == tuple(map(D, (0, 100, 200, 300, 300, 300, 400, 500)))
    s = dated(
        daily,
        [
            (JAN[2], 200, 300, None),  # AT 2, before the stretch: its end, ES 5 (+3 days)
            (JAN[4], 300, 300, None),  # AT 4, inside: ES = AT = 4, on schedule
            (JAN[5], 300, 300, None),  # AT 5, inside (its last day): ES 5
            (JAN[8], 400, 300, None),  # AT 6, after: its end, ES 5 (-1 day)
        ],
    )
    assert [(p.es, p.at, p.sv_t) for p in s.periods] == [
        (5.0, 2, 3.0),
        (4.0, 4, 0.0),
        (5.0, 5, 0.0),
        (5.0, 6, -1.0),
    ]
    assert s.periods[1].es_date == JAN[4] and s.periods[1].spi_t == 1.0


def test_working_days_before_the_baseline_starts_and_undated_periods() -> None:
    daily = daily_pv([PlannedWork(JAN[1], JAN[12], 10, D(1000))], WEEKDAYS)
    assert daily is not None
    # A status on Friday 2023-12-29, before the first working day: AT 0, ES 0; SPI(t) and
    # IEAC(t) are null with the reason, never a division by zero.
    s = dated(daily, [(dt.date(2023, 12, 29), 0, 0, None), (JAN[12], 1000, 0, None)])
    p = s.periods[0]
    assert (p.es, p.at, p.sv_t, p.spi_t, p.ieac_t) == (0.0, 0, 0.0, None, None)
    assert p.reason("spi_t") == "AT is 0: the status date is before the baseline starts"
    undated = points([500, 1000], [300])
    result, diagnostics = evm_series(undated, daily=daily)
    assert result is None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E439", 2)]


def test_vanhoucke_in_working_days_is_the_period_reading_times_five() -> None:
    # Weeks of 5 working days with each week's PV spread evenly over its days (one task per
    # week, Monday to Friday, budget = that week's PV increment): the daily curve is the
    # weekly one interpolated linearly, so ES in working days is 5 x ES in weeks, AT is
    # 5 x the week, and SPI(t) is the same. PD = 9 weeks = 45 working days.
    mondays = [dt.date(2024, 1, 1) + dt.timedelta(weeks=w) for w in range(11)]
    increments = [D(b) - D(a) for a, b in zip([0, *VANHOUCKE_PV], VANHOUCKE_PV, strict=False)]
    work = [
        PlannedWork(monday, monday + dt.timedelta(days=4), 5, increment)
        for monday, increment in zip(mondays, increments, strict=True)
    ]
    daily = daily_pv(work, WEEKDAYS)
    assert daily is not None
    fridays = [monday + dt.timedelta(days=4) for monday in mondays]
    rows = list(zip(fridays, VANHOUCKE_PV, VANHOUCKE_EV, [None] * 11, strict=True))
    days = dated(daily, rows)
    weeks = series_of(points(VANHOUCKE_PV, VANHOUCKE_EV))
    assert (days.planned_duration, days.planned_finish) == (45, fridays[8])
    for d, w in zip(days.periods, weeks.periods, strict=True):
        assert d.es == pytest.approx(5 * w.es)
        assert d.at == 5 * w.at
        assert d.spi_t == pytest.approx(w.spi_t)
    # Published: ES 0.67, 1.33, 2.00, 2.83, 4.50, 4.92 weeks for weeks 1-6.
    published = [0.67, 1.33, 2.00, 2.83, 4.50, 4.92]
    assert [round(p.es / 5, 2) for p in days.periods[:6]] == published
