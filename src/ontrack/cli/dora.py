"""``ontrack dora``: the DORA metrics of a repository's deployments, per service and period.

Thin glue over :func:`ontrack.app.dora.measure`: parse the options, print the report as a Rich
table or JSON, the diagnostics on stderr; exit 1 when a file cannot be used.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.app.dora import measure
from ontrack.cli.bounds import day_option
from ontrack.cli.output import (
    Format,
    add_column,
    counts_line,
    print_diagnostics,
    print_json,
    print_wide,
    stderr,
    stdout,
)
from ontrack.diagnostics import has_errors
from ontrack.engines.dora import DoraReport, Metrics


class PeriodChoice(StrEnum):
    WEEK = "week"
    MONTH = "month"


def dora_command(
    repo: Path = typer.Option(Path("."), "--repo", help="The git repository (a full clone)."),
    deployments: Path = typer.Option(
        ...,
        "--deployments",
        help="Deployment log, CSV or JSON (service, version, environment, "
        "time, result, optional id).",
    ),
    incidents: Path | None = typer.Option(
        None,
        "--incidents",
        help="Incident log, CSV or JSON (id, service, started, resolved, "
        "caused_by: deployment ids separated by ;).",
    ),
    since: str | None = typer.Option(None, "--since", help="First day measured (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Last day measured, inclusive."),
    environment: str = typer.Option("production", "--environment", help="Environment measured."),
    period: PeriodChoice = typer.Option(PeriodChoice.WEEK, "--period", help="week or month."),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """DORA's five metrics — deployment frequency, change lead time, change fail rate, failed
    deployment recovery time and rework rate — per service and per week or month, with the
    performance bands of the Accelerate State of DevOps Report 2024. See docs/dora.md.

    Incidents name the deployments that caused them; a link to an unknown deployment, or a
    deployment of a version the repository lacks, is a warning and is left out, never guessed.

    Example: ontrack dora --repo . --deployments deploys.csv --incidents incidents.csv
    """
    first, last = day_option(since, "--since"), day_option(until, "--until")
    report, diagnostics = measure(
        repo,
        deployments,
        incidents,
        environment=environment,
        period="week" if period is PeriodChoice.WEEK else "month",
        since=None if first is None else dt.datetime.combine(first, dt.time(), dt.UTC),
        until=None
        if last is None
        else dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC),
    )
    print_diagnostics(diagnostics, stderr)
    if report is None or has_errors(diagnostics):
        stderr.print(f"[red]✗[/red] {escape(str(deployments))}: {counts_line(diagnostics)}")
        raise typer.Exit(1)
    if fmt is Format.JSON:
        print_json(report.to_json() | {"diagnostics": [d.to_json() for d in diagnostics]})
        return
    _print_table(report)


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    return f"{seconds / 3600:.1f} h"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _row(name: str, m: Metrics) -> list[str]:
    bands = m.bands()
    return [
        escape(name),
        str(m.deployments),
        "—" if m.per_week is None else f"{m.per_week:.2f}",
        f"{_hours(m.lead_time_median)} / {_hours(m.lead_time_p90)}",
        f"{_share(m.change_fail_rate)} ({m.failed})",
        _hours(m.recovery_median),
        str(len(m.unresolved)),
        f"{_share(m.rework_rate)} ({m.rework})",
        " ".join(b[0].upper() if b else "—" for b in bands.values()),
    ]


def _table(title: str, first: str) -> Table:
    table = Table(title=title)
    add_column(table, first)
    for name in ("deploys", "per week", "lead time p50 / p90", "fail rate", "recovery p50"):
        add_column(table, name, right=True)
    for name in ("unresolved", "rework", "bands DF LT CFR RT"):
        add_column(table, name, right=True)
    return table


def _print_table(report: DoraReport) -> None:
    span = f"{report.since.date()} .. {report.until.date() - dt.timedelta(days=1)}"
    table = _table(f"DORA metrics, {escape(report.environment)}, {span}", "service")
    for service in (*report.services, report.overall):
        name = "all services" if service.service == "*" else service.service
        table.add_row(*_row(name, service.total))
    print_wide(table, 140)
    periods = _table(f"per {report.period}, all services", report.period)
    for p in report.overall.periods:
        periods.add_row(*_row(p.start.isoformat(), p.metrics))
    print_wide(periods, 140)
    stdout.print("[dim]bands: E elite, H high, M medium, L low (State of DevOps 2024)[/dim]")
