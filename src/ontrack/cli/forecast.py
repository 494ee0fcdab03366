"""``ontrack forecast``: the odds for every milestone (Monte Carlo), or throughput forecasts from
a team's history of work items."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.cli.assessing import (
    AS_OF_OPTION,
    BASELINE_OPTION,
    DB_OPTION,
    ITERATIONS_OPTION,
    PROGRESS_OPTION,
    SEED_OPTION,
    TIME_LIMIT_OPTION,
    StoreRequest,
    assess_or_exit,
)
from ontrack.cli.common import load_or_exit
from ontrack.cli.output import (
    Format,
    add_column,
    print_diagnostics,
    print_json,
    print_wide,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    from ontrack.engines.forecast.result import CostForecast, DriverContribution, Forecast

MAX_ITERATIONS = 10_000_000  # checked against the engine's own limit in the tests


class DistributionChoice(StrEnum):
    PERT = "pert"
    TRIANGULAR = "triangular"
    LOGNORMAL = "lognormal"


class GroupBy(StrEnum):
    TEAM = "team"
    TAG = "tag"


def forecast_command(
    plan: Path | None = typer.Argument(None, help="A plan file, or a folder of plan files."),
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    resources: bool = typer.Option(
        False,
        "--resources",
        help="Re-level every iteration with the heuristic scheduler (slower; people pick up "
        "whatever is ready) instead of keeping the deterministic schedule's assignments.",
    ),
    distribution: DistributionChoice = typer.Option(
        DistributionChoice.PERT,
        "--distribution",
        help="How three-point estimates spread: pert (Beta), triangular, or lognormal (a long "
        "right tail past the pessimistic value).",
    ),
    correlation: float = typer.Option(
        0.0,
        "--correlation",
        help="Correlation (0..0.99) between the durations of tasks in the same group: tasks "
        "of a team tend to overrun together.",
    ),
    correlate_by: GroupBy = typer.Option(
        GroupBy.TEAM, "--correlate-by", help="Group tasks by team, or by their first tag."
    ),
    time_limit: float = TIME_LIMIT_OPTION,
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
    history: Path | None = typer.Option(
        None,
        "--history",
        help="Forecast from a CSV history of work items (created, closed dates), or from "
        "store:SOURCE (the items `ontrack sync` read from that source of PLAN's store), instead "
        "of a plan: with --items N (when will N be done) or --until DATE (how many by then).",
    ),
    items: int | None = typer.Option(None, "--items", help="With --history: items to finish."),
    until: dt.datetime | None = typer.Option(
        None, "--until", formats=["%Y-%m-%d"], help="With --history: count items done by then."
    ),
    start: dt.datetime | None = typer.Option(
        None,
        "--start",
        formats=["%Y-%m-%d"],
        help="With --history: the day the forecast starts (default: the day after the history).",
    ),
    window: int | None = typer.Option(
        None, "--window", help="With --history: days of recent history to sample from."
    ),
    created_column: str = typer.Option(
        "created", "--created-column", help="With --history: the column of creation dates."
    ),
    closed_column: str = typer.Option(
        "closed", "--closed-column", help="With --history: the column of completion dates."
    ),
    where: list[str] = typer.Option(
        [], "--where", help="With --history: keep rows where COLUMN=VALUE (repeatable)."
    ),
    growth: float = typer.Option(
        0.0,
        "--growth",
        help="With --history: share of newly arriving items that join the scope (0..1).",
    ),
    progress: bool = PROGRESS_OPTION,
    baseline: str | None = BASELINE_OPTION,
    status_date: dt.datetime | None = AS_OF_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Forecast delivery dates with Monte Carlo simulation, or from throughput history.

    For a plan: every task's duration is drawn from its estimate (three-point estimates as
    PERT-Beta; single points are exact unless the program sets `uncertainty`), risks happen
    with their probability and add their impact, and people's calendars are honoured. Prints
    P50/P80/P95 dates and the chance of meeting each deadline, the tasks and risks that drive
    the finish, the cost range and how stable the P80 is.

    Example: ontrack forecast examples/platform-migration --iterations 20000 --seed 7

    Example: ontrack forecast --history items.csv --items 40
    """
    if history is not None:
        from ontrack.cli.history import forecast_history  # noqa: PLC0415 - its own engine

        forecast_history(
            history,
            items=items,
            until=until.date() if until else None,
            start=start.date() if start else None,
            as_of=status_date.date() if status_date else None,  # the export day
            window_days=window,
            created_column=created_column,
            closed_column=closed_column,
            where=list(where),
            growth=growth,
            iterations=iterations,
            seed=seed,
            json_output=fmt is Format.JSON,
            db=db,
            plan=plan,
        )
        return
    if plan is None:
        stderr.print("give a PLAN (or --history FILE); see `ontrack forecast --help`")
        raise typer.Exit(2)
    loaded = load_or_exit(plan)
    from ontrack.app.assessment import AssessOptions  # noqa: PLC0415
    from ontrack.reports.data import ReportOptions  # noqa: PLC0415

    assessed, _ = assess_or_exit(
        loaded,
        plan,
        AssessOptions(
            iterations=iterations,
            seed=seed,
            time_limit=time_limit,
            distribution=distribution.value,
            resources=resources,
            correlation=correlation,
            correlate_by="team" if correlate_by is GroupBy.TEAM else "tag",
            report=ReportOptions(audit=False),
        ),
        StoreRequest(plan, db, baseline, progress),
        status_date,
        bar=fmt is Format.TABLE,
        consequence="nothing to forecast",
    )
    result = assessed.forecast
    problems = list(assessed.diagnostics)
    if fmt is Format.JSON:
        from ontrack.app.views import forecast_json  # noqa: PLC0415

        print_json(forecast_json(assessed))
        return
    stdout.print(f"[dim]{escape(assessed.as_of.statement)}[/dim]")
    # With progress, the simulation plans only the work left after the status date.
    status = assessed.status
    print_forecast(result, remaining_from=status.date if status.tasks else None)
    print_diagnostics(problems)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def print_forecast(result: Forecast, *, remaining_from: dt.date | None = None) -> None:
    """The forecast as tables; ``remaining_from``: the status date the simulation planned the
    remaining work from (its cost is then the cost of that work, not of the whole program)."""
    f = result.finish
    stdout.print(
        f"[bold]{escape(f.title)}[/bold]: planned finish {f.planned}; "
        f"[bold]P50 {f.p50} · P80 {f.p80} · P95 {f.p95}[/bold]"
    )
    stdout.print(
        f"[dim]{result.iterations:,} iterations ({result.mode} mode, {result.distribution}), "
        f"seed {result.seed}, {result.seconds:.1f}s · {result.convergence.statement}[/dim]"
    )
    if result.milestones:
        table = Table(title="Milestones, deadlines and releases", title_justify="left")
        for col in ("id", "deadline", "planned", "P50", "P80", "P95", "on time"):
            add_column(table, col, right=col == "on time")
        for m in result.milestones:
            chance = m.probability_on_time
            colour = (
                ""
                if chance is None
                else ("green" if chance >= 0.8 else "yellow" if chance >= 0.5 else "red")
            )
            on_time = f"[{colour}]{_pct(chance)}[/{colour}]" if colour else _pct(chance)
            table.add_row(
                escape(m.id),
                str(m.deadline or ""),
                str(m.planned),
                str(m.p50),
                str(m.p80),
                str(m.p95),
                on_time,
            )
        print_wide(table)
    if result.drivers:
        print_wide(_drivers_table(result))
    # Critical and uncertain both: the schedule sensitivity index ranks what to manage first.
    crucial = sorted(
        (t for t in result.tasks if t.criticality > 0 and t.planned_days > 0),
        key=lambda t: (-t.sensitivity, -t.criticality, t.id),
    )[:10]
    if crucial:
        table = Table(
            title="Critical tasks that move the finish most (by schedule sensitivity index)",
            title_justify="left",
        )
        for col in ("task", "criticality", "cruciality", "SSI", "mean days"):
            add_column(table, col, wide=col == "task", right=col != "task")
        for t in crucial:
            table.add_row(
                f"{escape(t.id)} [dim]{escape(t.title)}[/dim]",
                _pct(t.criticality),
                f"{t.cruciality:.2f}",
                f"{t.sensitivity:.2f}",
                f"{t.mean_days:.1f}",
            )
        print_wide(table)
    if result.cost is not None:
        stdout.print(cost_line(result.cost, remaining_from))


