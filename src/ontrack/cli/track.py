"""``ontrack apply``, ``log``, ``diff`` and ``baseline``: the plan's history and what was agreed."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.app.workspace import ENV, Workspace
from ontrack.cli.bounds import SEED_MAX, SEED_MIN, as_of_in_horizon
from ontrack.cli.common import load_or_exit, open_workspace
from ontrack.cli.flags import App
from ontrack.cli.output import (
    Format,
    add_column,
    counts_line,
    print_diagnostics,
    print_json,
    stderr,
    stdout,
)
from ontrack.diagnostics import SourceLoc, error
from ontrack.planfile import plan_sources

if TYPE_CHECKING:
    from ontrack.engines.diff import PlanDiff

DB_HELP = (
    f"Database URL or SQLite file (default: ${ENV}, else .ontrack/ontrack.db beside the plan). "
    "PostgreSQL: postgresql+psycopg://user@host/database."
)
PLAN_HELP = "The plan file or folder whose store to use."

# Options every store command takes (one definition, so their help reads the same).
PLAN_OPTION = typer.Option(Path("."), "--plan", help=PLAN_HELP)
DB_OPTION = typer.Option(None, "--db", help=DB_HELP)
PROGRAM_OPTION = typer.Option(None, "--program", help="Program, if the store has several.")
FORMAT_OPTION = typer.Option(Format.TABLE, "--format", "-f", help="table or json.")

baseline_app = App(
    help="Baselines: a revision and its schedule, frozen as agreed with stakeholders.",
    no_args_is_help=True,
)


def apply(
    plan: Path = typer.Argument(..., help="The plan file or folder to record."),
    message: str = typer.Option("", "--message", "-m", help="Why the plan changed."),
    author: str | None = typer.Option(
        None, "--author", help="Who made the change (default: the current user)."
    ),
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Record the plan as a new numbered revision in the store.

    The plan must load without errors. Applying an unchanged plan records nothing and says so.

    Example: ontrack apply examples/platform-migration -m "wave 2 moved after the pen test"
    """
    # Revisions keep plan files: an imported file is converted with `ontrack import` first.
    loaded = load_or_exit(plan, "nothing recorded", imports=False)
    try:
        files = plan_sources(plan)
    except (OSError, UnicodeDecodeError) as exc:  # changed on disk since it was loaded
        print_diagnostics([error("E001", SourceLoc(str(plan)), f"cannot read: {exc}")], stderr)
        raise typer.Exit(1) from None
    who = author or os.environ.get("ONTRACK_AUTHOR") or getpass.getuser()

    def check() -> None:  # a revision the store would refuse creates no store
        Workspace.check_apply(loaded, files, author=who, message=message)

    with open_workspace(db, plan, create=True, before=check) as workspace:
        applied = workspace.apply(loaded, files, author=who, message=message)
        info = applied.revision
        if fmt is Format.JSON:
            print_json(
                {"recorded": applied.recorded, "program": applied.program, "store": workspace.label}
                | info.to_json()
            )
        elif applied.recorded:
            stdout.print(
                f"[green]✓[/green] recorded revision [bold]{info.number}[/bold] of "
                f"'{escape(applied.program)}' ({info.tasks} tasks) in {workspace.label}"
            )
        else:
            stdout.print(
                f"nothing changed since revision {info.number} "
                f"({info.created_at:%Y-%m-%d %H:%M} UTC); nothing recorded"
            )


