"""``ontrack sync``: read the plan's trackers into the store, reconcile, report drift."""

from __future__ import annotations

import getpass
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ontrack.app.sync import SourceSync, SyncResult, pick_sources, sync
from ontrack.app.workspace import StoreError, Workspace
from ontrack.cli.assessing import DB_OPTION, ITERATIONS_OPTION, SEED_OPTION
from ontrack.cli.common import load_or_exit, open_workspace
from ontrack.cli.output import Format, add_column, print_diagnostics, print_json, stderr, stdout
from ontrack.diagnostics import SourceLoc, error
from ontrack.engines import trackersync
from ontrack.model import Plan
from ontrack.planfile import plan_sources
from ontrack.planfile.edit import apply_edits
from ontrack.trackers.base import TrackerError


class WriteBackChoice(StrEnum):
    DUE = "due"
    COMMENT = "comment"


FIELDS = (*trackersync.FIELDS, "all")
SIDES = ("tracker", "plan")


def parse_accept(values: list[str]) -> dict[str, str]:
    """``--accept tracker`` (every field) or ``--accept estimate=plan`` (one field)."""
    out: dict[str, str] = {}
    for value in values:
        name, _, side = value.strip().partition("=")
        if not side:
            name, side = "all", name
        name, side = name.strip().lower(), side.strip().lower()
        if name not in FIELDS or side not in SIDES:
            raise typer.BadParameter(
                f"{value!r}: write SIDE or FIELD=SIDE, FIELD one of {', '.join(FIELDS)} and "
                "SIDE tracker or plan"
            )
        out[name] = side
    return out


@contextmanager
def _bar(enabled: bool) -> Iterator[Progress | None]:
    if not (enabled and stderr.is_terminal):
        yield None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[items]} items, {task.completed:.0f} pages"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        yield bar


def _source_loc(plan: Plan, name: str | None) -> SourceLoc:
    for source in plan.trackers:
        if source.name == name:
            return source.loc
    return plan.trackers[0].loc if plan.trackers else plan.program.loc


