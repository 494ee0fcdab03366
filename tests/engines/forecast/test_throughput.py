"""Throughput forecasts: exact answers where the arithmetic is known, and the guards."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence

import numpy as np
import pytest

from ontrack.diagnostics import SourceLoc
from ontrack.engines.forecast.throughput import (
    HALF_LIFE_DAYS,
    MAX_ITERATIONS,
    DailySeries,
    ForecastOptions,
    HowManyForecast,
    Question,
    WhenForecast,
    WorkItem,
    count_reached,
    daily_series,
    days_needed,
    export_as_of,
    forecast_export,
    forecast_how_many,
    forecast_when,
    xmr_limits,
)
from tests.conftest import codes

FIRST = dt.date(2026, 1, 5)  # a Monday
DAY = dt.timedelta(days=1)
PLAIN = ForecastOptions(method="plain")


def series_of(closed: Sequence[int], arrived: Sequence[int] | None = None) -> DailySeries:
    arrivals = closed if arrived is None else arrived
    return DailySeries(
        "h.csv",
        FIRST,
        np.array(closed, dtype=np.int64),
        np.array(arrivals, dtype=np.int64),
    )


def after(series: DailySeries) -> dt.date:
    return series.last + DAY


@pytest.mark.parametrize("options", [ForecastOptions(), PLAIN], ids=["paced", "plain"])
def test_constant_throughput_gives_the_arithmetic_answer(options: ForecastOptions) -> None:
    series = series_of([2] * 84)
    start = after(series)
    count, found = forecast_how_many(series, start + 27 * DAY, options=options)
    assert count is not None and not found
    assert (count.p50, count.p85, count.p95) == (56, 56, 56)
    assert count.window.pace_range == (1.0, 1.0)
    when, _ = forecast_when(series, 7, options=options)  # 2, 4, 6, 8: done on the 4th day
    assert when is not None
    assert (when.p50, when.p85, when.p95) == (start + 3 * DAY,) * 3
    when, _ = forecast_when(series, 56, options=options)
    assert when is not None and when.p95 == start + 27 * DAY


def test_a_known_distribution_is_reproduced() -> None:
    """Days alternate 0 and 2 items: a 28-day count is 2 x Binomial(28, q)."""
    series = series_of([0, 2] * 42)  # the last day closed 2
    until = after(series) + 27 * DAY

    def exact(q: float, confidence: float) -> int:
        tail = 0.0
        for k in range(28, -1, -1):  # largest k with P(B >= k) >= confidence
            tail += math.comb(28, k) * q**k * (1 - q) ** (28 - k)
            if tail >= confidence:
                return 2 * k
        return 0

    plain, _ = forecast_how_many(series, until, options=PLAIN)
    assert plain is not None
    assert abs(plain.p50 - exact(0.5, 0.5)) <= 2 and abs(plain.p85 - exact(0.5, 0.85)) <= 2
    # Paced: every 28-day stretch holds 28 items, so the pace is exactly 1, and the recency
    # weights (halving every HALF_LIFE_DAYS) favour the parity of the most recent day.
    weights = 2.0 ** (-np.arange(84) / HALF_LIFE_DAYS)
    q = float(weights[0::2].sum() / weights.sum())
    assert q > 0.51
    paced, _ = forecast_how_many(series, until)
    assert paced is not None and paced.window.pace_range == (1.0, 1.0)
    assert abs(paced.p50 - exact(q, 0.5)) <= 2 and abs(paced.p85 - exact(q, 0.85)) <= 2


def test_zero_days_lower_the_counts_and_delay_the_dates() -> None:
    busy = series_of([2] * 84)
    gaps = series_of([0 if d % 3 == 0 else 2 for d in range(84)])
    until = after(busy) + 27 * DAY
    full, _ = forecast_how_many(busy, until)
    thin, _ = forecast_how_many(gaps, until)
    assert full is not None and thin is not None
    assert thin.p50 < full.p50 and thin.p85 < full.p85 and thin.p95 < full.p95
    assert thin.window.zero_days == pytest.approx(1 / 3)
    slow, _ = forecast_when(gaps, 50)
    fast, _ = forecast_when(busy, 50)
    assert slow is not None and fast is not None
    assert slow.p50 is not None and fast.p50 is not None and slow.p50 > fast.p50


def noisy(days: int = 112, seed: int = 1) -> DailySeries:
    rng = np.random.default_rng(seed)
    return series_of(list(rng.poisson(1.5, days)), list(rng.poisson(1.8, days)))


def test_same_seed_same_numbers() -> None:
    series = noisy()
    until = after(series) + 41 * DAY
    first, _ = forecast_how_many(series, until, options=ForecastOptions(seed=5))
    again, _ = forecast_how_many(series, until, options=ForecastOptions(seed=5))
    assert first is not None and again is not None and first.to_json() == again.to_json()
    when = [forecast_when(series, 120, options=ForecastOptions(seed=s))[0] for s in (5, 5, 6, 7)]
    dates = [(w.p50, w.p85, w.p95) for w in when if w is not None]
    assert dates[0] == dates[1]
    assert len(set(dates[1:])) > 1  # other seeds, other draws


def test_percentiles_are_ordered_and_widen_with_the_pace() -> None:
    series = noisy()
    count, _ = forecast_how_many(series, after(series) + 27 * DAY)
    plain, _ = forecast_how_many(series, after(series) + 27 * DAY, options=PLAIN)
    assert count is not None and plain is not None
    assert count.p95 <= count.p85 <= count.p50
    lo, hi = count.window.pace_range
    assert lo < 1 < hi
    # The pace term widens the range of outcomes over the textbook bootstrap.
    assert count.p50 - count.p95 > plain.p50 - plain.p95
    when, _ = forecast_when(series, 60)
    assert when is not None and when.p50 and when.p85 and when.p95
    assert when.p50 <= when.p85 <= when.p95


def test_scope_growth_adds_what_arrives() -> None:
    series = series_of([2] * 84, [2] * 84)  # two items arrive and two close each day
    start = after(series)
    fixed, _ = forecast_when(series, 10)
    assert fixed is not None and fixed.p50 == start + 4 * DAY
    half, found = forecast_when(series, 10, options=ForecastOptions(growth=0.5))  # net 1 a day
    assert half is not None and not found
    assert (half.p50, half.p95) == (start + 9 * DAY, start + 9 * DAY)
    never, found = forecast_when(series, 10, options=ForecastOptions(growth=1.0, iterations=500))
    assert never is not None and never.p50 is None and never.unfinished == 1.0
    assert codes(found) == ["W422"]
    assert never.to_json()["p85"] is None


def test_growth_is_ignored_with_until() -> None:
    series = series_of([2] * 84)
    count, found = forecast_how_many(series, after(series), options=ForecastOptions(growth=0.3))
    assert count is not None and count.p50 == 2  # a one-day horizon
    assert codes(found) == ["W425"]


def test_start_inside_the_history_uses_only_the_days_before_it() -> None:
    series = series_of([1] * 84 + [5] * 84)
    start = FIRST + 84 * DAY
    count, _ = forecast_how_many(series, start + 6 * DAY, start)
    assert count is not None and (count.p50, count.p95) == (7, 7)
    assert count.window.end == start - DAY


def test_bad_requests() -> None:
    series = series_of([2] * 84)
    start = after(series)
    assert codes(forecast_when(series, 0)[1]) == ["E421"]
    assert codes(forecast_when(series, -3)[1]) == ["E421"]
    assert codes(forecast_how_many(series, start - DAY)[1]) == ["E422"]
    assert codes(forecast_how_many(series, start + 20 * 365 * DAY)[1]) == ["E422"]
    for iterations in (0, MAX_ITERATIONS + 1, 10**12):
        options = ForecastOptions(iterations=iterations)
        assert codes(forecast_when(series, 5, options=options)[1]) == ["E423"]
    assert codes(forecast_when(series, 5, options=ForecastOptions(window_days=5))[1]) == ["E424"]
    for growth in (-0.1, 1.5, math.nan):
        options = ForecastOptions(growth=growth)
        assert codes(forecast_when(series, 5, options=options)[1]) == ["E425"]
    assert codes(forecast_when(series, 5, FIRST)[1]) == ["E426"]


def test_too_little_history() -> None:
    assert codes(forecast_when(series_of([1] * 9 + [0] * 20), 5)[1]) == ["E420"]
    assert codes(forecast_when(series_of([3] * 10), 5)[1]) == ["E420"]  # under two weeks
    one_sprint, _ = forecast_when(series_of([1] * 14), 5)
    assert one_sprint is not None  # 14 days and 14 items are enough


def test_a_stale_history_is_flagged() -> None:
    series = series_of([2] * 84)
    count, found = forecast_how_many(series, after(series) + 90 * DAY, after(series) + 60 * DAY)
    assert count is not None and codes(found) == ["W423"]


def test_xmr_flags_the_unusual_weeks_and_days() -> None:
    closed = [1] * 84
    closed[42:49] = [5] * 7  # one busy week, days 42..48 of the window
    series = series_of(closed)
    count, found = forecast_how_many(series, after(series))
    assert count is not None
    assert codes(found) == ["W420", "W421"]
    assert f"{FIRST + 42 * DAY} (35)" in found[0].message  # that week, with its count
    assert str(FIRST + 42 * DAY) in found[1].message  # the Monday of the busy days
    steady, found = forecast_how_many(series_of([3] * 84), after(series))
    assert steady is not None and not found


def test_xmr_limits() -> None:
    limits = xmr_limits([5, 7, 5, 7])
    assert limits.centre == 6 and limits.upper == pytest.approx(6 + 2.66 * 2)
    assert limits.lower == pytest.approx(6 - 2.66 * 2)
    assert xmr_limits([1, 9, 1]).lower == 0  # floored


def test_late_closes_after_a_silence_end_the_history() -> None:
    items = [
        WorkItem(FIRST + d * DAY, FIRST + (d + 2) * DAY, SourceLoc("h.csv", d + 2))
        for d in range(100)
    ]
    late = WorkItem(FIRST + 50 * DAY, FIRST + 400 * DAY, SourceLoc("h.csv", 200))
    series, found = daily_series([*items, late], "h.csv")
    assert series is not None and series.last == FIRST + 101 * DAY
    assert [(d.code, d.loc.line) for d in found] == [("W424", 200)]
    # A two-week break followed by ordinary work is not a trickle.
    resumed = [WorkItem(FIRST + (d + 120) * DAY, FIRST + (d + 121) * DAY) for d in range(10)]
    series, found = daily_series([*items, *resumed], "h.csv")
    assert series is not None and series.last == FIRST + 130 * DAY and not found


def test_daily_series_counts_creations_and_closes() -> None:
    items = [
        WorkItem(FIRST, FIRST + 2 * DAY),
        WorkItem(FIRST, None),
        WorkItem(FIRST + DAY, FIRST + 2 * DAY),
    ]
    series, found = daily_series(items)
    assert series is not None and not found
    assert list(series.closed) == [0, 0, 2] and list(series.arrived) == [2, 1, 0]
    assert series.first_close == FIRST + 2 * DAY
    assert codes(daily_series([])[1]) == ["E420"]


def test_percentile_helpers() -> None:
    values = np.arange(1, 101)
    assert count_reached(values, 0.85) == 16  # 85 of the 100 runs reached 16 or more
    assert count_reached(values, 0.50) == 51
    assert days_needed(values.astype(float), 0.85) == 85  # 85 runs finished within 85 days
    assert days_needed(np.array([1.0, np.inf]), 0.95) == np.inf


def test_ten_thousand_runs_take_well_under_a_second() -> None:
    series = noisy(days=400)
    forecast_how_many(series, after(series) + 90 * DAY)  # warm up
    began = time.perf_counter()
    count, _ = forecast_how_many(series, after(series) + 90 * DAY)
    when, _ = forecast_when(series, 150)
    elapsed = time.perf_counter() - began
    assert count is not None and when is not None
    assert elapsed < 1.0, elapsed


# --- the export day, and forecast_export (the body of `ontrack forecast --history`) -----------


def items_closing(per_day: Sequence[int], first: dt.date = FIRST) -> list[WorkItem]:
    """``per_day[d]`` items closed on day d, each created two days earlier (or on day 0)."""
    return [
        WorkItem(first + max(0, d - 2) * DAY, first + d * DAY)
        for d, count in enumerate(per_day)
        for _ in range(count)
    ]


def how_many(forecast: object) -> HowManyForecast:
    assert isinstance(forecast, HowManyForecast)
    return forecast


def test_export_as_of_shows_what_the_tracker_showed_that_day() -> None:
    items = [
        WorkItem(FIRST, FIRST + DAY),
        WorkItem(FIRST, FIRST + 5 * DAY),  # closed after the export: open in it
        WorkItem(FIRST + 3 * DAY, None),
        WorkItem(FIRST + 4 * DAY, FIRST + 4 * DAY),  # created after the export: absent
    ]
    assert export_as_of(items, FIRST + 3 * DAY) == (
        WorkItem(FIRST, FIRST + DAY),
        WorkItem(FIRST, None),
        WorkItem(FIRST + 3 * DAY, None),
    )


def test_quiet_days_before_the_export_do_not_make_the_forecast_optimistic() -> None:
    """A team closing 3 a day for 80 days, then nothing (and nothing created) for the 5 days
    before the export. Forecast the next day from the export: the window ends on the export
    day, so the quiet days count, and the numbers are those of the full history cut there."""
    rng = np.random.default_rng(11)
    busy = list(rng.poisson(3.0, 80))
    cut = FIRST + 85 * DAY  # the forecast starts here; the export is of the day before
    resumed = [WorkItem(cut + d * DAY, cut + d * DAY) for d, n in enumerate(busy) for _ in range(n)]
    full = items_closing(busy) + resumed
    export = export_as_of(full, cut - DAY)
    assert max(i.closed or i.created for i in export) == cut - 6 * DAY  # 5 quiet days
    question = Question(until=cut + 27 * DAY, start=cut)
    forecast, _ = forecast_export(export, question)
    assert forecast is not None and forecast.as_of == cut - DAY
    assert forecast.as_of_from == "--start"
    result = how_many(forecast.result)
    assert result.window.end == cut - DAY and result.window.days == 84
    series, _ = daily_series(full)
    assert series is not None
    cut_of_full, _ = forecast_how_many(series, cut + 27 * DAY, cut)
    assert cut_of_full is not None
    assert result.to_json() == cut_of_full.to_json()  # the same forecast, number for number
    # The export day taken from the file's last date instead (the old behaviour) drops the
    # quiet days from the window and promises more.
    file_end, _ = forecast_how_many(daily_series(export)[0] or series, cut + 27 * DAY, cut)
    assert file_end is not None and file_end.window.end == cut - 6 * DAY
    assert file_end.p50 > result.p50 and file_end.p85 > result.p85


def test_the_export_day_defaults_and_can_be_given() -> None:
    items = items_closing([2] * 60)
    last = FIRST + 59 * DAY
    by_file, found = forecast_export(items, Question(items=10))
    assert by_file is not None and not found
    assert (by_file.as_of, by_file.as_of_from) == (last, "file")
    assert isinstance(by_file.result, WhenForecast) and by_file.result.start == last + DAY
    # --as-of later than the last date: the days between are quiet days of the window.
    given, found = forecast_export(items, Question(until=last + 30 * DAY, as_of=last + 3 * DAY))
    assert given is not None and given.as_of_from == "--as-of"
    assert codes(found) == ["W420", "W421"]  # the quiet days stand out, as they should
    window = how_many(given.result).window
    assert window.end == last + 3 * DAY and (window.days, window.closed) == (63, 120)
    assert given.to_json()["history"] == {
        "file": "<history>",
        "from": FIRST.isoformat(),
        "to": (last + 3 * DAY).isoformat(),
        "as_of": (last + 3 * DAY).isoformat(),
        "as_of_from": "--as-of",
    }
    # --as-of with a later --start: the export is older than the forecast.
    later, _ = forecast_export(
        items, Question(items=10, start=last + 10 * DAY, as_of=last), ForecastOptions()
    )
    assert later is not None and later.as_of == last and later.result.start == last + 10 * DAY


def test_a_long_silence_before_the_export_day_is_flagged() -> None:
    items = items_closing([2] * 60)
    quiet, found = forecast_export(items, Question(items=10, start=FIRST + 80 * DAY))
    assert quiet is not None and codes(found)[0] == "W427"
    assert "20 days" in found[0].message and "--as-of" in (found[0].hint or "")


def test_export_day_errors() -> None:
    items = items_closing([2] * 60)
    day = FIRST + 30 * DAY
    assert codes(forecast_export(items, Question(items=5, start=day, as_of=day))[1]) == ["E429"]
    assert codes(forecast_export(items, Question(items=5, as_of=FIRST - DAY))[1]) == ["E426"]
    assert codes(forecast_export(items, Question(items=5, start=FIRST))[1]) == ["E426"]
    assert codes(forecast_export(items, Question())[1]) == ["E421"]
    assert codes(forecast_export(items, Question(items=5, until=day))[1]) == ["E421"]
    assert codes(forecast_export(items, Question(items=0))[1]) == ["E421"]
    assert codes(forecast_export([], Question(items=5))[1]) == ["E420"]


def test_a_thin_window_is_widened_before_the_forecast_refuses() -> None:
    """30 items closed long ago, 3 in the last 84 days: the window doubles until it holds ten
    closed items, and says so (W426)."""
    per_day = [0] * 30 + [1] * 30 + [0] * 100 + [1, 0, 0, 0, 0, 0, 0] * 3 + [0] * 5
    items = [WorkItem(FIRST, None), *items_closing(per_day)]
    start = FIRST + len(per_day) * DAY
    forecast, found = forecast_export(items, Question(until=start + 27 * DAY, start=start))
    assert forecast is not None
    assert codes(found)[0] == "W426"
    window = how_many(forecast.result).window
    assert window.widened and window.requested_days == 84 and window.days == 168
    assert window.closed >= 10 and window.to_json()["requested_days"] == 84
    assert "3 item(s) closed in the 84 days" in found[0].message
    # Nine items in the whole history: nothing to widen to.
    thin = items_closing([1] * 9 + [0] * 100)
    assert codes(forecast_export(thin, Question(items=5))[1]) == ["E420"]


def test_uniform_weights_and_a_bad_half_life() -> None:
    series = series_of([2] * 84)
    uniform, _ = forecast_how_many(
        series, after(series) + 27 * DAY, options=ForecastOptions(half_life_days=None)
    )
    assert uniform is not None and uniform.p50 == 56
    bad = ForecastOptions(half_life_days=0)
    assert codes(forecast_how_many(series, after(series), options=bad)[1]) == ["E424"]
