"""``ontrack release notes``: release notes from the conventional commits between two tags and
the done tasks of a release, in Markdown or JSON.

Thin glue: the commits come from :func:`ontrack.interop.gitrange.read_range`, the grouping from
:mod:`ontrack.engines.releasenotes`, the Markdown from :mod:`ontrack.reports.releasenotes`; a
task is done only when progress says so (the plan's own progress fields, and with --progress
the store's, by the one as-of rule). Diagnostics go to stderr; exit 1 when the range or the
release cannot be read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ontrack.cli.assessing import DB_OPTION, StoreRequest, as_of_status
from ontrack.cli.common import load_or_exit
from ontrack.cli.output import (
    counts_line,
    print_diagnostics,
    print_json,
    stderr,
    write_output_or_exit,
    write_stdout,
)
from ontrack.diagnostics import Diagnostic, SourceLoc, error, has_errors
from ontrack.engines.releasenotes import ReleaseNotes, release_notes
from ontrack.interop.gitrange import read_range
from ontrack.reports.releasenotes import render_markdown
from ontrack.safetext import json_text

if TYPE_CHECKING:
    from ontrack.engines.schedule.progress import Status
    from ontrack.model import Plan, Release


class NotesFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"


def notes_command(
    plan: Path | None = typer.Argument(
        None, help="A plan file or folder, for --release's delivered work (optional)."
    ),
    repo: Path = typer.Option(Path("."), "--repo", help="The git repository (with its tags)."),
    from_ref: str | None = typer.Option(
        None,
        "--from",
        help="The previous release's tag (or any ref): its commits are left out "
        "(default: from the first commit).",
    ),
    to_ref: str = typer.Option("HEAD", "--to", help="The release's tag (or any ref)."),
    release: str | None = typer.Option(
        None,
        "--release",
        "-r",
        help="A release id of PLAN: its included tasks (a summary task: the tasks under it) "
        "that are done are listed as delivered work, and its title heads the notes.",
    ),
    progress: bool = typer.Option(
        False,
        "--progress",
        help="With --release: count the progress recorded in the store (`ontrack progress`) "
        "too; progress written in the plan itself is always used.",
    ),
    db: str | None = DB_OPTION,
    include_merges: bool = typer.Option(
        False, "--include-merges", help="List merge commits too (left out by default)."
    ),
    fmt: NotesFormat = typer.Option(
        NotesFormat.MARKDOWN, "--format", "-f", help="markdown or json."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the notes to this file (default: stdout)."
    ),
) -> None:
    """Write release notes: the commits reachable from --to and not from --from, grouped by
    kind from their Conventional Commits headers (breaking changes first, then features,
    fixes, performance, reverts, documentation, refactoring, tests, build and CI, chores, and
    other commits), with the release's done tasks as delivered work. See docs/releases.md.

    Example: ontrack release notes --from v1.0 --to v1.1

    Example: ontrack release notes my-plan -r r1 --from v1.0 --to v1.1 -o NOTES.md
    """
    if release is not None and plan is None:
        raise typer.BadParameter("--release needs PLAN, the plan that defines the release")
    if plan is not None and release is None:
        raise typer.BadParameter("with PLAN, name the release with --release")
    loaded = load_or_exit(plan, "no notes written") if plan is not None else None
    chosen: Release | None = None
    if loaded is not None and release is not None:
        chosen = _release_or_exit(loaded, release, str(plan))
    span, diagnostics = read_range(repo, to_ref, from_ref)
    if span is None or has_errors(diagnostics):
        print_diagnostics(diagnostics, stderr)
        stderr.print(f"[red]✗[/red] {escape(str(repo))}: {counts_line(diagnostics)}")
        raise typer.Exit(1)
    delivered: list[tuple[str, str, dt.date | None]] = []
    if loaded is not None and chosen is not None and plan is not None:
        _, status, _ = as_of_status(loaded, StoreRequest(plan, db, None, progress), None)
        delivered = list(done_tasks(loaded, chosen, status))
    notes = release_notes(
        span.commits,
        to_ref=to_ref,
        from_ref=from_ref,
        title=chosen.title if chosen is not None else None,
        since=span.from_time,
        until=span.to_time,
        delivered=delivered,
        include_merges=include_merges,
    )
    print_diagnostics(diagnostics, stderr)
    _emit(notes, diagnostics, fmt, output)


def _release_or_exit(plan: Plan, release: str, where: str) -> Release:
    for r in plan.releases:
        if r.id == release:
            return r
    ids = [r.id for r in plan.releases]
    hint = f"releases: {', '.join(ids)}" if ids else "the plan has no releases: add `releases:`"
    loc = plan.program.loc if plan.program.loc.file else SourceLoc(where)
    print_diagnostics(
        [error("E479", loc, f"--release '{release}': the plan has no such release", hint)],
        stderr,
    )
    raise typer.Exit(1)


def done_tasks(
    plan: Plan, release: Release, status: Status
) -> Iterator[tuple[str, str, dt.date | None]]:
    """The release's included tasks (a summary task: the tasks under it) that progress says
    are done, with the day each finished."""
    seen: set[str] = set()
    for task_id in release.includes:
        task = plan.task_by_id.get(task_id)
        if task is None:
            continue
        tasks = (
            [t for t in plan.descendants(task_id) if not t.is_summary]
            if task.is_summary
            else [task]
        )
        for t in tasks:
            p = status.tasks.get(t.id)
            if t.id in seen or p is None or p.state != "done":
                continue
            seen.add(t.id)
            yield t.id, t.title, p.actual_finish


def _emit(
    notes: ReleaseNotes,
    diagnostics: list[Diagnostic],
    fmt: NotesFormat,
    output: Path | None,
) -> None:
    if fmt is NotesFormat.JSON:
        data = notes.to_json() | {"diagnostics": [d.to_json() for d in diagnostics]}
        if output is None:
            print_json(data)
            return
        text = json_text(data, indent=2, default=str) + "\n"
    else:
        text = render_markdown(notes)
        if output is None:
            write_stdout(text)
            return
    write_output_or_exit(output, text, "the release notes")
    changes = len(notes.changes)
    stderr.print(
        f"[green]✓[/green] wrote {escape(str(output))}: {changes} "
        f"commit{'s' * (changes != 1)}, {len(notes.delivered)} delivered task"
        f"{'s' * (len(notes.delivered) != 1)}"
    )
