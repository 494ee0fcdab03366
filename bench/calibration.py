"""Calibration of throughput forecasts measured the way users run them.

Run: ``.venv/bin/python bench/calibration.py [--data DIR] [--no-replay] [--variants]``.

For every history under ``shared/data/history`` (the jira-agile export gives two, one per
project), at each **monthly cut** (the 1st of each month, from the first close plus one window
to the last month whose 28-day horizon the history covers):

1. write the export a tracker would have given at the end of the day before the cut to a
   temporary CSV: the rows created up to that day, with the close dates after it blanked
   (still open), nothing later; every column kept, as the tracker wrote it;
2. forecast from that file exactly as ``ontrack forecast --history EXPORT --where ... --start
   CUT --until CUT+27`` does (its defaults: 10,000 runs, seed 0): the CSV is read by
   :func:`read_history` and forecast by :func:`forecast_export`, the body of the command;
3. score it against what the full history shows was closed in those 28 days: covered at P85
   when the actual count is at or above the P85 count, likewise P50. The goal: P85 covered on
   80-90 % of cut dates, P50 on 45-55 %, on every history.

One cut per history is also run through the ``ontrack`` command itself (typer's CliRunner) and
checked equal. The table then repeats the measure on **weekly cuts** with ``ontrack backtest``
(2,000 runs a cut, a seed per cut), whose every cut is the same function on the same export;
each weekly cut's export is written to CSV too and its numbers checked identical (skip with
``--no-replay``).
``--variants`` measures the recency half-life and window variants behind the defaults.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from ontrack.cli.main import app
from ontrack.engines.forecast.backtest import (
    Backtest,
    BacktestOptions,
    backtest,
    cut_dates,
    cut_options,
)
from ontrack.engines.forecast.throughput import (
    DEFAULT_WINDOW_DAYS,
    DailySeries,
    ForecastOptions,
    HowManyForecast,
    Question,
    WhenForecast,
    WorkItem,
    daily_series,
    export_as_of,
    forecast_export,
)
from ontrack.interop.history import Filter, read_history

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "history"
HORIZON = 28
DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class History:
    """One history: a CSV file, its date columns and the filter that selects it."""

    name: str
    path: Path
    created: str
    closed: str
    where: tuple[str, ...] = ()

    @property
    def filters(self) -> list[Filter]:
        return [
            Filter(column, value) for column, _, value in (w.partition("=") for w in self.where)
        ]

    def cli_args(self, path: Path) -> list[str]:
        args = ["--history", str(path), "--created-column", self.created]
        args += ["--closed-column", self.closed]
        for w in self.where:
            args += ["--where", w]
        return args


def histories(data: Path) -> tuple[list[History], list[str]]:
    """The histories in ``data``, and the CSV files that could not be used (with why)."""
    known: list[History] = []
    unknown: list[str] = []
    for path in sorted(data.glob("*/*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as file:
            header = next(csv.reader(file), [])
        columns = [c.strip() for c in header]
        pairs = [("created_date", "finished_date"), ("created", "closed"), ("created", "resolved")]
        found = next(((a, b) for a, b in pairs if a in columns and b in columns), None)
        if found is None:
            unknown.append(f"{path}: no created/closed date columns in {columns}")
            continue
        if "project" in columns:
            with path.open(newline="", encoding="utf-8-sig") as file:
                projects = sorted({row["project"].strip() for row in csv.DictReader(file)})
            for project in projects:
                name = f"{path.parent.name} project {project}"
                known.append(History(name, path, *found, where=(f"project={project}",)))
        else:
            known.append(History(path.parent.name, path, *found))
    return known, unknown


def load_items(history: History, path: Path | None = None) -> list[WorkItem]:
    loaded, _ = read_history(path or history.path, history.created, history.closed, history.filters)
    assert loaded is not None, f"{history.name}: unreadable"
    return list(loaded.items)


class Exporter:
    """Writes what the tracker would have exported at the end of a day, from the raw rows."""

    def __init__(self, history: History) -> None:
        with history.path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            self.header = next(reader)
            self.rows = [row for row in reader if any(cell.strip() for cell in row)]
        columns = [c.strip() for c in self.header]
        self.created_at = columns.index(history.created)
        self.closed_at = columns.index(history.closed)
        self.created = [_day(row[self.created_at]) for row in self.rows]
        self.closed = [_day(row[self.closed_at]) for row in self.rows]

    def write(self, day: dt.date, path: Path) -> None:
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(self.header)
        for row, created, closed in zip(self.rows, self.created, self.closed, strict=True):
            if created is not None and created > day:
                continue  # created after the export: not in it
            shown = list(row)
            if closed is not None and closed > day:
                shown[self.closed_at] = ""  # closed after the export: open in it
            writer.writerow(shown)
        path.write_text(out.getvalue(), encoding="utf-8")


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def monthly_cuts(series: DailySeries, window_days: int = DEFAULT_WINDOW_DAYS) -> list[dt.date]:
    """The 1st of each month from the first close plus the window, while the horizon fits."""
    first_close = series.first_close
    if first_close is None:
        return []
    earliest = first_close + window_days * DAY
    day = dt.date(earliest.year, earliest.month, 1)
    cuts = []
    while day + (HORIZON - 1) * DAY <= series.last:
        if day >= earliest:
            cuts.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return cuts


@dataclass(frozen=True, slots=True)
class Scored:
    cuts: int
    p85: int  # cuts whose actual count was at or above P85
    p50: int
    loss: float  # mean quantile (pinball) loss at the 15th and 50th percentiles

    def cells(self) -> str:
        if not self.cuts:
            return "0 | - | -"
        return f"{self.cuts} | {self.p85 / self.cuts:.1%} | {self.p50 / self.cuts:.1%}"


def score(pairs: Sequence[tuple[int, int, int]]) -> Scored:
    """(p85, p50, actual) triples: coverage and the quantile loss."""
    loss = 0.0
    for p85, p50, actual in pairs:
        for q, forecast in ((0.15, p85), (0.5, p50)):
            miss = actual - forecast
            loss += q * miss if miss >= 0 else (q - 1) * miss
    return Scored(
        len(pairs),
        sum(actual >= p85 for p85, _, actual in pairs),
        sum(actual >= p50 for _, p50, actual in pairs),
        loss / len(pairs) if pairs else float("nan"),
    )


def actual(series: DailySeries, cut: dt.date) -> int:
    at = series.index(cut)
    return int(series.closed[at : at + HORIZON].sum())


def user_path(
    history: History, options: ForecastOptions, folder: Path
) -> Iterator[tuple[dt.date, HowManyForecast, int]]:
    """Every monthly cut, forecast from its export written to CSV, as the command does."""
    series, _ = daily_series(load_items(history))
    assert series is not None
    exporter = Exporter(history)
    for cut in monthly_cuts(series):
        path = folder / f"export-{cut}.csv"
        exporter.write(cut - DAY, path)
        items = load_items(history, path)
        question = Question(until=cut + (HORIZON - 1) * DAY, start=cut)
        forecast, _ = forecast_export(items, question, options, str(path))
        if forecast is None or not isinstance(forecast.result, HowManyForecast):
            continue  # the command refused: not a forecast anyone got
        yield cut, forecast.result, actual(series, cut)


def cli_spot_check(history: History, cut: dt.date, expected: HowManyForecast, folder: Path) -> str:
    """The same cut through `ontrack forecast` itself; the numbers must be identical."""
    path = folder / f"export-{cut}.csv"
    Exporter(history).write(cut - DAY, path)
    until = cut + (HORIZON - 1) * DAY
    args = ["forecast", *history.cli_args(path), "--start", str(cut), "--until", str(until)]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    got = (data["p50"], data["p85"], data["p95"])
    want = (expected.p50, expected.p85, expected.p95)
    assert got == want, (history.name, cut, got, want)
    shown = " ".join(args).replace(str(folder) + "/", "")
    return f"`ontrack {shown}` gives P50 {got[0]}, P85 {got[1]}: identical"


def replay(history: History, result: Backtest, folder: Path) -> int:
    """Each weekly cut's export written to CSV and forecast as the command does: the numbers
    must equal the backtest's. Returns the number of cuts checked."""
    exporter = Exporter(history)
    series, _ = daily_series(load_items(history))
    assert series is not None
    scored = {cut.date: cut for cut in result.cuts}
    path = folder / "weekly.csv"
    for index, day in enumerate(cut_dates(series, result.options)):  # the index fixes the seed
        cut = scored.get(day)
        if cut is None:
            continue  # the forecast refused on that day
        exporter.write(day - DAY, path)
        items = load_items(history, path)
        options = cut_options(result.options, index)
        until = day + (result.options.horizon_days - 1) * DAY
        count, _ = forecast_export(items, Question(until=until, start=day), options)
        when, _ = forecast_export(items, Question(items=cut.when_items, start=day), options)
        assert count is not None and isinstance(count.result, HowManyForecast)
        assert when is not None and isinstance(when.result, WhenForecast)
        got = (count.result.p50, count.result.p85, when.result.p50, when.result.p85)
        assert got == (cut.count_p50, cut.count_p85, cut.when_p50, cut.when_p85), (day, got)
    return len(result.cuts)