def cost_line(c: CostForecast, remaining_from: dt.date | None) -> str:
    """The cost range in one line; with ``remaining_from`` the cost of the work left after that
    status date (the work done is paid and not simulated)."""
    odds = _pct(c.probability_within_budget)
    label, within = f"Cost ({c.currency})", ""
    if remaining_from is not None:
        label = f"Cost of the remaining work from {remaining_from} ({c.currency})"
    if c.budget is not None and remaining_from is None:
        within = f"; budget {c.budget:,.0f} ({odds} chance within)"
    elif c.budget is not None:
        within = (
            f"; the whole program's budget is {c.budget:,.0f} ({odds} chance the "
            "remaining work alone fits; add the actual cost to date: ontrack budget)"
        )
    return (
        f"{label}: planned {c.planned:,.0f}; P50 {c.p50:,.0f} · "
        f"P80 {c.p80:,.0f} · P95 {c.p95:,.0f}{within}"
    )


TOP_DRIVERS = 10
# What the per-path attribution leaves over, by its sign. Each iteration credits the overruns
# and risk delays on the path that drove its finish; when that path had float in the plan, part
# of its overrun only used the float up and the finish moved by less (a negative remainder);
# waits for time off or for a person, and the latest of merging paths, move it by more.
MERGE_ADDS = "merge bias and waits: merging paths, waits for time off or for a person"
MERGE_TAKES = (
    "absorbed by float: the paths that drove the finish had slack in the plan, so part of "
    "their overruns above did not move it (path switching)"
)


