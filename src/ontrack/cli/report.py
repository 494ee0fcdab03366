"""``ontrack report``: the self-contained HTML status report a TPM sends to stakeholders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ontrack.cli.common import load_or_exit
from ontrack.cli.output import counts_line, print_diagnostics, stderr
from ontrack.cli.track import DB_HELP
from ontrack.diagnostics import SourceLoc, error

if TYPE_CHECKING:
    from ontrack.engines.schedule.progress import Status
    from ontrack.model import Plan
    from ontrack.reports.data import TrackingInput
    from ontrack.store.repo import RevisionInfo

MAX_ITERATIONS = 1_000_000  # a report is read by people: more adds time, not information


# Shared with `ontrack status`: both reports are dated and tracked the same way.
REPORT_STATUS_DATE_OPTION = typer.Option(
    None,
    "--status-date",
    formats=["%Y-%m-%d"],
    help="The report's status date: progress as of this day (default: the latest "
    "recorded; without progress, today).",
)
REPORT_STORE_PLAN_OPTION = typer.Option(
    None,
    "--plan",
    help="With --baseline or --progress: the plan file or folder whose store to use "
    "(default: PLAN).",
)


def report_command(
    plan: Path = typer.Argument(..., help="A plan file, or a folder of plan files."),
    output: Path = typer.Option(..., "--output", "-o", help="The HTML file to write."),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        "-b",
        help="Add the tracking sections against this baseline of the store: burn-up, EVM "
        "indices and curves, scope change and the budget position (implies --progress).",
    ),
    progress: bool = typer.Option(
        False,
        "--progress",
        help="Plan around the progress recorded in the store (`ontrack progress`): done work "
        "stays where it happened, the status date is the latest recorded.",
    ),
    status_date: dt.datetime | None = REPORT_STATUS_DATE_OPTION,
    store_plan: Path | None = REPORT_STORE_PLAN_OPTION,
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    iterations: int = typer.Option(
        2000,
        "--iterations",
        "-n",
        min=1,
        max=MAX_ITERATIONS,
        help="Monte Carlo iterations for the forecast.",
    ),
    seed: int = typer.Option(0, "--seed", help="Same seed, same numbers."),
    time_limit: float = typer.Option(
        5.0, "--time-limit", min=0.1, help="Seconds for the deterministic schedule."
    ),
) -> None:
    """Write a self-contained HTML status report: the RAG status and why, milestones and
    releases with their odds, a Gantt chart, people's load per week, the forecast and what
    drives it, the risk register, and (with --baseline) burn-up, earned value, scope change
    and the budget position.

    The page needs no network: styles and script are inline, so it can be mailed as an
    attachment, and it prints on landscape pages. Status rules and sections: docs/report.md.

    Example: ontrack report examples/platform-migration -o status.html

    Example: ontrack report examples/platform-migration --baseline approved -o status.html
    """
    loaded = load_or_exit(plan, "no report written")
    # The engines and Jinja2 load only when a report is made (a second off every command).
    from ontrack.reports import ReportOptions, build_report, render_report  # noqa: PLC0415

    day = status_date.date() if status_date else None
    status: Status | None = None
    tracking: TrackingInput | None = None
    if baseline is not None or progress:
        status, tracking = _from_store(store_plan or plan, loaded, db, baseline, day)
    options = ReportOptions(iterations=iterations, seed=seed, time_limit=time_limit)
    data, diagnostics = build_report(
        loaded, options, today=day or dt.date.today(), status=status, tracking=tracking
    )
    if data is None:
        print_diagnostics(diagnostics, stderr)
        stderr.print(
            f"[red]✗[/red] {escape(str(plan))} cannot be scheduled: {counts_line(diagnostics)}; "
            "no report written"
        )
        raise typer.Exit(1)
    html = render_report(data)
    from ontrack.fileio import write_text_atomic  # noqa: PLC0415

    try:
        write_text_atomic(output, html)
    except OSError as exc:
        print_diagnostics(
            [error("E701", SourceLoc(str(output)), f"cannot write the report: {exc.strerror}")],
            stderr,
        )
        raise typer.Exit(1) from None
    stderr.print(
        f"[green]✓[/green] wrote {escape(str(output))}: {data.rag.colour.upper()}, "
        f"{escape(data.rag.reason)}"
    )


def _from_store(
    where: Path, plan: Plan, db: str | None, baseline: str | None, day: dt.date | None
) -> tuple[Status | None, TrackingInput | None]:
    """The recorded progress as of ``day`` and, with a baseline, what tracking needs."""
    from ontrack.cli.track import _revision_plan, _store  # noqa: PLC0415 - the store is heavy
    from ontrack.engines.schedule.progress import facts_status  # noqa: PLC0415
    from ontrack.reports.data import TrackingInput  # noqa: PLC0415

    with _store(db, where) as store:
        name = store.program(plan.program.name)
        facts = [f for f in store.progress(name) if day is None or f.status_date <= day]
        tracking = None
        if baseline is not None:
            info = store.baseline(name, baseline)
            frozen = _revision_plan(store, name, info.revision)
            wanted = _weekly(store.revisions(name))
            tracking = TrackingInput(
                baseline=info.name,
                revision=info.revision,
                schedule=info.schedule,
                cost=info.cost,
                plan=frozen,
                revisions=[(r.created_at, _revision_plan(store, name, r.number)) for r in wanted],
                facts=facts,
            )
    return facts_status(plan, facts, day), tracking


def _weekly(revisions: list[RevisionInfo]) -> list[RevisionInfo]:
    """The last revision of each ISO week: the scope chart reads one plan per week, so the
    others need not be loaded."""
    last: dict[tuple[int, int], RevisionInfo] = {}
    for r in sorted(revisions, key=lambda r: r.created_at):
        year, week, _ = r.created_at.isocalendar()
        last[(year, week)] = r
    return list(last.values())
