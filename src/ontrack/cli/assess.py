"""``ontrack assess``: the one program assessment every other output renders, whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.cli.assessing import (
    AS_OF_OPTION,
    BASELINE_OPTION,
    DB_OPTION,
    ITERATIONS_OPTION,
    PROGRESS_OPTION,
    SEED_OPTION,
    STORE_PLAN_OPTION,
    TIME_LIMIT_OPTION,
    StoreRequest,
    assess_or_exit,
)
from ontrack.cli.common import load_or_exit
from ontrack.cli.output import Format, add_column, print_diagnostics, print_json, print_wide, stdout

if TYPE_CHECKING:
    from ontrack.app.assessment import Assessment

_COLOUR = {"red": "red", "amber": "yellow", "green": "green"}
_STATE_COLOUR = {
    "done": "green",
    "on-track": "green",
    "no-deadline": "",
    "at-risk": "yellow",
    "late": "red",
    "overdue": "red",
}


def assess_command(
    plan: Path = typer.Argument(..., help="A plan file, or a folder of plan files."),
    status_date: dt.datetime | None = AS_OF_OPTION,
    progress: bool = PROGRESS_OPTION,
    baseline: str | None = BASELINE_OPTION,
    store_plan: Path | None = STORE_PLAN_OPTION,
    db: str | None = DB_OPTION,
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    time_limit: float = TIME_LIMIT_OPTION,
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """The program assessment as of one day: the RAG and its reasons, every milestone and
    release with its planned date, P50/P80/P95, odds and state, the cost range, the scored
    risk register, the detected findings and the DCMA checks.

    `forecast`, `risks`, `audit`, `budget`, `report` and `status` render this same assessment,
    so for the same plan, tracking data, as-of date and options they show the same figures.
    `--format json` prints all of it for scripts.

    Example: ontrack assess examples/platform-migration --format json
    """
    from ontrack.app.assessment import AssessOptions  # noqa: PLC0415

    loaded = load_or_exit(plan)
    result, _ = assess_or_exit(
        loaded,
        plan,
        AssessOptions(iterations=iterations, seed=seed, time_limit=time_limit),
        StoreRequest(store_plan or plan, db, baseline, progress),
        status_date,
        bar=fmt is Format.TABLE,
    )
    if fmt is Format.JSON:
        print_json(result.to_json())
        return
    data = result.report
    colour = _COLOUR[data.rag.colour]
    stdout.print(
        f"[bold]{escape(data.program)}[/bold]: [{colour}]{data.rag.colour.upper()}[/{colour}] "
        f"— {escape(data.rag.reason)}"
    )
    stdout.print(
        f"[dim]{escape(result.as_of.statement)} · {result.forecast.iterations:,} iterations, "
        f"seed {result.forecast.seed}[/dim]"
    )
    for rating, reason in data.rag.reasons[1:]:
        stdout.print(f"  [{_COLOUR[rating]}]{rating}[/{_COLOUR[rating]}] {escape(reason)}")
    table = Table(title="Milestones, releases and deadlines", title_justify="left")
    for col in ("id", "deadline", "planned", "P50", "P80", "P95", "on time", "state"):
        add_column(table, col, right=col == "on time")
    p95 = {m.id: m.p95 for m in result.forecast.milestones}
    for m in data.milestones:
        state = result.milestone_state(m)
        tint = _STATE_COLOUR[state]
        table.add_row(
            escape(m.id),
            str(m.deadline or ""),
            str(m.planned),
            str(m.p50),
            str(m.p80),
            str(p95.get(m.id, "")),
            "—" if m.probability is None else f"{100 * m.probability:.0f}%",
            f"[{tint}]{state}[/{tint}]" if tint else state,
        )
    print_wide(table)
    if result.releases:
        _releases_table(result)
    cost = result.forecast.cost
    if cost is not None:
        from ontrack.cli.forecast import cost_line  # noqa: PLC0415

        stdout.print(cost_line(cost, result.status.date if result.status.tasks else None))
    register = result.risks.ranked_register()
    if register:
        table = Table(title="Risk register", title_justify="left")
        for col in ("risk", "P", "I", "score", "rating"):
            add_column(table, col, right=col in ("P", "I", "score"))
        for s in register:
            table.add_row(
                escape(s.risk.id),
                str(s.probability_band),
                str(s.impact_band),
                str(s.score),
                s.rating.value,
            )
        print_wide(table)
    findings = result.risks.findings
    stdout.print(
        f"{len(findings)} findings"
        + (
            ": " + ", ".join(f"{f.code} {f.severity.value}" for f in findings[:6])
            if findings
            else ""
        )
        + (" …" if len(findings) > 6 else "")
        + " (details: `ontrack risks`)"
    )
    if result.audit is not None:
        failed = [c for c in result.audit.dcma if c.passed is False]
        stdout.print(
            f"DCMA: {sum(c.passed is True for c in result.audit.dcma)} pass, {len(failed)} fail"
            + (": " + ", ".join(f"{c.number} {c.name}" for c in failed) if failed else "")
            + " (details: `ontrack audit`)"
        )
    print_diagnostics([d for d in result.diagnostics if not d.is_error])


_VERDICT = {
    "go": "[green]GO[/green]",
    "no-go": "[red]NO-GO[/red]",
    "pending": "[yellow]NOT YET[/yellow]",
}


def _releases_table(result: Assessment) -> None:
    """Each release's go/no-go recommendation and its gates at a glance (the evidence:
    `ontrack release status`)."""
    table = Table(title="Release readiness", title_justify="left")
    for col in ("release", "date", "work done", "on time", "gates", "recommendation"):
        add_column(table, col, right=col in ("work done", "on time"))
    for r in result.releases:
        counts = r.counts()
        gates = f"{counts['pass']} pass"
        if counts["fail"]:
            gates += f", [red]{counts['fail']} fail[/red]"
        if counts["pending"]:
            gates += f", {counts['pending']} pending"
        table.add_row(
            escape(r.release),
            str(r.date or ""),
            f"{r.done}/{r.work}",
            "—" if r.probability is None else f"{100 * r.probability:.0f}%",
            gates,
            _VERDICT[r.recommendation],
        )
    print_wide(table)
