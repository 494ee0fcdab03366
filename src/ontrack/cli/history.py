"""Throughput forecasts from a work-item history: ``ontrack forecast --history`` (its body is
:func:`forecast_history`) and ``ontrack backtest``.

Thin glue: read the CSV (:mod:`ontrack.interop.history`), hand its rows to the engines
(:func:`ontrack.engines.forecast.throughput.forecast_export`, the same function the backtest
calls at every cut date, and :mod:`ontrack.engines.forecast.backtest`), print.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.cli.assessing import DB_OPTION
from ontrack.cli.bounds import SEED_MAX, SEED_MIN
from ontrack.cli.common import open_workspace
from ontrack.cli.output import (
    Format,
    add_column,
    counts_line,
    print_diagnostics,
    print_json,
    stderr,
    stdout,
)
from ontrack.diagnostics import Diagnostic, SourceLoc, error, has_errors
from ontrack.engines.forecast.backtest import (
    Backtest,
    BacktestOptions,
    HitRate,
    check_backtest_options,
)
from ontrack.engines.forecast.backtest import backtest as run_backtest
from ontrack.engines.forecast.throughput import (
    DEFAULT_WINDOW_DAYS,
    MAX_ITERATIONS,
    ForecastOptions,
    HistoryForecast,
    HowManyForecast,
    Question,
    WhenForecast,
    WindowStats,
    WorkItem,
    check_question,
    forecast_export,
)
from ontrack.interop.history import History, parse_where, read_history
from ontrack.planfile import load_plan


class MethodChoice(StrEnum):
    PACED = "paced"
    PLAIN = "plain"


def _fail(diagnostics: Sequence[Diagnostic], what: str) -> typer.Exit:
    print_diagnostics(diagnostics, stderr)
    stderr.print(f"[red]✗[/red] {escape(what)}: {counts_line(diagnostics)}")
    return typer.Exit(1)


STORE_PREFIX = "store:"


def _load(
    history: Path,
    created_column: str,
    closed_column: str,
    where: list[str],
    *,
    db: str | None = None,
    plan: Path | None = None,
) -> tuple[History | None, list[Diagnostic]]:
    """The history's rows and every diagnostic found reading them (errors: no history).
    ``store:SOURCE`` reads the items ``ontrack sync`` stored for that source instead of a CSV."""
    if str(history).startswith(STORE_PREFIX):
        return _load_store(str(history)[len(STORE_PREFIX) :], where, db, plan)
    filters, problems = parse_where(where)
    if problems:
        return None, problems
    loaded, found = read_history(history, created_column, closed_column, filters)
    if loaded is None or has_errors(found):
        return None, found
    return loaded, found


def _load_store(
    source: str, where: list[str], db: str | None, plan: Path | None
) -> tuple[History | None, list[Diagnostic]]:
    """The throughput history synced from ``source``: each item's created and closed day (UTC),
    read from the store beside ``plan`` (or ``--db``). The same rows a CSV export of the same
    items would give, so the forecast and backtest are the same as from that export."""
    where_loc = SourceLoc(f"{STORE_PREFIX}{source}")
    if where:
        return None, [
            error(
                "E463",
                where_loc,
                "--where filters a CSV's columns; the synced history has none",
                "narrow the source's scope in the plan (its match rules) instead",
            )
        ]
    program_name = None
    if plan is not None:
        loaded, _ = load_plan(plan)
        program_name = loaded.program.name if loaded is not None else None
    with open_workspace(db, plan) as workspace:
        name = workspace.program(program_name)
        synced = workspace.synced_sources(name)
        if source not in synced:
            return None, [
                error(
                    "E463",
                    where_loc,
                    f"nothing has been synced from a source named {source!r} for '{name}'",
                    "run `ontrack sync PLAN` first; synced here: " + (", ".join(synced) or "none"),
                )
            ]
        rows = workspace.item_dates(name, source)
    items = tuple(
        WorkItem(
            created.astimezone(dt.UTC).date(),
            None if closed is None else closed.astimezone(dt.UTC).date(),
            SourceLoc(f"{STORE_PREFIX}{source}#{key}"),
        )
        for key, created, closed in rows
    )
    name = f"{STORE_PREFIX}{source}"
    return History(name, ("created", "closed"), items, len(rows), len(rows)), []


def forecast_history(
    history: Path,
    *,
    items: int | None,
    until: dt.date | None,
    start: dt.date | None,
    window_days: int | None,
    created_column: str,
    closed_column: str,
    where: list[str],
    growth: float,
    iterations: int,
    seed: int,
    json_output: bool,
    as_of: dt.date | None = None,
    db: str | None = None,
    plan: Path | None = None,
) -> None:
    """Prints the forecast (Rich table or JSON on stdout); raises typer.Exit(1) after printing
    diagnostics to stderr on bad input. The forecast itself is :func:`forecast_export`."""
    options = ForecastOptions(
        window_days=DEFAULT_WINDOW_DAYS if window_days is None else window_days,
        iterations=iterations,
        seed=seed,
        growth=growth,
    )
    question = Question(items=items, until=until, start=start, as_of=as_of)
    problems = check_question(question, options)
    if problems:
        raise _fail(problems, str(history))
    loaded, found = _load(history, created_column, closed_column, where, db=db, plan=plan)
    if loaded is None:
        raise _fail(found, str(history))
    forecast, more = forecast_export(loaded.items, question, options, loaded.source)
    diagnostics = found + more
    if forecast is None:
        raise _fail(diagnostics, str(history))
    if json_output:
        print_json(forecast.to_json() | {"warnings": [d.to_json() for d in diagnostics]})
    else:
        if isinstance(forecast.result, WhenForecast):
            _print_when(forecast.result)
        else:
            _print_how_many(forecast.result)
        _print_as_of(forecast)
    print_diagnostics(diagnostics, stderr)


_AS_OF_FROM = {
    "--as-of": "--as-of",
    "--start": "the day before --start; give the export day with --as-of if it differs",
    "file": "the last date in the file; give the export day with --as-of if it was later",
}


def _print_as_of(forecast: HistoryForecast) -> None:
    stdout.print(
        f"[dim]History {forecast.first} to {forecast.as_of}, as exported on {forecast.as_of} "
        f"({_AS_OF_FROM[forecast.as_of_from]}).[/dim]"
    )


def _print_when(result: WhenForecast) -> None:
    growth = f", scope growing by {result.growth:.0%} of new items" if result.growth else ""
    stdout.print(
        f"[bold]When will {result.items:,} items be done?[/bold] From {result.start}{growth}"
    )
    table = Table(show_edge=False, pad_edge=False)
    add_column(table, "chance")
    add_column(table, "done by")
    add_column(table, "days", right=True)
    for label, day in (("50 %", result.p50), ("85 %", result.p85), ("95 %", result.p95)):
        days = "" if day is None else str((day - result.start).days + 1)
        table.add_row(label, str(day) if day else "not within 10 years", days)
    stdout.print(table)
    _print_window(result.window, result.iterations, result.seed)


def _print_how_many(result: HowManyForecast) -> None:
    stdout.print(
        f"[bold]How many items by {result.until}?[/bold] From {result.start} "
        f"({result.days} days, both included)"
    )
    table = Table(show_edge=False, pad_edge=False)
    add_column(table, "confidence")
    add_column(table, "at least", right=True)
    for label, count in (("50 %", result.p50), ("85 %", result.p85), ("95 %", result.p95)):
        table.add_row(label, f"{count:,}")
    stdout.print(table)
    _print_window(result.window, result.iterations, result.seed)


def _print_window(window: WindowStats, iterations: int, seed: int) -> None:
    widened = f" (widened from {window.requested_days}: see W426)" if window.widened else ""
    stdout.print(
        f"[dim]From {window.days} days of history{widened}, {window.start} to {window.end}: "
        f"{window.closed:,} items closed ({window.per_week:.1f} a week, recent pace "
        f"{window.recent_per_week:.1f}), nothing closed on {window.zero_days:.0%} of days; "
        f"{iterations:,} runs, seed {seed}.[/dim]"
    )


def backtest(
    history: Path = typer.Option(
        ...,
        "--history",
        help="CSV history of work items (one row per item, with dates), or store:SOURCE for "
        "the items `ontrack sync` read from that source.",
    ),
    created_column: str = typer.Option(
        "created", "--created-column", help="The column of creation dates."
    ),
    closed_column: str = typer.Option(
        "closed", "--closed-column", help="The column of completion dates (empty: open)."
    ),
    where: list[str] = typer.Option(
        [], "--where", help="Keep rows where COLUMN=VALUE (or COLUMN!=VALUE); repeatable."
    ),
    window: int = typer.Option(
        DEFAULT_WINDOW_DAYS, "--window", help="Days of history each forecast samples from."
    ),
    horizon: int = typer.Option(28, "--horizon", help="Days ahead each forecast looks."),
    step: int = typer.Option(7, "--step", help="Days between cut dates."),
    iterations: int = typer.Option(
        2_000, "--iterations", "-n", help=f"Runs per forecast (1..{MAX_ITERATIONS:,})."
    ),
    seed: int = typer.Option(
        0, "--seed", min=SEED_MIN, max=SEED_MAX, help="Same seed, same numbers (0..4294967295)."
    ),
    method: MethodChoice = typer.Option(
        MethodChoice.PACED,
        "--method",
        help="paced: the calibrated forecast `ontrack forecast --history` uses. plain: "
        "resample days uniformly with no pace term (the textbook bootstrap), to compare.",
    ),
    cuts: bool = typer.Option(False, "--cuts", help="Also list every cut date (table format)."),
    db: str | None = DB_OPTION,
    plan: Path | None = typer.Option(
        None, "--plan", help="With --history store:SOURCE: the plan whose store to read."
    ),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Replay a throughput history and report how well its forecasts were calibrated.

    Walks forward through the history: at each cut date (weekly, from the first close plus one
    window), it builds the export a tracker would have given the day before (items created by
    then, those closed later still open) and forecasts from it exactly as `ontrack forecast
    --history EXPORT --start CUT` does, then compares with what happened.
    "How many in the next HORIZON days" is a hit at P85 when the actual count reached the P85
    count; a calibrated forecast hits P85 on about 85 % of cut dates and P50 on about half.
    "When will N items be done" (N = the items closed in the HORIZON days before the cut) is a
    hit when the N-th item closed on or before the forecast date.

    Example: ontrack backtest --history items.csv --closed-column resolved --where project=0
    """
    options = BacktestOptions(
        horizon_days=horizon,
        step_days=step,
        window_days=window,
        iterations=iterations,
        seed=seed,
        method="plain" if method is MethodChoice.PLAIN else "paced",
    )
    problems = check_backtest_options(options)
    if problems:
        raise _fail(problems, str(history))
    loaded, found = _load(history, created_column, closed_column, where, db=db, plan=plan)
    if loaded is None:
        raise _fail(found, str(history))
    result, more = run_backtest(loaded.items, options, loaded.source)
    found += more
    if result is None:
        raise _fail(found, str(history))
    if fmt is Format.JSON:
        print_json(
            result.to_json()
            | {
                "file": str(history),
                "where": list(where),
                "warnings": [d.to_json() for d in found],
            }
        )
    else:
        _print_backtest(result, str(history), where)
        if cuts:
            _print_cuts(result)
    print_diagnostics(found, stderr)


