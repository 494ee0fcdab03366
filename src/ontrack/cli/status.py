"""``ontrack status``: the weekly status report, in Markdown or as an e-mail-ready HTML page."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ontrack.cli.common import load_or_exit
from ontrack.cli.output import counts_line, print_diagnostics, stderr
from ontrack.cli.report import REPORT_STATUS_DATE_OPTION, REPORT_STORE_PLAN_OPTION
from ontrack.cli.track import DB_HELP
from ontrack.diagnostics import SourceLoc, error

if TYPE_CHECKING:
    from ontrack.engines.schedule.progress import Status
    from ontrack.model import Plan
    from ontrack.reports.data import TrackingInput
    from ontrack.reports.status import PlanChanges
    from ontrack.store.repo import ProgressFact, RevisionInfo, Store

MAX_ITERATIONS = 1_000_000  # a report is read by people: more adds time, not information
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
    status_date: dt.datetime | None = REPORT_STATUS_DATE_OPTION,
    store_plan: Path | None = REPORT_STORE_PLAN_OPTION,
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    iterations: int = typer.Option(
        1000,
        "--iterations",
        "-n",
        min=1,
        max=MAX_ITERATIONS,
        help="Monte Carlo iterations for the forecast.",
    ),
    seed: int = typer.Option(0, "--seed", help="Same seed, same numbers."),
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
    time_limit: float = typer.Option(
        5.0, "--time-limit", min=0.1, help="Seconds for the deterministic schedule."
    ),
) -> None:
    """Write the weekly status report: the overall RAG and why (the worst workstream), a short
    executive summary, milestones against the baseline with the cause of each slip, top
    risks, decisions and asks, and the budget; for the team also highlights, lowlights,
    blockers per owner and what finished and started since --since.

    Every sentence is computed from the schedule, the forecast, the tracking data, the risk
    register and the changes recorded since the last report. Rules: docs/status-report.md.

    Example: ontrack status examples/platform-migration --baseline approved

    Example: ontrack status examples/platform-migration -b approved -a team -f html -o s.html
    """
    loaded = load_or_exit(plan, "no report written")
    # The engines load only when a report is made (a second off every other command).
    from ontrack.reports.data import ReportOptions, build_report  # noqa: PLC0415
    from ontrack.reports.status import build_status, render  # noqa: PLC0415

    day = status_date.date() if status_date else None
    start = since.date() if since else None
    if day is not None and start is not None and start >= day:
        stderr.print(f"--since {start} must be before the status date {day}")
        raise typer.Exit(2)
    read = None
    if baseline is not None or progress:
        read = _read_store(store_plan or plan, loaded, db, baseline, day, start)
    # The DCMA table is the HTML report's; the status report never shows it.
    options = ReportOptions(iterations=iterations, seed=seed, time_limit=time_limit, audit=False)
    data, diagnostics = build_report(
        loaded,
        options,
        today=day or dt.date.today(),
        status=read.status if read else None,
        tracking=read.tracking if read else None,
    )
    if data is None:
        print_diagnostics(diagnostics, stderr)
        stderr.print(
            f"[red]✗[/red] {escape(str(plan))} cannot be scheduled: {counts_line(diagnostics)}; "
            "no report written"
        )
        raise typer.Exit(1)
    window = start or data.status_date - dt.timedelta(days=WINDOW_DAYS)
    if window >= data.status_date:
        stderr.print(f"--since {window} must be before the status date {data.status_date}")
        raise typer.Exit(2)
    report = build_status(
        data,
        loaded,
        since=window,
        audience=audience.value,
        facts=read.facts if read else (),
        tracking=read.tracking if read else None,
        changes=read.changes(window, data.status_date) if read else None,
        grouping=workstreams.value,
    )
    text = render(report, fmt.value)
    if output is None:
        sys.stdout.write(text)
        return
    from ontrack.fileio import write_text_atomic  # noqa: PLC0415

    try:
        write_text_atomic(output, text)
    except OSError as exc:
        print_diagnostics(
            [error("E701", SourceLoc(str(output)), f"cannot write the report: {exc.strerror}")],
            stderr,
        )
        raise typer.Exit(1) from None
    stderr.print(
        f"[green]✓[/green] wrote {escape(str(output))}: {report.colour.upper()}, "
        f"{escape(report.reason)}"
    )


@dataclass(frozen=True, slots=True)
class _Read:
    """What the store holds for the report, read in one go (the store is closed after)."""

    status: Status | None
    tracking: TrackingInput | None
    facts: list[ProgressFact]
    revisions: list[RevisionInfo]
    plans: dict[int, Plan]  # the revisions a window may compare, loaded

    def changes(self, since: dt.date, status_date: dt.date) -> PlanChanges:
        """The revisions recorded after ``since`` (up to the status date's end), and the diff
        from the last one before them to the latest of them."""
        from ontrack.engines.diff import diff_plans  # noqa: PLC0415
        from ontrack.reports.status import PlanChanges, RevisionNote  # noqa: PLC0415

        inside = [r for r in self.revisions if since < r.created_at.date() <= status_date]
        before = [r for r in self.revisions if r.created_at.date() <= since]
        previous = before[-1].number if before else None
        diff = None
        if inside and previous is not None:
            older, newer = self.plans.get(previous), self.plans.get(inside[-1].number)
            if older is not None and newer is not None:
                diff = diff_plans(older, newer)
        return PlanChanges(
            tuple(RevisionNote(r.number, r.created_at, r.author, r.message) for r in inside),
            previous,
            diff,
        )


def _read_store(
    where: Path,
    plan: Plan,
    db: str | None,
    baseline: str | None,
    day: dt.date | None,
    since: dt.date | None,
) -> _Read:
    """The recorded progress as of ``day``, the revisions and, with a baseline, what tracking
    needs."""
    from ontrack.cli.report import _weekly  # noqa: PLC0415 - the store is heavy
    from ontrack.cli.track import _revision_plan, _store  # noqa: PLC0415
    from ontrack.engines.schedule.progress import facts_status  # noqa: PLC0415
    from ontrack.reports.data import TrackingInput  # noqa: PLC0415

    with _store(db, where) as store:
        name = store.program(plan.program.name)
        facts = [f for f in store.progress(name) if day is None or f.status_date <= day]
        revisions = sorted(store.revisions(name), key=lambda r: r.created_at)
        tracking = None
        if baseline is not None:
            info = store.baseline(name, baseline)
            tracking = TrackingInput(
                baseline=info.name,
                revision=info.revision,
                schedule=info.schedule,
                cost=info.cost,
                plan=_revision_plan(store, name, info.revision),
                revisions=[
                    (r.created_at, _revision_plan(store, name, r.number))
                    for r in _weekly(revisions)
                ],
                facts=facts,
            )
        status = facts_status(plan, facts, day)
        # The window ends on the status date: the latest recorded one, or the day given.
        end = day or (status.date if status is not None else dt.date.today())
        start = since or end - dt.timedelta(days=WINDOW_DAYS)
        plans = _window_plans(store, name, revisions, start, end)
    return _Read(status, tracking, facts, revisions, plans)


def _window_plans(
    store: Store, name: str, revisions: list[RevisionInfo], since: dt.date, end: dt.date
) -> dict[int, Plan]:
    """The last revision before the window and the latest in it: the two a diff compares
    (only these two are loaded)."""
    from ontrack.cli.track import _revision_plan  # noqa: PLC0415

    before = [r for r in revisions if r.created_at.date() <= since]
    after = [r for r in revisions if since < r.created_at.date() <= end]
    if not before or not after:
        return {}
    wanted = {before[-1].number, after[-1].number}
    return {n: _revision_plan(store, name, n) for n in wanted}
