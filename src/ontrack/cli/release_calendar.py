"""``ontrack release calendar``: the release trains' departures with their code freezes and
hardening windows, and the releases leaving on each, as a Rich table or JSON.

Thin glue over :func:`ontrack.engines.releasecal.release_calendar`: the plan is scheduled with
the fast heuristic (around the progress written in the plan) so each release says whether its
scope is planned to be done before its code freeze. Warnings (W313, W314) go to stderr; exit 1
when the plan cannot be read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.cli.assessing import StoreRequest, as_of_status
from ontrack.cli.bounds import day_option
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
from ontrack.diagnostics import Diagnostic
from ontrack.engines.releasecal import (
    Leaving,
    ReleaseCalendar,
    default_window,
    release_calendar,
)
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.engines.trains import Departure


def calendar_command(
    plan: Path = typer.Argument(
        Path("."), help="A plan file, or a folder of plan files (default: this folder)."
    ),
    since: str | None = typer.Option(
        None, "--from", help="First day shown, YYYY-MM-DD (default: the program's start)."
    ),
    until: str | None = typer.Option(
        None,
        "--to",
        help="Last day shown, YYYY-MM-DD (default: two train cycles after the planned finish "
        "or the last release).",
    ),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """The release calendar: each train's departures with the day its code freezes and its
    hardening window, and the releases leaving on each — with whether the scheduled scope of
    each is done before the code freeze. Releases whose date is not a departure of their train
    (W313) are listed apart with the nearest departures; releases without a train by date. A
    scope planned to finish on or after its freeze is W314. See docs/releases.md.

    Example: ontrack release calendar examples/platform-migration --from 2026-06-01

    Example: ontrack release calendar my-plan --format json
    """
    first, last = day_option(since, "--from"), day_option(until, "--to")
    loaded = load_or_exit(plan, "no calendar")
    _, status, _ = as_of_status(loaded, StoreRequest(plan), None)
    scheduled, problems = schedule(loaded, ScheduleOptions(backend="heuristic", status=status))
    finish = scheduled.finish if scheduled is not None else None
    start, end = default_window(loaded, finish)
    start, end = first or start, last or max(end, first or end)
    if end < start:
        raise typer.BadParameter(f"--to {end} is before --from {start}")
    finishes = {t.id: t.finish for t in scheduled.tasks} if scheduled is not None else None
    result = release_calendar(loaded, start, end, finishes)
    diagnostics: list[Diagnostic] = list(result.diagnostics)
    if scheduled is None:
        print_diagnostics([d for d in problems if d.is_error], stderr)
        stderr.print(
            "[yellow]![/yellow] the plan cannot be scheduled: no planned finish per release"
        )
    print_diagnostics(diagnostics, stderr)
    if fmt is Format.JSON:
        print_json(result.to_json() | {"scheduled": scheduled is not None})
        return
    _print(result)


def _weekday(day: dt.date) -> str:
    return f"{day:%a} {day.isoformat()}"


def _span(window: tuple[dt.date, dt.date] | None) -> str:
    if window is None:
        return "—"
    return f"{window[0]:%a} {window[0]} .. {window[1]:%a} {window[1]}"


def _readiness(r: Leaving) -> str:
    if r.scope_finish is None:
        return "[dim]not scheduled[/dim]" if r.scope else "[dim]no scope[/dim]"
    if r.before_cutoff is None:
        return f"scope planned to finish {r.scope_finish}"
    if r.before_cutoff:
        return f"[green]✓[/green] scope done {r.scope_finish}"
    return f"[red]✗[/red] scope finishes {r.scope_finish}, freeze {r.cutoff}"


def _release(r: Leaving) -> str:
    return f"[bold]{escape(r.release)}[/bold] {escape(r.title)}\n  {_readiness(r)}"


def _near(d: Departure | None) -> str:
    return "—" if d is None else _weekday(d.date)


def _print(cal: ReleaseCalendar) -> None:
    if not cal.trains:
        stdout.print("[dim]the plan has no trains: add `trains:` (see docs/releases.md)[/dim]")
    else:
        table = Table(title=f"Release calendar, {cal.start} .. {cal.end}")
        for name in ("departs", "train", "code freeze", "hardening"):
            add_column(table, name)
        add_column(table, "releases leaving", wide=True)
        for d in cal.departures:
            dep = d.departure
            when = _weekday(dep.date)
            if dep.date != dep.scheduled:
                when += f" [dim](from {dep.scheduled:%a})[/dim]"
            table.add_row(
                when,
                escape(d.train_title),
                _weekday(dep.freeze) if dep.freeze else "—",
                _span(dep.hardening),
                "\n".join(_release(r) for r in d.releases) or "[dim]—[/dim]",
            )
        print_wide(table, 170)
    if cal.off_train:
        off = Table(title="Train releases on no departure")
        for name in ("release", "train", "date", "why", "departure before", "departure after"):
            add_column(off, name)
        for o in cal.off_train:
            r = o.release
            off.add_row(
                f"[bold]{escape(r.release)}[/bold] {escape(r.title)}",
                escape(r.train or ""),
                str(r.date or "—"),
                escape(o.reason),
                _near(o.before),
                _near(o.after),
            )
        print_wide(off, 120)
    if cal.untrained:
        stdout.print("[bold]Releases without a train[/bold]")
        for r in cal.untrained:
            when = _weekday(r.date) if r.date else "—"
            stdout.print(
                f"  {when}  [bold]{escape(r.release)}[/bold] {escape(r.title)}: {_readiness(r)}"
            )
    if cal.outside:
        names = ", ".join(f"{r.release} ({r.date})" for r in cal.outside)
        stdout.print(f"[dim]on departures outside {cal.start} .. {cal.end}: {escape(names)}[/dim]")
