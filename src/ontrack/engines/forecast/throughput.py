"""Throughput forecasts for teams that do not estimate: "when will N items be done" and "how
many items by then", from the team's own history of closed work items.

The method is a daily-throughput bootstrap with a pace term (see docs/forecasting-throughput.md
for the calibration behind every default):

* the days of a recent **window** (84 days by default, ending on the export day: the last day
  the history covers, not the last date in it) are resampled, zero days included; days are
  drawn with recency weights that halve every 9 days, so the level follows the team's current
  pace rather than its average over the quarter; a window with too few closed items is widened
  (W426) before the forecast refuses;
* each run also draws a **pace**: the ratio of the throughput of two random 28-day stretches of
  the same window, applied as a time scale (a run at pace 0.8 gets 0.8 working days' worth of
  sampled days per calendar day). Resampling independent days alone assumes the rate never
  moves, and on real histories 4-week totals vary 5-10 times more than that assumption allows;
  the pace carries that month-to-month drift. A ratio of two exchangeable stretches is symmetric
  in log terms, so the median stays on the current pace and only the spread widens.

With a constant throughput every stretch has the same rate, the pace is exactly 1 and every
percentile is the arithmetic answer. The engine is pure: it takes work items (dates) and
returns records and diagnostics; the CSV reader lives in :mod:`ontrack.interop.history`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ontrack.diagnostics import UNKNOWN_LOC, Diagnostic, SourceLoc, error, warning

CODES = (
    "E420",
    "E421",
    "E422",
    "E423",
    "E424",
    "E425",
    "E426",
    "E429",
    "W420",
    "W421",
    "W422",
    "W423",
    "W424",
    "W425",
    "W426",
    "W427",
)

Method = Literal["paced", "plain"]
AsOfFrom = Literal["--as-of", "--start", "file"]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

DEFAULT_WINDOW_DAYS = 84  # 12 weeks: three disjoint 4-week stretches for the pace, one quarter
MIN_WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 3650
HALF_LIFE_DAYS = 9.0  # recency weight of a day halves every 9 days (calibrated)
PACE_BLOCK_DAYS = 28  # pace is measured over 4-week stretches, the horizon teams plan on
PACE_LIMIT = 4.0  # a run is at most 4x faster or slower than the current pace
MIN_CLOSED = 10  # closed items in the window below which a forecast is refused
MIN_HISTORY_DAYS = 14
#: Days a question may name (the history's own dates are held to the same range).
HORIZON = (dt.date(1900, 1, 1), dt.date(2200, 12, 31))
MAX_ITERATIONS = 10_000_000
MAX_HORIZON_DAYS = 3653  # ten years: a run that has not finished by then is "not finished"
QUIET_GAP_DAYS = 14  # a silence this long, followed by a trickle, ends the history
TRICKLE_SHARE = 0.1  # "a trickle": under a tenth of the rate before the silence
_CELLS = 2_000_000  # random draws held in memory at once (rows x days), ~16 MB of indices
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One tracker item: created on ``created``, closed on ``closed`` (None: still open)."""

    created: dt.date
    closed: dt.date | None
    loc: SourceLoc = UNKNOWN_LOC


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Items closed and items created per calendar day, day 0 being ``first``.

    The series ends with the observed period: closes after a long silence at the very end of a
    file (late clean-up of a project otherwise finished, or an export filtered by creation date)
    are left out, because the days around them are not a record of the team's throughput.
    """

    source: str
    first: dt.date
    closed: Ints
    arrived: Ints

    @property
    def days(self) -> int:
        return len(self.closed)

    @property
    def last(self) -> dt.date:
        return self.first + dt.timedelta(days=self.days - 1)

    def index(self, day: dt.date) -> int:
        return (day - self.first).days

    def date(self, index: int) -> dt.date:
        return self.first + dt.timedelta(days=index)

    @property
    def first_close(self) -> dt.date | None:
        nonzero = np.flatnonzero(self.closed)
        return self.date(int(nonzero[0])) if len(nonzero) else None


def daily_series(
    items: Sequence[WorkItem], source: str = "<history>", as_of: dt.date | None = None
) -> tuple[DailySeries | None, list[Diagnostic]]:
    """Per-day counts of ``items`` from the first date in them to the end of the observed period.

    ``as_of`` is the export day: the day the tracker was exported. The series then ends on it,
    whatever the last date in the file (the days since the last create or close are days on
    which nothing happened); what a tracker would not have shown that day is left out (items
    created after it, and closes after it: those items count as open). Without it the series
    ends on the last date in the file, less late clean-up closes after a long silence (W424).

    Items closed before they were created are the reader's to report; here they count on their
    close date like any other.
    """
    if as_of is not None:
        items = export_as_of(items, as_of)
    dates = [item.created for item in items] + [item.closed for item in items if item.closed]
    if not dates:
        return None, [error("E420", SourceLoc(source), "the history has no items")]
    first = min(dates)
    diagnostics = []
    if as_of is None:
        end, late = _observed_end(items, first)
    else:
        end, late = as_of, []
        quiet = (as_of - max(dates)).days
        if quiet >= QUIET_GAP_DAYS:
            diagnostics.append(
                warning(
                    "W427",
                    SourceLoc(source),
                    f"nothing was created or closed in the {quiet} days from {max(dates)} to "
                    f"the export day {as_of}; they count as days on which nothing was closed",
                    "if the file was exported earlier than that, give its export day with --as-of",
                )
            )
    days = (end - first).days + 1
    closed = np.zeros(days, dtype=np.int64)
    arrived = np.zeros(days, dtype=np.int64)
    created_at = np.array([(i.created - first).days for i in items], dtype=np.int64)
    closed_at = np.array([(i.closed - first).days for i in items if i.closed], dtype=np.int64)
    np.add.at(arrived, created_at[created_at < days], 1)
    np.add.at(closed, closed_at[closed_at < days], 1)
    if late:
        shown = late[:5]
        diagnostics.append(
            warning(
                "W424",
                shown[0].loc,
                f"{len(late)} item(s) created or closed after a silence of {QUIET_GAP_DAYS}+ "
                f"days at the end of the history (the last on "
                f"{max(i.closed or i.created for i in late)}); the history is taken to end on "
                f"{end} and those dates are left out",
                "late clean-up closes say nothing about the team's pace; give the day the file "
                "was exported with --as-of, or forecast as of an earlier day with --start",
                related=[i.loc for i in shown[1:]],
            )
        )
    return DailySeries(source, first, closed, arrived), diagnostics


def export_as_of(items: Sequence[WorkItem], day: dt.date) -> tuple[WorkItem, ...]:
    """The items as a tracker export made at the end of ``day`` shows them: those created up
    to that day, with the ones closed after it still open. Nothing after ``day`` remains."""
    return tuple(
        item
        if item.closed is None or item.closed <= day
        else WorkItem(item.created, None, item.loc)
        for item in items
        if item.created <= day
    )


def _observed_end(items: Sequence[WorkItem], first: dt.date) -> tuple[dt.date, list[WorkItem]]:
    """The last day of the observed period, and the items with a date after it.

    The period ends before the first silence of QUIET_GAP_DAYS or more (no item created or
    closed) after which events arrive at under TRICKLE_SHARE of the rate of the 12 weeks before
    it: a file whose rows stop at one date but carry a few much later closes.
    """
    offsets = sorted(
        (d - first).days for i in items for d in (i.created, i.closed) if d is not None
    )
    events = np.bincount(np.array(offsets, dtype=np.int64))
    busy = np.flatnonzero(events)
    cumulative = np.cumsum(events)
    last = int(busy[-1])
    for before, after in itertools.pairwise(busy):
        if after - before - 1 < QUIET_GAP_DAYS:
            continue
        tail = int(cumulative[-1] - cumulative[before])
        tail_rate = tail / (last - int(before))
        lookback = max(0, int(before) - DEFAULT_WINDOW_DAYS + 1)
        recent = int(cumulative[before] - (cumulative[lookback - 1] if lookback else 0))
        recent_rate = recent / (int(before) - lookback + 1)
        if tail_rate < TRICKLE_SHARE * recent_rate:
            end = first + dt.timedelta(days=int(before))
            late = [i for i in items if i.created > end or (i.closed and i.closed > end)]
            return end, late
    return first + dt.timedelta(days=last), []


@dataclass(frozen=True, slots=True)
class ForecastOptions:
    """How to forecast; the defaults are the calibrated ones (docs/forecasting-throughput.md).

    ``growth`` is the share of newly created items that join the scope while it is worked off
    (0: a fixed scope; 1: everything created in the tracker lands in it). ``method="plain"`` is
    the textbook bootstrap (uniform days, no pace), kept for comparison in backtests.
    ``half_life_days`` None weighs every day of the window alike (the pace term is kept).
    """

    window_days: int = DEFAULT_WINDOW_DAYS
    iterations: int = 10_000
    seed: int = 0
    growth: float = 0.0
    method: Method = "paced"
    half_life_days: float | None = HALF_LIFE_DAYS
    pace_block_days: int = PACE_BLOCK_DAYS


def check_options(options: ForecastOptions) -> list[Diagnostic]:
    """Errors in the options themselves (before any history is read)."""
    problems = []
    if not 1 <= options.iterations <= MAX_ITERATIONS:
        problems.append(
            error(
                "E423",
                SourceLoc("--iterations"),
                f"{options.iterations:,} iterations is outside 1..{MAX_ITERATIONS:,}",
                "10,000 gives percentiles stable to about a day; more buys little",
            )
        )
    if not MIN_WINDOW_DAYS <= options.window_days <= MAX_WINDOW_DAYS:
        problems.append(
            error(
                "E424",
                SourceLoc("--window"),
                f"a window of {options.window_days} days is outside "
                f"{MIN_WINDOW_DAYS}..{MAX_WINDOW_DAYS}",
                f"the default, {DEFAULT_WINDOW_DAYS} days, is the calibrated one",
            )
        )
    half_life = options.half_life_days
    if half_life is not None and not half_life > 0:
        problems.append(
            error(
                "E424",
                SourceLoc("half_life_days"),
                f"a recency half-life of {half_life} days is not above 0",
                f"the default, {HALF_LIFE_DAYS:g} days, is the calibrated one; None weighs days "
                "alike",
            )
        )
    if not (0.0 <= options.growth <= 1.0) or math.isnan(options.growth):
        problems.append(
            error(
                "E425",
                SourceLoc("--growth"),
                f"growth {options.growth} is outside 0..1",
                "the share of newly created items that join the scope: 0 = fixed scope",
            )
        )
    return problems


@dataclass(frozen=True, slots=True)
class WindowStats:
    """The stretch of history a forecast samples from, in figures a person can check."""

    start: dt.date
    end: dt.date
    days: int
    closed: int
    arrived: int
    per_week: float  # plain average
    recent_per_week: float  # recency-weighted: the pace the forecast centres on
    zero_days: float  # share of days with nothing closed
    pace_range: tuple[float, float]  # 15th and 85th percentile of the runs' pace
    requested_days: int = DEFAULT_WINDOW_DAYS  # the window asked for; ``days`` may be wider

    @property
    def widened(self) -> bool:
        return self.days > self.requested_days

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "days": self.days,
            "requested_days": self.requested_days,
            "closed": self.closed,
            "created": self.arrived,
            "per_week": round(self.per_week, 2),
            "recent_per_week": round(self.recent_per_week, 2),
            "zero_days": round(self.zero_days, 3),
            "pace_p15": round(self.pace_range[0], 3),
            "pace_p85": round(self.pace_range[1], 3),
        }


@dataclass(frozen=True, slots=True)
class WhenForecast:
    """When ``items`` more items will be done: the dates by which 50/85/95 % of runs finished.

    A date is None when that share of runs had not finished within ten years (possible only
    when scope growth keeps pace with throughput).
    """

    items: int
    start: dt.date
    p50: dt.date | None
    p85: dt.date | None
    p95: dt.date | None
    unfinished: float  # share of runs not finished within MAX_HORIZON_DAYS
    window: WindowStats
    growth: float
    iterations: int
    seed: int
    method: Method
    warnings: tuple[Diagnostic, ...] = ()

    def to_json(self) -> dict[str, Any]:
        def days(d: dt.date | None) -> int | None:
            return None if d is None else (d - self.start).days + 1

        return {
            "items": self.items,
            "start": self.start.isoformat(),
            "p50": _iso(self.p50),
            "p85": _iso(self.p85),
            "p95": _iso(self.p95),
            "days": {"p50": days(self.p50), "p85": days(self.p85), "p95": days(self.p95)},
            "unfinished": round(self.unfinished, 4),
            "growth": self.growth,
            "window": self.window.to_json(),
            "iterations": self.iterations,
            "seed": self.seed,
            "method": self.method,
            "warnings": [d.to_json() for d in self.warnings],
        }


@dataclass(frozen=True, slots=True)
class HowManyForecast:
    """How many items will be done from ``start`` through ``until`` (both included).

    ``p85`` is the count reached with 85 % confidence (85 % of runs closed at least that many),
    i.e. the 15th percentile of the simulated counts; likewise p50 and p95.
    """

    until: dt.date
    start: dt.date
    p50: int
    p85: int
    p95: int
    window: WindowStats
    iterations: int
    seed: int
    method: Method
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def days(self) -> int:
        return (self.until - self.start).days + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "until": self.until.isoformat(),
            "start": self.start.isoformat(),
            "days": self.days,
            "p50": self.p50,
            "p85": self.p85,
            "p95": self.p95,
            "window": self.window.to_json(),
            "iterations": self.iterations,
            "seed": self.seed,
            "method": self.method,
            "warnings": [d.to_json() for d in self.warnings],
        }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


# --- percentiles -------------------------------------------------------------------------


def count_reached(counts: npt.NDArray[Any], confidence: float) -> int:
    """The largest count that at least ``confidence`` of the runs reached."""
    ordered = np.sort(counts)
    n = len(ordered)
    return int(ordered[n - math.ceil(confidence * n - 1e-9)])


def days_needed(days: Floats, confidence: float) -> float:
    """The fewest days within which at least ``confidence`` of the runs finished (inf: never)."""
    ordered = np.sort(days)
    return float(ordered[math.ceil(confidence * len(ordered) - 1e-9) - 1])


# --- the window and the simulation ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Window:
    start: dt.date
    closed: Ints
    arrived: Ints
    half_life: float | None  # recency weights halve every this many days (None: uniform)
    block: int  # pace stretch length (0: no pace)

    @property
    def weights(self) -> Floats:
        """Each day's sampling probability, oldest first."""
        length = len(self.closed)
        if self.half_life is None:
            return np.full(length, 1.0 / length)
        raw = np.exp2(-np.arange(length, dtype=np.float64)[::-1] / self.half_life)
        weights: Floats = raw / raw.sum()
        return weights


