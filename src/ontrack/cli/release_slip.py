"""``ontrack release slip``: the scope to move to the next train when a release cannot make its
date, and (``--apply``) the plan-file change that moves it.

Thin glue: progress by the one as-of rule (:func:`ontrack.cli.assessing.as_of_status`'s store
reading), the proposal and the change from :mod:`ontrack.app.slip`, tables or JSON here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.cli.assessing import (
    AS_OF_OPTION,
    DB_OPTION,
    ITERATIONS_OPTION,
    PROGRESS_OPTION,
    SEED_OPTION,
    StoreRequest,
    progress_bar,
    read_store,
)
from ontrack.cli.common import load_or_exit, parse_percent
from ontrack.cli.output import (
    Format,
    add_column,
    counts_line,
    print_diagnostics,
    print_json,
    print_wide,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    from ontrack.app.slip import Slip
    from ontrack.engines.slip import Odds

#: Iterations of each evaluation while searching (the proposal is confirmed with --iterations).
SEARCH_ITERATIONS = 2_000


def slip_command(
    release: str = typer.Argument(..., help="The release id."),
    plan: Path = typer.Argument(Path("."), help="A plan file, or a folder of plan files."),
    target: str | None = typer.Option(
        None,
        "--target",
        help="The on-time odds to restore, e.g. 80% (default: the release's min_odds, else 80%).",
    ),
    apply: bool = typer.Option(
        False,
        "--apply",
        help="Write the change to the plan files (only when the proposal meets the target).",
    ),
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
    progress: bool = PROGRESS_OPTION,
    status_date: dt.datetime | None = AS_OF_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Propose the smallest set of unstarted tasks to move out of RELEASE, to the next
    departure of its train, so that its on-time odds reach the target again.

    Candidates are the unstarted tasks of the release's work: its scope and everything the
    scope waits for, so a release that includes only milestones can slip too (started and done
    work never moves); a task that stays never depends on a moved one, so moving a task moves
    the release's work that depends on it, and work nothing left in the release waits for goes
    with it; the release's milestones stay and drop their links to moved work. Moved tasks are
    deferred until after the release's date. Each candidate set is simulated with
    the same random numbers; the answer is confirmed with --iterations. Prints the moved tasks,
    the odds and P80 before and after, and the plan-file diff that --apply writes. See
    docs/releases.md.

    Example: ontrack release slip rel-stateless examples/platform-migration --target 85%

    Example: ontrack release slip r2 plan.yaml --apply
    """
    goal = parse_percent(target) if target is not None else None
    if goal is not None and not 0 < goal <= 1:
        raise typer.BadParameter(f"{target}: the target is above 0% and at most 100%")
    loaded = load_or_exit(plan, "nothing proposed")
    from ontrack.app.asof import resolve_as_of  # noqa: PLC0415
    from ontrack.app.slip import apply as apply_change  # noqa: PLC0415
    from ontrack.app.slip import slip  # noqa: PLC0415
    from ontrack.engines.slip import SlipOptions  # noqa: PLC0415

    day = status_date.date() if status_date is not None else None
    tracked = read_store(loaded, StoreRequest(plan, db, None, progress), day)
    facts = tracked.facts if tracked is not None else ()
    with progress_bar(enabled=fmt is Format.TABLE) as update:
        found, diagnostics = slip(
            loaded,
            release,
            SlipOptions(
                target=goal,
                iterations=iterations,
                search_iterations=min(SEARCH_ITERATIONS, iterations),
                seed=seed,
                progress=update,
            ),
            as_of=resolve_as_of(loaded, facts, day),
            facts=facts,
        )
    if found is None:
        print_diagnostics(diagnostics, stderr)
        stderr.print(f"[red]✗[/red] {escape(str(plan))}: {counts_line(diagnostics)}")
        raise typer.Exit(1)
    applied = False
    problems = list(found.change.diagnostics)
    wanted = apply and found.proposal.outcome == "proposed"
    if wanted:
        written, problems = apply_change(found.change, plan)
        applied = written is not None
    if fmt is Format.JSON:
        print_json(
            found.to_json()
            | {"applied": applied, "diagnostics": [d.to_json() for d in [*diagnostics, *problems]]}
        )
    else:
        _print(found, applied=applied, asked=apply)
        print_diagnostics([*diagnostics, *problems], stderr)
    if apply and not applied and found.proposal.outcome not in ("on-target", "nothing-movable"):
        if fmt is Format.TABLE:
            stderr.print("[red]✗[/red] nothing was written")
        raise typer.Exit(1)


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _odds_row(label: str, odds: Odds) -> tuple[str, ...]:
    return (
        label,
        _pct(odds.probability),
        str(odds.planned or "—"),
        str(odds.p50 or "—"),
        str(odds.p80 or "—"),
    )


