"""Charts as plain SVG strings: axes, ticks, labels and legends, no chart library and no CDN.

Every function returns one ``<svg>`` element that scales to its container (a viewBox with a
natural width as its ``max-width``), styled by the page's CSS classes (``ch-*``) so the charts
follow the report's fonts and print well. All text that came from a plan is escaped here.

The charts read only plain values (dates, floats, labels), never engine records: the data
layer decides what to show, this module how to draw it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

# Colours the charts share with the page (report.css names the same ones).
INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
BLUE = "#2f6fde"
GREEN = "#2f9461"
ORANGE = "#e0662f"
RED = "#c81e3a"
PURPLE = "#7c4dcc"
GREY = "#8a96a3"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CHAR = 0.58  # average glyph width in ems of the page's sans-serif, for laying out labels


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def _n(value: float) -> str:
    """Coordinates with at most one decimal: smaller files, no visible difference."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def text_width(text: str, size: float) -> float:
    return len(text) * size * _CHAR


# -- formats ------------------------------------------------------------------------------------


def compact(value: float) -> str:
    """1,234,567 -> 1.2M; 12,345 -> 12k; 0.95 stays 0.95 (axis labels)."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.1f}".rstrip("0").rstrip(".") + "M"
    if size >= 1e4:
        return f"{value / 1e3:.0f}k"
    if size >= 1e3:
        return f"{value / 1e3:.1f}".rstrip("0").rstrip(".") + "k"
    if size == 0 or size >= 10:
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def short_date(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"


# -- ticks --------------------------------------------------------------------------------------


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def date_ticks(start: dt.date, end: dt.date, most: int = 10) -> list[tuple[dt.date, str]]:
    """Tick dates and labels at the finest of these steps that gives at most ``most`` ticks:
    1 or 2 weeks (on Mondays), 1, 2, 3, 6, 12 or 24 months (on month starts). Month labels
    name the year on the first tick and on every January."""
    span = max(1, (end - start).days)
    for weeks in (1, 2):
        if span / (7 * weeks) <= most:
            day = start + dt.timedelta(days=(7 - start.weekday()) % 7)
            out: list[tuple[dt.date, str]] = []
            while day <= end:
                out.append((day, short_date(day)))
                day += dt.timedelta(weeks=weeks)
            return out
    months = span / 30.44
    step = next((s for s in (1, 2, 3, 6, 12, 24) if months / s <= most), 48)
    index = start.year * 12 + start.month - 1
    index += (-index) % step  # the first month start on or after ``start`` on the step
    if dt.date(index // 12, index % 12 + 1, 1) < start:
        index += step
    out = []
    while True:
        day = dt.date(index // 12, index % 12 + 1, 1)
        if day > end:
            break
        named = not out or day.month == 1
        label = _MONTHS[day.month - 1] + (f" {day.year}" if named else "")
        out.append((day, label))
        index += step
    return out


# -- building blocks ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart. ``points`` are (date, value); None values break the line."""

    name: str
    points: Sequence[tuple[dt.date, float | None]]
    colour: str = BLUE
    dashed: bool = False
    area: bool = False  # fill below the line (lightly)
    dots: bool = False  # mark each point (for sparse, measured series)
    width: float = 2.0