def _verdict(rate: HitRate, target: float) -> str:
    if not rate.total:
        return "[dim]no cut dates[/dim]"
    if abs(rate.rate - target) <= 0.05:
        return "[green]calibrated[/green]"
    if rate.rate < target:
        return "[yellow]optimistic[/yellow]"
    return "[yellow]cautious[/yellow]"


def _print_backtest(result: Backtest, name: str, where: list[str]) -> None:
    o = result.options
    filters = f" ({', '.join(where)})" if where else ""
    first, last = (result.cuts[0].date, result.cuts[-1].date) if result.cuts else ("-", "-")
    stdout.print(
        f"[bold]Backtest of {escape(name)}{escape(filters)}[/bold]: {len(result.cuts)} cut dates "
        f"every {o.step_days} days, {first} to {last}; {o.window_days}-day window, "
        f"{o.horizon_days}-day horizon, {o.method} method"
    )
    table = Table(show_edge=False, pad_edge=False)
    add_column(table, "forecast")
    add_column(table, "target", right=True)
    add_column(table, "hit rate", right=True)
    add_column(table, "hits", right=True)
    add_column(table, "verdict")
    rows = (
        ("how many: actual ≥ P85", result.count_p85, 0.85),
        ("how many: actual ≥ P50", result.count_p50, 0.50),
        ("when: actual ≤ P85 date", result.when_p85, 0.85),
        ("when: actual ≤ P50 date", result.when_p50, 0.50),
    )
    for label, rate, target in rows:
        shown = f"{rate.rate:.1%}" if rate.total else "-"
        table.add_row(
            label, f"{target:.0%}", shown, f"{rate.hits}/{rate.total}", _verdict(rate, target)
        )
    stdout.print(table)
    notes = (
        f"how many: items closed in the {o.horizon_days} days from each cut. when: the day "
        f"the N-th item closed, N = items closed in the {o.horizon_days} days before the cut. "
    )
    if result.skipped:
        notes += f"{result.skipped} cut date(s) skipped: too little history to forecast from. "
    widened = sum(c.window_days > o.window_days for c in result.cuts)
    if widened:
        notes += f"{widened} cut date(s) forecast from a widened window (thin history, W426). "
    notes += "Within 5 points of the target counts as calibrated; optimistic = forecasts too high."
    stdout.print(f"[dim]{notes}[/dim]")


def _print_cuts(result: Backtest) -> None:
    table = Table(show_edge=False, pad_edge=False)
    for name in ("cut", "window", "P85", "P50", "actual", "N", "P50 date", "P85 date", "done"):
        add_column(table, name, right=name not in ("cut", "P50 date", "P85 date", "done"))
    for c in result.cuts:
        table.add_row(
            str(c.date),
            str(c.window_closed),
            str(c.count_p85),
            str(c.count_p50),
            str(c.actual_count),
            str(c.when_items),
            str(c.when_p50 or "-"),
            str(c.when_p85 or "-"),
            str(c.actual_date or "-"),
        )
    stdout.print(table)
