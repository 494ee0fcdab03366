"""What several commands share: loading the plan or stopping with its diagnostics, opening the
store (through the application layer) or stopping with its error, and the percentage
thresholds."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import typer
from rich.markup import escape

from ontrack.app.workspace import ENV, RevisionUnreadable, StoreError, Workspace
from ontrack.cli.output import counts_line, print_diagnostics, stderr
from ontrack.diagnostics import SourceLoc, error
from ontrack.interop.importer import load_any
from ontrack.model import Plan
from ontrack.planfile import load_plan


def load_or_exit(
    path: Path, consequence: str = "run `ontrack check`", *, imports: bool = True
) -> Plan:
    """The plan, or its diagnostics on stderr and exit code 1. With ``imports``, a file another
    tool wrote (MS Project XML, Primavera XER, a CSV task list) is read as a plan too."""
    plan, diagnostics = load_any(path) if imports else load_plan(path)
    if plan is None:
        print_diagnostics(diagnostics, stderr)
        stderr.print(f"[red]✗[/red] {path}: {counts_line(diagnostics)}; {consequence}")
        raise typer.Exit(1)
    return plan


def _fail(store_label: str, exc: StoreError) -> typer.Exit:
    print_diagnostics([error(exc.code, SourceLoc(store_label), exc.message, exc.hint)], stderr)
    return typer.Exit(1)


@contextmanager
def open_workspace(
    db: str | None,
    plan: Path | None,
    *,
    create: bool = False,
    before: Callable[[], object] | None = None,
) -> Iterator[Workspace]:
    """The plan's store (``db``, else $ONTRACK_DB, else beside ``plan``), closed afterwards. A
    store error becomes its diagnostic on stderr and exit code 1; so does a recorded revision
    that no longer loads. ``before`` runs first, with the same handling: a check that refuses
    what would be written, before ``create`` makes a store."""
    label = db or os.environ.get(ENV) or str(plan or ".")
    try:
        if before is not None:
            before()
        workspace = Workspace.open(db, plan, create=create)
    except StoreError as exc:
        raise _fail(label, exc) from None
    try:
        yield workspace
    except StoreError as exc:
        raise _fail(workspace.label, exc) from None
    except RevisionUnreadable as exc:
        print_diagnostics(exc.diagnostics, stderr)
        stderr.print(f"[red]✗[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    finally:
        workspace.close()


def parse_percent(text: str) -> Fraction:
    """A threshold option: a percentage such as ``15%`` (the % is required: 0.15 and 15 are both
    plausible readings of a bare number)."""
    raw = text.strip()
    if not raw.endswith("%"):
        raise typer.BadParameter(f"'{text}': write the threshold as a percentage, e.g. 15%")
    try:
        value = Decimal(raw[:-1].strip())
    except InvalidOperation:
        raise typer.BadParameter(f"'{text}' is not a percentage, e.g. 15%") from None
    if not value.is_finite() or value < 0:
        raise typer.BadParameter(f"{text}: the threshold is 0% or more")
    return Fraction(value) / 100
