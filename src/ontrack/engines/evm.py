"""Earned value and earned schedule, per status period, against a baseline.

A pure function of cumulative PV / EV / AC points (from a CSV today, from the tracking store
later): :func:`evm_series` returns one frozen :class:`PeriodEvm` per measured period and the
diagnostics. Money stays ``Decimal`` end to end (sums of money must not drift); indices and time
measures are floats. A measure that cannot be computed (a division by zero, AC not reported yet)
is ``None`` and its reason is kept in :attr:`PeriodEvm.null_reasons`, so JSON never holds
inf or NaN. Definitions and references: docs/evm.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from ontrack.diagnostics import UNKNOWN_LOC, Diagnostic, SourceLoc, error, warning

CODES = ("E435", "E437", "E438", "E439", "W430", "W431", "W432", "W433", "W434", "W435")

# Independent of the caller's decimal context: the engine reads no global state.
_CONTEXT = Context(prec=34)
_ZERO = Decimal(0)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class EvmPoint:
    """Cumulative values at the end of one period (a status date).

    ``period`` counts from 1. ``ev`` is None for a baseline-only period (in the future, or not
    yet measured); ``ac`` is None where finance has not reported yet. ``date`` is the status
    date; dates are used only when every point has one.
    """

    period: int
    label: str
    date: dt.date | None
    pv: Decimal
    ev: Decimal | None
    ac: Decimal | None
    loc: SourceLoc = UNKNOWN_LOC


@dataclass(frozen=True, slots=True)
class BaselinePoint:
    """One step of the PV curve (the S-curve a chart draws)."""

    period: int
    label: str
    date: dt.date | None
    pv: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "label": self.label,
            "date": _iso(self.date),
            "pv": money_json(self.pv),
        }


@dataclass(frozen=True, slots=True)
class PeriodEvm:
    """Every measure at one measured period. Money in ``Decimal`` at full precision (rounded
    only when written out); indices and time (in periods) as floats; None where undefined,
    with the reason in ``null_reasons`` (measure name, why)."""

    period: int
    label: str
    date: dt.date | None
    pv: Decimal
    ev: Decimal
    ac: Decimal | None
    sv: Decimal  # EV - PV
    cv: Decimal | None  # EV - AC
    spi: float | None  # EV / PV
    cpi: float | None  # EV / AC
    eac_budget_rate: Decimal | None  # AC + (BAC - EV): the rest at the budgeted rate
    eac_cpi: Decimal | None  # BAC / CPI: the rest at today's cost efficiency (the EAC)
    eac_cpi_spi: Decimal | None  # AC + (BAC - EV) / (CPI x SPI): cost and schedule both
    etc: Decimal | None  # EAC - AC (with EAC = BAC / CPI)
    vac: Decimal | None  # BAC - EAC
    tcpi_bac: float | None  # (BAC - EV) / (BAC - AC)
    tcpi_eac: float | None  # (BAC - EV) / (EAC - AC)
    es: float  # earned schedule, in periods from the baseline start
    es_date: dt.date | None
    sv_t: float  # ES - AT, periods
    spi_t: float  # ES / AT
    ieac_t: float | None  # planned duration / SPI(t), periods (Lipke)
    forecast_finish: dt.date | None  # the date IEAC(t) periods after the baseline start
    null_reasons: tuple[tuple[str, str], ...] = ()

    def reason(self, measure: str) -> str | None:
        """Why ``measure`` is None (None when it has a value)."""
        return next((why for name, why in self.null_reasons if name == measure), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "label": self.label,
            "date": _iso(self.date),
            "pv": money_json(self.pv),
            "ev": money_json(self.ev),
            "ac": money_json(self.ac),
            "sv": money_json(self.sv),
            "cv": money_json(self.cv),
            "spi": index_json(self.spi),
            "cpi": index_json(self.cpi),
            "eac_budget_rate": money_json(self.eac_budget_rate),
            "eac_cpi": money_json(self.eac_cpi),
            "eac_cpi_spi": money_json(self.eac_cpi_spi),
            "etc": money_json(self.etc),
            "vac": money_json(self.vac),
            "tcpi_bac": index_json(self.tcpi_bac),
            "tcpi_eac": index_json(self.tcpi_eac),
            "es": index_json(self.es),
            "es_date": _iso(self.es_date),
            "sv_t": index_json(self.sv_t),
            "spi_t": index_json(self.spi_t),
            "ieac_t": index_json(self.ieac_t),
            "forecast_finish": _iso(self.forecast_finish),
            "null_reasons": dict(self.null_reasons),
        }


@dataclass(frozen=True, slots=True)
class EvmSeries:
    """The measures for every measured period, against one baseline."""

    bac: Decimal
    planned_duration: int  # the first period whose cumulative PV reaches BAC
    planned_finish: dt.date | None
    baseline: tuple[BaselinePoint, ...]
    periods: tuple[PeriodEvm, ...]  # measured periods only, in order; never empty

    @property
    def latest(self) -> PeriodEvm:
        """The summary: the last measured period."""
        return self.periods[-1]

    @property
    def dated(self) -> bool:
        return self.planned_finish is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "bac": money_json(self.bac),
            "planned_duration": self.planned_duration,
            "planned_finish": _iso(self.planned_finish),
            "latest": self.latest.to_json(),
            "periods": [p.to_json() for p in self.periods],
            "baseline": [b.to_json() for b in self.baseline],
        }


def money_json(value: Decimal | None) -> float | None:
    """Money in JSON: a number rounded to cents (half up), or null."""
    return None if value is None else float(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def index_json(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def evm_series(
    points: Sequence[EvmPoint], *, bac: Decimal | None = None, period_days: int | None = None
) -> tuple[EvmSeries | None, list[Diagnostic]]:
    """Earned value and earned schedule for each point that has an EV.

    ``points`` are the whole baseline (every period with its cumulative PV, future ones with
    ``ev=None``), in period order 1..n. ``bac`` defaults to the largest cumulative PV.
    ``period_days`` is the length of a period in calendar days, used to place dates before the
    first and after the last point (default: the spacing of the first / last two dates).
    Returns None and the reasons when nothing can be computed.
    """
    with localcontext(_CONTEXT):
        problems = _check_points(points)
        if period_days is not None and period_days < 1:
            problems.append(
                error("E439", UNKNOWN_LOC, f"a period of {period_days} days", "give 1 or more")
            )
        if problems:
            return None, problems
        diagnostics = _check_cumulative(points)
        pv = [_ZERO, *(p.pv for p in points)]  # PV(0) = 0: the baseline starts from nothing
        budget = max(pv) if bac is None else bac
        where = points[0].loc  # _check_points returned an error for no points
        if not budget.is_finite() or budget <= 0:
            return None, [
                *diagnostics,
                error(
                    "E439",
                    where,
                    f"BAC is {budget}: there is no baseline to measure against",
                    "give the cumulative PV of every period of the baseline",
                ),
            ]
        planned = next((k for k, value in enumerate(pv) if value >= budget), None)
        if planned is None:
            return None, [
                *diagnostics,
                error(
                    "E439",
                    points[-1].loc,
                    f"the cumulative PV never reaches BAC {budget} (its largest is {max(pv)})",
                    "list the baseline up to its last period, or give a smaller BAC",
                ),
            ]
        measured = [p for p in points if p.ev is not None]
        if not measured:
            return None, [
                *diagnostics,
                error(
                    "E439",
                    where,
                    "no period has an EV: nothing to measure",
                    "fill in the EV of the periods measured so far",
                ),
            ]
        diagnostics += _check_gaps(points, budget)
        timeline = _Timeline.build(points, period_days)
        periods = tuple(_measure(p, pv, budget, planned, timeline) for p in measured)
        series = EvmSeries(
            bac=budget,
            planned_duration=planned,
            planned_finish=timeline.date_at(Decimal(planned)) if timeline else None,
            baseline=tuple(BaselinePoint(p.period, p.label, p.date, p.pv) for p in points),
            periods=periods,
        )
        return series, diagnostics


def _check_points(points: Sequence[EvmPoint]) -> list[Diagnostic]:
    if not points:
        return [error("E439", UNKNOWN_LOC, "no periods given", "give at least one period")]
    problems: list[Diagnostic] = []
    seen: dict[object, EvmPoint] = {}  # by period number, and by date where dated
    latest = points[0]
    for point in points:
        keys = [point.period] if point.date is None else [point.period, point.date]
        twin = next((seen[k] for k in keys if k in seen), None)
        if twin is not None or _before(point, latest):
            other = latest if twin is None else twin
            what = "out of order after" if twin is None else "a duplicate of"
            problems.append(
                error(
                    "E437",
                    point.loc,
                    f"period {point.label} is {what} period {other.label}",
                    "list each period once, oldest first",
                    related=[other.loc],
                )
            )
        else:
            latest = point
        seen.update(dict.fromkeys(keys, point))
    for point in points:
        for name, value in (("PV", point.pv), ("EV", point.ev), ("AC", point.ac)):
            if value is not None and (not value.is_finite() or value < 0):
                problems.append(
                    error(
                        "E435",
                        point.loc,
                        f"{name} of period {point.label} is {value}",
                        "cumulative values are finite numbers, 0 or more",
                    )
                )
    if problems:
        return problems
    for expected, point in enumerate(points, start=1):
        if point.period != expected:
            return [
                error(
                    "E438",
                    point.loc,
                    f"period {point.period} where period {expected} was expected",
                    "number periods 1, 2, 3, … without gaps (or use status dates)",
                )
            ]
    return []


def _before(point: EvmPoint, other: EvmPoint) -> bool:
    if point.date is not None and other.date is not None and point.date < other.date:
        return True
    return point.period < other.period


def _check_cumulative(points: Sequence[EvmPoint]) -> list[Diagnostic]:
    """Cumulative values that go down are usually a typo or a re-baseline: say so, go on."""
    found: list[Diagnostic] = []
    for code, attr in (("W430", "pv"), ("W431", "ev"), ("W432", "ac")):
        name = attr.upper()
        last: tuple[Decimal, EvmPoint] | None = None
        for point in points:
            value: Decimal | None = getattr(point, attr)
            if value is None:
                continue
            if last is not None and value < last[0]:
                found.append(
                    warning(
                        code,
                        point.loc,
                        f"cumulative {name} goes down from {last[0]} (period {last[1].label}) "
                        f"to {value} (period {point.label})",
                        "values are cumulative (to date), not per period",
                        related=[last[1].loc],
                    )
                )
            last = (value, point)
    return found


def _check_gaps(points: Sequence[EvmPoint], bac: Decimal) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    last_measured = max(i for i, p in enumerate(points) if p.ev is not None)
    for i, point in enumerate(points):
        if point.ev is None:
            if point.ac is not None:
                found.append(
                    warning(
                        "W434",
                        point.loc,
                        f"period {point.label} has an AC but no EV: it is left out",
                        "give the EV of every period that has an AC",
                    )
                )
            elif i < last_measured:
                found.append(
                    warning(
                        "W435",
                        point.loc,
                        f"period {point.label} has no EV but later periods do: it is left out",
                        "fill in its EV (cumulative, so at least the previous period's)",
                    )
                )
        elif point.ev > bac:
            found.append(
                warning(
                    "W433",
                    point.loc,
                    f"EV {point.ev} exceeds BAC {bac} in period {point.label}: "
                    "earned schedule is capped at the planned duration",
                    "more was earned than budgeted: check the EV, or re-baseline",
                )
            )
    return found


class _Timeline:
    """Periods (fractional, from the baseline start) to calendar dates.

    Period k ends on its status date; period 0 (the baseline start) is one period length
    before the first. Within a period a fraction of it is that fraction of its days (rounded
    half up to whole days); past the last point, periods are the last spacing long.
    """

    __slots__ = ("after", "ends")

    def __init__(self, ends: list[dt.date], after: int) -> None:
        self.ends = ends
        self.after = after

    @classmethod
    def build(cls, points: Sequence[EvmPoint], period_days: int | None) -> _Timeline | None:
        dates = [p.date for p in points]
        if any(d is None for d in dates):
            return None
        ends = [d for d in dates if d is not None]
        if period_days is not None:
            before = after = period_days
        elif len(ends) >= 2:
            before = (ends[1] - ends[0]).days
            after = (ends[-1] - ends[-2]).days
        else:
            return None  # one date and no period length: nowhere to put period 0
        return cls([ends[0] - dt.timedelta(days=before), *ends], after)

    def date_at(self, periods: Decimal) -> dt.date:
        last = len(self.ends) - 1
        whole = min(int(periods), last)  # int() truncates: periods are never negative
        if whole == last:
            start, days = self.ends[last], self.after
        else:
            start, days = self.ends[whole], (self.ends[whole + 1] - self.ends[whole]).days
        offset = ((periods - whole) * days).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return start + dt.timedelta(days=int(offset))


def earned_schedule(ev: Decimal, pv: Sequence[Decimal], bac: Decimal, planned: int) -> Decimal:
    """ES in periods: C whole periods whose PV is earned, plus the fraction of the next.

    ``pv`` is the cumulative PV with ``pv[0] == 0``. C is the last period before the planned
    duration with PV(C) <= EV (on a flat stretch of PV, its end: that much was planned to be
    done by then); ES = C + (EV - PV(C)) / (PV(C+1) - PV(C)). EV >= BAC gives the planned
    duration: more than everything cannot be earned ahead of time.
    """
    if ev >= bac:
        return Decimal(planned)
    whole = max(k for k in range(planned) if pv[k] <= ev)
    # PV(C+1) > EV >= PV(C): the division is by a positive number.
    return whole + (ev - pv[whole]) / (pv[whole + 1] - pv[whole])


def _measure(
    point: EvmPoint,
    pv_curve: Sequence[Decimal],
    bac: Decimal,
    planned: int,
    timeline: _Timeline | None,
) -> PeriodEvm:
    assert point.ev is not None  # only measured points are passed
    pv, ev, ac = point.pv, point.ev, point.ac
    remaining = bac - ev
    why: dict[str, str] = {}

    def unknown(reason: str, *measures: str) -> None:
        for name in measures:
            why.setdefault(name, reason)

    # Ratios are taken from the raw values (BAC x AC / EV, not BAC / a rounded CPI), so money
    # stays exact where the arithmetic allows.
    spi = ev / pv if pv > 0 else None
    if spi is None:
        unknown("PV is 0: nothing was planned yet", "spi", "eac_cpi_spi")
    cost_measures = ("cv", "cpi", "eac_budget_rate", "eac_cpi", "eac_cpi_spi", "etc", "vac")
    cv = cpi = eac_budget_rate = eac_cpi = eac_cpi_spi = etc = vac = None
    tcpi_bac = tcpi_eac = None
    if ac is None:
        unknown("AC not reported", *cost_measures, "tcpi_bac", "tcpi_eac")
    else:
        cv = ev - ac
        eac_budget_rate = ac + remaining
        if ac == 0:
            unknown("AC is 0", "cpi", "eac_cpi", "eac_cpi_spi", "etc", "vac", "tcpi_eac")
        else:
            cpi = ev / ac
        if cpi is not None and ev == 0:
            reason = "CPI is 0: nothing earned yet"
            unknown(reason, "eac_cpi", "eac_cpi_spi", "etc", "vac", "tcpi_eac")
        elif cpi is not None:
            eac_cpi = bac * ac / ev
            etc, vac = eac_cpi - ac, bac - eac_cpi
            if spi is not None:  # CPI x SPI = EV^2 / (AC x PV)
                eac_cpi_spi = ac + remaining * ac * pv / (ev * ev)
        if bac - ac > 0:
            tcpi_bac = remaining / (bac - ac)
        else:
            unknown("BAC - AC is 0 or negative: the budget is spent", "tcpi_bac")
        if etc is not None and etc > 0:  # EAC - AC is the ETC
            tcpi_eac = remaining / etc
        elif etc is not None:
            unknown("EAC - AC is 0 or negative: no work remains", "tcpi_eac")

    es = earned_schedule(ev, pv_curve, bac, planned)
    actual = Decimal(point.period)
    spi_t = es / actual
    ieac_t = planned * actual / es if es > 0 else None  # PD / SPI(t)
    if ieac_t is None:
        unknown("ES is 0: no schedule earned yet", "ieac_t")

    return PeriodEvm(
        period=point.period,
        label=point.label,
        date=point.date,
        pv=pv,
        ev=ev,
        ac=ac,
        sv=ev - pv,
        cv=cv,
        spi=_float(spi),
        cpi=_float(cpi),
        eac_budget_rate=eac_budget_rate,
        eac_cpi=eac_cpi,
        eac_cpi_spi=eac_cpi_spi,
        etc=etc,
        vac=vac,
        tcpi_bac=_float(tcpi_bac),
        tcpi_eac=_float(tcpi_eac),
        es=float(es),
        es_date=timeline.date_at(es) if timeline else None,
        sv_t=float(es - actual),
        spi_t=float(spi_t),
        ieac_t=_float(ieac_t),
        forecast_finish=timeline.date_at(ieac_t) if timeline and ieac_t is not None else None,
        null_reasons=tuple(why.items()),
    )


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
