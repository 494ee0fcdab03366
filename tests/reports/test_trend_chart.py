"""charts.trend_chart: a measure per period from zero, with only the reference lines that matter
for the values shown, and an accessible title."""

from __future__ import annotations

import datetime as dt
import re

from ontrack.reports.charts import GREY, Level, Series, percent, trend_chart

WEEKS = [dt.date(2026, 3, 2) + dt.timedelta(weeks=i) for i in range(4)]
LIMITS = [Level(0.23, "medium", GREY), Level(1.0, "high", GREY), Level(7.0, "elite", GREY)]


def marks(svg: str) -> list[str]:
    return re.findall(r'class="ch-mark"[^>]*>([^<]*)<', svg)


def test_the_lines_below_the_top_value_and_the_first_above_it() -> None:
    svg = trend_chart(
        [Series("all", list(zip(WEEKS, [0.5, None, 2.0, 1.5], strict=True)))],
        label="Deployment frequency per week",
        thresholds=LIMITS,
    )
    assert marks(svg) == ["medium", "high", "elite"]
    assert "<title>Deployment frequency per week</title>" in svg and 'role="img"' in svg
    # The gap in the second week breaks the line: two runs, each point dotted.
    assert svg.count("<path") == 2 and svg.count("<circle") == 3
    low = trend_chart(
        [Series("all", list(zip(WEEKS, [0.1, 0.1, 0.2, 0.1], strict=True)))],
        label="slow",
        thresholds=LIMITS,
    )
    assert marks(low) == ["medium"]  # 7 a week would flatten the trend


def test_nothing_measured_and_all_zero() -> None:
    empty = trend_chart([Series("all", [(d, None) for d in WEEKS])], label="Rework rate")
    assert "nothing measured in the window" in empty and "<title>Rework rate</title>" in empty
    zero = trend_chart([Series("all", [(d, 0.0) for d in WEEKS])], label="r", y_format=percent)
    ticks = re.findall(r'class="ch-tick"[^>]*text-anchor="end">([^<]*)<', zero)
    assert ticks[0] == "0%" and not any(t.startswith("-") for t in ticks)
