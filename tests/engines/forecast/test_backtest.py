"""Walk-forward backtests: cut dates, exports as of each cut, scoring, and the calibration on
real histories."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

import numpy as np
import pytest

from ontrack.engines.forecast.backtest import BacktestOptions, backtest, cut_dates, cut_options
from ontrack.engines.forecast.throughput import (
    DailySeries,
    Question,
    WorkItem,
    export_as_of,
    forecast_export,
)
from ontrack.interop.history import Filter, read_history
from tests.conftest import SHARED_DATA, codes, shared_or_skip

FIRST = dt.date(2026, 1, 5)
DAY = dt.timedelta(days=1)
FAST = BacktestOptions(iterations=300)
JIRA = SHARED_DATA / "history" / "jira-agile" / "jira.csv"


def series_of(closed: Sequence[int]) -> DailySeries:
    counts = np.array(closed, dtype=np.int64)
    return DailySeries("h.csv", FIRST, counts, counts)


def items_of(closed: Sequence[int]) -> list[WorkItem]:
    """``closed[d]`` items closed on day d, each created three days before (or on day 0)."""
    return [
        WorkItem(FIRST + max(0, day - 3) * DAY, FIRST + day * DAY)
        for day, count in enumerate(closed)
        for _ in range(count)
    ]


def test_cut_dates_are_weekly_after_a_full_window_and_before_the_horizon() -> None:
    series = series_of([0] * 10 + [1] * 190)  # first close on day 10, last day 199
    dates = cut_dates(series, BacktestOptions())
    assert dates[0] == FIRST + (10 + 84) * DAY
    assert all(b - a == 7 * DAY for a, b in itertools.pairwise(dates))
    assert dates[-1] + 27 * DAY <= series.last < dates[-1] + (27 + 7) * DAY


def test_a_steady_team_is_forecast_exactly() -> None:
    result, found = backtest(items_of([2] * 200), FAST)
    assert result is not None and not found
    assert len(result.cuts) == len(cut_dates(series_of([2] * 200), FAST)) == 13
    for cut in result.cuts:
        assert cut.count_p50 == cut.count_p85 == cut.actual_count == 56
        assert cut.when_items == 56 and cut.when_p85 == cut.actual_date == cut.date + 27 * DAY
    assert (result.count_p85.rate, result.count_p50.rate) == (1.0, 1.0)
    assert (result.when_p85.rate, result.when_p50.rate) == (1.0, 1.0)


def test_a_slowdown_shows_as_optimism() -> None:
    """Throughput drops from 4 to 1 a day: forecasts made on the old pace miss low."""
    result, _ = backtest(items_of([4] * 150 + [1] * 150), FAST)
    assert result is not None
    missed = [c for c in result.cuts if c.actual_count < c.count_p85]
    assert missed and all(
        FIRST + 122 * DAY <= c.date <= FIRST + 150 * DAY + 84 * DAY for c in missed
    )
    assert result.count_p85.rate < 0.85
    assert result.when_p85.rate < 0.85


def test_thin_windows_are_widened_as_the_forecast_does() -> None:
    """After 20 busy days the team closes nothing for 120: the forecast widens its window to
    reach the closed items (W426) rather than refusing, and the backtest scores those cuts."""
    closed = [1] * 20 + [0] * 120 + [1] * 120
    result, _ = backtest(items_of(closed), FAST)
    assert result is not None and result.skipped == 0
    widened = [c for c in result.cuts if c.window_days > 84]
    assert widened and all(c.window_closed >= 10 for c in result.cuts)
    assert result.to_json()["widened"] == len(widened)


def test_cuts_with_too_little_history_are_skipped() -> None:
    closed = [1] * 9 + [0] * 131 + [1] * 120  # nine items before day 140: nothing to widen to
    result, _ = backtest(items_of(closed), FAST)
    assert result is not None and result.skipped > 0
    assert all(c.window_closed >= 10 for c in result.cuts)


def test_each_cut_is_the_forecast_of_the_export_made_the_day_before() -> None:
    """The backtest's numbers are forecast_export's on an export: items created after the cut
    are absent, and those closed after it are open."""
    rng = np.random.default_rng(7)
    items = items_of(list(rng.poisson(1.3, 200)))
    result, _ = backtest(items, FAST)
    assert result is not None
    index = 5
    cut = result.cuts[index]
    export = export_as_of(items, cut.date - DAY)
    assert all(i.created < cut.date and (i.closed is None or i.closed < cut.date) for i in export)
    assert any(i.closed is None for i in export)  # closed later: open on the export day
    until = cut.date + 27 * DAY
    forecast, _ = forecast_export(
        export, Question(until=until, start=cut.date), cut_options(FAST, index)
    )
    assert forecast is not None and forecast.as_of == cut.date - DAY
    assert forecast.as_of_from == "--start"
    result_json = forecast.result.to_json()
    assert (result_json["p50"], result_json["p85"], result_json["p95"]) == (
        cut.count_p50,
        cut.count_p85,
        cut.count_p95,
    )


def test_same_seed_same_report() -> None:
    rng = np.random.default_rng(3)
    items = items_of(list(rng.poisson(1.2, 250)))
    first, _ = backtest(items, FAST)
    again, _ = backtest(items, FAST)
    assert first is not None and again is not None and first.to_json() == again.to_json()


def test_bad_options_and_short_histories() -> None:
    steady = items_of([2] * 200)
    assert codes(backtest(items_of([2] * 100))[1]) == ["E427"]  # needs 84 + 28 days
    assert codes(backtest(steady, BacktestOptions(horizon_days=0))[1]) == ["E428"]
    assert codes(backtest(steady, BacktestOptions(step_days=0))[1]) == ["E428"]
    assert codes(backtest(steady, BacktestOptions(iterations=0))[1]) == ["E423"]
    assert codes(backtest(steady, BacktestOptions(half_life_days=0))[1]) == ["E424"]
    assert codes(backtest([])[1]) == ["E420"]


def jira_project(project: str) -> list[WorkItem]:
    shared_or_skip(JIRA, "the shared history data")
    history, _ = read_history(JIRA, "created_date", "finished_date", [Filter("project", project)])
    assert history is not None
    return list(history.items)


@pytest.mark.parametrize("project", ["0", "1"])
def test_calibration_on_the_jira_projects(project: str) -> None:
    """The documented protocol (docs/forecasting-throughput.md): defaults, seed 0; every cut is
    the forecast `ontrack forecast --history EXPORT --start CUT` gives on that cut's export."""
    result, _ = backtest(jira_project(project))
    assert result is not None and result.skipped == 0
    assert len(result.cuts) == {"0": 237, "1": 144}[project]
    assert 0.80 <= result.count_p85.rate <= 0.90
    assert 0.45 <= result.count_p50.rate <= 0.55
    assert 0.80 <= result.when_p85.rate <= 0.90
    assert 0.45 <= result.when_p50.rate <= 0.55


def test_the_plain_bootstrap_is_overconfident_on_jira() -> None:
    """The finding the pace term fixes: resampling days alone misses P85 far too often."""
    result, _ = backtest(jira_project("0"), BacktestOptions(method="plain"))
    assert result is not None and result.count_p85.rate < 0.75
