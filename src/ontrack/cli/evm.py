"""``ontrack evm``: earned value and earned schedule per period, from a CSV of cumulative
PV / EV / AC (the standalone calculator for teams whose EV data comes from finance)."""

from __future__ import annotations

import csv
import sys
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
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
from ontrack.engines.evm import EvmPoint, EvmSeries, PeriodEvm, evm_series
from ontrack.interop.periods import read_periods


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
        help="With dated periods: calendar days per period, for dates before the first and "
        "after the last row (default: the spacing of the first and last two dates).",
    ),
    fmt: EvmFormat = typer.Option(EvmFormat.TABLE, "--format", "-f", help="table, json or csv."),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        help="Instead of --periods: compute weekly PV from this baseline of the store, EV and "
        "AC from the progress recorded with `ontrack progress`.",
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

    With --baseline, the periods are weeks from the baseline's start: PV from the baseline's
    schedule (each task's planned cost spread over its working days; working days when the
    plan has no rates), EV from each task's latest percent complete, AC from reported costs.

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
    if periods is not None:
        source = str(periods)
        points, diagnostics = read_periods(periods)
    else:
        assert baseline is not None
        source = f"baseline {baseline}"
        points, unit = _tracked_points(baseline, plan, db, program)
        diagnostics = []
    series = None
    if not has_errors(diagnostics):
        series, problems = evm_series(points, bac=bac, period_days=period_days)
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
) -> tuple[list[EvmPoint], str]:
    from ontrack.cli.track import _revision_plan, _store  # noqa: PLC0415 - the store is heavy
    from ontrack.engines.tracking import evm_points  # noqa: PLC0415

    with _store(db, plan) as store:
        name = store.program(program)
        info = store.baseline(name, baseline)
        frozen = _revision_plan(store, name, info.revision)
        facts = store.progress(name)
    return evm_points(frozen, info.schedule, facts)


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
        p.label,
        *(money(v) for v in (p.pv, p.ev, p.ac, p.sv, p.cv)),
        index(p.spi),
        index(p.cpi),
        *(money(v) for v in (p.eac_budget_rate, p.eac_cpi, p.eac_cpi_spi, p.etc, p.vac)),
        index(p.tcpi_bac),
        index(p.tcpi_eac),
        index(p.es),
        "" if p.es_date is None else p.es_date.isoformat(),
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
    value = Table(title="Earned value (cumulative)", title_justify="left")
    columns = ["period", "PV", "EV", "SV", "SPI"]
    if costed:
        columns += ["AC", "CV", "CPI", "EAC", "TCPI(BAC)"]
    for col in columns:
        add_column(value, col, right=col != "period")
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
        value.add_row(*cells)
    print_wide(value, 140)
    schedule = Table(title="Earned schedule (periods)", title_justify="left")
    columns = ["period", "ES", "SV(t)", "SPI(t)", "IEAC(t)"]
    if series.dated:
        columns += ["ES date", "forecast finish"]
    for col in columns:
        add_column(schedule, col, right=col != "period")
    for p in series.periods:
        cells = [
            escape(p.label),
            f"{p.es:.2f}",
            f"{p.sv_t:+.2f}",
            _coloured(p.spi_t, _index(p.spi_t)),
            _or_dash(_index(p.ieac_t)),
        ]
        if series.dated:
            cells += [str(p.es_date or "—"), str(p.forecast_finish or "—")]
        schedule.add_row(*cells)
    print_wide(schedule, 140)
    print_summary(series)


def print_summary(series: EvmSeries) -> None:
    """The latest period in words: where the program stands and where it is heading."""
    p = series.latest
    planned = f", planned finish {series.planned_finish}" if series.planned_finish else ""
    stdout.print(
        f"[bold]Period {escape(p.label)}[/bold]: BAC {_money(series.bac)}, planned "
        f"duration {series.planned_duration} periods{planned}"
    )
    verdict = "ahead of" if p.sv_t > 0 else "behind" if p.sv_t < 0 else "on"
    finish = "—" if p.ieac_t is None else f"{p.ieac_t:.2f} periods"
    if p.forecast_finish:
        finish += f" ({p.forecast_finish})"
    stdout.print(
        f"Schedule: {verdict} schedule by {abs(p.sv_t):.2f} periods (ES {p.es:.2f}, "
        f"SPI(t) {p.spi_t:.2f}); forecast finish {finish}"
    )
    # Finance lags: the cost line speaks for the last period that has a CPI, and says so.
    c = next((q for q in reversed(series.periods) if q.cpi is not None), None)
    if c is not None and c.cpi is not None:
        standing = "under" if c.cpi > 1 else "over" if c.cpi < 1 else "on"
        as_of = "" if c is p else f" as of period {escape(c.label)} (the last with AC)"
        stdout.print(
            f"Cost{as_of}: {standing} budget (CPI {c.cpi:.2f}, CV {_money(c.cv)}); EAC "
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
