"""Walk-forward backtests of throughput forecasts: would the forecasts have been right?

At each cut date the backtest does what a user forecasting that day does: it takes the export a
tracker would have given the evening before (the items created up to that day, those closed
later still open, nothing after it; :func:`export_as_of`) and asks
:func:`~ontrack.engines.forecast.throughput.forecast_export`, the very function behind
``ontrack forecast --history EXPORT --start CUT``, for its forecast. The answer is compared with
what happened next in the full history. Cut dates are weekly from the first day with a full
window of closed work (the first close plus the window) to the last day whose horizon lies inside
the observed history; a cut on which the forecast refuses (too little history even after widening
the window) is skipped and counted.

Two questions are scored:

* "how many items in the next ``horizon_days``": a hit at P85 when the actual count is at or
  above the P85 count (the count reached with 85 % confidence), likewise P50. A calibrated
  forecast hits P85 on about 85 % of cut dates and P50 on about half.
* "when will N items be done", N being the number closed in the ``horizon_days`` before the cut
  (known on the cut date; see ``when_items``): a hit when the N-th item after the cut actually
  closed on or before the P85 (P50) date. Cuts where N items had not been closed by the end of
  the history and the forecast date lies beyond it cannot be scored and are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.engines.forecast.throughput import (
    DEFAULT_WINDOW_DAYS,
    HALF_LIFE_DAYS,
    DailySeries,
    ForecastOptions,
    HowManyForecast,
    Method,
    Question,
    WhenForecast,
    WorkItem,
    check_options,
    daily_series,
    export_as_of,
    forecast_export,
)

CODES = ("E427", "E428")

WhenItems = Literal["recent", "actual"]
MAX_HORIZON_DAYS = 365
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class BacktestOptions:
    """``when_items``: "recent" scores "when will N be done" with N = items closed in the
    horizon before the cut (known then); "actual" with N = items actually closed in the horizon
    after it (hindsight: a fast month makes a large N exactly when it was reached early, which
    flatters the dates; kept to show that effect). ``half_life_days`` is the forecast's recency
    half-life (None: days weigh alike), exposed to measure variants."""

    horizon_days: int = 28
    step_days: int = 7
    window_days: int = DEFAULT_WINDOW_DAYS
    iterations: int = 2_000
    seed: int = 0
    method: Method = "paced"
    when_items: WhenItems = "recent"
    half_life_days: float | None = HALF_LIFE_DAYS


@dataclass(frozen=True, slots=True)
class Cut:
    """One cut date: the forecasts made with the history before it, and what happened."""

    date: dt.date
    window_closed: int
    window_days: int  # the window the forecast sampled (wider than asked when history was thin)
    count_p50: int
    count_p85: int
    count_p95: int
    actual_count: int
    when_items: int
    when_p50: dt.date | None
    when_p85: dt.date | None
    actual_date: dt.date | None  # the day the when_items-th item closed; None: not by the end

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "window_closed": self.window_closed,
            "window_days": self.window_days,
            "count": {
                "p50": self.count_p50,
                "p85": self.count_p85,
                "p95": self.count_p95,
                "actual": self.actual_count,
            },
            "when": {
                "items": self.when_items,
                "p50": _iso(self.when_p50),
                "p85": _iso(self.when_p85),
                "actual": _iso(self.actual_date),
            },
        }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


@dataclass(frozen=True, slots=True)
class HitRate:
    hits: int
    total: int

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "total": self.total,
            "rate": round(self.rate, 4) if self.total else None,
        }


@dataclass(frozen=True, slots=True)
class Backtest:
    """Calibration over all cut dates. ``count_p85`` is the share of cuts whose actual count was
    at or above the P85 forecast, ``when_p85`` the share whose actual date was on or before the
    P85 date; the targets are 85 % and 50 %."""

    source: str
    options: BacktestOptions
    history_first: dt.date
    history_last: dt.date
    cuts: tuple[Cut, ...]
    skipped: int  # cut dates on which the forecast refused (too little history)
    count_p85: HitRate
    count_p50: HitRate
    when_p85: HitRate
    when_p50: HitRate

    def to_json(self) -> dict[str, Any]:
        o = self.options
        return {
            "history": {
                "from": self.history_first.isoformat(),
                "to": self.history_last.isoformat(),
            },
            "method": o.method,
            "window_days": o.window_days,
            "horizon_days": o.horizon_days,
            "step_days": o.step_days,
            "iterations": o.iterations,
            "seed": o.seed,
            "when_items": o.when_items,
            "half_life_days": o.half_life_days,
            "widened": sum(c.window_days > o.window_days for c in self.cuts),
            "cut_dates": len(self.cuts),
            "skipped": self.skipped,
            "first_cut": _iso(self.cuts[0].date) if self.cuts else None,
            "last_cut": _iso(self.cuts[-1].date) if self.cuts else None,
            "how_many": {"p85": self.count_p85.to_json(), "p50": self.count_p50.to_json()},
            "when": {"p85": self.when_p85.to_json(), "p50": self.when_p50.to_json()},
            "cuts": [c.to_json() for c in self.cuts],
        }


def check_backtest_options(options: BacktestOptions) -> list[Diagnostic]:
    problems = check_options(cut_options(options, 0))
    if not 1 <= options.horizon_days <= MAX_HORIZON_DAYS:
        problems.append(
            error(
                "E428",
                SourceLoc("--horizon"),
                f"a horizon of {options.horizon_days} days is outside 1..{MAX_HORIZON_DAYS}",
            )
        )
    if not 1 <= options.step_days <= MAX_HORIZON_DAYS:
        problems.append(
            error(
                "E428",
                SourceLoc("--step"),
                f"a step of {options.step_days} days is outside 1..{MAX_HORIZON_DAYS}",
            )
        )
    return problems


def cut_options(options: BacktestOptions, index: int) -> ForecastOptions:
    """The forecast options of the ``index``-th cut date: those of ``ontrack forecast`` with
    the backtest's window, iterations and method, and a seed of the cut's own."""
    # Every cut gets its own stream, so adding a cut does not change the others' numbers.
    seed = int(np.random.SeedSequence([options.seed, index]).generate_state(1)[0])
    return ForecastOptions(
        window_days=options.window_days,
        iterations=options.iterations,
        seed=seed,
        method=options.method,
        half_life_days=options.half_life_days,
    )


def cut_dates(series: DailySeries, options: BacktestOptions) -> list[dt.date]:
    """Weekly (``step_days``) from the first close + the window, while the horizon is observed."""
    first_close = series.first_close
    if first_close is None:
        return []
    first = first_close + dt.timedelta(days=options.window_days)
    last = series.last - dt.timedelta(days=options.horizon_days - 1)
    count = (last - first).days // options.step_days + 1 if last >= first else 0
    return [first + dt.timedelta(days=i * options.step_days) for i in range(count)]


def backtest(
    items: Sequence[WorkItem],
    options: BacktestOptions = BacktestOptions(),
    source: str = "<history>",
) -> tuple[Backtest | None, list[Diagnostic]]:
    """Replay the history walk-forward and score the forecasts; errors as values.

    ``items`` are the history's rows as read (filters applied). Each cut's forecast is
    :func:`forecast_export` on the export of the day before the cut, started on the cut.
    """
    problems = check_backtest_options(options)
    if problems:
        return None, problems
    series, found = daily_series(items, source)
    if series is None:
        return None, found
    dates = cut_dates(series, options)
    if not dates:
        needed = options.window_days + options.horizon_days
        return None, [
            error(
                "E427",
                SourceLoc(series.source),
                f"the history is too short to backtest: it needs {needed} days after the first "
                f"closed item (a {options.window_days}-day window and a {options.horizon_days}"
                f"-day horizon), and has {series.days} days in all",
                "use a shorter --window or --horizon, or a longer history",
            )
        ]
    horizon = dt.timedelta(days=options.horizon_days)
    cumulative = np.cumsum(series.closed)
    cuts: list[Cut] = []
    skipped = 0
    for index, cut in enumerate(dates):
        at = series.index(cut)
        export = export_as_of(items, cut - _ONE_DAY)
        forecast_options = cut_options(options, index)
        count = _forecast(
            export, Question(until=cut + horizon - _ONE_DAY, start=cut), forecast_options, source
        )
        actual = int(series.closed[at : at + options.horizon_days].sum())
        if options.when_items == "recent":
            n = int(series.closed[max(0, at - options.horizon_days) : at].sum())
        else:
            n = actual
        n = max(1, n)
        when = _forecast(export, Question(items=n, start=cut), forecast_options, source)
        if not isinstance(count, HowManyForecast) or not isinstance(when, WhenForecast):
            skipped += 1  # the forecast refused: too little history even widened
            continue
        done_before = int(cumulative[at - 1]) if at else 0
        reached = int(np.searchsorted(cumulative, done_before + n))  # first day with n more
        actual_date = series.date(reached) if reached < series.days else None
        cuts.append(
            Cut(
                date=cut,
                window_closed=count.window.closed,
                window_days=count.window.days,
                count_p50=count.p50,
                count_p85=count.p85,
                count_p95=count.p95,
                actual_count=actual,
                when_items=n,
                when_p50=when.p50,
                when_p85=when.p85,
                actual_date=actual_date,
            )
        )
    return (
        Backtest(
            source=series.source,
            options=options,
            history_first=series.first,
            history_last=series.last,
            cuts=tuple(cuts),
            skipped=skipped,
            count_p85=HitRate(sum(c.actual_count >= c.count_p85 for c in cuts), len(cuts)),
            count_p50=HitRate(sum(c.actual_count >= c.count_p50 for c in cuts), len(cuts)),
            when_p85=_when_rate(cuts, series.last, "p85"),
            when_p50=_when_rate(cuts, series.last, "p50"),
        ),
        found,
    )


def _forecast(
    export: Sequence[WorkItem], question: Question, options: ForecastOptions, source: str
) -> WhenForecast | HowManyForecast | None:
    forecast, _ = forecast_export(export, question, options, source)
    return None if forecast is None else forecast.result


def _when_rate(cuts: list[Cut], last: dt.date, which: Literal["p50", "p85"]) -> HitRate:
    hits = total = 0
    for cut in cuts:
        forecast = cut.when_p85 if which == "p85" else cut.when_p50
        if cut.actual_date is not None:
            total += 1
            hits += forecast is not None and cut.actual_date <= forecast
        elif forecast is not None and forecast <= last:
            total += 1  # not done by the end of the history, so not by the forecast date
    return HitRate(hits, total)