def sync_command(
    plan: Path = typer.Argument(..., help="The plan file or folder whose `sources:` to sync."),
    source: list[str] = typer.Option(
        [], "--source", "-s", help="Sync only this source (repeatable; default: all of them)."
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Read the trackers and show what would change; write nothing (not even the cursor).",
    ),
    accept: list[str] = typer.Option(
        [],
        "--accept",
        help="Resolve drift: `tracker` or `plan` for every field, or FIELD=SIDE for one "
        "(progress, estimate, depends, assignee, scope). `estimate=tracker` edits the plan "
        "file; `progress=tracker` records the tracker's progress.",
    ),
    page_size: int = typer.Option(
        100,
        "--page-size",
        min=1,
        max=100,
        help="Items asked for per request (1..100); smaller pages store progress more often.",
    ),
    write_back: WriteBackChoice | None = typer.Option(
        None,
        "--write-back",
        help="After syncing, forecast the plan and write each open linked item's P80 finish "
        "back: `due` sets its due date (Redmine, GitLab, Jira), `comment` keeps one comment up "
        "to date (all four). One idempotent update per item; try it with --dry-run first.",
    ),
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    author: str | None = typer.Option(
        None, "--author", help="Who the plan revision is recorded as (default: you)."
    ),
    db: str | None = DB_OPTION,
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Read the plan's trackers (Redmine, GitHub, GitLab, Jira) and record what they say.

    Each source named under `sources:` is read incrementally: only what changed since the last
    sync, page by page, each page stored with its cursor, so an interrupted sync resumes where
    it stopped. Linked tasks (`tracker: SOURCE#KEY`) get their progress (actual start and
    finish from the state history) as ordinary progress facts; every item's created and closed
    dates become the throughput history (`forecast --history store:SOURCE`). Where the plan and
    the tracker disagree, nothing is overwritten silently: each difference is reported with a
    code (W620-W629) and the side that changed since the last sync, until --accept resolves it.

    Tokens come from the environment variables the sources name; they are never written
    anywhere.

    See docs/trackers.md.

    Example: REDMINE_TOKEN=... ontrack sync my-plan --dry-run
    """
    choices = parse_accept(accept)
    loaded = load_or_exit(plan, "nothing synced", imports=False)
    try:
        pick_sources(loaded, source)
    except TrackerError as exc:
        raise _fail(loaded, None, exc) from None
    try:
        files = plan_sources(plan)
    except (OSError, UnicodeDecodeError) as exc:
        print_diagnostics([error("E001", SourceLoc(str(plan)), f"cannot read: {exc}")], stderr)
        raise typer.Exit(1) from None
    who = author or os.environ.get("ONTRACK_AUTHOR") or getpass.getuser()

    def check() -> None:
        Workspace.check_apply(loaded, files, author=who, message="synced with trackers")

    with tempfile.TemporaryDirectory(prefix="ontrack-dry-run-") as scratch:
        if dry_run and not _store_exists(db, plan):
            # No store yet: a dry run reads as a first sync would, against an empty store that
            # is thrown away, so nothing is created where the real one would be.
            db = f"sqlite:///{Path(scratch) / 'dry-run.db'}"
            dry_create = True
        else:
            dry_create = not dry_run
        target = None
        if write_back is not None:
            target = "due_date" if write_back is WriteBackChoice.DUE else "comment"
        options = RunOptions(dry_run, choices, who, fmt, page_size, target, iterations, seed)
        _sync_in(plan, loaded, files, source, options, db, dry_create, check)


def _store_exists(db: str | None, plan: Path) -> bool:
    try:
        with Workspace.open(db, plan, create=False):
            return True
    except StoreError as exc:
        # Any other problem is reported by the real opening, with its code.
        return exc.code != "E503"


def _sync_in(
    plan: Path,
    loaded: Plan,
    files: list[tuple[str, str]],
    source: list[str],
    options: RunOptions,
    db: str | None,
    create: bool,
    check: Callable[[], None],
) -> None:
    dry_run, who, fmt = options.dry_run, options.author, options.fmt
    with open_workspace(db, plan, create=create, before=check) as workspace:
        result = _run(workspace, loaded, files, source, options)
        edited = _edit_plan(plan, result) if not dry_run else []
        if edited:
            reloaded = load_or_exit(plan, "the plan was edited but no longer loads", imports=False)
            applied = workspace.apply(
                reloaded,
                plan_sources(plan),
                author=who,
                message="accepted the tracker's values: " + "; ".join(edited),
            )
            result = replace(result, revision=applied.revision.number)
    if fmt is Format.JSON:
        store = None if dry_run else workspace.label
        print_json(result.to_json() | {"store": store, "plan_edits": edited})
        return
    _print(result, workspace.label, edited)


@dataclass(frozen=True, slots=True)
class RunOptions:
    dry_run: bool
    accept: dict[str, str]
    author: str
    fmt: Format
    page_size: int
    write_back: str | None
    iterations: int
    seed: int


def _run(
    workspace: Workspace,
    plan: Plan,
    files: list[tuple[str, str]],
    names: list[str],
    options: RunOptions,
) -> SyncResult:
    current: dict[str, object] = {}
    with _bar(options.fmt is Format.TABLE) as bar:

        def on_page(name: str, pages: int, items: int) -> None:
            if bar is None:
                return
            if name not in current:
                current[name] = bar.add_task(f"sync {name}", total=None, items=0)
            task = current[name]
            bar.update(task, completed=pages, items=items)  # type: ignore[arg-type]

        try:
            return sync(
                workspace,
                plan,
                files,
                sources=names,
                dry_run=options.dry_run,
                accept=options.accept,
                author=options.author,
                adapter_options={"page_size": options.page_size},
                on_page=on_page,
                write_back=options.write_back,
                iterations=options.iterations,
                seed=options.seed,
            )
        except TrackerError as exc:
            failed = next(iter(current), None) if len(current) == 1 else None
            raise _fail(plan, failed or (names[0] if len(names) == 1 else None), exc) from None


def _fail(plan: Plan, name: str | None, exc: TrackerError) -> typer.Exit:
    where = _source_loc(plan, name)
    print_diagnostics([error(exc.code, where, exc.message, exc.hint)], stderr)
    stderr.print(
        "[red]✗[/red] sync stopped; what was read before the error is kept, and the next "
        "sync resumes from it"
    )
    return typer.Exit(1)


def _edit_plan(plan: Path, result: SyncResult) -> list[str]:
    """Write accepted tracker values into the plan files (what the user owns); says what."""
    edits = [(s.source, e) for s in result.sources for e in s.outcome.edits]
    if not edits:
        return []
    loaded = load_or_exit(plan, "nothing edited", imports=False)
    done, refused = apply_edits(loaded, [e for _, e in edits])
    for message in refused:
        stderr.print(f"[yellow]![/yellow] {escape(message)}")
    return done


def _print(result: SyncResult, store: str, edited: list[str]) -> None:
    verb = "would record" if result.dry_run else "recorded"
    for s in result.sources:
        _print_source(s, verb)
    for line in edited:
        stdout.print(f"[green]✓[/green] plan edited: {escape(line)}")
    where = "nothing written (dry run)" if result.dry_run else f"store: {store}"
    revision = f", plan revision {result.revision}" if result.revision else ""
    stdout.print(f"{where}{revision}")


def _print_source(s: SourceSync, verb: str) -> None:
    o = s.outcome
    how = "first sync" if s.first else "resumed" if s.resumed else "incremental"
    stdout.print(
        f"[bold]{escape(s.source.name)}[/bold] ({s.source.kind.value}, {how}): "
        f"{s.items} item{'s' * (s.items != 1)} read in {s.pages} page{'s' * (s.pages != 1)} "
        f"and {s.requests} request{'s' * (s.requests != 1)}; {s.stored} held; "
        f"{o.linked} linked task{'s' * (o.linked != 1)}, status date {o.status_date}"
    )
    if o.changes:
        table = Table(title=f"Progress {verb} from {s.source.name}", title_justify="left")
        for col in ("task", "item", "was", "now"):
            add_column(table, col)
        for c in o.changes:
            table.add_row(escape(c.task), escape(c.item), escape(c.old), escape(c.new))
        stdout.print(table)
    if s.write_backs:
        table = Table(title=f"Forecast written back to {s.source.name}", title_justify="left")
        for col in ("item", "field", "now", "new"):
            add_column(table, col, wide=col == "new")
        for w in s.write_backs:
            state = ("would set" if verb != "recorded" else "set") if w.changed else "unchanged"
            table.add_row(
                escape(w.key), f"{w.field} ({state})", escape(w.old or "—"), escape(w.new)
            )
        stdout.print(table)
    if o.drift:
        table = Table(title=f"Drift: {s.source.name} and the plan disagree", title_justify="left")
        for col in ("code", "task", "field", "changed", "what"):
            add_column(table, col, wide=col == "what")
        for d in o.drift:
            table.add_row(d.code, escape(d.task), d.field, d.changed, escape(d.message))
        stdout.print(table)
        stdout.print(
            "resolve with --accept FIELD=tracker|plan (e.g. --accept estimate=tracker), "
            "or change the plan or the tracker"
        )
    elif o.linked:
        stdout.print("[green]✓[/green] no drift: the plan and the tracker agree")
