"""``ontrack risks``: the RAID log scored, and the risks ontrack finds in the plan, its schedule,
its forecast and (with ``--baseline``) the tracking data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from ontrack.cli.assessing import (
    AS_OF_OPTION,
    DB_OPTION,
    ITERATIONS_OPTION,
    SEED_OPTION,
    TIME_LIMIT_OPTION,
    StoreRequest,
    assess_or_exit,
)
from ontrack.cli.common import load_or_exit, parse_percent
from ontrack.cli.output import (
    Format,
    add_column,
    console,
    print_diagnostics,
    print_json,
    stdout,
)

if TYPE_CHECKING:
    from ontrack.engines.risk import Assessment


class MinSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


_COLOUR = {"low": "dim", "medium": "yellow", "high": "red", "critical": "bold red"}


def risks_command(
    plan: Path = typer.Argument(..., help="A plan file, or a folder of plan files."),
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    time_limit: float = TIME_LIMIT_OPTION,
    deadline_threshold: float = typer.Option(
        0.8,
        "--deadline-threshold",
        min=0.0,
        max=1.0,
        help="R101: flag deadlines whose chance of being met is below this (0..1).",
    ),
    criticality: float = typer.Option(
        0.3,
        "--criticality",
        min=0.0,
        max=1.0,
        help="A task drives the finish when it is critical or near-critical in the schedule, "
        "or on the critical path in at least this share of iterations.",
    ),
    near_critical_days: int = typer.Option(
        5, "--near-critical-days", min=0, help="Float (working days) that counts as near-critical."
    ),
    long_task_days: float = typer.Option(
        20, "--long-task-days", min=1, help="R105: tasks with more likely work than this."
    ),
    wide_ratio: float = typer.Option(
        3.0, "--wide-ratio", min=1.0, help="R104: pessimistic / optimistic at least this."
    ),
    window_days: int = typer.Option(
        10, "--window-days", min=1, help="R112: working days per window of the load check."
    ),
    slip_days: int = typer.Option(
        5, "--slip-days", min=1, help="R141: working days a milestone moved since the baseline."
    ),
    stale_days: int = typer.Option(
        14, "--stale-days", min=1, help="R142/R143: days without a progress report."
    ),
    scope_threshold: Fraction = typer.Option(
        "10%",
        "--scope-threshold",
        parser=parse_percent,
        metavar="PERCENT",
        help="R144: scope growth since the baseline above this is creep.",
    ),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        "-b",
        help="Compare with this baseline of the store: late tasks, slipping milestones, scope "
        "creep; implies --progress.",
    ),
    progress: bool = typer.Option(
        False,
        "--progress",
        help="Plan around the progress recorded in the store (stale updates are checked too).",
    ),
    status_date: dt.datetime | None = AS_OF_OPTION,
    db: str | None = DB_OPTION,
    min_severity: MinSeverity = typer.Option(
        MinSeverity.LOW, "--min-severity", help="Show findings of this severity and above."
    ),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """The risk register scored on a 5x5 matrix, the RAID log, and the risks ontrack detects.

    Each risk gets probability and impact bands, a score and rating, and its exposure
    (probability x mean impact, in days and money); the heat map, overdue reviews, unowned
    risks and overdue assumptions, issues and decisions follow. Detectors read the plan, its
    schedule and a Monte Carlo forecast: deadlines at risk, merge bias, thin float, wide
    estimates, long tasks, bus factor, single-skill holders, over-allocation, time off on
    driving work, outside dependencies, cross-team hand-offs; with --baseline, late tasks,
    slipping milestones, stale updates and scope creep. Findings are ranked by severity, then
    exposure. Codes R100-R199 and thresholds: docs/risks.md. Exits 0 whatever is found.

    Example: ontrack risks examples/platform-migration --as-of 2026-02-02

    Example: ontrack risks examples/platform-migration --baseline approved --format json
    """
    loaded = load_or_exit(plan)
    from ontrack.app.assessment import AssessOptions  # noqa: PLC0415
    from ontrack.engines.risk import RiskOptions  # noqa: PLC0415
    from ontrack.reports.data import ReportOptions  # noqa: PLC0415

    thresholds = RiskOptions(
        as_of=dt.date.min,  # the assessment's as-of date replaces it
        deadline_threshold=deadline_threshold,
        criticality=criticality,
        long_task_days=long_task_days,
        wide_ratio=wide_ratio,
        window_days=window_days,
        slip_days=slip_days,
        stale_days=stale_days,
        scope_threshold=scope_threshold,
    )
    assessed, _ = assess_or_exit(
        loaded,
        plan,
        AssessOptions(
            iterations=iterations,
            seed=seed,
            time_limit=time_limit,
            near_critical_days=near_critical_days,
            risk=thresholds,
            report=ReportOptions(audit=False),
        ),
        StoreRequest(plan, db, baseline, progress),
        status_date,
        bar=fmt is Format.TABLE,
        consequence="no risks assessed",
    )
    result = assessed.risks
    simulated = assessed.forecast
    problems = list(assessed.diagnostics)
    floor = _RANK[min_severity.value]
    shown = [f for f in result.findings if f.severity.rank >= floor]
    if fmt is Format.JSON:
        from ontrack.app.views import risks_json  # noqa: PLC0415

        print_json(risks_json(assessed, min_severity.value))
        return
    _print(loaded.program.name, result, shown, simulated.iterations, assessed.as_of.statement)
    if problems:
        print_diagnostics(problems)


_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _wide(table: Table) -> None:
    """Piped output gets the width the table needs (Rich never prints wider than the console)."""
    if stdout.is_terminal:
        stdout.print(table)
    else:
        console(width=max(stdout.width, 120)).print(table)


def _print_register(result: Assessment, ranked: Sequence[Any]) -> None:
    """The register as a table whose figures are never cut: the text columns wrap (response and
    status share one, so they wrap between words), and where even that cannot fit the terminal
    each risk is stacked as one line of its own."""
    title = "Risk register (by exposure)"
    currency = escape(result.currency)
    table = Table(title=title, title_justify="left")
    for col in ("risk", "PxI", "rating", "days", currency, "owner", "response, status", "review"):
        if col in ("rating", "owner", "response, status"):
            table.add_column(col)  # text: wraps between words
        else:
            add_column(table, col, right=col in ("PxI", "days", currency))
    lines: list[str] = []
    for s in ranked:
        r = s.risk
        colour = _COLOUR[s.rating.value]
        overdue = s.review_overdue_days
        review = (
            "—"
            if r.review_date is None
            else f"[red]{r.review_date} (+{overdue} d)[/red]"
            if overdue is not None
            else str(r.review_date)
        )
        cells = (
            escape(r.id),
            f"{s.probability_band}x{s.impact_band}={s.score}",
            f"[{colour}]{s.rating.value}[/{colour}]",
            f"{float(s.exposure_days):.1f}",
            _money(s.exposure_money),
            escape(r.owner) if r.owner else "[red]none[/red]",
            (r.response.value if r.response else "[red]none[/red]") + f", {r.status.value}",
            review,
        )
        table.add_row(*cells)
        lines.append(
            f"[bold]{cells[0]}[/bold]: PxI {cells[1]} {cells[2]} · {cells[3]} days · "
            f"{cells[4]} {currency} · owner {cells[5]} · {cells[6]} · review {cells[7]}"
        )
    width = stdout.width if stdout.is_terminal else max(stdout.width, 120)
    # Measured unconstrained: the least width with every figure whole and text wrapped.
    if Measurement.get(stdout, stdout.options.update_width(10_000), table).minimum <= width:
        _wide(table)
        return
    stdout.print(title)
    for line in lines:
        stdout.print(line)


def _money(value: Decimal) -> str:
    return f"{value:,.0f}"


def _print(
    program: str, result: Assessment, shown: list[Any], iterations: int | None, statement: str
) -> None:
    from ontrack.engines.risk import rating  # noqa: PLC0415

    counts = {k: sum(f.severity.value == k for f in shown) for k in _RANK}
    active = [s for s in result.register if s.active]
    days = sum((s.exposure_days for s in active), Fraction(0))
    money = sum((s.exposure_money for s in active), Decimal(0))
    summary = ", ".join(f"{n} {k}" for k, n in reversed(counts.items()) if n) or "none"
    stdout.print(
        f"[bold]{escape(program)}[/bold]: {len(shown)} findings ({summary}); "
        f"{len(active)} open risks, exposure {float(days):.1f} working days and "
        f"{_money(money)} {escape(result.currency)}"
    )
    stdout.print(
        f"[dim]{escape(statement)}"
        + (f" · baseline {escape(result.baseline)}" if result.baseline else "")
        + (f" · forecast {iterations:,} iterations" if iterations else " · no forecast")
        + f" · program {result.program_days} working days[/dim]"
    )
    if shown:
        table = Table(title="Findings (most severe, largest exposure first)", title_justify="left")
        for col in ("severity", "code", "finding", "days"):
            add_column(table, col, wide=col == "finding", right=col == "days")
        for f in shown:
            colour = _COLOUR[f.severity.value]
            table.add_row(
                f"[{colour}]{f.severity.value}[/{colour}]",
                f.code,
                f"{escape(f.message)}\n[dim]→ {escape(f.suggestion)}[/dim]",
                f"{f.exposure_days:.1f}" if f.exposure_days else "",
            )
        _wide(table)
    else:
        stdout.print("[green]no findings[/green]")
    ranked = result.ranked_register()
    if ranked:
        _print_register(result, ranked)
        grid = Table(
            title="Heat map (open risks; rows probability, columns impact)", title_justify="left"
        )
        add_column(grid, "P \\ I")
        for i in range(1, 6):
            add_column(grid, str(i), right=True)
        for p in range(5, 0, -1):
            cells = [c for c in result.heatmap if c.probability == p]
            row = []
            for c in cells:
                colour = _COLOUR[rating(c.score).value]
                row.append(f"[{colour}]{len(c.risks)}[/{colour}]" if c.risks else "·")
            grid.add_row(str(p), *row)
        stdout.print(grid)
    if result.raid:
        table = Table(title="Assumptions, issues and decisions", title_justify="left")
        for col in ("kind", "id", "title", "owner", "severity", "status", "due"):
            add_column(table, col, wide=col == "title")
        for e in result.raid:
            item = e.item
            due = (
                "—"
                if item.due is None
                else f"[red]{item.due} (+{e.overdue_days} d)[/red]"
                if e.overdue_days is not None
                else str(item.due)
            )
            table.add_row(
                e.kind,
                escape(item.id),
                escape(item.title),
                escape(item.owner) if item.owner else "[red]none[/red]",
                item.severity,
                item.status.value,
                due,
            )
        _wide(table)
