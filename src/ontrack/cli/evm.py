"""``ontrack evm``: earned value and earned schedule per period, from a CSV of cumulative
PV / EV / AC (the standalone calculator for teams whose EV data comes from finance), or from a
baseline of the store and the progress recorded against it."""

from __future__ import annotations

import csv
import sys
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from ontrack.cli.output import (
    add_column,
    counts_line,
    print_diagnostics,
    print_json,
    print_wide,
    stderr,
    stdout,
)
from ontrack.diagnostics import has_errors
from ontrack.engines.evm import (
    DailyPv,
    EvmPoint,
    EvmSeries,
    PeriodEvm,
    evm_series,
)
from ontrack.interop.periods import read_periods
from ontrack.interop.tables import csv_text


class EvmFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


# The columns of --format csv, in order: one row per measured period.
CSV_COLUMNS = (
    "period",
    "pv",
    "ev",
    "ac",
    "sv",
    "cv",
    "spi",
    "cpi",
    "eac_budget_rate",
    "eac_cpi",
    "eac_cpi_spi",
    "etc",
    "vac",
    "tcpi_bac",
    "tcpi_eac",
    "es",
    "es_date",
    "at",
    "sv_t",
    "spi_t",
    "ieac_t",
    "forecast_finish",
)
_CENT = Decimal("0.01")


def _amount(text: str) -> Decimal:
    """--bac: a plain positive number (Typer has no Decimal type)."""
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise typer.BadParameter(f"'{text}' is not a number") from None
    if not value.is_finite() or value <= 0:
        raise typer.BadParameter(f"{text}: BAC is a positive amount")
    return value


def _help_for_baseline(ctx: typer.Context, value: str | None) -> str | None:
    """`--baseline --help` asks for the help, not for a baseline named '--help'."""
    if value == "--help":
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    return value


def evm_command(
    periods: Path | None = typer.Option(
        None,
        "--periods",
        help="A CSV of cumulative values per period: columns period,pv,ev,ac. Periods are "
        "1, 2, 3, … or ISO status dates. Leave EV empty for periods not measured yet and AC "
        "empty where finance has not reported.",
    ),
    bac: Decimal | None = typer.Option(
        None,
        "--bac",
        parser=_amount,
        metavar="AMOUNT",
        help="Budget at completion (default: the final cumulative PV).",
    ),
    period_days: int | None = typer.Option(
        None,
        "--period-days",
        min=1,
        help="With --periods of status dates: calendar days per period, for dates before the "
        "first and after the last row (default: the spacing of the first and last two dates). "
        "Unused with --baseline, which counts working days.",
    ),
    fmt: EvmFormat = typer.Option(EvmFormat.TABLE, "--format", "-f", help="table, json or csv."),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        callback=_help_for_baseline,
        help="Instead of --periods: measure against this baseline of the store, with EV and "
        "AC from the progress recorded with `ontrack progress`. Periods end on the status "
        "dates; earned schedule is in working days.",
    ),
    plan: Path = typer.Option(Path("."), "--plan", help="With --baseline: the plan's folder."),
    db: str | None = typer.Option(None, "--db", help="With --baseline: the store's database."),
    program: str | None = typer.Option(
        None, "--program", help="With --baseline: the program, if the store has several."
    ),
) -> None:
    """Earned value and earned schedule per period: SV, CV, SPI, CPI, EAC, ETC, VAC, TCPI,
    ES, SV(t), SPI(t), IEAC(t) and the forecast finish.

    Values are cumulative to each period's end. Measures that cannot be computed (AC not
    reported yet, a division by zero) are shown as — and, in JSON, null with the reason.
    Problems are printed to stderr; exits 1 when the file cannot be used.

    With --baseline, the periods end on the status dates of the recorded progress (then at
    the status cadence up to the baseline's planned finish): PV from the baseline's schedule
    (each task's planned cost spread over its working days; working days when the plan has no
    rates), EV from each task's latest percent complete, AC from reported costs. Earned
    schedule is then in working days of the program calendar, read off the baseline's daily
    PV, so it does not depend on how often status is reported: ES, AT (the working days from
    the baseline's start through the status date), SV(t), IEAC(t) and the planned duration.

    Example: ontrack evm --periods finance-2026.csv --format json

    Example: ontrack evm --baseline approved --plan examples/platform-migration
    """
    if periods is None and baseline is None:
        stderr.print(
            "give --periods FILE.csv (columns period,pv,ev,ac) or --baseline NAME; "
            "see `ontrack evm --help`"
        )
        raise typer.Exit(2)
    unit = "money"
    daily: DailyPv | None = None
    if periods is not None:
        source = str(periods)
        points, diagnostics = read_periods(periods)
    else:
        assert baseline is not None
        source = f"baseline {baseline}"
        points, unit, daily = _tracked_points(baseline, plan, db, program)
        diagnostics = []
        period_days = None  # working days of the daily curve, not periods
    series = None
    if not has_errors(diagnostics):
        series, problems = evm_series(points, bac=bac, period_days=period_days, daily=daily)
        diagnostics += problems
    print_diagnostics(diagnostics, stderr)
    if series is None:
        stderr.print(f"[red]✗[/red] {escape(source)}: {counts_line(diagnostics)}")
        raise typer.Exit(1)
    if unit == "days" and fmt is EvmFormat.TABLE:
        stdout.print("[dim]amounts are working days of planned work (the plan has no rates)[/dim]")
    if fmt is EvmFormat.JSON:
        print_json(series.to_json() | {"diagnostics": [d.to_json() for d in diagnostics]})
    elif fmt is EvmFormat.CSV:
        write_csv(series)
    else:
        print_table(series)


