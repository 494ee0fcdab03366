"""Shared output helpers: formats, consoles, printing diagnostics.

Every console here shows user text safely: a title or a name holding an escape sequence, another
control character or a bidi override is printed with those characters made visible
(``\x1b``, ``<U+202E>``), whichever command prints it and however (markup, a table cell, a
title). JSON escapes them; raw text for standard output goes through :func:`write_stdout`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape
from rich.segment import Segment
from rich.table import Table

from ontrack.diagnostics import Diagnostic
from ontrack.safetext import json_text, visible

if TYPE_CHECKING:
    from rich.console import HighlighterType, JustifyMethod, OverflowMethod
    from rich.style import Style
    from rich.text import Text


class SafeConsole(Console):
    """A Rich console that never writes a control character it did not make itself.

    Strings (``print`` arguments, markup, table cells and titles) are made visible before Rich
    parses and measures them, so tables keep their layout; segments of any other renderable are
    checked as they are rendered. Rich's own escape codes (colours, links) come from styles and
    control segments, which pass unchanged."""

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: HighlighterType | None = None,
    ) -> Text:
        return super().render_str(
            visible(text),
            style=style,
            justify=justify,
            overflow=overflow,
            emoji=emoji,
            markup=markup,
            highlight=highlight,
            highlighter=highlighter,
        )

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control:
                yield segment
            else:
                text = visible(segment.text)
                yield segment if text == segment.text else Segment(text, segment.style)


def console(**options: Any) -> Console:
    """A console for this CLI's output (highlighting off, user text made safe)."""
    return SafeConsole(highlight=False, **options)


stdout = console(soft_wrap=True)
stderr = console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


class TextFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def print_json(data: Any) -> None:
    """JSON on stdout, exactly as given (no Rich markup or wrapping); control and invisible
    characters are ``\\u`` escapes, which read back as the same strings."""
    sys.stdout.write(json_text(data, indent=2, default=str) + "\n")


def write_stdout(text: str) -> None:
    """Text written as it is (CSV, Markdown, YAML, XML): exact when piped or redirected, with
    control characters made visible when standard output is a terminal."""
    sys.stdout.write(visible(text) if sys.stdout.isatty() else text)
    sys.stdout.flush()


def write_stdout_bytes(data: bytes) -> None:
    """As :func:`write_stdout`, for an export's UTF-8 bytes."""
    if sys.stdout.isatty():
        write_stdout(data.decode("utf-8", errors="replace"))
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


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
        console(width=max(stdout.width, width)).print(table)


def write_output_or_exit(path: Path, text: str, what: str) -> None:
    """Write ``text`` to ``path`` atomically (nothing half-written), or print E701 naming
    ``what`` ("the report", "the document") and exit 1."""
    from ontrack.diagnostics import SourceLoc, error  # noqa: PLC0415
    from ontrack.fileio import write_text_atomic  # noqa: PLC0415

    try:
        write_text_atomic(path, text)
    except OSError as exc:
        message = f"cannot write {what}: {exc.strerror or exc}"
        print_diagnostics([error("E701", SourceLoc(str(path)), message)], stderr)
        raise typer.Exit(1) from None