def weekly(history: History, options: BacktestOptions) -> Backtest:
    result, _ = backtest(load_items(history), options, str(history.path))
    assert result is not None
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared history folder")
    parser.add_argument(
        "--no-replay", action="store_true", help="do not replay the weekly cuts from CSV"
    )
    parser.add_argument("--variants", action="store_true", help="measure half-life variants")
    args = parser.parse_args(argv)
    found, unusable = histories(args.data)
    for line in unusable:
        print(f"skipped {line}")
    began = time.perf_counter()
    print("## Calibration through `ontrack forecast --history EXPORT --start CUT --until CUT+27`\n")
    print(
        "| history | monthly cuts | actual ≥ P85 | actual ≥ P50 "
        "| weekly cuts | actual ≥ P85 | actual ≥ P50 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    checks = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for history in found:
            runs = list(user_path(history, ForecastOptions(), folder))
            monthly = score([(f.p85, f.p50, a) for _, f, a in runs])
            result = weekly(history, BacktestOptions())
            weekly_score = score([(c.count_p85, c.count_p50, c.actual_count) for c in result.cuts])
            print(f"| {history.name} | {monthly.cells()} | {weekly_score.cells()} |")
            cut, forecast, _ = runs[0]
            check = cli_spot_check(history, cut, forecast, folder)
            checks.append(f"{history.name}, cut {cut}: {check}")
            if not args.no_replay:
                n = replay(history, result, folder)
                checks.append(f"{history.name}: {n} weekly cuts replayed from CSV: identical")
    print()
    for line in checks:
        print(f"* {line}")
    print(f"\n({time.perf_counter() - began:.1f} s)")
    if args.variants:
        variants(found)


def variants(found: Sequence[History]) -> None:
    """Recency half-life (and window) variants, through the same export path; 'loss' is the
    mean quantile loss at P85 and P50 (lower: sharper and better centred)."""
    print("\n## Variants: recency half-life (days; None: every day alike) and window\n")
    names = " | ".join(f"{h.name}: monthly | weekly | loss" for h in found)
    print(f"| window | half-life | {names} |")
    print("|---:|---:|" + "---:|---:|---:|" * len(found))
    items = {h.name: load_items(h) for h in found}
    series = {h.name: daily_series(items[h.name])[0] for h in found}
    for window in (84, 112):
        for half_life in (4.0, 7.0, 9.0, 10.0, 14.0, 21.0, 28.0, None):
            cells = []
            for history in found:
                s = series[history.name]
                assert s is not None
                options = ForecastOptions(window_days=window, half_life_days=half_life)
                pairs = []
                for cut in monthly_cuts(s, window):
                    export = export_as_of(items[history.name], cut - DAY)
                    question = Question(until=cut + (HORIZON - 1) * DAY, start=cut)
                    forecast, _ = forecast_export(export, question, options)
                    if forecast is not None and isinstance(forecast.result, HowManyForecast):
                        r = forecast.result
                        pairs.append((r.p85, r.p50, actual(s, cut)))
                monthly = score(pairs)
                backtest_options = dataclasses.replace(
                    BacktestOptions(), window_days=window, half_life_days=half_life
                )
                result = weekly(history, backtest_options)
                w = score([(c.count_p85, c.count_p50, c.actual_count) for c in result.cuts])
                cells.append(
                    f"{monthly.p85 / monthly.cuts:.0%} / {monthly.p50 / monthly.cuts:.0%} | "
                    f"{w.p85 / w.cuts:.1%} / {w.p50 / w.cuts:.1%} | {w.loss:.2f}"
                )
            print(f"| {window} | {half_life} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
