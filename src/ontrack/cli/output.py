"""Shared output helpers: formats, consoles, printing diagnostics."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ontrack.diagnostics import Diagnostic

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


class TextFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def print_json(data: Any) -> None:
    """JSON on stdout, exactly as given (no Rich markup or wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_diagnostics(diagnostics: Sequence[Diagnostic], console: Console = stdout) -> None:
    for d in diagnostics:
        colour = "red" if d.is_error else "yellow"
        console.print(
            f"[bold]{escape(str(d.loc))}:[/bold] [{colour}]{d.severity.value} {d.code}"
            f"[/{colour}] {escape(d.message)}"
        )
        if d.hint:
            console.print(f"    [dim]hint:[/dim] {escape(d.hint)}")
        for rel in d.related:
            console.print(f"    [dim]see:[/dim] {escape(str(rel))}")


def counts_line(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def add_column(table: Table, name: str, *, wide: bool = False, right: bool = False) -> None:
    """Short columns never wrap; the one wide text column takes the rest of the width."""
    if wide:
        table.add_column(name, ratio=1, min_width=16)
    else:
        table.add_column(name, no_wrap=True, justify="right" if right else "left")


def print_wide(table: Table, width: int = 120) -> None:
    """A table never truncated: on a terminal as it fits, piped at the width it needs (Rich
    never prints wider than its console, so piped output gets a wider one)."""
    if stdout.is_terminal:
        stdout.print(table)
    else:
        Console(highlight=False, width=max(stdout.width, width)).print(table)