def _kind(d: DriverContribution) -> str:
    return "paths" if d.kind == "merge" else d.kind


def _drivers_table(result: Forecast) -> Table:
    """What moves the finish, as shares that read naturally: the delays (positive lines) add
    up to 100 %; a line that takes delay back (float that absorbed part of the overruns) is
    shown apart, with its days and no share, and the last line nets them to the mean delay."""
    adds = sorted((d for d in result.drivers if d.days > 0), key=lambda d: -d.days)
    takes = sorted((d for d in result.drivers if d.days < 0), key=lambda d: d.days)
    gross = sum(d.days for d in adds)
    net = sum(d.days for d in result.drivers)
    table = Table(
        title="What moves the finish (working days added to the mean finish beyond the "
        f"planned {result.finish.planned})",
        title_justify="left",
    )
    for col in ("driver", "kind", "days", "share"):
        add_column(table, col, wide=col == "driver", right=col in ("days", "share"))

    def label(d: DriverContribution) -> str:
        if d.kind == "merge":
            return MERGE_ADDS if d.days > 0 else MERGE_TAKES
        return f"{escape(d.id)} [dim]{escape(d.title)}[/dim]"

    for d in adds[:TOP_DRIVERS]:
        table.add_row(label(d), _kind(d), f"{d.days:+.1f}", _pct(d.days / gross))
    others = adds[TOP_DRIVERS:]
    if others:
        days = sum(d.days for d in others)
        table.add_row(f"{len(others)} more drivers", "", f"{days:+.1f}", _pct(days / gross))
    if takes:
        table.add_section()
        table.add_row("delays, all drivers", "", f"{gross:+.1f}", "100%", end_section=True)
        for d in takes:
            table.add_row(label(d), _kind(d), f"{d.days:+.1f}", "")
    table.add_section()
    table.add_row("[bold]the mean finish moves by[/bold]", "", f"[bold]{net:+.1f}[/bold]", "")
    return table
