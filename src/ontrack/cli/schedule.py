"""``ontrack schedule``: who does what and when, the critical path, and why."""

from __future__ import annotations

import csv
import datetime as dt
import io
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ontrack.cli.assessing import (
    AS_OF_OPTION,
    DB_OPTION,
    PROGRESS_OPTION,
    StoreRequest,
    as_of_status,
)
from ontrack.cli.bounds import SEED_MAX, SEED_MIN
from ontrack.cli.common import load_or_exit
from ontrack.cli.output import (
    add_column,
    counts_line,
    print_diagnostics,
    print_json,
    stderr,
    stdout,
    write_stdout,
)
from ontrack.diagnostics import SourceLoc, error
from ontrack.engines.schedule.planner import BackendName, ScheduleOptions, get_backend, schedule
from ontrack.engines.schedule.problem import Objective, SolveOptions
from ontrack.engines.schedule.result import Schedule
from ontrack.interop.tables import csv_text


class ScheduleFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class BackendChoice(StrEnum):
    HEURISTIC = "heuristic"
    CPSAT = "cpsat"
    AUTO = "auto"
    GA = "ga"


class ObjectiveChoice(StrEnum):
    MAKESPAN = "makespan"
    LATENESS = "lateness"


_BACKENDS: dict[BackendChoice, BackendName] = {
    BackendChoice.HEURISTIC: "heuristic",
    BackendChoice.CPSAT: "cpsat",
    BackendChoice.AUTO: "auto",
    BackendChoice.GA: "ga",
}
_OBJECTIVES: dict[ObjectiveChoice, Objective] = {
    ObjectiveChoice.MAKESPAN: "makespan",
    ObjectiveChoice.LATENESS: "lateness",
}


def schedule_command(
    plan: Path | None = typer.Argument(None, help="A plan file, or a folder of plan files."),
    backend: BackendChoice | None = typer.Option(
        None,
        "--backend",
        "-b",
        help="heuristic: priority rules + forward-backward improvement, fast (the default for "
        "plans). cpsat: OR-Tools CP-SAT from the heuristic's schedule; proves optimality or a "
        "bound. auto: both at once on the two cores, the best wins, with the genetic algorithm "
        "in place of the heuristic on single-mode finish-to-start problems (the default for "
        "--psplib). ga: activity-list genetic algorithm (single-mode, finish-to-start problems; "
        "others go to the heuristic).",
        show_default=False,
    ),
    time_limit: float = typer.Option(
        10.0,
        "--time-limit",
        "-t",
        min=0.1,
        help="Seconds to search; the best schedule found is kept.",
    ),
    objective: ObjectiveChoice = typer.Option(
        ObjectiveChoice.MAKESPAN,
        "--objective",
        help="makespan: finish the program earliest. lateness: least weighted lateness of "
        "deadlines (weighted by priority).",
    ),
    seed: int = typer.Option(
        0, "--seed", min=SEED_MIN, max=SEED_MAX, help="Same seed, same schedule (0..4294967295)."
    ),
    fmt: ScheduleFormat = typer.Option(
        ScheduleFormat.TABLE, "--format", "-f", help="table, json or csv."
    ),
    psplib: Path | None = typer.Option(
        None, "--psplib", help="Schedule a PSPLIB .sm instance instead of a plan."
    ),
    progress: bool = PROGRESS_OPTION,
    status_date: dt.datetime | None = AS_OF_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Schedule a plan: assign people, level their work, find the critical path.

    Dates are working days: start is the first day a task is worked, finish the last; a
    finish-to-start successor starts the next working day. Each task says what drives its start
    (a predecessor, a constraint, or waiting for a person).

    Example: ontrack schedule examples/platform-migration --backend cpsat --time-limit 30
    """
    if psplib is not None:
        _schedule_psplib(psplib, _BACKENDS[backend or BackendChoice.AUTO], time_limit, seed)
        return
    if plan is None:
        stderr.print("give a PLAN (or --psplib FILE); see `ontrack schedule --help`")
        raise typer.Exit(2)
    loaded = load_or_exit(plan)
    # The same as-of date and progress as every other output (ontrack.app.asof).
    as_of, status, _ = as_of_status(loaded, StoreRequest(plan, db, None, progress), status_date)
    with _progress(time_limit, enabled=fmt is ScheduleFormat.TABLE) as report:
        result, problems = schedule(
            loaded,
            ScheduleOptions(
                backend=_BACKENDS[backend or BackendChoice.HEURISTIC],
                time_limit=time_limit,
                seed=seed,
                objective=_OBJECTIVES[objective],
                progress=report,
                status=status,
            ),
        )
    if result is None:
        print_diagnostics(problems, stderr)
        stderr.print(f"[red]✗[/red] {plan} cannot be scheduled: {counts_line(problems)}")
        raise typer.Exit(1)
    if fmt is ScheduleFormat.JSON:
        print_json(
            result.to_json()
            | {"as_of": as_of.to_json(), "diagnostics": [d.to_json() for d in problems]}
        )
    elif fmt is ScheduleFormat.CSV:
        write_stdout(to_csv(result))
    else:
        _print_table(result, _OBJECTIVES[objective])
        stdout.print(f"[dim]{escape(as_of.statement)}[/dim]")
        print_diagnostics(problems)


class _progress:
    """A progress bar over the time limit, fed by the backend's progress callback."""

    def __init__(self, time_limit: float, enabled: bool) -> None:
        self.enabled = enabled and stderr.is_terminal and time_limit >= 2
        self.bar = Progress(
            TextColumn("scheduling"),
            BarColumn(),
            TextColumn("{task.fields[best]}"),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        )
        self.task = self.bar.add_task("", total=1.0, best="")

    def __enter__(self) -> _progress | None:
        if not self.enabled:
            return None
        self.bar.start()
        return self

    def __call__(self, fraction: float, best: int | None) -> None:
        self.bar.update(
            self.task, completed=fraction, best=f"best {best} days" if best is not None else ""
        )

    def __exit__(self, *_: object) -> None:
        if self.enabled:
            self.bar.stop()


def _schedule_psplib(path: Path, backend: BackendName, time_limit: float, seed: int) -> None:
    from ontrack.interop.psplib import PsplibError, read_psplib  # noqa: PLC0415 - on demand

    try:
        problem = read_psplib(path)
    except PsplibError as exc:
        print_diagnostics(
            [
                error(
                    "E401",
                    SourceLoc(str(path), exc.line),
                    exc.message,
                    "check the file is a single-mode PSPLIB .sm instance",
                )
            ],
            stderr,
        )
        raise typer.Exit(1) from None
    except OSError as exc:
        print_diagnostics([error("E001", SourceLoc(str(path)), f"cannot read file: {exc}")], stderr)
        raise typer.Exit(1) from None
    solution = get_backend(backend).solve(problem, SolveOptions(time_limit=time_limit, seed=seed))
    ends = [
        s + job.modes[m].duration
        for job, s, m in zip(problem.jobs, solution.starts, solution.modes, strict=True)
    ]
    print_json(
        {
            "makespan": max(ends, default=0),
            "starts": list(solution.starts),
            "status": solution.status,
            "lower_bound": solution.lower_bound,
            "backend": backend,
            "seconds": round(solution.seconds, 3),
        }
    )


def to_csv(result: Schedule) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "id",
            "title",
            "start",
            "finish",
            "duration_days",
            "assignees",
            "total_float_days",
            "free_float_days",
            "critical",
            "milestone",
            "summary",
            "deadline",
            "late_days",
            "driver",
        ]
    )
    for t in result.tasks:
        writer.writerow(
            [
                t.id,
                csv_text(t.title),
                t.start,
                t.finish,
                t.duration_days,
                " ".join(t.assignees),
                t.total_float_days,
                t.free_float_days,
                t.critical,
                t.milestone,
                t.summary,
                t.deadline or "",
                t.late_days,
                csv_text(t.driver.text) if t.driver else "",
            ]
        )
    return buffer.getvalue()


