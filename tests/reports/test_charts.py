"""The SVG charts: well-formed, with axes, labels and legends, and plan text escaped."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from ontrack.reports import charts
from ontrack.reports.charts import Bar, BudgetBar, HeatRow, Level, Marker, Series

D = dt.date
NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """Each chart is one well-formed SVG element (a browser would show nothing otherwise)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg" and root.get("viewBox")
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert charts.nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert charts.nice_ticks(0.77, 0.97)[0] <= 0.77 and charts.nice_ticks(0.77, 0.97)[-1] >= 0.97
    assert charts.nice_ticks(5, 5) == charts.nice_ticks(5, 10)


def test_date_ticks_pick_weeks_or_months() -> None:
    weekly = charts.date_ticks(D(2026, 3, 1), D(2026, 4, 1), most=6)
    assert all(d.weekday() == 0 for d, _ in weekly) and weekly[0][1] == "2 Mar"
    monthly = charts.date_ticks(D(2026, 1, 15), D(2027, 2, 1), most=14)
    labels = [t for _, t in monthly]
    assert labels[:2] == ["Feb 2026", "Mar"] and "Jan 2027" in labels
    assert len(charts.date_ticks(D(2020, 1, 1), D(2030, 1, 1), most=8)) <= 8


def test_a_line_chart_has_axes_a_legend_markers_and_escaped_names() -> None:
    svg = charts.line_chart(
        [
            Series("EV <script>", [(D(2026, 1, 5), 10.0), (D(2026, 2, 2), 30.0)]),
            Series("AC", [(D(2026, 1, 5), 12.0), (D(2026, 1, 19), None), (D(2026, 2, 2), 35.0)]),
        ],
        label='Value & "cost"',
        y_title="USD",
        markers=[Marker(D(2026, 1, 20), "status 20 Jan")],
        levels=[Level(40.0, "budget")],
    )
    root = parse(svg)
    words = texts(root)
    assert "EV <script>" in words and "<script>" not in svg  # escaped, and parsed back
    assert {"AC", "USD", "status 20 Jan", "budget"} <= set(words)
    assert any(w.endswith("Jan") or w == "Feb 2026" for w in words)  # a date axis
    assert "0" in words and "40" in words  # a value axis from zero
    assert len(root.findall(f"{NS}path")) == 3  # EV, and AC broken into two runs by the None


def test_charts_without_data_say_so() -> None:
    for svg in (
        charts.line_chart([Series("x", [])], label="empty"),
        charts.bar_chart([], label="empty"),
        charts.load_heatmap([], [], label="empty"),
    ):
        assert parse(svg) is not None and ("no data" in svg or "nothing" in svg or "nobody" in svg)


def test_the_s_curve_marks_p50_p80_and_the_deadline() -> None:
    curve = [(D(2026, 6, 1) + dt.timedelta(days=i), i / 20) for i in range(21)]
    words = texts(
        parse(
            charts.s_curve(
                curve, label="s", p50=D(2026, 6, 11), p80=D(2026, 6, 17), deadline=D(2026, 6, 30)
            )
        )
    )
    assert {"P50 11 Jun", "P80 17 Jun", "deadline 30 Jun", "50%", "80%", "100%"} <= set(words)


def test_bars_diverge_from_zero() -> None:
    root = parse(
        charts.bar_chart(
            [Bar("risk <a>", 4.5, charts.RED), Bar("merge", -2.0)],
            label="drivers",
            value_format=lambda v: f"{v:+.1f}",
        )
    )
    assert {"risk <a>", "+4.5", "-2.0"} <= set(texts(root))
    assert len(root.findall(f".//{NS}rect")) == 2


def test_the_heat_map_marks_over_allocation_and_time_away() -> None:
    weeks = [D(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(3)]
    svg = charts.load_heatmap(
        [HeatRow("Ann & co", [(5, 5), (7, 5), (0, 0)], "80%")], weeks, label="load"
    )
    root = parse(svg)
    assert "Ann & co" in texts(root) and "!" in texts(root)
    titles = [t.text or "" for t in root.iter(f"{NS}title")]
    assert any("140% (7 of 5 days)" in t for t in titles) and any("away" in t for t in titles)
    assert charts.load_colour(1.4) == charts.RED and charts.load_colour(1.1) == charts.ORANGE


def test_the_risk_matrix_counts_each_cell() -> None:
    cells: list[list[list[str]]] = [[[] for _ in range(5)] for _ in range(5)]
    cells[4][0] = ["r1", "r2"]
    root = parse(charts.risk_matrix(cells, label="risks"))
    assert "2" in texts(root) and "impact →" in texts(root)


def test_the_budget_chart_draws_the_limit() -> None:
    root = parse(
        charts.budget_chart(
            [BudgetBar("actual", 100.0), BudgetBar("EAC P50–P80", 300.0, 250.0)],
            label="budget",
            limit=280.0,
            limit_label="budget",
        )
    )
    assert "budget 280" in texts(root)
