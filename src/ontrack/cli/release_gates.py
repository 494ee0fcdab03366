"""``ontrack release status``, ``go-no-go`` and ``sign``: a release's readiness gates with their
evidence, the go/no-go document, and the sign-offs recorded in the store.

The gates come from the program assessment (``ontrack assess --progress`` shows the same under
``releases``). These commands always read the store when there is one, since the sign-offs and
the progress that says what is done live there.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.app.workspace import ENV, StoreError, Workspace
from ontrack.cli.assessing import (
    AS_OF_OPTION,
    BASELINE_OPTION,
    DB_OPTION,
    ITERATIONS_OPTION,
    SEED_OPTION,
    TIME_LIMIT_OPTION,
    StoreRequest,
    assess_or_exit,
)
from ontrack.cli.common import load_or_exit, open_workspace
from ontrack.cli.output import (
    Format,
    add_column,
    print_diagnostics,
    print_json,
    print_wide,
    stderr,
    stdout,
    write_output_or_exit,
    write_stdout,
)
from ontrack.diagnostics import SourceLoc, error
from ontrack.model import Plan, Release

if TYPE_CHECKING:
    from ontrack.app.assessment import Assessment
    from ontrack.engines.readiness import Readiness

PLAN_ARGUMENT = typer.Argument(Path("."), help="The plan file or folder (default: here).")
RELEASE_ARGUMENT = typer.Argument(..., help="The release's id.")

_STATE = {
    "pass": "[green]✓ pass[/green]",
    "fail": "[red]✗ FAIL[/red]",
    "pending": "[yellow]… pending[/yellow]",
}
_VERDICT = {
    "go": "[green]GO[/green]",
    "no-go": "[red]NO-GO[/red]",
    "pending": "[yellow]NOT YET[/yellow]",
}


def _release_or_exit(plan: Plan, ident: str, where: Path) -> Release:
    found = next((r for r in plan.releases if r.id == ident), None)
    if found is None:
        known = ", ".join(r.id for r in plan.releases) or "none (add a `releases:` section)"
        print_diagnostics(
            [
                error(
                    "E485",
                    SourceLoc(str(where)),
                    f"the plan has no release '{ident}'",
                    f"releases: {known}",
                )
            ],
            stderr,
        )
        raise typer.Exit(1)
    return found


def _has_store(db: str | None, plan: Path) -> bool:
    """Whether there is a store to read: one named (--db or $ONTRACK_DB) must open; the default
    one beside the plan is read when it exists."""
    if db or os.environ.get(ENV):
        return True
    try:
        Workspace.open(None, plan, create=False).close()
    except StoreError as exc:
        if exc.code == "E503":
            return False
        raise
    return True


def _assessed(
    plan_path: Path,
    release: str,
    db: str | None,
    baseline: str | None,
    as_of: dt.datetime | None,
    iterations: int,
    seed: int,
    time_limit: float,
    *,
    bar: bool,
) -> tuple[Assessment, Readiness]:
    from ontrack.app.assessment import AssessOptions  # noqa: PLC0415

    plan = load_or_exit(plan_path)
    _release_or_exit(plan, release, plan_path)
    try:
        stored = _has_store(db, plan_path)
    except StoreError as exc:
        print_diagnostics(
            [error(exc.code, SourceLoc(db or str(plan_path)), exc.message, exc.hint)], stderr
        )
        raise typer.Exit(1) from None
    assessed, _ = assess_or_exit(
        plan,
        plan_path,
        AssessOptions(iterations=iterations, seed=seed, time_limit=time_limit),
        StoreRequest(plan_path, db, baseline, progress=stored),
        as_of,
        bar=bar,
    )
    found = assessed.release(release)
    assert found is not None  # the release exists, and every release is assessed
    return assessed, found


def status_command(
    release: str = RELEASE_ARGUMENT,
    plan: Path = PLAN_ARGUMENT,
    db: str | None = DB_OPTION,
    baseline: str | None = BASELINE_OPTION,
    status_date: dt.datetime | None = AS_OF_OPTION,
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    time_limit: float = TIME_LIMIT_OPTION,
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """A release's readiness: each gate green or red with its evidence (scope done, forecast
    odds of the date, open high risks on its scope, failed schedule checks on its scope,
    tracker drift, every checklist item, the sign-offs), and the go/no-go recommendation.

    Reads the store beside the plan when there is one (progress and sign-offs), so it shows
    what `ontrack assess PLAN --progress` shows under `releases`.

    Example: ontrack release status rel-cutover examples/platform-migration
    """
    _, r = _assessed(
        plan,
        release,
        db,
        baseline,
        status_date,
        iterations,
        seed,
        time_limit,
        bar=fmt is Format.TABLE,
    )
    if fmt is Format.JSON:
        print_json(r.to_json())
        return
    when = f"{r.date}" if r.date else "no date"
    train = f" · train {r.train}" if r.train else ""
    freeze = f" · code freeze {r.code_freeze}" if r.code_freeze else ""
    stdout.print(f"[bold]{escape(r.title)}[/bold] ({escape(r.release)}) · {when}{train}{freeze}")
    stdout.print(f"Recommendation: {_VERDICT[r.recommendation]}")
    for reason in r.reasons:
        stdout.print(f"  {escape(reason)}")
    table = Table(title=f"Gates as of {r.as_of}", title_justify="left")
    add_column(table, "state")
    add_column(table, "gate and evidence", wide=True)
    add_column(table, "owner")
    add_column(table, "due")
    for g in r.gates:
        lines = [f"[bold]{escape(g.name)}[/bold]: {escape(g.summary)}"]
        if g.state != "pass":
            lines += [f"  • {escape(e.text)}" for e in g.evidence]
        table.add_row(_STATE[g.state], "\n".join(lines), escape(g.owner or ""), str(g.due or ""))
    print_wide(table)


def gonogo_command(
    release: str = RELEASE_ARGUMENT,
    plan: Path = PLAN_ARGUMENT,
    db: str | None = DB_OPTION,
    baseline: str | None = BASELINE_OPTION,
    status_date: dt.datetime | None = AS_OF_OPTION,
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    time_limit: float = TIME_LIMIT_OPTION,
    fmt: str = typer.Option(
        "markdown", "--format", "-f", help="markdown, html (a self-contained page) or json."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the document to this file (default: stdout)."
    ),
) -> None:
    """The go/no-go document of a release: the recommendation and why, the release's dates
    (train departure, code freeze, hardening), each gate with its evidence, and who signed it
    off in which role, when and on which revision. Markdown for the meeting's notes, or HTML.

    Example: ontrack release go-no-go rel-cutover examples/platform-migration -f html -o gonogo.html
    """
    from ontrack.reports.gonogo import Meeting, gonogo_html, gonogo_markdown  # noqa: PLC0415

    kind = fmt.strip().lower()
    if kind not in {"markdown", "md", "html", "json"}:
        raise typer.BadParameter(f"'{fmt}' is not markdown, html or json", param_hint="--format")
    assessed, r = _assessed(
        plan, release, db, baseline, status_date, iterations, seed, time_limit, bar=True
    )
    if kind == "json":
        text = _json_text(r.to_json())
    else:
        revision, statement = _revision_of(assessed.plan, plan, db)
        meeting = Meeting(
            program=assessed.plan.program.name,
            generated=dt.datetime.now(dt.UTC),
            revision=revision,
            statement=" ".join(filter(None, (assessed.as_of.statement + ".", statement))),
        )
        text = gonogo_html(r, meeting) if kind == "html" else gonogo_markdown(r, meeting)
    if output is None:
        write_stdout(text)
        return
    write_output_or_exit(output, text, "the document")
    stdout.print(
        f"[green]✓[/green] wrote {escape(str(output))}: {r.release} {_VERDICT[r.recommendation]}"
    )


def _revision_of(loaded: Plan, plan: Path, db: str | None) -> tuple[int | None, str]:
    """The recorded revision the document is about, and a sentence when the plan file has
    changed since it (sign-offs name the revision their signer saw)."""
    from ontrack.planfile import plan_sources  # noqa: PLC0415

    if not _has_store(db, plan):
        return None, ""
    try:
        files = plan_sources(plan)
    except (OSError, UnicodeDecodeError):
        return None, ""
    with open_workspace(db, plan) as workspace:
        number = workspace.recorded_as(loaded, files)
    if number is None:
        return None, (
            "The plan file has changes not recorded as a revision: `ontrack apply` records it, "
            "and `ontrack release sign` does so before it signs."
        )
    return number, ""


def _json_text(data: object) -> str:
    from ontrack.safetext import json_text  # noqa: PLC0415

    return json_text(data, indent=2, default=str) + "\n"


def sign_command(
    release: str = RELEASE_ARGUMENT,
    plan: Path = PLAN_ARGUMENT,
    role: str = typer.Option(
        ..., "--as", help="The role signing, one the release lists in `signoffs`."
    ),
    name: str | None = typer.Option(None, "--by", help="Who signs (default: the current user)."),
    no_go: bool = typer.Option(False, "--no-go", help="Sign a no-go instead of a go."),
    note: str = typer.Option("", "--note", "-m", help="Why, or on what condition."),
    db: str | None = DB_OPTION,
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Record a go (or `--no-go`) sign-off of a release in the store: name, role, time and the
    plan revision signed. Sign-offs are append-only: a later one of the same role supersedes an
    earlier one in the verdict, and both are kept (the database refuses to change either).

    The plan is recorded as a revision first when it changed since the last one, so a sign-off
    always names the revision its signer saw.

    Example: ontrack release sign rel-cutover examples/platform-migration --as qa --by "Dana Ruiz"
    """
    from ontrack.model.signoff import SignOff  # noqa: PLC0415
    from ontrack.planfile import plan_sources  # noqa: PLC0415

    loaded = load_or_exit(plan, imports=False)
    found = _release_or_exit(loaded, release, plan)
    wanted = role.strip().lower()
    if not wanted or (found.signoffs and wanted not in found.signoffs):
        roles = ", ".join(found.signoffs)
        print_diagnostics(
            [
                error(
                    "E486",
                    found.locs.get("signoffs", found.loc),
                    f"release '{release}' has no sign-off role '{role}'",
                    f"sign as one of: {roles}" if roles else "name a role",
                )
            ],
            stderr,
        )
        raise typer.Exit(1)
    who = (name or "").strip() or getpass.getuser()
    with open_workspace(db, plan, create=True) as workspace:
        applied = workspace.apply(
            loaded,
            plan_sources(plan),
            author=who,
            message=f"plan as signed off for release {release}",
        )
        signed = workspace.sign_release(
            applied.program,
            SignOff(
                release=release,
                role=wanted,
                name=who,
                decision="no-go" if no_go else "go",
                signed_at=dt.datetime.now(dt.UTC),
                revision=applied.revision.number,
                note=note.strip(),
            ),
        )
    if fmt is Format.JSON:
        print_json(signed.to_json() | {"recorded_revision": applied.recorded})
        return
    made = " (recorded the plan as that revision first)" if applied.recorded else ""
    verdict = "[green]go[/green]" if signed.decision == "go" else "[red]no-go[/red]"
    stdout.print(
        f"[green]✓[/green] {escape(who)} signed {verdict} for {escape(release)} as "
        f"{escape(wanted)} on revision {signed.revision}{made}"
    )
