"""Earned value and earned schedule, per status period, against a baseline.

A pure function of cumulative PV / EV / AC points (from a finance CSV, or from the tracking
store): :func:`evm_series` returns one frozen :class:`PeriodEvm` per measured period and the
diagnostics. Money stays ``Decimal`` end to end (sums of money must not drift); indices and time
measures are floats. A measure that cannot be computed (a division by zero, AC not reported yet)
is ``None`` and its reason is kept in :attr:`PeriodEvm.null_reasons`, so JSON never holds
inf or NaN. Definitions and references: docs/evm.md.

Earned schedule is measured on one of two clocks. Without more than the points, in periods: PV
is known only at period ends and AT is the period's number. With the baseline's daily PV curve
(:class:`DailyPv`, from :func:`daily_pv`), in working days: ES is read off the daily curve and AT
counts the working days to the status date, so neither depends on how often status is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from ontrack.diagnostics import UNKNOWN_LOC, Diagnostic, SourceLoc, error, warning
from ontrack.engines.calendar import WorkCalendar

CODES = ("E435", "E437", "E438", "E439", "W430", "W431", "W432", "W433", "W434", "W435")

# Independent of the caller's decimal context: the engine reads no global state.
_CONTEXT = Context(prec=34)
_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_ONE_DAY = dt.timedelta(days=1)

PERIODS = "periods"
WORKING_DAYS = "working days"


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
    only when written out); indices and time (in the series' ``time_unit``) as floats; None
    where undefined, with the reason in ``null_reasons`` (measure name, why)."""

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
    es: float  # earned schedule, in the series' time unit from the baseline start
    es_date: dt.date | None
    at: int  # actual time: the status date, in the same unit (the period's number, or days)
    sv_t: float  # ES - AT
    spi_t: float | None  # ES / AT
    ieac_t: float | None  # planned duration / SPI(t) (Lipke)
    forecast_finish: dt.date | None  # the date IEAC(t) after the baseline start
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
            "at": self.at,
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
    planned_duration: int  # the first period (or working day) whose cumulative PV reaches BAC
    time_unit: str  # of ES, AT, SV(t), IEAC(t) and the planned duration: PERIODS or WORKING_DAYS
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
            "time_unit": self.time_unit,
            "planned_finish": _iso(self.planned_finish),
            "latest": self.latest.to_json(),
            "periods": [p.to_json() for p in self.periods],
            "baseline": [b.to_json() for b in self.baseline],
        }


@dataclass(frozen=True, slots=True)
class PlannedWork:
    """One task of the baseline: its planned first and last day, its working days and its
    budget (money, or days of work when the plan has no rates)."""

    start: dt.date
    finish: dt.date
    days: int
    budget: Decimal


@dataclass(frozen=True, slots=True)
class DailyPv:
    """The baseline's cumulative PV at the end of each working day from its start.

    ``pv[0]`` is 0 (before the first day) and ``pv[k]`` the PV at the end of working day k;
    ``first`` is day 1 and the last day is the baseline's planned finish. ``calendar`` counts
    the working days to a status date (AT) and dates a count of working days past the curve.
    """

    first: dt.date
    pv: tuple[Decimal, ...]
    calendar: WorkCalendar

    def through(self, day: dt.date) -> int:
        """The working days from the first through ``day`` (0 before the first)."""
        return max(0, self.calendar.working_days_between(self.first, day + _ONE_DAY))

    def date_of(self, days: Decimal) -> dt.date:
        """The working day in which ``days`` working days from the start are reached: day k for
        any amount in (k - 1, k]; the first day for 0."""
        whole = int(days.to_integral_value(rounding=ROUND_CEILING))
        return self.calendar.add_working_days(self.first, max(1, whole) - 1)


def daily_pv(work: Sequence[PlannedWork], calendar: WorkCalendar) -> DailyPv | None:
    """The PV curve of ``work`` per working day of ``calendar`` (None for no work).

    Each task's budget is spread evenly over its working days: at the end of working day D,
    budget x min(1, working days from its start through D / its days), all of it from its
    finish on; a task of no days (a milestone) counts in full from its start. This is the PV
    of :func:`ontrack.engines.tracking.evm_points` at every working day instead of at period
    ends only.
    """
    if not work:
        return None
    with localcontext(_CONTEXT):
        first = calendar.next_working(min(w.start for w in work))
        last = calendar.next_working(max(max(w.finish, w.start) for w in work))
        length = calendar.working_days_between(first, last) + 1
        full = [_ZERO] * (length + 2)  # budgets counted in full from day k on (differences)
        partial = [_ZERO] * (length + 1)  # shares of tasks under way at the end of day k
        for w in work:
            # Day numbers (1-based) of the first working day on or after its start / finish.
            begin = calendar.working_days_between(first, w.start) + 1
            if w.days <= 0:
                full[begin] += w.budget
                continue
            end = max(begin, calendar.working_days_between(first, w.finish) + 1)
            for k in range(begin, min(end, begin + w.days)):  # then all of it: min(1, …)
                partial[k] += w.budget * (k - begin + 1) / w.days  # exact where it can be
            for k in range(begin + w.days, end):
                partial[k] += w.budget
            full[end] += w.budget
        pv = [_ZERO]
        running = _ZERO
        for k in range(1, length + 1):
            running += full[k]
            pv.append(running + partial[k])
    return DailyPv(first, tuple(pv), calendar)


