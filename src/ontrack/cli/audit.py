"""``ontrack audit``: the DCMA 14-point schedule assessment and the plan lint."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.app.asof import resolve_as_of
from ontrack.cli.assessing import StoreRequest, read_store
from ontrack.cli.bounds import as_of_in_horizon
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
from ontrack.cli.track import DB_OPTION, FORMAT_OPTION, PROGRAM_OPTION

if TYPE_CHECKING:
    from ontrack.engines.compliance import Audit, Check, Tracking
    from ontrack.model import Plan

#: Offending ids shown per row of the table (JSON has them all).
SHOWN = 4
#: The critical path test's delay: the engine's DEFAULT_DELAY (the engine loads only when an
#: audit runs, so --help stays quick; a test keeps the two equal).
DELAY = 600


def audit_command(
    plan: Path = typer.Argument(..., help="A plan file, or a folder of plan files."),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        "-b",
        help="Measure execution against this baseline of the store (missed tasks, BEI, and "
        "CPLI when the plan has no deadline), with the progress recorded in the store.",
    ),
    progress: bool = typer.Option(
        False,
        "--progress",
        help="Use the progress recorded in the store (`ontrack progress`) without a baseline. "
        "Otherwise the progress written in the plan (status_date, actual_start, ...) is used.",
    ),
    status_date: dt.datetime | None = typer.Option(
        None,
        "--status-date",
        formats=["%Y-%m-%d"],
        callback=as_of_in_horizon,
        help="Audit as of this day: the store's progress as of then (default: the latest "
        "recorded), or the plan's own progress read at this date.",
    ),
    delay: int = typer.Option(
        DELAY,
        "--delay",
        min=1,
        help="Working days the critical path test adds to a critical task.",
    ),
    critical_task: str | None = typer.Option(
        None,
        "--critical-task",
        help="The task the critical path test delays (default: the first incomplete task on "
        "the critical path to start).",
    ),
    time_limit: float = typer.Option(
        2.0, "--time-limit", min=0.1, help="Seconds to level the schedule the checks measure."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Exit 1 when a check or lint rule fails (n/a never fails)."
    ),
    db: str | None = DB_OPTION,
    program: str | None = PROGRAM_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Assess the schedule with the DCMA 14-point checks and lint the plan for good practice.

    Each check gives its count, the tasks it counts among, the published threshold, pass or
    fail, and the offending tasks. Checks that need tracking data (invalid dates, missed tasks,
    BEI, CPLI without a deadline) are n/a without it: give progress (in the plan, or
    --progress) and a baseline (--baseline). Exits 0 whatever the findings (1 with --strict
    when one fails), 1 when the plan or the store cannot be read. Definitions: docs/audit.md.

    Example: ontrack audit examples/platform-migration

    Example: ontrack audit examples/platform-migration --baseline approved --format json
    """
    loaded = load_or_exit(plan)
    from ontrack.app.assessment import AssessOptions, assess  # noqa: PLC0415
    from ontrack.engines.compliance import AuditOptions, audit  # noqa: PLC0415
    from ontrack.engines.schedule.planner import ScheduleOptions  # noqa: PLC0415

    day = status_date.date() if status_date else None
    settings = AuditOptions(
        schedule=ScheduleOptions(time_limit=time_limit),
        delay_days=delay,
        critical_task=critical_task,
    )
    # The checks measure the program assessment's schedule (the dates every output shows).
    request = StoreRequest(plan, db, baseline, progress)
    tracked = read_store(loaded, request, day)
    facts = tracked.facts if tracked is not None else ()
    assessed, diagnostics = assess(
        loaded,
        AssessOptions(time_limit=time_limit, audit=settings),
        as_of=resolve_as_of(loaded, facts, day),
        facts=facts,
        tracking=tracked.baseline if tracked is not None else None,
    )
    if assessed is not None and assessed.audit is not None:
        result = assessed.audit
    else:  # no levelled schedule: the checks measure the logic network (docs/audit.md)
        tracking = _tracking(plan, loaded, baseline, progress, day, db, program)
        result, diagnostics = audit(loaded, tracking, settings)
    if fmt is Format.JSON:
        print_json(result.to_json() | {"diagnostics": [d.to_json() for d in diagnostics]})
    else:
        print_audit(result)
        print_diagnostics(diagnostics, stderr)
    if strict and result.failed:
        raise typer.Exit(1)


