"""``ontrack status``: the weekly status report, in Markdown or as an e-mail-ready HTML page."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from ontrack.cli.assessing import (
    AS_OF_OPTION,
    DB_OPTION,
    ITERATIONS_OPTION,
    SEED_OPTION,
    STORE_PLAN_OPTION,
    TIME_LIMIT_OPTION,
    StoreRequest,
    assess_or_exit,
    read_store,
)
from ontrack.cli.common import load_or_exit
from ontrack.cli.output import stderr, write_output_or_exit, write_stdout

WINDOW_DAYS = 7  # the default --since: a week before the status date


class AudienceChoice(StrEnum):
    EXEC = "exec"
    TEAM = "team"


class StatusFormat(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"


class WorkstreamChoice(StrEnum):
    AUTO = "auto"
    WBS = "wbs"
    TEAM = "team"


def status_command(
    plan: Path = typer.Argument(..., help="A plan file, or a folder of plan files."),
    audience: AudienceChoice = typer.Option(
        AudienceChoice.EXEC,
        "--audience",
        "-a",
        help="exec: RAG, summary, milestones, top 3 risks, decisions and asks, budget. team: "
        "adds highlights, lowlights, blockers per owner, every workstream, every task "
        "finished or started, and the plan's changes.",
    ),
    since: dt.datetime | None = typer.Option(
        None,
        "--since",
        formats=["%Y-%m-%d"],
        help="Report the changes after this day: progress facts dated after it and plan "
        "revisions recorded after it (default: 7 days before the status date).",
    ),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        "-b",
        help="Compare with this baseline of the store: milestone variance and its causes, "
        "SPI and CPI, the budget position (implies --progress).",
    ),
    progress: bool = typer.Option(
        False,
        "--progress",
        help="Plan around the progress recorded in the store (`ontrack progress`) and read "
        "the plan's recorded revisions for the changes since --since.",
    ),
    status_date: dt.datetime | None = AS_OF_OPTION,
    store_plan: Path | None = STORE_PLAN_OPTION,
    db: str | None = DB_OPTION,
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    workstreams: WorkstreamChoice = typer.Option(
        WorkstreamChoice.AUTO,
        "--workstreams",
        help="What a workstream is: wbs (top-level summary tasks), team, or auto (summaries "
        "when the plan has any, else teams).",
    ),
    fmt: StatusFormat = typer.Option(
        StatusFormat.MARKDOWN, "--format", "-f", help="markdown, or html for e-mail."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file (default: stdout)."
    ),
    time_limit: float = TIME_LIMIT_OPTION,
) -> None:
    """Write the weekly status report: the program's RAG and why (the worst workstream too), a short
    executive summary, milestones against the baseline with the cause of each slip, top
    risks, decisions and asks, and the budget; for the team also highlights, lowlights,
    blockers per owner and what finished and started since --since.

    Every sentence is computed from the schedule, the forecast, the tracking data, the risk
    register and the changes recorded since the last report. Rules: docs/status-report.md.

    Example: ontrack status examples/platform-migration --baseline approved

    Example: ontrack status examples/platform-migration -b approved -a team -f html -o s.html
    """
    loaded = load_or_exit(plan, "no report written")
    from ontrack.app.assessment import AssessOptions  # noqa: PLC0415
    from ontrack.reports.status import build_status, render  # noqa: PLC0415

    day = status_date.date() if status_date else None
    start = since.date() if since else None
    if day is not None and start is not None and start >= day:
        stderr.print(f"--since {start} must be before the status date {day}")
        raise typer.Exit(2)
    request = StoreRequest(store_plan or plan, db, baseline, progress)
    # The DCMA table is the HTML report's; the status report never shows it.
    result, tracked = assess_or_exit(
        loaded,
        plan,
        AssessOptions(iterations=iterations, seed=seed, time_limit=time_limit),
        request,
        day,
        consequence="no report written",
    )
    data = result.report
    window = start or data.status_date - dt.timedelta(days=WINDOW_DAYS)
    if window >= data.status_date:
        stderr.print(f"--since {window} must be before the status date {data.status_date}")
        raise typer.Exit(2)
    changes = None
    if tracked is not None:
        # The two revisions the window compares (loaded only now that the window is known).
        windowed = read_store(loaded, replace(request, window=(window, data.status_date)), day)
        if windowed is not None:
            from ontrack.app.views import plan_changes_in  # noqa: PLC0415

            changes = plan_changes_in(windowed, window, data.status_date)
    report = build_status(
        data,
        loaded,
        since=window,
        audience=audience.value,
        facts=[f for f in tracked.facts if f.status_date <= data.status_date] if tracked else (),
        tracking=result.tracking,
        changes=changes,
        grouping=workstreams.value,
    )
    text = render(report, fmt.value)
    if output is None:
        write_stdout(text)
        return
    write_output_or_exit(output, text, "the report")
    stderr.print(
        f"[green]✓[/green] wrote {escape(str(output))}: {report.colour.upper()}, "
        f"{escape(report.reason)}"
    )