def _window(series: DailySeries, start: dt.date, days: int, options: ForecastOptions) -> _Window:
    stop = min(series.index(start), series.days)  # days before ``start`` only
    begin = max(0, stop - days)
    length = stop - begin
    plain = options.method == "plain"
    block = 0 if plain else min(options.pace_block_days, length // 2)
    return _Window(
        start=series.date(begin),
        closed=series.closed[begin:stop],
        arrived=series.arrived[begin:stop],
        half_life=None if plain else options.half_life_days,
        block=block if block >= 7 else 0,
    )


def _draw(window: _Window, rng: np.random.Generator, shape: tuple[int, ...]) -> Ints:
    """Indices of window days, drawn with the recency weights.

    The age of a day (0: the most recent) is a geometric variable truncated to the window, drawn
    in closed form from one uniform number: four times faster than a search in the weights.
    """
    length = len(window.closed)
    if window.half_life is None:
        return rng.integers(0, length, shape)
    tail = np.exp2(-length / window.half_life)  # weight beyond the window, cut off
    u = rng.random(shape)
    age = np.floor(-window.half_life * np.log2(1.0 - u * (1.0 - tail))).astype(np.int64)
    picked: Ints = length - 1 - np.minimum(age, length - 1)
    return picked


def _pace(window: _Window, rng: np.random.Generator, n: int) -> Floats:
    """Each run's pace: rate of one random stretch over another's (log-symmetric around 1)."""
    if window.block == 0:
        return np.ones(n)
    sums = np.convolve(window.closed, np.ones(window.block, dtype=np.int64), mode="valid")
    a = sums[rng.integers(0, len(sums), n)]
    b = sums[rng.integers(0, len(sums), n)]
    # Half an item on each side keeps a stretch with nothing closed from meaning "infinitely
    # slower"; the limit keeps one quiet month from stretching a run tenfold.
    pace: Floats = np.clip((a + 0.5) / (b + 0.5), 1 / PACE_LIMIT, PACE_LIMIT)
    return pace


def _stats(window: _Window, pace: Floats, requested: int) -> WindowStats:
    length = len(window.closed)
    weights = window.weights
    return WindowStats(
        start=window.start,
        end=window.start + dt.timedelta(days=length - 1),
        days=length,
        closed=int(window.closed.sum()),
        arrived=int(window.arrived.sum()),
        per_week=float(window.closed.sum()) / length * 7,
        recent_per_week=float(weights @ window.closed) * 7,
        zero_days=float(np.mean(window.closed == 0)),
        pace_range=(float(np.quantile(pace, 0.15)), float(np.quantile(pace, 0.85))),
        requested_days=requested,
    )


def _simulate_counts(
    window: _Window, horizon_days: int, pace: Floats, rng: np.random.Generator
) -> Ints:
    """Items closed in ``horizon_days`` calendar days, one count per run.

    A run at pace p works through round(horizon * p) sampled days (halves up). All runs' days
    are drawn as one flat stream and summed by segment, so a slow run costs fewer draws.
    """
    work_days = np.floor(horizon_days * pace + 0.5).astype(np.int64)
    ends = np.cumsum(work_days)
    counts = np.zeros(len(pace), dtype=np.int64)
    lo = 0
    while lo < len(pace):
        # As many runs as fit in _CELLS draws (at least one).
        base = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, base + _CELLS, side="right")))
        total = int(ends[hi - 1]) - base
        running = np.zeros(total + 1, dtype=np.int64)
        np.cumsum(window.closed[_draw(window, rng, (total,))], out=running[1:])
        counts[lo:hi] = running[ends[lo:hi] - base] - running[ends[lo:hi] - base - work_days[lo:hi]]
        lo = hi
    return counts


