"""``ontrack report``: the self-contained HTML status report a TPM sends to stakeholders."""

from __future__ import annotations

import datetime as dt
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
)
from ontrack.cli.common import load_or_exit
from ontrack.cli.output import print_diagnostics, stderr
from ontrack.diagnostics import SourceLoc, error


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
    status_date: dt.datetime | None = AS_OF_OPTION,
    store_plan: Path | None = STORE_PLAN_OPTION,
    db: str | None = DB_OPTION,
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    time_limit: float = TIME_LIMIT_OPTION,
) -> None:
    """Write a self-contained HTML status report: the RAG status and why, milestones and
    releases with their odds, a Gantt chart, people's load per week, the forecast and what
    drives it, the risk register, and (with --baseline) burn-up, earned value, scope change
    and the budget position.

    The page needs no network: styles and script are inline, so it can be mailed as an
    attachment, and it prints on landscape pages. Every figure is the program assessment's
    (`ontrack assess`). Status rules and sections: docs/report.md.

    Example: ontrack report examples/platform-migration -o status.html

    Example: ontrack report examples/platform-migration --baseline approved -o status.html
    """
    loaded = load_or_exit(plan, "no report written")
    from ontrack.app.assessment import AssessOptions  # noqa: PLC0415
    from ontrack.reports import render_report  # noqa: PLC0415

    result, _ = assess_or_exit(
        loaded,
        plan,
        AssessOptions(iterations=iterations, seed=seed, time_limit=time_limit),
        StoreRequest(store_plan or plan, db, baseline, progress),
        status_date,
        consequence="no report written",
    )
    data = result.report
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
    print_diagnostics([d for d in result.diagnostics if not d.is_error], stderr)
    stderr.print(
        f"[green]✓[/green] wrote {escape(str(output))}: {data.rag.colour.upper()}, "
        f"{escape(data.rag.reason)}"
    )
