"""``ontrack check``: validate plan files."""

from __future__ import annotations

from pathlib import Path

import typer

from ontrack.cli.output import TextFormat, counts_line, print_diagnostics, print_json, stdout
from ontrack.interop.importer import load_any


def check(
    plan: Path = typer.Argument(..., help="A plan file, or a folder of plan files merged."),
    fmt: TextFormat = typer.Option(
        TextFormat.TEXT, "--format", "-f", help="text for people, json for tools and CI."
    ),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors (exit 1)."),
) -> None:
    """Check a plan and report every problem in one pass.

    Each problem is printed as file:line:col, a severity, a stable code (E… errors, W…
    warnings), what is wrong and a hint to fix it. Exits 1 when there are errors (or, with
    --strict, warnings), 0 otherwise.

    Example: ontrack check examples/platform-migration --format json
    """
    result, diagnostics = load_any(plan)
    errors = sum(d.is_error for d in diagnostics)
    failed = errors > 0 or (strict and bool(diagnostics))
    if fmt is TextFormat.JSON:
        print_json(
            {
                "ok": not failed,
                "errors": errors,
                "warnings": len(diagnostics) - errors,
                "tasks": len(result.tasks) if result else None,
                "diagnostics": [d.to_json() for d in diagnostics],
            }
        )
    else:
        print_diagnostics(diagnostics)
        if result is not None:
            stdout.print(
                f"[green]✓[/green] {plan}: {len(result.tasks)} tasks, "
                f"{len(result.people)} people, {len(result.risks)} risks — "
                f"{counts_line(diagnostics)}"
            )
        else:
            stdout.print(f"[red]✗[/red] {plan}: {counts_line(diagnostics)}")
    if failed:
        raise typer.Exit(1)
