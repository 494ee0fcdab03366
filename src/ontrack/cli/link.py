"""``ontrack link``: plan tasks from a tracker query (an epic, a milestone, labels, JQL)."""

from __future__ import annotations

from pathlib import Path

import typer

from ontrack.app.asof import today
from ontrack.app.link import query_items, render, with_match
from ontrack.app.sync import pick_sources
from ontrack.cli.common import load_or_exit
from ontrack.cli.output import print_diagnostics, stderr, stdout
from ontrack.diagnostics import SourceLoc, error
from ontrack.fileio import write_text_atomic
from ontrack.model.tracker import Match
from ontrack.trackers.base import TrackerError, adapter_for


def link_command(
    plan: Path = typer.Argument(..., help="The plan whose `sources:` name the tracker."),
    source: str = typer.Option(..., "--source", "-s", help="The source to read."),
    milestone: str | None = typer.Option(
        None, "--milestone", help="Items of this milestone (Redmine version, Jira fix version)."
    ),
    label: list[str] = typer.Option([], "--label", help="Items with this label (repeatable)."),
    parent: str | None = typer.Option(
        None, "--parent", help="Children of this epic or parent item (its key)."
    ),
    query: str | None = typer.Option(
        None, "--query", help="Jira: JQL; Redmine: a saved query's id."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the YAML to this new file (default: print it)."
    ),
) -> None:
    """Turn a tracker query into plan tasks: commented YAML you then own.

    Each item the query selects becomes a task with its title, its estimate in the plan's units,
    its assignee (mapped through the source's `people:`), its blocking links as dependencies,
    and `tracker: SOURCE#KEY`, so `ontrack sync` keeps it reconciled. Items the plan already
    links are left out. Without --milestone/--label/--parent/--query, the source's own `match:`
    rules select.

    Example: ontrack link my-plan --source jira --parent PLAT-100 -o my-plan/checkout.yaml
    """
    loaded = load_or_exit(plan, "nothing linked", imports=False)
    try:
        (chosen,) = pick_sources(loaded, [source])
    except TrackerError as exc:
        print_diagnostics([error(exc.code, loaded.program.loc, exc.message, exc.hint)], stderr)
        raise typer.Exit(1) from None
    given = milestone is not None or label or parent is not None or query is not None
    match = Match(tuple(label), milestone, parent, query) if given else None
    if output is not None and output.exists():
        print_diagnostics(
            [error("E701", SourceLoc(str(output)), "exists already", "name a new file")], stderr
        )
        raise typer.Exit(1)
    adapter = adapter_for(with_match(chosen, match))
    try:
        items = query_items(adapter, match)
    except TrackerError as exc:
        print_diagnostics([error(exc.code, chosen.loc, exc.message, exc.hint)], stderr)
        raise typer.Exit(1) from None
    finally:
        close = getattr(adapter, "close", None)
        if close is not None:
            close()
    text = render(loaded, chosen, items, today())
    if output is None:
        stdout.out(text, end="", highlight=False)
        return
    try:
        write_text_atomic(output, text)
    except OSError as exc:
        message = f"cannot be written: {exc.strerror or exc}"
        print_diagnostics([error("E701", SourceLoc(str(output)), message)], stderr)
        raise typer.Exit(1) from None
    stderr.print(f"✓ {len(items)} item(s) read; tasks written to {output}")
