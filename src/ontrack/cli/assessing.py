"""What the commands that render the program assessment share: one set of options (same names,
same defaults, same help) and one way to build the assessment or stop with why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ontrack.cli.bounds import SEED_MAX, SEED_MIN, as_of_in_horizon
from ontrack.cli.common import open_workspace
from ontrack.cli.output import counts_line, print_diagnostics, stderr
from ontrack.cli.track import DB_HELP
from ontrack.model import Plan

if TYPE_CHECKING:
    from ontrack.app.asof import AsOf
    from ontrack.app.assessment import Assessment, AssessOptions
    from ontrack.app.tracking import Tracked
    from ontrack.engines.schedule.progress import Status

#: The default of every command's --iterations (ontrack.app.assessment.DEFAULT_ITERATIONS,
#: repeated here so --help does not load the engines; a test keeps them equal).
ITERATIONS = 10_000
MAX_ITERATIONS = 10_000_000

ITERATIONS_OPTION = typer.Option(
    ITERATIONS,
    "--iterations",
    "-n",
    help=f"Monte Carlo iterations, 1..{MAX_ITERATIONS:,} (every command has the same default, "
    "so the same odds).",
)
SEED_OPTION = typer.Option(
    0, "--seed", min=SEED_MIN, max=SEED_MAX, help="Same seed, same numbers (0..4294967295)."
)
TIME_LIMIT_OPTION = typer.Option(
    5.0, "--time-limit", min=0.1, help="Seconds for the deterministic schedule."
)
AS_OF_OPTION = typer.Option(
    None,
    "--status-date",
    "--as-of",
    formats=["%Y-%m-%d"],
    callback=as_of_in_horizon,
    help="The day to assess the program as of (default: the program's status_date or the "
    "latest progress recorded, whichever is later; else the latest actual date in the plan; "
    "else today). Progress after it is ignored; no remaining work is planned before it.",
)
PROGRESS_OPTION = typer.Option(
    False,
    "--progress",
    help="Plan around the progress recorded in the store (`ontrack progress`): done work "
    "stays where it happened, work under way continues with what is left. Progress written "
    "in the plan itself is always used.",
)
BASELINE_OPTION = typer.Option(
    None,
    "--baseline",
    "-b",
    help="Measure against this baseline of the store: slips, earned value, scope change and "
    "the budget position (implies --progress).",
)
DB_OPTION = typer.Option(None, "--db", help=DB_HELP)
STORE_PLAN_OPTION = typer.Option(
    None,
    "--plan",
    help="With --baseline or --progress: the plan file or folder whose store to use "
    "(default: PLAN).",
)


@dataclass(frozen=True, slots=True)
class StoreRequest:
    """Which tracking data to read from the store (nothing unless --progress or --baseline)."""

    where: Path
    db: str | None = None
    baseline: str | None = None
    progress: bool = False
    window: tuple[dt.date, dt.date] | None = None  # the status report's (since, end)

    @property
    def wanted(self) -> bool:
        return self.progress or self.baseline is not None


def read_store(plan: Plan, request: StoreRequest, until: dt.date | None) -> Tracked | None:
    """The store's tracking data, or None when not asked for; stops with E5xx on store errors."""
    if not request.wanted:
        return None
    with open_workspace(request.db, request.where) as workspace:
        return workspace.read_tracked(plan, request.baseline, until=until, window=request.window)


def assess_or_exit(
    plan: Plan,
    plan_path: Path,
    options: AssessOptions,
    request: StoreRequest,
    as_of: dt.datetime | dt.date | None,
    *,
    bar: bool = True,
    consequence: str = "nothing to show",
) -> tuple[Assessment, Tracked | None]:
    """The program assessment (with a progress bar on a terminal), or its diagnostics and
    exit code 1 when the plan truly cannot be scheduled."""
    from ontrack.app.asof import resolve_as_of  # noqa: PLC0415
    from ontrack.app.assessment import assess  # noqa: PLC0415

    day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
    tracked = read_store(plan, request, day)
    facts = tracked.facts if tracked is not None else ()
    when = resolve_as_of(plan, facts, day)
    with progress_bar(enabled=bar) as update:
        result, diagnostics = assess(
            plan,
            options,
            as_of=when,
            facts=facts,
            tracking=tracked.baseline if tracked is not None else None,
            progress=update,
            synced=tracked.synced if tracked is not None else None,
            signoffs=tracked.signoffs if tracked is not None else (),
        )
    if result is None:
        print_diagnostics(diagnostics, stderr)
        stderr.print(
            f"[red]✗[/red] {escape(str(plan_path))} cannot be scheduled: "
            f"{counts_line(diagnostics)}; {consequence}"
        )
        raise typer.Exit(1)
    return result, tracked


def as_of_status(
    plan: Plan, request: StoreRequest, as_of: dt.datetime | dt.date | None
) -> tuple[AsOf, Status, list[Any]]:
    """The as-of date by the one rule, each task's progress as of it, and the store's facts
    up to it: what a command that schedules without the whole assessment plans around."""
    from ontrack.app.asof import resolve_as_of, status_as_of  # noqa: PLC0415

    day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
    tracked = read_store(plan, request, day)
    facts = list(tracked.facts) if tracked is not None else []
    when = resolve_as_of(plan, facts, day)
    chosen = [f for f in facts if f.status_date <= when.date]
    return when, status_as_of(plan, chosen, when), chosen


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[float], None] | None]:
    """A progress bar over the simulation, on a terminal only."""
    if not (enabled and stderr.is_terminal):
        yield None
        return
    bar = Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    task = bar.add_task("", total=1.0)
    with bar:
        yield lambda fraction: bar.update(task, completed=fraction)
