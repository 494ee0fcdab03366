"""Throughput forecasts on the jira-agile history: timings and walk-forward calibration.

Run: ``.venv/bin/python bench/throughput.py [--repeat 5] [--seeds 1] [--data PATH]``.

Prints, per project of the shared jira-agile export (``--where project=0`` and ``=1``):

* the time of one 10,000-iteration forecast ("how many in the next 28 days" and "when will 100
  items be done", best of ``--repeat``), reading the CSV excluded;
* the time of the full backtest (the documented protocol: 84-day window, 28-day horizon, weekly
  cut dates, 2,000 iterations per forecast), reading included, as ``ontrack backtest`` runs it;
* the calibration: how often the actual 4-week count was at or above P85 / P50, and the actual
  date of the N-th item on or before the P85 / P50 dates, for the calibrated method and for the
  plain bootstrap (uniform days, no pace term), on ``--seeds`` seeds (0, 1, ...).

The targets: P85 hit on 80-90 % of cut dates, P50 on 45-55 %.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ontrack.engines.forecast.backtest import Backtest, BacktestOptions, backtest
from ontrack.engines.forecast.throughput import (
    DailySeries,
    WorkItem,
    daily_series,
    forecast_how_many,
    forecast_when,
)
from ontrack.interop.history import Filter, read_history

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "history"
JIRA = DATA / "jira-agile" / "jira.csv"


def items(path: Path, project: str) -> tuple[WorkItem, ...]:
    history, _ = read_history(path, "created_date", "finished_date", [Filter("project", project)])
    assert history is not None
    return history.items


def load(path: Path, project: str) -> DailySeries:
    series, _ = daily_series(items(path, project), str(path))
    assert series is not None
    return series


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def rates(result: Backtest) -> str:
    return (
        f"{result.count_p85.rate:.1%} | {result.count_p50.rate:.1%} | "
        f"{result.when_p85.rate:.1%} | {result.when_p50.rate:.1%}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="timing runs (the best is kept)")
    parser.add_argument("--seeds", type=int, default=1, help="backtest seeds 0..n-1")
    parser.add_argument("--data", type=Path, default=JIRA, help="the jira-agile jira.csv")
    args = parser.parse_args(argv)

    print("## Timings (seconds)\n")
    print("| project | how many, 10,000 runs | when 100 items, 10,000 runs | full backtest |")
    print("|---|---:|---:|---:|")
    for project in ("0", "1"):
        series = load(args.data, project)
        until = series.last + dt.timedelta(days=28)
        how_many = best_of(args.repeat, partial(forecast_how_many, series, until))
        when = best_of(args.repeat, partial(forecast_when, series, 100))
        began = time.perf_counter()
        backtest(items(args.data, project))
        full = time.perf_counter() - began
        print(f"| {project} | {how_many:.3f} | {when:.3f} | {full:.2f} |")

    print("\n## Calibration (share of cut dates)\n")
    print(
        "| project | method | seed | cut dates "
        "| count ≥ P85 | count ≥ P50 | date ≤ P85 | date ≤ P50 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for project in ("0", "1"):
        rows = items(args.data, project)
        for method in ("paced", "plain"):
            for seed in range(args.seeds):
                result, _ = backtest(rows, BacktestOptions(seed=seed, method=method))
                assert result is not None
                print(f"| {project} | {method} | {seed} | {len(result.cuts)} | {rates(result)} |")


if __name__ == "__main__":
    main()