def _simulate_days(
    window: _Window, items: int, growth: float, pace: Floats, rng: np.random.Generator
) -> Floats:
    """Calendar days each run needs to finish ``items`` plus ``growth`` x the new arrivals.

    Runs work through sampled days (closes and creations of the same day, so busy weeks bring
    both) until the net progress reaches ``items``; a run at pace p needs k/p calendar days for
    k sampled days. Runs not finished within MAX_HORIZON_DAYS get infinity.
    """
    n = len(pace)
    closed = window.closed.astype(np.float64)
    net = closed - growth * window.arrived if growth else closed
    mean_net = float(window.weights @ net)
    # Sampled days needed, at most: beyond this every run is past the horizon at any pace.
    cap = math.ceil(MAX_HORIZON_DAYS * float(pace.max()) + 1)
    expected = items / mean_net if mean_net > 0 else cap
    block = int(min(cap, max(16.0, 1.25 * expected + 8)))
    needed = np.full(n, np.inf)  # sampled days to finish, per run
    rows = max(1, _CELLS // block)
    for lo in range(0, n, rows):
        active = np.arange(lo, min(n, lo + rows))
        done_so_far = np.zeros(len(active))
        used = 0
        while len(active) and used < cap:
            width = min(block, cap - used)
            steps = np.cumsum(net[_draw(window, rng, (len(active), width))], axis=1)
            progress = steps + done_so_far[:, None]
            reached = progress >= items - 1e-9
            finished = reached.any(axis=1)
            first = reached.argmax(axis=1)
            needed[active[finished]] = used + first[finished] + 1
            done_so_far = progress[~finished, -1]
            active = active[~finished]
            used += width
    # k sampled days at pace p take ceil((k - 1/2) / p) calendar days: the inverse of the
    # rounding _simulate_counts uses, so both questions agree on the same runs.
    days: Floats = np.ceil((needed - 0.5) / pace)
    days[days > MAX_HORIZON_DAYS] = np.inf
    return np.maximum(days, 1.0)


def _prepare(
    series: DailySeries, start: dt.date | None, options: ForecastOptions
) -> tuple[dt.date, _Window | None, list[Diagnostic]]:
    """The start day and the window, or errors; plus warnings about the history."""
    start = start or series.last + _ONE_DAY
    loc = SourceLoc(series.source)
    if start <= series.first:
        return (
            start,
            None,
            [
                error(
                    "E426",
                    SourceLoc("--start"),
                    f"the forecast starts on {start}, but the history begins on {series.first}",
                    "a forecast samples the days before its start; start later",
                )
            ],
        )
    window = _window(series, start, options.window_days, options)
    available = min(series.index(start), series.days)  # every day before the start
    days = options.window_days
    while _thin(window) and days < available:
        days = min(2 * days, available)
        window = _window(series, start, days, options)
    closed = int(window.closed.sum())
    if _thin(window):
        return (
            start,
            None,
            [
                error(
                    "E420",
                    loc,
                    f"too little history to forecast from: {closed} item(s) closed in "
                    f"{len(window.closed)} day(s) from {window.start} (at least {MIN_CLOSED} "
                    f"closed items over {MIN_HISTORY_DAYS}+ days are needed)",
                    "export a longer history, a later --start, or a broader --where",
                )
            ],
        )
    widened = []
    if days > options.window_days:
        recent = int(window.closed[-options.window_days :].sum())
        widened.append(
            warning(
                "W426",
                loc,
                f"thin history: {recent} item(s) closed in the {options.window_days} days to "
                f"{window.start + dt.timedelta(days=len(window.closed) - 1)}, under the "
                f"{MIN_CLOSED} a forecast needs; the window was widened to {len(window.closed)} "
                f"days (from {window.start}), which hold {closed}",
                "older work weighs in: check that it still describes the team, or wait until "
                "more items have closed",
            )
        )
    problems = widened + stability_warnings(series, window.start, len(window.closed))
    stale = (start - series.last).days - 1
    if stale > PACE_BLOCK_DAYS:
        problems.append(
            warning(
                "W423",
                loc,
                f"the history ends on {series.last}, {stale} days before the forecast starts",
                "the team's pace may have changed since; export a fresher history",
            )
        )
    return start, window, problems


def _thin(window: _Window) -> bool:
    return len(window.closed) < MIN_HISTORY_DAYS or int(window.closed.sum()) < MIN_CLOSED


def forecast_when(
    series: DailySeries,
    items: int,
    start: dt.date | None = None,
    options: ForecastOptions = ForecastOptions(),
) -> tuple[WhenForecast | None, list[Diagnostic]]:
    """When will ``items`` more items be done, starting on ``start`` (default: after the
    history)? Returns the forecast and its warnings, or None and the errors."""
    problems = check_options(options)
    if items < 1:
        problems.append(
            error("E421", SourceLoc("--items"), f"--items must be 1 or more, not {items}")
        )
    if problems:
        return None, problems
    start, window, found = _prepare(series, start, options)
    if window is None:
        return None, found
    rng = np.random.default_rng(options.seed)
    pace = _pace(window, rng, options.iterations)
    days = _simulate_days(window, items, options.growth, pace, rng)
    unfinished = float(np.mean(np.isinf(days)))
    if unfinished > 0:
        why = (
            f"at growth {options.growth} new items join the scope about as fast as items close"
            if options.growth
            else f"{items:,} items are more than the team closes in that time at its pace"
        )
        found.append(
            warning(
                "W422",
                SourceLoc("--growth" if options.growth else "--items"),
                f"{unfinished:.1%} of runs did not finish within {MAX_HORIZON_DAYS // 365} "
                f"years: {why}",
                "those runs have no date; a percentile they reach is reported as null",
            )
        )

    def date_at(confidence: float) -> dt.date | None:
        needed = days_needed(days, confidence)
        return None if math.isinf(needed) else start + dt.timedelta(days=int(needed) - 1)

    result = WhenForecast(
        items=items,
        start=start,
        p50=date_at(0.50),
        p85=date_at(0.85),
        p95=date_at(0.95),
        unfinished=unfinished,
        window=_stats(window, pace, options.window_days),
        growth=options.growth,
        iterations=options.iterations,
        seed=options.seed,
        method=options.method,
        warnings=tuple(found),
    )
    return result, found


def forecast_how_many(
    series: DailySeries,
    until: dt.date,
    start: dt.date | None = None,
    options: ForecastOptions = ForecastOptions(),
) -> tuple[HowManyForecast | None, list[Diagnostic]]:
    """How many items will be done from ``start`` through ``until``? Returns the forecast and
    its warnings, or None and the errors."""
    problems = check_options(options)
    first_day = start or series.last + _ONE_DAY
    if until < first_day:
        problems.append(
            error(
                "E422",
                SourceLoc("--until"),
                f"--until {until} is before the forecast starts ({first_day})",
                "give a later --until, or an earlier --start",
            )
        )
    elif (until - first_day).days + 1 > MAX_HORIZON_DAYS:
        problems.append(
            error(
                "E422",
                SourceLoc("--until"),
                f"--until {until} is more than {MAX_HORIZON_DAYS // 365} years ahead",
            )
        )
    if problems:
        return None, problems
    start, window, found = _prepare(series, start, options)
    if window is None:
        return None, found
    if options.growth:
        found.append(
            warning(
                "W425",
                SourceLoc("--growth"),
                "--growth changes when a scope is done, not how many items close by a date; "
                "it is ignored with --until",
            )
        )
    rng = np.random.default_rng(options.seed)
    pace = _pace(window, rng, options.iterations)
    counts = _simulate_counts(window, (until - start).days + 1, pace, rng)
    result = HowManyForecast(
        until=until,
        start=start,
        p50=count_reached(counts, 0.50),
        p85=count_reached(counts, 0.85),
        p95=count_reached(counts, 0.95),
        window=_stats(window, pace, options.window_days),
        iterations=options.iterations,
        seed=options.seed,
        method=options.method,
        warnings=tuple(found),
    )
    return result, found


# --- the command's core: a forecast from a tracker export ------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    """What ``ontrack forecast --history`` is asked: when ``items`` more items will be done, or
    how many will be done through ``until`` (exactly one of the two), from ``start``, with the
    history as exported on ``as_of``.

    The export day ``as_of`` is the last day the history covers: the sample window ends on it.
    It defaults to the day before ``start``; without either, to the last date in the file (and
    the forecast starts the next day).
    """

    items: int | None = None
    until: dt.date | None = None
    start: dt.date | None = None
    as_of: dt.date | None = None


@dataclass(frozen=True, slots=True)
class HistoryForecast:
    """A forecast from an export, with the history it read: from ``first`` to the export day
    ``as_of``, and where that day came from (``--as-of``, the day before ``--start``, or the
    last date in the ``file``)."""

    source: str
    first: dt.date
    as_of: dt.date
    as_of_from: AsOfFrom
    result: WhenForecast | HowManyForecast
    warnings: tuple[Diagnostic, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return self.result.to_json() | {
            "history": {
                "file": self.source,
                "from": self.first.isoformat(),
                "to": self.as_of.isoformat(),
                "as_of": self.as_of.isoformat(),
                "as_of_from": self.as_of_from,
            },
            "warnings": [d.to_json() for d in self.warnings],
        }


def check_question(question: Question, options: ForecastOptions) -> list[Diagnostic]:
    """Errors in the question and the options themselves (before any history is read)."""
    problems = check_options(options)
    if (question.items is None) == (question.until is None):
        problems.append(
            error(
                "E421",
                SourceLoc("--items"),
                "give --items N (when will N items be done) or --until DATE (how many by then)"
                + (", not both" if question.items is not None else ""),
            )
        )
    elif question.items is not None and question.items < 1:
        problems.append(
            error("E421", SourceLoc("--items"), f"--items must be 1 or more, not {question.items}")
        )
    for option, day in (
        ("--start", question.start),
        ("--until", question.until),
        ("--as-of", question.as_of),
    ):
        if day is not None and not HORIZON[0] <= day <= HORIZON[1]:
            problems.append(
                error(
                    "E421",
                    SourceLoc(option),
                    f"{option} {day} is outside {HORIZON[0]}..{HORIZON[1]}",
                    "check the year",
                )
            )
    if problems:
        return problems
    if question.as_of and question.start and question.start <= question.as_of:
        problems.append(
            error(
                "E429",
                SourceLoc("--start"),
                f"the forecast starts on {question.start}, not after the export day "
                f"{question.as_of} (--as-of)",
                "a forecast starts after the history it samples: leave --start out (the day "
                "after --as-of) or give a later one",
            )
        )
    return problems


def forecast_export(
    items: Sequence[WorkItem],
    question: Question,
    options: ForecastOptions = ForecastOptions(),
    source: str = "<history>",
) -> tuple[HistoryForecast | None, list[Diagnostic]]:
    """The body of ``ontrack forecast --history``: ``items`` are the rows of the export as read
    (filters applied); the backtest calls this same function on the export of each cut date.
    Returns the forecast and every diagnostic, or None and the errors."""
    problems = check_question(question, options)
    if problems:
        return None, problems
    as_of: dt.date | None
    origin: AsOfFrom
    if question.as_of is not None:
        as_of, origin = question.as_of, "--as-of"
    elif question.start is not None:
        as_of, origin = question.start - _ONE_DAY, "--start"
    else:
        as_of, origin = None, "file"
    if as_of is not None and items and min(i.created for i in items) > as_of:
        return None, [
            error(
                "E426",
                SourceLoc(origin if origin != "file" else source),
                f"the history as of {as_of} is empty: its first item was created on "
                f"{min(i.created for i in items)}",
                "a forecast samples the days up to the export day; give a later --start or --as-of",
            )
        ]
    series, found = daily_series(items, source, as_of)
    if series is None:
        return None, found
    start = question.start or series.last + _ONE_DAY
    result: WhenForecast | HowManyForecast | None
    if question.items is not None:
        result, more = forecast_when(series, question.items, start, options)
    else:
        assert question.until is not None
        result, more = forecast_how_many(series, question.until, start, options)
    diagnostics = found + more
    if result is None:
        return None, diagnostics
    return (
        HistoryForecast(
            source=source,
            first=series.first,
            as_of=series.last,
            as_of_from=origin,
            result=result,
            warnings=tuple(diagnostics),
        ),
        diagnostics,
    )


# --- stability: XmR natural process limits --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """XmR natural process limits: centre ± 2.66 x the average moving range (floored at 0)."""

    centre: float
    lower: float
    upper: float


def xmr_limits(values: npt.ArrayLike) -> Limits:
    points = np.asarray(values, dtype=np.float64)
    centre = float(points.mean())
    spread = 2.66 * float(np.abs(np.diff(points)).mean()) if len(points) > 1 else 0.0
    return Limits(centre, max(0.0, centre - spread), centre + spread)


def _outside(points: Floats, limits: Limits) -> npt.NDArray[np.bool_]:
    # Counts sit on whole numbers: a point must clear a limit, not touch it.
    low = (points < limits.lower) if limits.lower > 0 else np.zeros(len(points), dtype=bool)
    return (points > limits.upper) | low


def stability_warnings(series: DailySeries, begin: dt.date, length: int) -> list[Diagnostic]:
    """Weeks (and days) of the window outside their XmR natural process limits.

    Weeks count back from the window's end, so the last week is always whole. A signal means the
    window mixes more than one way of working (a holiday, a team change, a release crunch): the
    forecast still runs, but its spread assumes the window is typical of what comes next.
    """
    found: list[Diagnostic] = []
    offset = series.index(begin)
    closed = series.closed[offset : offset + length].astype(np.float64)
    weeks = length // 7
    loc = SourceLoc(series.source)
    if weeks >= 4:
        tail = closed[length - weeks * 7 :]
        weekly = tail.reshape(weeks, 7).sum(axis=1)
        limits = xmr_limits(weekly)
        flagged = np.flatnonzero(_outside(weekly, limits))
        if len(flagged):
            first = begin + dt.timedelta(days=length - weeks * 7)
            listed = ", ".join(
                f"{first + dt.timedelta(weeks=int(w))} ({int(weekly[w])})" for w in flagged[:8]
            )
            found.append(
                warning(
                    "W420",
                    loc,
                    f"unstable throughput: {len(flagged)} week(s) outside the weekly natural "
                    f"process limits {limits.lower:.1f}..{limits.upper:.1f} (centre "
                    f"{limits.centre:.1f}): weeks of {listed}",
                    "the window mixes different ways of working; check those weeks (holidays, "
                    "team changes, batch closing) or forecast with a --window that avoids them",
                )
            )
    limits = xmr_limits(closed)
    days = np.flatnonzero(_outside(closed, limits))
    if len(days):
        mondays = sorted(
            {
                begin + dt.timedelta(days=int(d) - (begin + dt.timedelta(days=int(d))).weekday())
                for d in days
            }
        )
        listed = ", ".join(str(m) for m in mondays[:8]) + (" ..." if len(mondays) > 8 else "")
        found.append(
            warning(
                "W421",
                loc,
                f"{len(days)} day(s) outside the daily natural process limits "
                f"{limits.lower:.1f}..{limits.upper:.1f} items a day, in the weeks of {listed}",
                "items closed in batches; the forecast resamples those days as they happened",
            )
        )
    return found