def money_json(value: Decimal | None) -> float | None:
    """Money in JSON: a number rounded to cents (half up), or null."""
    return None if value is None else float(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def index_json(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def evm_series(
    points: Sequence[EvmPoint],
    *,
    bac: Decimal | None = None,
    period_days: int | None = None,
    daily: DailyPv | None = None,
) -> tuple[EvmSeries | None, list[Diagnostic]]:
    """Earned value and earned schedule for each point that has an EV.

    ``points`` are the whole baseline (every period with its cumulative PV, future ones with
    ``ev=None``), in period order 1..n. ``bac`` defaults to the largest cumulative PV.
    ``period_days`` is the length of a period in calendar days, used to place dates before the
    first and after the last point (default: the spacing of the first / last two dates).
    With ``daily``, the baseline's PV per working day, the points must be dated and earned
    schedule is in working days (``period_days`` is then unused).
    Returns None and the reasons when nothing can be computed.
    """
    with localcontext(_CONTEXT):
        problems = _check_points(points)
        if period_days is not None and period_days < 1:
            problems.append(
                error("E439", UNKNOWN_LOC, f"a period of {period_days} days", "give 1 or more")
            )
        undated = next((p for p in points if p.date is None), None)
        if daily is not None and undated is not None:
            problems.append(
                error(
                    "E439",
                    undated.loc,
                    f"period {undated.label} has no date: a daily PV curve needs status dates",
                    "give every period its status date",
                )
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
        curve = pv if daily is None else list(daily.pv)
        planned = next((k for k, value in enumerate(curve) if value >= budget), None)
        if planned is None:
            return None, [
                *diagnostics,
                error(
                    "E439",
                    points[-1].loc,
                    f"the cumulative PV never reaches BAC {budget} (its largest is {max(curve)})",
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
        clock: _Clock = _Days(daily) if daily else _Periods(_Timeline.build(points, period_days))
        periods = tuple(_measure(p, curve, budget, planned, clock) for p in measured)
        series = EvmSeries(
            bac=budget,
            planned_duration=planned,
            time_unit=clock.unit,
            planned_finish=clock.date_at(Decimal(planned)),
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


class _Periods:
    """Time in periods: AT is the period's number; dates (if any) from the status dates."""

    unit = PERIODS

    def __init__(self, timeline: _Timeline | None) -> None:
        self.timeline = timeline

    def at(self, point: EvmPoint) -> int:
        return point.period

    def date_at(self, time: Decimal) -> dt.date | None:
        return self.timeline.date_at(time) if self.timeline else None


class _Days:
    """Time in working days of the daily PV curve: AT counts them through the status date."""

    unit = WORKING_DAYS

    def __init__(self, daily: DailyPv) -> None:
        self.daily = daily

    def at(self, point: EvmPoint) -> int:
        assert point.date is not None  # evm_series refuses undated points with a daily curve
        return self.daily.through(point.date)

    def date_at(self, time: Decimal) -> dt.date:
        return self.daily.date_of(time)


_Clock = _Periods | _Days


def earned_schedule(
    ev: Decimal, pv: Sequence[Decimal], bac: Decimal, planned: int, at: int | None = None
) -> Decimal:
    """ES: C whole time units (periods or working days) whose PV is earned, plus the fraction
    of the next.

    ``pv`` is the cumulative PV with ``pv[0] == 0``. C is the last unit before the planned
    duration with PV(C) <= EV; ES = C + (EV - PV(C)) / (PV(C+1) - PV(C)). EV >= BAC gives the
    planned duration: more than everything cannot be earned ahead of time.

    When EV equals PV on a flat stretch of the curve (PV(a) = ... = PV(C) = EV) and the status
    time ``at`` falls inside it (a <= AT <= C), ES is AT: the work planned by any time of the
    stretch is done, and the status date is one of those times (on schedule). Outside it, ES is
    the stretch's end C, as the formula gives.
    """
    if ev >= bac:
        return Decimal(planned)
    whole = max(k for k in range(planned) if pv[k] <= ev)
    if at is not None and pv[whole] == ev and at <= whole:
        start = whole
        while start > 0 and pv[start - 1] == ev:
            start -= 1
        if start <= at:
            return Decimal(at)
    # PV(C+1) > EV >= PV(C): the division is by a positive number.
    return whole + (ev - pv[whole]) / (pv[whole + 1] - pv[whole])


def _measure(
    point: EvmPoint,
    pv_curve: Sequence[Decimal],
    bac: Decimal,
    planned: int,
    clock: _Clock,
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

    at = clock.at(point)
    es = earned_schedule(ev, pv_curve, bac, planned, at)
    actual = Decimal(at)
    spi_t = ieac_t = None
    if at > 0:
        spi_t = es / actual
    else:
        unknown("AT is 0: the status date is before the baseline starts", "spi_t", "ieac_t")
    if at > 0 and es > 0:
        ieac_t = planned * actual / es  # PD / SPI(t)
    elif at > 0:
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
        es_date=clock.date_at(es),
        at=at,
        sv_t=float(es - actual),
        spi_t=_float(spi_t),
        ieac_t=_float(ieac_t),
        forecast_finish=clock.date_at(ieac_t) if ieac_t is not None else None,
        null_reasons=tuple(why.items()),
    )


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