def _tracking(
    path: Path,
    plan: Plan,
    baseline: str | None,
    progress: bool,
    status_date: dt.date | None,
    db: str | None,
    program: str | None,
) -> Tracking:
    from ontrack.engines.compliance import Tracking  # noqa: PLC0415
    from ontrack.engines.schedule.progress import Status, facts_status, plan_status  # noqa: PLC0415

    status = None
    frozen = None
    if baseline is not None or progress:
        from ontrack.cli.common import open_workspace  # noqa: PLC0415

        with open_workspace(db, path) as workspace:
            name = workspace.program(program or plan.program.name)
            if baseline is not None:
                frozen = workspace.baseline(name, baseline).tasks
            facts = workspace.progress(name)
        status = facts_status(plan, facts, status_date)
    if status is None and status_date is not None:  # the plan's own progress, read at that day
        own = plan_status(plan)
        status = Status(status_date, own.tasks if own else {})
    return Tracking(status, frozen, baseline)


def _value(check: Check) -> str:
    value = check.value
    if value is None:
        return "—"
    if check.check in ("cpli", "bei"):
        return f"{float(value):.2f}"
    if check.check == "critical-path-test":
        return f"{check.count}d"
    return f"{float(value) * 100:.1f}%"


def _result(passed: bool | None) -> str:
    if passed is None:
        return "[dim]n/a[/dim]"
    return "[green]pass[/green]" if passed else "[red]fail[/red]"


def _which(check: Check) -> str:
    if check.passed is None and check.note:
        return f"[dim]{escape(check.note)}[/dim]"
    shown = ", ".join(check.ids[:SHOWN])
    more = len(check.ids) - SHOWN
    return escape(shown) + (f" [dim]+{more} more[/dim]" if more > 0 else "")


def _tally(checks: tuple[Check, ...]) -> str:
    passed = sum(c.passed is True for c in checks)
    failed = sum(c.passed is False for c in checks)
    na = sum(c.passed is None for c in checks)
    return f"{passed} pass, {failed} fail" + (f", {na} n/a" if na else "")


def print_audit(result: Audit) -> None:
    basis = (
        "levelled schedule"
        if result.basis == "levelled"
        else "logic network (the plan cannot be levelled; see below)"
    )
    context = [f"{basis} finishing {result.finish}"]
    if result.status_date:
        context.append(f"status {result.status_date}")
    if result.baseline:
        context.append(f"baseline {escape(result.baseline)}")
    stdout.print(
        f"[bold]{escape(result.program)}[/bold]: DCMA 14-point assessment "
        f"{_tally(result.dcma)}; " + "; ".join(context)
    )
    table = Table(title="DCMA 14-point assessment", title_justify="left")
    for col in ("#", "check", "count", "of", "value", "threshold", "result", "tasks"):
        add_column(table, col, wide=col == "tasks", right=col in ("#", "count", "of", "value"))
    for c in result.dcma:
        table.add_row(
            str(c.number),
            escape(c.name),
            "—" if c.count is None else str(c.count),
            "—" if c.total is None else str(c.total),
            _value(c),
            escape(c.threshold),
            _result(c.passed),
            _which(c),
        )
    print_wide(table)
    for c in result.dcma:
        if c.passed is not None and c.note:
            stdout.print(f"[dim]{c.number} {escape(c.name)}: {escape(c.note)}[/dim]")
    table = Table(title=f"Plan lint: {_tally(result.lint)}", title_justify="left")
    for col in ("rule", "count", "of", "result", "items"):
        add_column(table, col, wide=col == "items", right=col in ("count", "of"))
    for c in result.lint:
        table.add_row(
            escape(c.name),
            "—" if c.count is None else str(c.count),
            "—" if c.total is None else str(c.total),
            _result(c.passed),
            _which(c),
        )
    print_wide(table)