def heading(result: Schedule, objective: Objective) -> str:
    """The schedule's first line: its finish, what "best" means and whether it was proven, and
    the deadlines it misses. "Optimal" alone read as "all is well" above a late launch: the
    shortest schedule can still miss a deadline, by the days the work takes."""
    goal = "shortest schedule" if objective == "makespan" else "least weighted lateness"
    if result.status == "optimal":
        found = f"the {goal}, proven"
    else:
        found = f"the {goal} found in {result.seconds:.1f}s"
        if result.lower_bound_finish:
            found += f" (none can finish before {result.lower_bound_finish})"
    late = sorted(
        (t for t in result.tasks if t.deadline and t.late_days > 0),
        key=lambda t: (-t.late_days, t.id),
    )
    if late:
        named = [
            f"'{escape(t.id)}' due {t.deadline} by {t.late_days} working "
            f"day{'' if t.late_days == 1 else 's'}"
            for t in late[:3]
        ]
        more = f" and {len(late) - 3} more" if len(late) > 3 else ""
        deadlines = (
            f"[red]misses {'a deadline' if len(late) == 1 else f'{len(late)} deadlines'}: "
            f"{', '.join(named)}{more}[/red]"
        )
    elif any(t.deadline for t in result.tasks):
        deadlines = "[green]meets every deadline[/green]"
    else:
        deadlines = ""
    return (
        f"[bold]Finish {result.finish}[/bold] — {found}"
        + (f" · {deadlines}" if deadlines else "")
        + f" · {result.makespan_days} working days from {result.start} · {result.backend}, "
        f"{result.seconds:.1f}s"
    )


def _print_table(result: Schedule, objective: Objective) -> None:
    stdout.print(heading(result, objective))
    table = Table(title="Schedule (critical tasks in bold red)", title_justify="left")
    for col in ("id", "start", "finish", "who", "float", "why it starts then"):
        add_column(table, col, wide=col == "why it starts then", right=col == "float")
    for t in result.tasks:
        style = "bold red" if t.critical and not t.summary else ("bold" if t.summary else "")
        late = f" [red]late {t.late_days}d[/red]" if t.late_days else ""
        marker = "◆ " if t.milestone else ("▸ " if t.summary else "")
        table.add_row(
            f"{marker}{escape(t.id)}",
            str(t.start),
            str(t.finish) + late,
            ", ".join(t.assignees),
            str(t.total_float_days),
            escape(t.driver.text) if t.driver else "",
            style=style,
        )
    stdout.print(table)
    people = Table(title="People", title_justify="left")
    for col in ("id", "tasks", "busy d", "available d", "load"):
        people.add_column(col, justify="left" if col == "id" else "right")
    for p in result.people:
        people.add_row(p.id, str(p.tasks), str(p.busy_days), str(p.available_days), f"{p.load:.0%}")
    stdout.print(people)