def _print(found: Slip, *, applied: bool, asked: bool) -> None:
    p = found.proposal
    stdout.print(f"[dim]{escape(found.as_of.statement)}[/dim]")
    source = {"option": "--target", "release": "the release's min_odds", "default": "default"}
    stdout.print(
        f"[bold]{escape(p.release)}[/bold] {escape(p.title)}, due {p.date}: on-time odds "
        f"[bold]{_pct(p.before.probability)}[/bold] (P80 {p.before.p80 or '—'}); target "
        f"{_pct(p.target)} ({source[p.target_source]})"
    )
    if p.outcome == "on-target":
        stdout.print("[green]✓[/green] the release already meets its target: nothing to move")
        return
    if p.outcome == "nothing-movable":
        stdout.print(
            "[yellow]![/yellow] nothing can move: the release's work (its scope and what it "
            "waits for) has no unstarted task with work"
        )
        return
    if p.outcome == "infeasible":
        stdout.print(
            f"[red]✗[/red] no set reaches {_pct(p.target)}: even moving everything movable "
            f"gives {_pct(p.after.probability if p.after else 0)}; the best found is below"
        )
    elif p.outcome == "short":
        stdout.print(f"[yellow]![/yellow] the search stopped below {_pct(p.target)}")
    table = Table(title="Tasks to move to the next train", title_justify="left")
    for col in ("task", "work", "days", "why"):
        add_column(table, col, wide=col in ("task", "why"), right=col == "days")
    for m in p.moved:
        table.add_row(
            f"{escape(m.id)} [dim]{escape(m.title)}[/dim]",
            escape(m.work),
            f"{m.work_days:g}",
            escape(m.reason),
        )
    print_wide(table)
    odds = Table(title="The release's forecast", title_justify="left")
    for col in ("", "on time", "planned", "P50", "P80"):
        add_column(odds, col, right=col == "on time")
    odds.add_row(*_odds_row("before", p.before))
    if p.after is not None:
        odds.add_row(*_odds_row("after", p.after))
    print_wide(odds)
    stdout.print(
        f"[dim]{p.candidates} candidates, {p.method} search, {p.evaluations} simulations "
        f"({p.search_iterations:,} iterations each, confirmed with {p.iterations:,}), seed "
        f"{p.seed}, {p.seconds:.1f}s; moved tasks start on or after {p.defer_to}[/dim]"
    )
    if p.departure is not None:
        where = (
            f"they join {escape(p.next_release)}, the next release on it"
            if p.next_release
            else "no later release rides it yet"
        )
        stdout.print(
            f"Train {escape(p.departure.train)} next departs on {p.departure.date} after the "
            f"release; {where}."
        )
    for milestone, task in p.dropped_links:
        stdout.print(f"[dim]milestone {escape(milestone)} no longer waits for {escape(task)}[/dim]")
    change = found.change
    for note in change.notes:
        stdout.print(f"[yellow]![/yellow] {escape(note)}")
    if change.diff:
        stdout.print("[bold]The plan change[/bold] (what --apply writes):")
        stdout.print(escape(change.diff), highlight=False, soft_wrap=True, end="")
    if applied:
        stdout.print(
            f"[green]✓[/green] applied to {len(change.files)} file"
            f"{'s' * (len(change.files) != 1)}; the plan loads clean"
        )
    elif asked and p.outcome != "proposed":
        stdout.print("[yellow]![/yellow] not applied: the proposal does not meet the target")