@dataclass(frozen=True, slots=True)
class Marker:
    """A vertical line at a date, labelled at the top."""

    at: dt.date
    label: str
    colour: str = MUTED
    dashed: bool = True


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal reference line at a value, labelled at the right end."""

    at: float
    label: str
    colour: str = MUTED
    dashed: bool = True


@dataclass(frozen=True, slots=True)
class Band:
    """A shaded horizontal band between two values (a tolerance zone)."""

    low: float
    high: float
    colour: str = "#fff4e0"


@dataclass(slots=True)
class _Frame:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    parts: list[str] = field(default_factory=list)

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def add(self, part: str) -> None:
        self.parts.append(part)

    def svg(self, label: str, css: str = "") -> str:
        cls = f"chart {css}".strip()
        return (
            f'<svg class="{cls}" viewBox="0 0 {_n(self.width)} {_n(self.height)}" '
            f'style="max-width:{_n(self.width)}px" role="img" aria-label="{esc(label)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{esc(label)}</title>'
            + "".join(self.parts)
            + "</svg>"
        )


def _legend(frame: _Frame, entries: Sequence[tuple[str, str, bool]], y: float = 12) -> None:
    """Swatches and names in a row above the plot, from its left edge."""
    x = frame.left
    for name, colour, dashed in entries:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        frame.add(
            f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 18)}" y2="{_n(y)}" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
            f'<text class="ch-legend" x="{_n(x + 23)}" y="{_n(y + 4)}">{esc(name)}</text>'
        )
        x += 23 + text_width(name, 11) + 18


def _empty(width: float, height: float, label: str, message: str) -> str:
    frame = _Frame(width, height, 0, 0, 0, 0)
    frame.add(
        f'<text class="ch-note" x="{_n(width / 2)}" y="{_n(height / 2)}" '
        f'text-anchor="middle">{esc(message)}</text>'
    )
    return frame.svg(label)


# -- line charts over time ----------------------------------------------------------------------


def line_chart(
    series: Sequence[Series],
    *,
    label: str,
    width: float = 620,
    height: float = 260,
    y_title: str = "",
    y_format: Callable[[float], str] = compact,
    y_min: float | None = None,
    y_max: float | None = None,
    markers: Sequence[Marker] = (),
    levels: Sequence[Level] = (),
    bands: Sequence[Band] = (),
    x_range: tuple[dt.date, dt.date] | None = None,
) -> str:
    """Lines over dates, with a date axis, a value axis, gridlines, a legend, vertical markers
    (status date, deadline, P50/P80) and horizontal reference levels."""
    values = [v for s in series for _, v in s.points if v is not None]
    dates = [d for s in series for d, v in s.points if v is not None]
    if not values:
        return _empty(width, height, label, "no data yet")
    low = min([*values, *(lv.at for lv in levels)]) if y_min is None else y_min
    high = max([*values, *(lv.at for lv in levels)]) if y_max is None else y_max
    if y_min is None and low > 0 and low < 0.5 * high:
        low = 0.0  # amounts read best from zero unless they sit in a narrow band
    if high - low < 1e-9 * max(1.0, abs(high)):  # a flat line: centre it in a modest range
        pad = max(1.0, abs(high) * 0.1)
        low, high = low - pad, high + pad
    ticks = nice_ticks(low, high)
    low, high = min(ticks[0], low), max(ticks[-1], high)
    start, end = x_range or (min(dates), max(dates))
    start = min([start, *(m.at for m in markers)]) if x_range is None else start
    end = max([end, *(m.at for m in markers)]) if x_range is None else end
    if end <= start:
        end = start + dt.timedelta(days=1)
    tick_text = [y_format(t) for t in ticks]
    left = 14 + max(text_width(t, 11) for t in tick_text) + (16 if y_title else 0)
    frame = _Frame(width, height, left, 58, 30, 26)
    span_days = (end - start).days

    def x(day: dt.date) -> float:
        return frame.left + frame.plot_w * (day - start).days / span_days

    def y(value: float) -> float:
        return frame.top + frame.plot_h * (1 - (value - low) / (high - low))

    for band in bands:
        top, bottom = y(min(high, band.high)), y(max(low, band.low))
        frame.add(
            f'<rect x="{_n(frame.left)}" y="{_n(top)}" width="{_n(frame.plot_w)}" '
            f'height="{_n(max(0.0, bottom - top))}" fill="{band.colour}"/>'
        )
    for value, text in zip(ticks, tick_text, strict=True):
        gy = y(value)
        frame.add(
            f'<line class="ch-grid" x1="{_n(frame.left)}" y1="{_n(gy)}" '
            f'x2="{_n(frame.left + frame.plot_w)}" y2="{_n(gy)}"/>'
            f'<text class="ch-tick" x="{_n(frame.left - 6)}" y="{_n(gy + 4)}" '
            f'text-anchor="end">{esc(text)}</text>'
        )
    for day, text in date_ticks(start, end, most=max(3, int(frame.plot_w // 70))):
        gx = x(day)
        frame.add(
            f'<line class="ch-axis" x1="{_n(gx)}" y1="{_n(frame.top + frame.plot_h)}" '
            f'x2="{_n(gx)}" y2="{_n(frame.top + frame.plot_h + 4)}"/>'
            f'<text class="ch-tick" x="{_n(gx)}" y="{_n(frame.top + frame.plot_h + 17)}" '
            f'text-anchor="middle">{esc(text)}</text>'
        )
    frame.add(
        f'<line class="ch-axis" x1="{_n(frame.left)}" y1="{_n(frame.top + frame.plot_h)}" '
        f'x2="{_n(frame.left + frame.plot_w)}" y2="{_n(frame.top + frame.plot_h)}"/>'
    )
    if y_title:
        cy = frame.top + frame.plot_h / 2
        frame.add(
            f'<text class="ch-title" transform="translate(11 {_n(cy)}) rotate(-90)" '
            f'text-anchor="middle">{esc(y_title)}</text>'
        )
    for level in levels:
        if not low <= level.at <= high:
            continue
        ly = y(level.at)
        dash = ' stroke-dasharray="4 3"' if level.dashed else ""
        frame.add(
            f'<line x1="{_n(frame.left)}" y1="{_n(ly)}" x2="{_n(frame.left + frame.plot_w)}" '
            f'y2="{_n(ly)}" stroke="{level.colour}" stroke-width="1.2"{dash}/>'
            f'<text class="ch-mark" x="{_n(frame.left + frame.plot_w + 4)}" y="{_n(ly + 4)}" '
            f'fill="{level.colour}">{esc(level.label)}</text>'
        )
    _markers(frame, markers, x, start, end)
    for s in series:
        _line(frame, s, x, y, frame.top + frame.plot_h)
    _legend(frame, [(s.name, s.colour, s.dashed) for s in series])
    return frame.svg(label)


def _markers(
    frame: _Frame,
    markers: Sequence[Marker],
    x: Callable[[dt.date], float],
    start: dt.date,
    end: dt.date,
) -> None:
    """Vertical markers; labels that would collide step down a line."""
    placed: list[tuple[float, float]] = []
    for marker in sorted(markers, key=lambda m: m.at):
        if not start <= marker.at <= end:
            continue
        mx = x(marker.at)
        dash = ' stroke-dasharray="4 3"' if marker.dashed else ""
        frame.add(
            f'<line x1="{_n(mx)}" y1="{_n(frame.top - 2)}" x2="{_n(mx)}" '
            f'y2="{_n(frame.top + frame.plot_h)}" stroke="{marker.colour}" '
            f'stroke-width="1.3"{dash}/>'
        )
        w = len(marker.label) * 10.5 * 0.64  # the labels are bold: wider than text_width
        anchor, tx = (
            ("end", mx - 3)
            if mx + w + 3 > frame.left + frame.plot_w + 50
            else (
                "start",
                mx + 3,
            )
        )
        span = (tx - w, tx) if anchor == "end" else (tx, tx + w)
        # Each earlier label this one would overlap pushes it down a line.
        row = min(3, sum(1 for a, b in placed if not (span[1] + 8 < a or span[0] - 8 > b)))
        placed.append(span)
        ty = frame.top + 10 + 12 * row
        frame.add(
            f'<text class="ch-mark" x="{_n(tx)}" y="{_n(ty)}" text-anchor="{anchor}" '
            f'fill="{marker.colour}">{esc(marker.label)}</text>'
        )


def _line(
    frame: _Frame,
    s: Series,
    x: Callable[[dt.date], float],
    y: Callable[[float], float],
    base: float,
) -> None:
    runs: list[list[tuple[float, float]]] = [[]]
    for day, value in s.points:
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x(day), y(value)))
    dash = ' stroke-dasharray="6 4"' if s.dashed else ""
    for run in runs:
        if not run:
            continue
        path = "M" + " L".join(f"{_n(px)} {_n(py)}" for px, py in run)
        if s.area and len(run) > 1:
            frame.add(
                f'<path d="{path} L{_n(run[-1][0])} {_n(base)} L{_n(run[0][0])} {_n(base)} Z" '
                f'fill="{s.colour}" fill-opacity="0.10" stroke="none"/>'
            )
        frame.add(
            f'<path d="{path}" fill="none" stroke="{s.colour}" stroke-width="{_n(s.width)}" '
            f'stroke-linejoin="round" stroke-linecap="round"{dash}/>'
        )
        if s.dots or len(run) == 1:
            frame.add(
                "".join(
                    f'<circle cx="{_n(px)}" cy="{_n(py)}" r="2.8" fill="#fff" '
                    f'stroke="{s.colour}" stroke-width="1.8"/>'
                    for px, py in run
                )
            )


# -- the S-curve --------------------------------------------------------------------------------


def s_curve(
    curve: Sequence[tuple[dt.date, float]],
    *,
    label: str,
    p50: dt.date,
    p80: dt.date,
    deadline: dt.date | None = None,
    planned: dt.date | None = None,
    width: float = 620,
    height: float = 280,
) -> str:
    """The chance of being done by each date, with P50, P80, the deadline and the
    deterministic (planned) date marked."""
    if not curve:
        return _empty(width, height, label, "no forecast")
    markers = [
        Marker(p50, f"P50 {short_date(p50)}", BLUE, dashed=False),
        Marker(p80, f"P80 {short_date(p80)}", PURPLE, dashed=False),
    ]
    if deadline is not None:
        markers.append(Marker(deadline, f"deadline {short_date(deadline)}", RED))
    if planned is not None and planned not in (p50, p80):
        markers.append(Marker(planned, f"plan {short_date(planned)}", GREY))
    first, last = curve[0][0], curve[-1][0]
    one = dt.timedelta(days=1)
    # Flat at 0 before the first simulated finish and at 100 % after the last, so the line
    # never suggests a chance where no outcome fell.
    points: list[tuple[dt.date, float | None]] = [(first - one, 0.0), *curve]
    if curve[-1][1] < 1.0:
        points.append((last + one, 1.0))
    # A little room either side, so the curve's feet show and the markers fit.
    pad = dt.timedelta(days=max(3, (last - first).days // 12))
    span = (
        min([first - pad, *(m.at for m in markers)]),
        max([last + pad, *(m.at for m in markers)]),
    )
    points = [(span[0], 0.0), *points, (span[1], 1.0)]
    return line_chart(
        [Series("chance of being done by the date", points, BLUE, area=True, width=2.4)],
        label=label,
        width=width,
        height=height,
        y_format=percent,
        y_min=0.0,
        y_max=1.0,
        markers=markers,
        levels=[Level(0.5, "50%", GREY), Level(0.8, "80%", GREY)],
        x_range=span,
    )


# -- trends per period --------------------------------------------------------------------------


def trend_chart(
    series: Sequence[Series],
    *,
    label: str,
    thresholds: Sequence[Level] = (),
    y_title: str = "",
    y_format: Callable[[float], str] = compact,
    x_range: tuple[dt.date, dt.date] | None = None,
    width: float = 620,
    height: float = 230,
) -> str:
    """A measure per period (week or month) over time, from zero, each period a dot (a period
    with nothing measured breaks the line), with the reference ``thresholds`` that matter for
    the values shown: those up to the highest value and the first one above it (how far the
    next line is), so a far limit never flattens the trend."""
    values = [v for s in series for _, v in s.points if v is not None]
    if not values:
        return _empty(width, height, label, "nothing measured in the window")
    top = max(values)
    above = sorted((t for t in thresholds if t.at > top), key=lambda t: t.at)[:1]
    levels = [t for t in thresholds if t.at <= top] + above
    return line_chart(
        [
            Series(s.name, s.points, s.colour, s.dashed, s.area, dots=True, width=s.width)
            for s in series
        ],
        label=label,
        width=width,
        height=height,
        y_title=y_title,
        y_format=y_format,
        y_min=0.0,
        y_max=1.0 if top <= 0 and not levels else None,  # all zero: an axis from 0, not -1
        levels=levels,
        x_range=x_range,
    )


# -- horizontal bars ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    colour: str = BLUE
    note: str = ""  # shown after the value (e.g. "risk", "task")


def bar_chart(
    bars: Sequence[Bar],
    *,
    label: str,
    width: float = 560,
    value_format: Callable[[float], str] = compact,
    unit: str = "",
) -> str:
    """Horizontal bars, diverging from zero when some values are negative."""
    if not bars:
        return _empty(width, 60, label, "nothing to show")
    row = 26
    label_w = min(width * 0.5, max(text_width(b.label, 11.5) for b in bars) + 12)
    texts = [value_format(b.value) + unit for b in bars]
    value_w = max(text_width(t, 11) for t in texts) + 10
    frame = _Frame(width, 14 + row * len(bars) + 6, label_w, value_w + 6, 10, 10)
    low = min(0.0, *(b.value for b in bars))
    high = max(0.0, *(b.value for b in bars))
    if high == low:
        high = low + 1

    def x(value: float) -> float:
        return frame.left + frame.plot_w * (value - low) / (high - low)

    zero = x(0.0)
    for i, (bar, text) in enumerate(zip(bars, texts, strict=True)):
        top = frame.top + i * row
        a, b = sorted((zero, x(bar.value)))
        short = (
            bar.label
            if len(bar.label) * 11.5 * _CHAR <= label_w - 12
            else (bar.label[: max(4, int((label_w - 12) / (11.5 * _CHAR)) - 1)] + "…")
        )
        frame.add(
            f"<g><title>{esc(bar.label)}: {esc(text)}</title>"
            f'<text class="ch-label" x="{_n(label_w - 8)}" y="{_n(top + row / 2 + 4)}" '
            f'text-anchor="end">{esc(short)}</text>'
            f'<rect x="{_n(a)}" y="{_n(top + 5)}" width="{_n(max(1.0, b - a))}" '
            f'height="{_n(row - 10)}" rx="2" fill="{bar.colour}"/>'
            # A negative bar's value sits right of zero: left of it is the label column.
            f'<text class="ch-value" x="{_n(b + 5)}" y="{_n(top + row / 2 + 4)}">'
            f"{esc(text)}</text></g>"
        )
    frame.add(
        f'<line class="ch-axis" x1="{_n(zero)}" y1="{_n(frame.top)}" x2="{_n(zero)}" '
        f'y2="{_n(frame.top + row * len(bars))}"/>'
    )
    return frame.svg(label)


# -- heat maps ----------------------------------------------------------------------------------


def load_colour(load: float) -> str:
    """Blue for spare time, deepening to full; orange to red past 100 %."""
    if load <= 0:
        return "#f4f6f8"
    if load <= 1.0 + 1e-9:
        # 0..1 -> light to strong blue
        t = load
        r, g, b = (
            int(226 + (47 - 226) * t),
            int(235 + (111 - 235) * t),
            int(250 + (222 - 250) * t),
        )
        return f"#{r:02x}{g:02x}{b:02x}"
    return ORANGE if load <= 1.25 else RED


@dataclass(frozen=True, slots=True)
class HeatRow:
    label: str
    cells: Sequence[tuple[int, int]]  # (busy days, available days) per column
    note: str = ""  # shown at the right (e.g. the person's average load)


def load_heatmap(
    rows: Sequence[HeatRow],
    columns: Sequence[dt.date],
    *,
    label: str,
    width: float = 1180,
) -> str:
    """People by weeks: each cell's colour is busy days / available days; over 100 % is
    orange, over 125 % red with a mark; weeks a person is away are hatched."""
    if not rows or not columns:
        return _empty(width, 60, label, "nobody is assigned")
    label_w = min(200.0, max(text_width(r.label, 11.5) for r in rows) + 14)
    note_w = 44.0
    cell_h = 18
    frame = _Frame(width, 0, label_w, note_w, 34, 54)
    cell_w = frame.plot_w / len(columns)
    frame.height = frame.top + cell_h * len(rows) + frame.bottom
    frame.add(
        '<defs><pattern id="ch-away" width="5" height="5" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="5" height="5" fill="#f4f6f8"/>'
        '<line x1="0" y1="0" x2="0" y2="5" stroke="#cbd2d9" stroke-width="2"/></pattern></defs>'
    )
    ticks = date_ticks(columns[0], columns[-1], most=max(3, int(frame.plot_w // 60)))
    first = columns[0]
    for day, text in ticks:
        col = (day - first).days / 7
        tx = frame.left + cell_w * col
        frame.add(
            f'<line class="ch-axis" x1="{_n(tx)}" y1="{_n(frame.top - 6)}" x2="{_n(tx)}" '
            f'y2="{_n(frame.top - 1)}"/><text class="ch-tick" x="{_n(tx + 2)}" '
            f'y="{_n(frame.top - 10)}">{esc(text)}</text>'
        )
    cells: list[str] = []
    for i, row in enumerate(rows):
        top = frame.top + i * cell_h
        frame.add(
            f'<text class="ch-label" x="{_n(label_w - 8)}" y="{_n(top + cell_h / 2 + 4)}" '
            f'text-anchor="end">{esc(row.label)}</text>'
        )
        for j, (busy, available) in enumerate(row.cells):
            cx = frame.left + j * cell_w
            week = columns[j]
            if available == 0 and busy == 0:
                fill, title = "url(#ch-away)", "away"
            else:
                load = busy / available if available else float("inf")
                fill = load_colour(load)
                title = (
                    f"{percent(load)} ({busy} of {available} days)"
                    if available
                    else f"{busy} days while away"
                )
            cells.append(
                f'<rect x="{_n(cx + 0.5)}" y="{_n(top + 1)}" width="{_n(max(0.5, cell_w - 1))}" '
                f'height="{cell_h - 2}" fill="{fill}"><title>{esc(row.label)}, week of '
                f"{week.isoformat()}: {esc(title)}</title></rect>"
            )
            over = busy > available if available else busy > 0
            if over and cell_w >= 7:  # narrower cells are marked by their colour alone
                cells.append(
                    f'<text class="ch-over" x="{_n(cx + cell_w / 2)}" '
                    f'y="{_n(top + cell_h / 2 + 4)}" text-anchor="middle">!</text>'
                )
        if row.note:
            frame.add(
                f'<text class="ch-value" x="{_n(width - 4)}" y="{_n(top + cell_h / 2 + 4)}" '
                f'text-anchor="end">{esc(row.note)}</text>'
            )
    frame.parts.extend(cells)
    _heat_legend(frame, frame.top + cell_h * len(rows) + 22)
    return frame.svg(label, "heat")


def _heat_legend(frame: _Frame, y: float) -> None:
    x = frame.left
    frame.add(f'<text class="ch-legend" x="{_n(x)}" y="{_n(y + 10)}">load</text>')
    x += 36
    for load, text in ((0.0, "0"), (0.25, ""), (0.5, "50%"), (0.75, ""), (1.0, "100%")):
        frame.add(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="26" height="13" fill="{load_colour(load)}" '
            f'stroke="#d9dee3" stroke-width="0.5"/>'
        )
        if text:
            frame.add(
                f'<text class="ch-tick" x="{_n(x + 13)}" y="{_n(y + 26)}" '
                f'text-anchor="middle">{text}</text>'
            )
        x += 27
    x += 14
    for colour, text in ((ORANGE, "over 100%"), (RED, "over 125%")):
        frame.add(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="13" height="13" fill="{colour}"/>'
            f'<text class="ch-legend" x="{_n(x + 18)}" y="{_n(y + 11)}">{text}</text>'
        )
        x += 18 + text_width(text, 11) + 16
    frame.add(
        f'<rect x="{_n(x)}" y="{_n(y)}" width="13" height="13" fill="url(#ch-away)"/>'
        f'<text class="ch-legend" x="{_n(x + 18)}" y="{_n(y + 11)}">away all week</text>'
    )


def risk_matrix(
    cells: Sequence[Sequence[Sequence[str]]],
    *,
    label: str,
    width: float = 420,
) -> str:
    """A 5×5 probability × impact matrix: ``cells[p][i]`` holds the risk ids scored
    probability ``p + 1`` and impact ``i + 1``; each cell shows how many, its colour the
    score band (p × i: 1–4 low, 5–9 medium, 10–16 high, 20–25 severe)."""
    size = 56
    frame = _Frame(width, 0, 74, 10, 12, 48)
    size = min(size, int(frame.plot_w / 5))
    frame.height = frame.top + size * 5 + frame.bottom
    names = ("very low", "low", "medium", "high", "very high")
    for p in range(5):
        top = frame.top + (4 - p) * size
        frame.add(
            f'<text class="ch-tick" x="{_n(frame.left - 8)}" y="{_n(top + size / 2 + 4)}" '
            f'text-anchor="end">{names[p]}</text>'
        )
        for i in range(5):
            ids = cells[p][i]
            score = (p + 1) * (i + 1)
            fill = (
                "#e3f6ec"
                if score <= 4
                else "#fff4d6"
                if score <= 9
                else "#fde0c8"
                if score <= 16
                else "#f9c9cc"
            )
            cx = frame.left + i * size
            title = ", ".join(ids) if ids else "none"
            frame.add(
                f"<g><title>probability {p + 1}, impact {i + 1}: {esc(title)}</title>"
                f'<rect x="{_n(cx + 1)}" y="{_n(top + 1)}" width="{size - 2}" '
                f'height="{size - 2}" rx="3" fill="{fill}"/>'
            )
            if ids:
                frame.add(
                    f'<circle cx="{_n(cx + size / 2)}" cy="{_n(top + size / 2)}" r="13" '
                    f'fill="{INK}"/><text class="ch-count" x="{_n(cx + size / 2)}" '
                    f'y="{_n(top + size / 2 + 4.5)}" text-anchor="middle">{len(ids)}</text>'
                )
            frame.add("</g>")
    bottom = frame.top + 5 * size
    for i in range(5):
        frame.add(
            f'<text class="ch-tick" x="{_n(frame.left + i * size + size / 2)}" '
            f'y="{_n(bottom + 15)}" text-anchor="middle">{names[i]}</text>'
        )
    frame.add(
        f'<text class="ch-title" x="{_n(frame.left + 2.5 * size)}" y="{_n(bottom + 36)}" '
        f'text-anchor="middle">impact →</text>'
        f'<text class="ch-title" transform="translate(12 {_n(frame.top + 2.5 * size)}) '
        f'rotate(-90)" text-anchor="middle">probability →</text>'
    )
    return frame.svg(label)


# -- the budget position ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BudgetBar:
    """One row of the budget chart: a bar (or a range) and its value text."""

    label: str
    value: float
    low: float | None = None  # a range from low to value (the simulated EAC P50..P80)
    colour: str = BLUE


def budget_chart(
    rows: Sequence[BudgetBar],
    *,
    label: str,
    limit: float | None,
    limit_label: str,
    width: float = 620,
    value_format: Callable[[float], str] = compact,
) -> str:
    """Spent, earned and the estimates at completion as bars on one scale, with the
    approved budget (or BAC) as a vertical line."""
    if not rows:
        return _empty(width, 60, label, "no cost data")
    row = 28
    label_w = max(text_width(r.label, 11.5) for r in rows) + 14
    frame = _Frame(width, 0, label_w, 70, 22, 26)
    frame.height = frame.top + row * len(rows) + frame.bottom
    high = max([r.value for r in rows] + ([limit] if limit is not None else []))
    ticks = nice_ticks(0.0, high * 1.02)

    def x(value: float) -> float:
        return frame.left + frame.plot_w * value / ticks[-1]

    for t in ticks:
        gx = x(t)
        frame.add(
            f'<line class="ch-grid" x1="{_n(gx)}" y1="{_n(frame.top)}" x2="{_n(gx)}" '
            f'y2="{_n(frame.top + row * len(rows))}"/><text class="ch-tick" x="{_n(gx)}" '
            f'y="{_n(frame.top + row * len(rows) + 16)}" text-anchor="middle">'
            f"{esc(value_format(t))}</text>"
        )
    for i, r in enumerate(rows):
        top = frame.top + i * row
        a = x(r.low) if r.low is not None else x(0)
        b = x(r.value)
        opacity = "0.85" if r.low is None else "0.55"
        frame.add(
            f'<text class="ch-label" x="{_n(label_w - 8)}" y="{_n(top + row / 2 + 4)}" '
            f'text-anchor="end">{esc(r.label)}</text><rect x="{_n(a)}" y="{_n(top + 6)}" '
            f'width="{_n(max(1.5, b - a))}" height="{row - 12}" rx="2" fill="{r.colour}" '
            f'fill-opacity="{opacity}"/><text class="ch-value" x="{_n(b + 5)}" '
            f'y="{_n(top + row / 2 + 4)}">{esc(value_format(r.value))}</text>'
        )
    if limit is not None:
        lx = x(limit)
        frame.add(
            f'<line x1="{_n(lx)}" y1="{_n(frame.top - 6)}" x2="{_n(lx)}" '
            f'y2="{_n(frame.top + row * len(rows))}" stroke="{RED}" stroke-width="1.6" '
            f'stroke-dasharray="5 3"/><text class="ch-mark" x="{_n(lx)}" '
            f'y="{_n(frame.top - 9)}" text-anchor="middle" fill="{RED}">'
            f"{esc(limit_label)} {esc(value_format(limit))}</text>"
        )
    return frame.svg(label)
