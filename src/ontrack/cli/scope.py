"""``ontrack scope``: scope change against a baseline, week by week, with the burn-up."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.cli.common import open_workspace, parse_percent
from ontrack.cli.output import Format, add_column, print_json, stdout
from ontrack.cli.track import DB_OPTION, FORMAT_OPTION, PLAN_OPTION, PROGRAM_OPTION

if TYPE_CHECKING:
    from ontrack.engines.scope import BurnUpWeek, ScopeChange, ScopeWeek
    from ontrack.model import Plan


def scope_command(
    baseline: str = typer.Option(..., "--baseline", "-b", help="The baseline to compare with."),
    rev: int | None = typer.Option(
        None, "--rev", help="The revision to compare (default: the latest); -1 = one back."
    ),
    threshold: Fraction = typer.Option(
        "10%",
        "--threshold",
        parser=parse_percent,
        metavar="PERCENT",
        help="Flag scope creep when scope has grown by more than this since the baseline.",
    ),
    top: int = typer.Option(5, "--top", min=1, help="How many of the largest contributors."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    program: str | None = PROGRAM_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Scope change since a baseline: work added and removed, re-estimates and realised risks,
    the largest contributors, and the scope and work done week by week (the burn-up).

    Scope is the likely work of the leaf tasks in days, plus the impact of risks that have
    occurred. Exits 0 whether or not scope creep is found; 1 when the store or the baseline
    cannot be read. Definitions: docs/scope.md.

    Example: ontrack scope --baseline approved --threshold 15% --plan examples/platform-migration
    """
    from ontrack.engines.scope import (  # noqa: PLC0415
        burn_up,
        revision_for_week,
        scope_change,
        scope_series,
        series_span,
        weeks,
    )

    with open_workspace(db, plan) as workspace:
        name = workspace.program(program)
        info = workspace.baseline(name, baseline)
        number = workspace.resolve(name, rev)
        history = [r for r in workspace.revisions(name) if r.number <= number]
        facts = workspace.progress(name)
        # Weeks are those of the progress's status dates, not of the days data was entered.
        start, end = series_span(facts, info.created_at.date(), history[-1].created_at.date())
        times = [r.created_at for r in history]
        week_list = weeks(start, end)
        picked = [revision_for_week(times, w) for w in week_list]
        week_revs = [None if i is None else history[i].number for i in picked]
        # Only the revisions some week (or the comparison) uses are loaded.
        wanted = {info.revision, number} | {n for n in week_revs if n is not None}
        plans: dict[int, Plan] = {n: workspace.revision_plan(name, n) for n in sorted(wanted)}
    versions = [(r.created_at, plans[r.number]) for r in history if r.number in plans]
    base = plans[info.revision]
    change = scope_change(base, plans[number])
    series = scope_series(base, versions, start, end)
    burn = burn_up(base, versions, facts, start, end)
    if fmt is Format.JSON:
        print_json(
            {
                "program": name,
                "baseline": info.name,
                "baseline_revision": info.revision,
                "revision": number,
            }
            | change.to_json(threshold, top)
            | {
                "weekly": [
                    w.to_json() | {"revision": n} for w, n in zip(series, week_revs, strict=True)
                ],
                "burn_up": [b.to_json() for b in burn],
            }
        )
        return
    _print_change(name, info.name, info.revision, number, change, threshold, top)
    # A week before any later revision was recorded plans with the baseline's revision.
    _print_weeks(series, [info.revision if n is None else n for n in week_revs], burn)


def _days(value: Fraction) -> str:
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _signed(value: Fraction) -> str:
    return ("+" if value > 0 else "") + _days(value)


def _pct(value: Fraction) -> str:
    return f"{float(value) * 100:.1f}".rstrip("0").rstrip(".") + " %"


def _print_change(
    program: str,
    baseline: str,
    baseline_rev: int,
    rev: int,
    change: ScopeChange,
    threshold: Fraction,
    top: int,
) -> None:
    growth = "n/a (the baseline has no work)" if change.growth is None else _pct(change.growth)
    if change.growth is not None and change.growth > 0:
        growth = "+" + growth
    stdout.print(
        f"[bold]{escape(program)}[/bold]: scope against baseline [bold]{escape(baseline)}"
        f"[/bold] (revision {baseline_rev} → {rev}): {_days(change.baseline_days)} → "
        f"{_days(change.current_days)} days, {growth} (threshold {_pct(threshold)})"
    )
    if change.creep(threshold):
        stdout.print("[red]scope creep[/red]: scope has grown past the threshold")
    else:
        stdout.print("[green]within the threshold[/green]")
    stdout.print(
        f"added {_signed(change.added)} d, removed {_signed(change.removed)} d, "
        f"re-estimated {_signed(change.grown)} / {_signed(change.shrunk)} d, "
        f"realised risks {_signed(change.risks)} d"
    )
    if change.unestimated:
        stdout.print(
            f"[yellow]{len(change.unestimated)} task(s) without an estimate[/yellow] (not "
            f"counted): {escape(', '.join(change.unestimated))}"
        )
    contributors = change.contributors(top)
    if not contributors:
        stdout.print("nothing grew since the baseline")
        return
    table = Table(title="Largest contributors", title_justify="left")
    for col in ("change", "kind", "id", "title", "baseline", "now"):
        add_column(table, col, wide=col == "title", right=col in ("change", "baseline", "now"))
    for item in contributors:
        extra = f" (with subtasks {', '.join(item.folded)})" if item.folded else ""
        table.add_row(
            f"[red]{_signed(item.delta)}[/red]",
            item.kind,
            escape(item.id),
            escape(item.title + extra),
            _days(item.baseline_days),
            _days(item.current_days),
        )
    stdout.print(table)


def _print_weeks(
    series: tuple[ScopeWeek, ...], revs: list[int | None], burn: tuple[BurnUpWeek, ...]
) -> None:
    table = Table(title="Scope by week (days, at each week's end)", title_justify="left")
    columns = ("week", "rev", "baseline", "added", "removed", "re-est.", "risks", "scope", "done")
    for col in columns:
        add_column(table, col, right=col != "week")
    for week, rev, point in zip(series, revs, burn, strict=True):
        cells: list[Any] = [
            f"{week.week} {week.iso_week}",
            "—" if rev is None else str(rev),
            _days(week.baseline),
            _signed(week.added),
            _signed(week.removed),
            _signed(week.re_estimated),
            _signed(week.risks),
            _days(week.total),
            _days(point.done),
        ]
        table.add_row(*cells)
    stdout.print(table)
