"""``ontrack forecast``: the odds for every milestone (Monte Carlo), or throughput forecasts from
a team's history of work items."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ontrack.cli.common import (
    PROGRESS_OPTION,
    STATUS_DATE_OPTION,
    STORE_OPTION,
    load_or_exit,
    recorded_status,
)
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

if TYPE_CHECKING:
    from ontrack.engines.forecast.result import Forecast

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
    iterations: int = typer.Option(
        10_000, "--iterations", "-n", help=f"Monte Carlo iterations (1..{MAX_ITERATIONS:,})."
    ),
    seed: int = typer.Option(0, "--seed", help="Same seed, same numbers."),
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
    time_limit: float = typer.Option(
        5.0, "--time-limit", min=0.1, help="Seconds for the deterministic schedule."
    ),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
    history: Path | None = typer.Option(
        None,
        "--history",
        help="Forecast from a CSV history of work items (created, closed dates) instead of a "
        "plan: with --items N (when will N be done) or --until DATE (how many by then).",
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
    status_date: dt.datetime | None = STATUS_DATE_OPTION,
    db: str | None = STORE_OPTION,
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
            window_days=window,
            created_column=created_column,
            closed_column=closed_column,
            where=list(where),
            growth=growth,
            iterations=iterations,
            seed=seed,
            json_output=fmt is Format.JSON,
        )
        return
    if plan is None:
        stderr.print("give a PLAN (or --history FILE); see `ontrack forecast --help`")
        raise typer.Exit(2)
    loaded = load_or_exit(plan)
    # numpy and scipy load only when a forecast runs (a second off every other command).
    from ontrack.engines.forecast.distributions import Distribution  # noqa: PLC0415
    from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast  # noqa: PLC0415

    status = recorded_status(progress, plan, loaded, db, status_date)
    with _Bar(enabled=fmt is Format.TABLE) as bar:
        result, problems = forecast(
            loaded,
            ForecastOptions(
                iterations=iterations,
                seed=seed,
                distribution=Distribution(distribution.value),
                resources=resources,
                correlation=correlation,
                correlate_by="team" if correlate_by is GroupBy.TEAM else "tag",
                schedule_time_limit=time_limit,
                progress=bar,
                status=status,
            ),
        )
    if result is None:
        print_diagnostics(problems, stderr)
        stderr.print(f"[red]✗[/red] {plan} cannot be forecast: {counts_line(problems)}")
        raise typer.Exit(1)
    if fmt is Format.JSON:
        print_json(result.to_json() | {"diagnostics": [d.to_json() for d in problems]})
        return
    print_forecast(result)
    print_diagnostics(problems)


class _Bar:
    """A progress bar over the iterations, on a terminal only."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and stderr.is_terminal
        self.bar = Progress(
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        )
        self.task = self.bar.add_task("", total=1.0)

    def __enter__(self) -> _Bar | None:
        if not self.enabled:
            return None
        self.bar.start()
        return self

    def __call__(self, fraction: float) -> None:
        self.bar.update(self.task, completed=fraction)

    def __exit__(self, *_: object) -> None:
        if self.enabled:
            self.bar.stop()


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def print_forecast(result: Forecast) -> None:
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
        table = Table(
            title="What moves the finish (working days added to the mean)", title_justify="left"
        )
        for col in ("driver", "kind", "days", "share"):
            add_column(table, col, wide=col == "driver", right=col in ("days", "share"))
        for d in result.drivers[:10]:
            table.add_row(
                escape(d.title)
                if d.kind == "merge"
                else f"{escape(d.id)} [dim]{escape(d.title)}[/dim]",
                d.kind,
                f"{d.days:+.1f}",
                _pct(d.share),
            )
        print_wide(table)
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
        c = result.cost
        budget = (
            f"; budget {c.budget:,.0f} ({_pct(c.probability_within_budget)} chance within)"
            if c.budget is not None
            else ""
        )
        stdout.print(
            f"Cost ({c.currency}): planned {c.planned:,.0f}; P50 {c.p50:,.0f} · "
            f"P80 {c.p80:,.0f} · P95 {c.p95:,.0f}{budget}"
        )
