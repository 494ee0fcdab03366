"""What several commands share: loading the plan or stopping with its diagnostics, opening the
store or stopping with its error, a revision's plan, the options that plan around recorded
progress, and the percentage thresholds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ontrack.cli.output import counts_line, print_diagnostics, stderr
from ontrack.diagnostics import SourceLoc, error
from ontrack.interop.importer import load_any
from ontrack.model import Plan
from ontrack.planfile import load_plan, load_plan_texts
from ontrack.store import ENV

if TYPE_CHECKING:
    from ontrack.store import StoreError
    from ontrack.store.repo import Store


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
def open_store(db: str | None, plan: Path | None, *, create: bool = False) -> Iterator[Store]:
    """The store (``db``, else $ONTRACK_DB, else beside ``plan``), closed afterwards; a store
    error becomes its diagnostic on stderr and exit code 1."""
    # The store's libraries load only for the commands that use it (a second off --help).
    from ontrack.store import StoreError  # noqa: PLC0415
    from ontrack.store.repo import Store  # noqa: PLC0415

    label = db or os.environ.get(ENV) or str(plan or ".")
    try:
        store = Store.open(db, plan, create=create)
    except StoreError as exc:
        raise _fail(label, exc) from None
    try:
        yield store
    except StoreError as exc:
        raise _fail(store.location.label, exc) from None
    finally:
        store.close()


def revision_plan(store: Store, program: str, number: int) -> Plan:
    """The plan of a recorded revision, or exit 1 when it no longer loads."""
    plan, diagnostics = load_plan_texts(store.files(program, number))
    if plan is None:
        print_diagnostics(diagnostics, stderr)
        stderr.print(f"[red]✗[/red] revision {number} of '{program}' no longer loads")
        raise typer.Exit(1)
    return plan


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