def _tracked_points(
    baseline: str, plan: Path, db: str | None, program: str | None
) -> tuple[list[EvmPoint], str, DailyPv | None]:
    """The periods, the unit of their amounts, and the baseline's PV per working day."""
    from ontrack.cli.common import open_workspace  # noqa: PLC0415
    from ontrack.engines.tracking import baseline_daily_pv, evm_points  # noqa: PLC0415

    with open_workspace(db, plan) as workspace:
        name = workspace.program(program)
        info = workspace.baseline(name, baseline)
        frozen = workspace.revision_plan(name, info.revision)
        facts = workspace.progress(name)
    points, unit = evm_points(frozen, info.tasks, facts)
    return points, unit, baseline_daily_pv(frozen, info.tasks)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value.quantize(_CENT, ROUND_HALF_UP):,}"


def _index(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_csv(series: EvmSeries) -> None:
    """Money with 2 decimals, indices and periods with 4, dates ISO; empty where null."""
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    out.writerows(csv_row(p) for p in series.periods)


def csv_row(p: PeriodEvm) -> list[str]:
    """One period in the order of :data:`CSV_COLUMNS`."""

    def money(value: Decimal | None) -> str:
        return "" if value is None else str(value.quantize(_CENT, ROUND_HALF_UP))

    def index(value: float | None) -> str:
        return _index(value, 4)

    return [
        csv_text(p.label),  # the figures are numbers; only the label is text
        *(money(v) for v in (p.pv, p.ev, p.ac, p.sv, p.cv)),
        index(p.spi),
        index(p.cpi),
        *(money(v) for v in (p.eac_budget_rate, p.eac_cpi, p.eac_cpi_spi, p.etc, p.vac)),
        index(p.tcpi_bac),
        index(p.tcpi_eac),
        index(p.es),
        "" if p.es_date is None else p.es_date.isoformat(),
        str(p.at),
        index(p.sv_t),
        index(p.spi_t),
        index(p.ieac_t),
        "" if p.forecast_finish is None else p.forecast_finish.isoformat(),
    ]


def _coloured(value: float | None, text: str) -> str:
    """Below 1 is behind plan or over cost: yellow, and red below 0.9."""
    if value is None:
        return "—"
    colour = "green" if value >= 1 else "yellow" if value >= 0.9 else "red"
    return f"[{colour}]{text}[/{colour}]"


def _or_dash(text: str) -> str:
    return text or "—"


def print_table(series: EvmSeries) -> None:
    costed = any(p.ac is not None for p in series.periods)  # else no cost columns at all
    columns = ["period", "PV", "EV", "SV", "SPI"]
    if costed:
        columns += ["AC", "CV", "CPI", "EAC", "TCPI(BAC)"]
    rows: list[list[str]] = []
    for p in series.periods:
        cells = [
            escape(p.label),
            _money(p.pv),
            _money(p.ev),
            _money(p.sv),
            _coloured(p.spi, _index(p.spi)),
        ]
        if costed:
            cells += [
                _or_dash(_money(p.ac)),
                _or_dash(_money(p.cv)),
                _coloured(p.cpi, _index(p.cpi)),
                _or_dash(_money(p.eac_cpi)),
                _or_dash(_index(p.tcpi_bac)),
            ]
        rows.append(cells)
    print_stacked("Earned value (cumulative)", columns, rows)
    columns = ["period", "ES", "AT", "SV(t)", "SPI(t)", "IEAC(t)"]
    if series.dated:
        columns += ["ES date", "forecast finish"]
    rows = []
    for p in series.periods:
        cells = [
            escape(p.label),
            f"{p.es:.2f}",
            str(p.at),
            f"{p.sv_t:+.2f}",
            _coloured(p.spi_t, _index(p.spi_t)),
            _or_dash(_index(p.ieac_t)),
        ]
        if series.dated:
            cells += [str(p.es_date or "—"), str(p.forecast_finish or "—")]
        rows.append(cells)
    print_stacked(f"Earned schedule ({series.time_unit})", columns, rows)
    print_summary(series)


def print_stacked(title: str, columns: list[str], rows: list[list[str]]) -> None:
    """A table whose figures are never cut. Piped, it prints at the width it needs; on a
    terminal too narrow for every column it is stacked: one table per group of columns that
    fits, each led by the first (the period); narrower still, one line per figure."""
    width = stdout.width if stdout.is_terminal else None
    groups: list[list[int]] = []
    for index in range(1, len(columns)):
        grown = [*groups[-1], index] if groups else [index]
        if groups and (width is None or _width(title, columns, rows, grown) <= width):
            groups[-1] = grown
        else:
            groups.append([index])
    headings = [title if n == 0 else f"{title}, continued" for n in range(len(groups))]
    needed = [_width(h, columns, rows, g) for h, g in zip(headings, groups, strict=True)]
    if width is not None and max(needed) > width:
        _print_lines(title, columns, rows)
        return
    for heading, group, size in zip(headings, groups, needed, strict=True):
        print_wide(_table(heading, columns, rows, group), size)


def _table(title: str, columns: list[str], rows: list[list[str]], group: list[int]) -> Table:
    table = Table(title=title, title_justify="left")
    for index in (0, *group):
        add_column(table, columns[index], right=index != 0)
    for row in rows:
        table.add_row(*(row[index] for index in (0, *group)))
    return table


def _width(title: str, columns: list[str], rows: list[list[str]], group: list[int]) -> int:
    """The width the table of ``group`` needs with nothing cut."""
    options = stdout.options.update_width(10_000)
    return Measurement.get(stdout, options, _table(title, columns, rows, group)).maximum


def _print_lines(title: str, columns: list[str], rows: list[list[str]]) -> None:
    """The table as lines, a row at a time: the first cell, then each column's figure."""
    stdout.print(f"[italic]{escape(title)}[/italic]")
    for row in rows:
        stdout.print(f"[bold]{row[0]}[/bold]")
        for name, cell in zip(columns[1:], row[1:], strict=True):
            stdout.print(f"  {escape(name)}: {cell}")


def print_summary(series: EvmSeries) -> None:
    """The latest period in words: where the program stands and where it is heading."""
    p = series.latest
    unit = series.time_unit
    planned = f", planned finish {series.planned_finish}" if series.planned_finish else ""
    stdout.print(
        f"[bold]Period {escape(p.label)}[/bold]: BAC {_money(series.bac)}, planned "
        f"duration {series.planned_duration} {unit}{planned}"
    )
    verdict = "ahead of" if p.sv_t > 0 else "behind" if p.sv_t < 0 else "on"
    finish = "—" if p.ieac_t is None else f"{p.ieac_t:.2f} {unit}"
    if p.forecast_finish:
        finish += f" ({p.forecast_finish})"
    by = f" by {abs(p.sv_t):.2f} {unit}" if p.sv_t else ""
    stdout.print(
        f"Schedule: {verdict} schedule{by} (ES {p.es:.2f}, AT {p.at} {unit}, SPI(t) "
        f"{_or_dash(_index(p.spi_t))}); forecast finish {finish}"
    )
    # Finance lags: the cost line speaks for the last period that has a CPI, and says so.
    c = next((q for q in reversed(series.periods) if q.cpi is not None), None)
    if c is not None and c.cpi is not None:
        # Earned value measures against the baseline's planned cost (BAC), not the approved
        # budget (`ontrack budget` compares both): say which.
        standing = "under" if c.cpi > 1 else "over" if c.cpi < 1 else "on"
        as_of = "" if c is p else f" as of period {escape(c.label)} (the last with AC)"
        stdout.print(
            f"Cost{as_of}: {standing} the baseline's planned cost (CPI {c.cpi:.2f}, CV "
            f"{_money(c.cv)}); EAC "
            f"{_or_dash(_money(c.eac_cpi))} (BAC/CPI), "
            f"{_or_dash(_money(c.eac_budget_rate))} (AC + BAC − EV), "
            f"{_or_dash(_money(c.eac_cpi_spi))} (CPI·SPI); ETC {_or_dash(_money(c.etc))}, "
            f"VAC {_or_dash(_money(c.vac))}; TCPI {_or_dash(_index(c.tcpi_bac))} to BAC, "
            f"{_or_dash(_index(c.tcpi_eac))} to EAC"
        )
    _print_reasons(p)


def _print_reasons(p: PeriodEvm) -> None:
    """Why measures are — , grouped by reason."""
    grouped: dict[str, list[str]] = {}
    for name, why in p.null_reasons:
        grouped.setdefault(why, []).append(name)
    for why, names in grouped.items():
        stdout.print(f"[dim]— in period {escape(p.label)}, {', '.join(names)}: {escape(why)}[/dim]")
