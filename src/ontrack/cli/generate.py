"""``ontrack generate``: valid synthetic plans for benchmarks and tests."""

from __future__ import annotations

from pathlib import Path

import typer

from ontrack.cli.output import print_diagnostics, stderr
from ontrack.diagnostics import SourceLoc, error
from ontrack.fileio import write_text_atomic
from ontrack.planfile.generate import dump_plan, generate_plan


def generate(
    tasks: int = typer.Option(
        200,
        "--tasks",
        "-n",
        min=1,
        max=100_000,
        help="Number of tasks (summaries and milestones included).",
    ),
    people: int = typer.Option(20, "--people", "-p", min=1, max=10_000, help="Number of people."),
    seed: int = typer.Option(0, "--seed", "-s", help="Same seed, same plan."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file instead of standard output."
    ),
) -> None:
    """Generate a valid synthetic plan: a WBS of epics per team, dependencies, three-point
    estimates, skills, time off, risks and releases.

    Example: ontrack generate --tasks 10000 --people 100 --seed 7 -o big.yaml
    """
    text = dump_plan(generate_plan(tasks=tasks, people=people, seed=seed))
    if output is None:
        typer.echo(text, nl=False)
    else:
        try:
            write_text_atomic(output, text)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            print_diagnostics(
                [error("E701", SourceLoc(str(output)), f"cannot write the plan: {reason}")],
                stderr,
            )
            raise typer.Exit(1) from None
        stderr.print(f"wrote {tasks} tasks and {people} people to {output}")
