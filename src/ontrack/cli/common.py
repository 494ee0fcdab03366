"""What several commands share: loading the plan or stopping with its diagnostics, and the
options that plan around recorded progress."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ontrack.cli.output import counts_line, print_diagnostics, stderr
from ontrack.interop.importer import load_any
from ontrack.model import Plan
from ontrack.planfile import load_plan

if TYPE_CHECKING:
    from ontrack.engines.schedule.progress import Status


def load_or_exit(
    path: Path, consequence: str = "run `ontrack check`", *, imports: bool = True
) -> Plan:
    """The plan, or its diagnostics on stderr and exit code 1. With ``imports``, a file another
    tool wrote (MS Project XML, Primavera XER, a CSV task list) is read as a plan too."""
    plan, diagnostics = load_any(path) if imports else load_plan(path)
    if plan is None:
        print_diagnostics(diagnostics, stderr)
        stderr.print(f"[red]✗[/red] {path}: {counts_line(diagnostics)}; {consequence}")
        raise typer.Exit(1)
    return plan


PROGRESS_OPTION = typer.Option(
    False,
    "--progress",
    help="Plan around the progress recorded in the store (`ontrack progress`): done work "
    "stays where it happened, work under way continues with what is left. Progress written "
    "in the plan itself is always used.",
)
STATUS_DATE_OPTION = typer.Option(
    None,
    "--status-date",
    formats=["%Y-%m-%d"],
    help="With --progress: the progress as of this day (default: the latest recorded).",
)
STORE_OPTION = typer.Option(
    None, "--db", help="With --progress: the store's database (default: beside the plan)."
)


def recorded_status(
    use: bool, plan_path: Path, plan: Plan, db: str | None, status_date: dt.datetime | None
) -> Status | None:
    """The store's progress for ``--progress`` (None without it)."""
    if not use:
        return None
    from ontrack.cli.track import store_status  # noqa: PLC0415 - the store is heavy

    return store_status(plan_path, plan, db, status_date.date() if status_date else None)