def log(
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    program: str | None = PROGRAM_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List the recorded revisions of the plan, newest first, and the baselines on them.

    Example: ontrack log --plan examples/platform-migration
    """
    with open_workspace(db, plan) as workspace:
        name = workspace.program(program)
        entries = workspace.log(name)
    if fmt is Format.JSON:
        print_json(
            {
                "program": name,
                "revisions": [
                    e.revision.to_json() | {"baselines": list(e.baselines)} for e in entries
                ],
            }
        )
        return
    table = Table(title=f"Revisions of {escape(name)}", title_justify="left")
    for col in ("rev", "when (UTC)", "author", "tasks", "baselines", "message"):
        add_column(table, col, wide=col == "message", right=col in ("rev", "tasks"))
    for e in entries:
        r = e.revision
        table.add_row(
            str(r.number),
            f"{r.created_at:%Y-%m-%d %H:%M}",
            escape(r.author),
            str(r.tasks),
            escape(", ".join(e.baselines)),
            escape(r.message),
        )
    stdout.print(table)


def diff(
    old: int | None = typer.Argument(
        None, help="The earlier revision (default: the one before the newer); -1 = one back."
    ),
    new: int | None = typer.Argument(None, help="The later revision (default: the latest)."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    program: str | None = PROGRAM_OPTION,
    dates: bool = typer.Option(
        True,
        "--dates/--no-dates",
        help="Schedule both revisions and show the tasks whose dates moved (a few seconds).",
    ),
    time_limit: float = typer.Option(
        2.0, "--time-limit", min=0.1, help="Seconds to schedule each revision, with --dates."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Show what changed between two revisions: tasks added, removed and changed (estimate,
    dependencies, assignees, deadlines, scheduled dates, ...), risks added and closed.

    Example: ontrack diff 3 5 --plan examples/platform-migration
    """
    from ontrack.app.workspace import plan_changes  # noqa: PLC0415

    with open_workspace(db, plan) as workspace:
        pair = workspace.revision_pair(workspace.program(program), old, new)
    changes = plan_changes(pair.before, pair.after, dates=dates, time_limit=time_limit)
    if fmt is Format.JSON:
        print_json(
            {"program": pair.program, "from": pair.older, "to": pair.newer} | changes.to_json()
        )
        return
    _print_diff(pair.program, pair.older, pair.newer, changes)


def _print_diff(name: str, older: int, newer: int, changes: PlanDiff) -> None:
    summary = changes.to_json()["summary"]
    stdout.print(
        f"[bold]{escape(name)}[/bold]: revision {older} → {newer}: "
        f"{summary['tasks_added']} tasks added, {summary['tasks_removed']} removed, "
        f"{summary['tasks_changed']} changed; {summary['risks_added']} risks added, "
        f"{summary['risks_closed']} closed"
    )
    if changes.empty:
        stdout.print("no changes to tasks or risks")
        return
    colour = {"added": "green", "removed": "red", "closed": "green", "reopened": "red"}
    for group, items in (("Tasks", changes.tasks), ("Risks", changes.risks)):
        if not items:
            continue
        table = Table(title=group, title_justify="left")
        for col in ("change", "id", "what changed"):
            add_column(table, col, wide=col == "what changed")
        for item in items:
            shade = colour.get(item.kind, "yellow")
            detail = "; ".join(
                f"{f.field}: {escape(f.old) or '—'} → {escape(f.new) or '—'}" for f in item.fields
            ) or escape(item.title)
            table.add_row(f"[{shade}]{item.kind}[/{shade}]", escape(item.id), detail)
        stdout.print(table)


@baseline_app.command("set")
def baseline_set(
    name: str = typer.Argument(..., help="The baseline's name, e.g. 'approved' or 'q3-replan'."),
    rev: int | None = typer.Option(None, "--rev", help="Revision to freeze (default: latest)."),
    replace: bool = typer.Option(False, "--replace", help="Move an existing baseline."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    program: str | None = PROGRAM_OPTION,
    time_limit: float = typer.Option(
        5.0, "--time-limit", min=0.1, help="Seconds to schedule the revision."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Freeze a revision and its schedule (dates and costs) as a named baseline.

    Example: ontrack baseline set approved --plan examples/platform-migration
    """
    with open_workspace(db, plan) as workspace:
        outcome = workspace.set_baseline(
            workspace.program(program), name, rev, replace=replace, time_limit=time_limit
        )
    info = outcome.baseline
    if info is None:
        print_diagnostics(outcome.diagnostics, stderr)
        stderr.print(
            f"[red]✗[/red] revision {outcome.revision} cannot be scheduled; no baseline set"
        )
        raise typer.Exit(1)
    if fmt is Format.JSON:
        print_json(info.to_json())
        return
    stdout.print(
        f"[green]✓[/green] baseline [bold]{escape(name)}[/bold] = revision {outcome.revision}: "
        f"finish {info.finish}, planned cost {info.cost:,} {outcome.plan.program.currency}"
    )


@baseline_app.command("list")
def baseline_list(
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    program: str | None = PROGRAM_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List the baselines: name, revision, finish date and planned cost.

    Example: ontrack baseline list --plan examples/platform-migration
    """
    with open_workspace(db, plan) as workspace:
        name = workspace.program(program)
        baselines = workspace.baselines(name)
    if fmt is Format.JSON:
        print_json({"program": name, "baselines": [b.to_json() for b in baselines]})
        return
    if not baselines:
        stdout.print("no baselines yet: ontrack baseline set NAME")
        return
    table = Table(title=f"Baselines of {escape(name)}", title_justify="left")
    for col in ("name", "rev", "set (UTC)", "finish", "cost"):
        add_column(table, col, right=col in ("rev", "cost"))
    for b in baselines:
        table.add_row(
            escape(b.name),
            str(b.revision),
            f"{b.created_at:%Y-%m-%d %H:%M}",
            str(b.finish),
            f"{b.cost:,}",
        )
    stdout.print(table)


def progress(
    file: Path | None = typer.Argument(None, help="A CSV or YAML file of progress facts."),
    status_date: dt.datetime | None = typer.Option(
        None,
        "--status-date",
        formats=["%Y-%m-%d"],
        # Not held to the horizon here: reading a file holds it to the program's (E448), and
        # --withdraw must reach a fact an older ontrack recorded outside it.
        help="The status date of rows that give none; with --withdraw, the fact's.",
    ),
    allow_future: bool = typer.Option(
        False,
        "--allow-future",
        help="Accept status dates after today (refused by default: progress is what was true).",
    ),
    withdraw: str | None = typer.Option(
        None,
        "--withdraw",
        metavar="TASK",
        help="Withdraw the fact recorded for TASK on --status-date, instead of recording.",
    ),
    reason: str = typer.Option("", "--message", "-m", help="Why the fact is withdrawn."),
    author: str | None = typer.Option(
        None, "--author", help="Who withdraws it (default: the current user)."
    ),
    listing: bool = typer.Option(
        False, "--list", help="List every fact recorded, withdrawn ones too, instead."
    ),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    program: str | None = PROGRAM_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Record dated progress: actual start and finish, percent complete or remaining work,
    actual cost, a note, per task and status date; withdraw a fact recorded in error; list them.

    A status date after today is refused (E447) unless --allow-future is given; one more than a
    year before the program starts or 50 years after it (or after 2200) always is (E448).

    CSV columns: task, status_date, actual_start, actual_finish, percent_complete, remaining,
    actual_cost, note (only task is required). YAML: a list of mappings with those keys, or
    status_date plus tasks. Task ids are checked against the latest revision; a row for the same
    task and status date replaces the earlier one. All or nothing: one bad row records none.

    --withdraw TASK --status-date DAY takes a fact back: every command ignores it from then on,
    and --list still shows it, with who withdrew it, when and why (-m).

    Example: ontrack progress status-2026-03-13.csv --plan examples/platform-migration

    Example: ontrack progress --withdraw api --status-date 2026-03-13 -m "was the web task"
    """
    day = status_date.date() if status_date else None
    modes = [m for m, on in (("FILE", file), ("--withdraw", withdraw), ("--list", listing)) if on]
    if len(modes) != 1:
        raise typer.BadParameter(
            "give a progress FILE to record, --withdraw TASK --status-date DAY, or --list"
            + (f" (not {' and '.join(modes)} together)" if modes else "")
        )
    if withdraw is not None:
        if day is None:
            raise typer.BadParameter("--withdraw needs the fact's --status-date")
        who = author or os.environ.get("ONTRACK_AUTHOR") or getpass.getuser()
        _withdraw(withdraw, day, who, reason, plan, db, program, fmt)
    elif listing:
        _list_progress(plan, db, program, fmt)
    else:
        assert file is not None
        _record_progress(file, day, allow_future, plan, db, program, fmt)


def _record_progress(
    file: Path,
    day: dt.date | None,
    allow_future: bool,
    plan: Path,
    db: str | None,
    program: str | None,
    fmt: Format,
) -> None:
    from ontrack.app.asof import today  # noqa: PLC0415 - ONTRACK_TODAY pins it, as elsewhere

    with open_workspace(db, plan) as workspace:
        outcome = workspace.record_progress_file(
            workspace.program(program),
            file,
            status_date=day,
            latest=None if allow_future else today(),
        )
    if not outcome.recorded:
        print_diagnostics(outcome.diagnostics, stderr)
        stderr.print(f"[red]✗[/red] {file}: {counts_line(outcome.diagnostics)}; nothing recorded")
        raise typer.Exit(1)
    name, facts, added, replaced = outcome.program, outcome.facts, outcome.added, outcome.replaced
    if fmt is Format.JSON:
        print_json({"program": name, "added": added, "replaced": replaced, "facts": len(facts)})
        return
    dates = sorted({f.status_date for f in facts})
    span = f"{dates[0]}" + (f"..{dates[-1]}" if len(dates) > 1 else "") if dates else "-"
    stdout.print(
        f"[green]✓[/green] recorded {added} progress facts"
        + (f", replaced {replaced}" if replaced else "")
        + f" for '{escape(name)}' (status {span})"
    )


def _withdraw(
    task: str,
    day: dt.date,
    who: str,
    reason: str,
    plan: Path,
    db: str | None,
    program: str | None,
    fmt: Format,
) -> None:
    with open_workspace(db, plan) as workspace:
        name = workspace.program(program)
        withdrawal = workspace.withdraw_progress(name, task, day, author=who, reason=reason)
    if fmt is Format.JSON:
        print_json({"program": name, "withdrawn": withdrawal.to_json()})
        return
    stdout.print(
        f"[green]✓[/green] withdrew the progress of '{escape(task)}' on {day} "
        f"for '{escape(name)}'; every command ignores it from now on"
    )


def _list_progress(plan: Path, db: str | None, program: str | None, fmt: Format) -> None:
    with open_workspace(db, plan) as workspace:
        name = workspace.program(program)
        entries = workspace.progress_history(name)
    if fmt is Format.JSON:
        print_json({"program": name, "progress": [e.to_json() for e in entries]})
        return
    if not entries:
        stdout.print("no progress recorded yet: ontrack progress FILE")
        return
    table = Table(title=f"Progress of {escape(name)}", title_justify="left")
    for col in ("status", "task", "done", "left (d)", "cost", "recorded (UTC)", "withdrawn"):
        add_column(table, col, wide=col == "withdrawn", right=col in ("done", "left (d)", "cost"))
    for e in entries:
        f, w = e.fact, e.withdrawal
        done = "" if f.percent_complete is None else f"{f.percent_complete.normalize():f}%"
        table.add_row(
            str(f.status_date),
            escape(f.task_id),
            "finished" if f.actual_finish is not None else done,
            "" if f.remaining_days is None else f"{f.remaining_days.normalize():f}",
            "" if f.actual_cost is None else f"{f.actual_cost:,}",
            f"{e.recorded_at:%Y-%m-%d %H:%M}",
            ""
            if w is None
            else escape(
                f"{w.withdrawn_at:%Y-%m-%d %H:%M} by {w.author}"
                + (f": {w.reason}" if w.reason else "")
                + (" (recorded again since)" if e.superseded else "")
            ),
        )
    stdout.print(table)


def budget(
    baseline: str = typer.Option(..., "--baseline", "-b", help="The baseline to measure against."),
    iterations: int = typer.Option(
        10_000,
        "--iterations",
        "-n",
        min=1,
        help="Monte Carlo iterations for the cost to complete (the default of every command).",
    ),
    seed: int = typer.Option(
        0, "--seed", min=SEED_MIN, max=SEED_MAX, help="Same seed, same numbers (0..4294967295)."
    ),
    status_date: dt.datetime | None = typer.Option(
        None,
        "--status-date",
        "--as-of",
        formats=["%Y-%m-%d"],
        callback=as_of_in_horizon,
        help="The day to measure as of (default: the latest progress recorded).",
    ),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    program: str | None = PROGRAM_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The budget position: budget at completion, actual cost, estimates at completion by
    earned value and by simulation of the work left, and the burn rate.

    BAC is the baseline's planned cost (people's days at their rates plus tasks' fixed costs);
    AC and EV come from the recorded progress; the simulation plans the latest revision's
    remaining work from the as-of date. The figures are the program assessment's, so
    `ontrack report --baseline` and `ontrack assess --baseline` show the same.

    Example: ontrack budget --baseline approved --plan examples/platform-migration
    """
    from ontrack.app.asof import resolve_as_of  # noqa: PLC0415
    from ontrack.app.assessment import AssessOptions, assess  # noqa: PLC0415
    from ontrack.reports.data import ReportOptions  # noqa: PLC0415

    day = status_date.date() if status_date else None
    with open_workspace(db, plan) as workspace:
        name = workspace.program(program)
        current = workspace.latest_plan(name)
        tracked = workspace.read_tracked(current, baseline, until=day)
    assessed, problems = assess(
        current,
        AssessOptions(iterations=iterations, seed=seed, report=ReportOptions(audit=False)),
        as_of=resolve_as_of(current, tracked.facts, day),
        facts=tracked.facts,
        tracking=tracked.baseline,
    )
    if assessed is None:
        print_diagnostics(problems, stderr)
        raise typer.Exit(1)
    track = assessed.report.tracking
    position = track.budget if track is not None else None
    if position is None:
        stderr.print(
            f"no budget position for '{escape(name)}': no progress is recorded and the plan "
            "has no costs; record progress with `ontrack progress`"
        )
        raise typer.Exit(1)
    if fmt is Format.JSON:
        print_json({"program": name, "baseline": baseline} | position.to_json())
        return
    data = position.to_json()
    stdout.print(f"[bold]{escape(name)}[/bold]: {escape(position.headline)}")
    table = Table(
        title=f"Budget against '{escape(baseline)}' ({position.currency})", title_justify="left"
    )
    add_column(table, "measure", wide=True)
    add_column(table, "value", right=True)
    rows = [
        ("approved budget", data["budget"]),
        ("budget at completion (baseline cost)", data["bac"]),
        (f"actual cost to {data['status_date'] or '—'}", data["actual_cost"]),
        ("earned value", data["earned_value"]),
        ("EAC: AC + (BAC − EV)", data["eac"]["budget_rate"]),
        ("EAC: BAC / CPI", data["eac"]["cpi"]),
        ("EAC: AC + (BAC − EV) / (CPI·SPI)", data["eac"]["cpi_spi"]),
        ("EAC: AC + simulated P50 of the work left", data["eac"]["simulation_p50"]),
        ("EAC: AC + simulated P80 of the work left", data["eac"]["simulation_p80"]),
        ("burn per week (last status interval)", data["burn_per_week"]),
        ("burn per week (average)", data["average_burn_per_week"]),
    ]
    for label, value in rows:
        table.add_row(label, "—" if value is None else f"{value:,.2f}")
    weeks = data["weeks_of_budget_left"]
    table.add_row(
        "weeks of budget left at the recent burn", "—" if weeks is None else f"{weeks:.1f}"
    )
    stdout.print(table)
