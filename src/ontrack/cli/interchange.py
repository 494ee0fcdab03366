"""``ontrack export`` and ``ontrack import``: the plan in other tools' formats, and back.

Both accept what the other writes: ``export`` reads a plan folder or an imported ``.xml``,
``.xer`` or ``.csv`` directly, and ``import`` writes plan YAML that every command reads.
Files are written atomically (a temporary file renamed over the target), so an interrupted export
never leaves half a file where the last good one was.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer
from rich.markup import escape

from ontrack.cli.bounds import SEED_MAX, SEED_MIN, as_of_in_horizon
from ontrack.cli.output import (
    counts_line,
    print_diagnostics,
    stderr,
    write_stdout,
    write_stdout_bytes,
)
from ontrack.diagnostics import Diagnostic, SourceLoc, error, has_errors
from ontrack.fileio import NotAFileError, write_bytes_atomic
from ontrack.interop.importer import (
    FORMAT_NAMES,
    ImportFormat,
    import_file,
    load_any,
    walk_tasks,
)

if TYPE_CHECKING:
    from ontrack.engines.forecast.result import Forecast
    from ontrack.engines.schedule.result import Schedule
    from ontrack.model import Plan


class ExportFormat(StrEnum):
    MSPDI = "mspdi"
    ICS = "ics"
    CSV = "csv"
    XLSX = "xlsx"
    MERMAID = "mermaid"
    TJP = "tjp"


class TjpSelect(StrEnum):
    """tj3's rules for choosing one of the people who could do a task."""

    MINLOADED = "minloaded"
    MAXLOADED = "maxloaded"
    MINALLOCATED = "minallocated"
    ORDER = "order"
    RANDOM = "random"


class ImportChoice(StrEnum):
    AUTO = "auto"
    MSPDI = "mspdi"
    XER = "xer"
    CSV = "csv"


#: The format an output file's suffix implies, when --to is not given.
SUFFIXES = {
    ".xml": ExportFormat.MSPDI,
    ".ics": ExportFormat.ICS,
    ".csv": ExportFormat.CSV,
    ".xlsx": ExportFormat.XLSX,
    ".mmd": ExportFormat.MERMAID,
    ".mermaid": ExportFormat.MERMAID,
    ".tjp": ExportFormat.TJP,
}
#: Formats with forecast columns or odds (the others only need the schedule).
WITH_FORECAST = frozenset({ExportFormat.ICS, ExportFormat.CSV, ExportFormat.XLSX})


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``'s target, then rename it over that target (see
    ``ontrack.fileio.write_bytes_atomic``: links written through, modes kept, devices refused)."""
    write_bytes_atomic(path, data)


def _write_or_exit(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as exc:
        print_diagnostics(
            [
                error(
                    "E462",
                    SourceLoc(str(path)),
                    f"cannot write the file: {exc.strerror or type(exc).__name__}",
                    "give the path of a file to write"
                    if isinstance(exc, NotAFileError)
                    else "check that the folder exists and can be written",
                )
            ],
            stderr,
        )
        raise typer.Exit(1) from None


def _fail(diagnostics: list[Diagnostic], what: str) -> typer.Exit:
    print_diagnostics(diagnostics, stderr)
    stderr.print(f"[red]✗[/red] {escape(what)}: {counts_line(diagnostics)}")
    return typer.Exit(1)


def export_command(
    plan: Path = typer.Argument(
        ...,
        help="A plan file or folder, or a file to import on the fly (.xml, .xer, .csv).",
    ),
    to: ExportFormat | None = typer.Option(
        None,
        "--to",
        "-t",
        help="mspdi (MS Project XML), ics (iCalendar of milestones, releases and release "
        "trains), csv, xlsx (task tables), mermaid (gantt text) or tjp (a TaskJuggler 3 "
        "project: the same scheduling problem, for tj3). Default: from the suffix of -o.",
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="File to write (atomically). Omitted or '-': standard output (not for xlsx).",
    ),
    iterations: int = typer.Option(
        10_000, "--iterations", "-n", min=1, help="Monte Carlo iterations for forecast columns."
    ),
    seed: int = typer.Option(
        0,
        "--seed",
        min=SEED_MIN,
        max=SEED_MAX,
        help="Same seed, same forecast numbers (0..4294967295).",
    ),
    no_forecast: bool = typer.Option(
        False, "--no-forecast", help="Leave out the forecast columns (P50/P80, mean finish)."
    ),
    time_limit: float = typer.Option(
        5.0, "--time-limit", min=0.1, help="Seconds for the schedule."
    ),
    status_date: dt.datetime | None = typer.Option(
        None,
        "--status-date",
        "--as-of",
        formats=["%Y-%m-%d"],
        callback=as_of_in_horizon,
        help="The day to export as of (default: the one rule of every command; see README).",
    ),
    progress: bool = typer.Option(
        False,
        "--progress",
        help="Plan around the progress recorded in the store (`ontrack progress`), as the "
        "other commands do with --progress.",
    ),
    db: str | None = typer.Option(
        None, "--db", help="With --progress: the store's database (default: beside the plan)."
    ),
    tjp_select: TjpSelect = typer.Option(
        TjpSelect.MINLOADED,
        "--tjp-select",
        help="With tjp: tj3's rule for choosing one of the people who could do a task.",
    ),
) -> None:
    """Export the plan with its schedule for other tools.

    MS Project XML keeps the WBS, durations, dependencies (types and lags), people, their
    calendars and the schedule's assignments. The iCalendar file has an all-day event per
    milestone and release, and each release train's departures, code freezes and hardening
    windows (to two train cycles after the finish); CSV and Excel have a row per task with
    dates, people, float and the forecast; Mermaid gives a gantt chart for docs; the
    TaskJuggler project is the plan's scheduling problem, to schedule with tj3 and compare.

    Example: ontrack export examples/platform-migration -o migration.xml

    Example: ontrack export examples/small --to ics -o milestones.ics --iterations 5000
    """
    fmt = to
    if fmt is None:
        fmt = SUFFIXES.get(output.suffix.lower()) if output is not None else None
        if fmt is None:
            stderr.print("say which format with --to (mspdi, ics, csv, xlsx, mermaid or tjp)")
            raise typer.Exit(2)
    to_stdout = output is None or str(output) == "-"
    if fmt is ExportFormat.XLSX and to_stdout:
        stderr.print("an Excel workbook needs a file: add -o FILE.xlsx")
        raise typer.Exit(2)
    loaded, diagnostics = load_any(plan)
    if loaded is None:
        raise _fail(diagnostics, f"{plan}; run `ontrack check`")
    from ontrack.app.assessment import AssessOptions, assess  # noqa: PLC0415
    from ontrack.cli.assessing import StoreRequest, as_of_status  # noqa: PLC0415
    from ontrack.engines.schedule.planner import ScheduleOptions, schedule  # noqa: PLC0415
    from ontrack.reports.data import ReportOptions  # noqa: PLC0415

    # The dates and percentiles of the program assessment, as of the same day as every output.
    request = StoreRequest(plan, db, None, progress)
    as_of, status, facts = as_of_status(loaded, request, status_date)
    forecast: Forecast | None = None
    scheduled: Schedule | None = None
    if fmt in WITH_FORECAST and not no_forecast:
        assessed, problems = assess(
            loaded,
            AssessOptions(
                iterations=iterations,
                seed=seed,
                time_limit=time_limit,
                report=ReportOptions(audit=False, findings=False),
            ),
            as_of=as_of,
            facts=facts,  # read once, with the as-of date
        )
        if assessed is not None:
            scheduled, forecast = assessed.schedule, assessed.forecast
        else:
            print_diagnostics([d for d in problems if d.code.startswith("E33")], stderr)
    if scheduled is None:
        scheduled, problems = schedule(
            loaded,
            ScheduleOptions(backend="heuristic", time_limit=time_limit, seed=seed, status=status),
        )
        if scheduled is None:
            raise _fail(problems, f"{plan} cannot be scheduled")
        if fmt in WITH_FORECAST and not no_forecast:
            stderr.print("[yellow]![/yellow] exporting without the forecast columns")
    print_diagnostics([d for d in problems if not d.is_error], stderr)
    if fmt is ExportFormat.TJP:
        from ontrack.interop.tjp import export_tjp  # noqa: PLC0415

        exported = export_tjp(loaded, status=status, select=tjp_select.value, schedule=scheduled)
        print_diagnostics(list(exported.diagnostics), stderr)
        data = exported.text.encode("utf-8")
    else:
        data = render(fmt, loaded, scheduled, forecast, stamp=dt.datetime.now(dt.UTC))
    if to_stdout:
        # Exact bytes when piped; control characters made visible on a terminal.
        write_stdout_bytes(data)
        return
    assert output is not None
    _write_or_exit(output, data)
    detail = f"{fmt.value}, with the forecast" if forecast is not None else fmt.value
    stderr.print(
        f"[green]✓[/green] wrote {escape(str(output))} ({detail}); {escape(as_of.statement)}"
    )


def render(
    fmt: ExportFormat,
    plan: Plan,
    schedule: Schedule,
    forecast: Forecast | None,
    *,
    stamp: dt.datetime,
) -> bytes:
    """The exported file's bytes (each format's module imported only when used)."""
    if fmt is ExportFormat.MSPDI:
        from ontrack.interop.mspdi import export_mspdi  # noqa: PLC0415

        return export_mspdi(plan, schedule).encode("utf-8")
    if fmt is ExportFormat.ICS:
        from ontrack.interop.ical import milestones_ics  # noqa: PLC0415

        return milestones_ics(plan, schedule, forecast, stamp=stamp)
    if fmt is ExportFormat.CSV:
        from ontrack.interop.tables import tasks_csv  # noqa: PLC0415

        return tasks_csv(plan, schedule, forecast).encode("utf-8")
    if fmt is ExportFormat.XLSX:
        from ontrack.interop.tables import tasks_xlsx  # noqa: PLC0415

        return tasks_xlsx(plan, schedule, forecast)
    if fmt is ExportFormat.TJP:
        from ontrack.interop.tjp import export_tjp  # noqa: PLC0415

        return export_tjp(plan, schedule=schedule).text.encode("utf-8")
    from ontrack.interop.mermaid import gantt_mermaid  # noqa: PLC0415

    return gantt_mermaid(plan, schedule).encode("utf-8")


def import_command(
    source: Path = typer.Argument(
        ..., help="MS Project XML (.xml), Primavera P6 (.xer) or a CSV task list (.csv)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Plan YAML to write. Omitted or '-': standard output."
    ),
    source_format: ImportChoice = typer.Option(
        ImportChoice.AUTO, "--from", help="auto (by the file's suffix), mspdi, xer or csv."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite -o when it exists."),
) -> None:
    """Turn a project from MS Project, Primavera P6 or a spreadsheet into plan YAML.

    The YAML is ordered and commented as a person would write it (what could not be carried
    over exactly is said in comments), and is checked like any plan: problems are reported at
    the line of the imported file they come from. Every command also reads .xml, .xer and .csv
    files directly.

    Example: ontrack import schedule.xml -o plan.yaml
    """
    from ontrack.interop.importer import plan_from_import, render_yaml  # noqa: PLC0415

    to_stdout = output is None or str(output) == "-"
    if not to_stdout and output is not None and output.exists() and not force:
        stderr.print(f"{escape(str(output))} exists; add --force to replace it")
        raise typer.Exit(2)
    fmt: ImportFormat | None = None
    if source_format is not ImportChoice.AUTO:
        fmt = cast(ImportFormat, source_format.value)
    imported, diagnostics = import_file(source, fmt)
    if imported is None:
        raise _fail(diagnostics, f"{source} cannot be imported")
    text, _ = render_yaml(imported)
    plan, checked = plan_from_import(imported)
    found = [*diagnostics, *checked]
    print_diagnostics(found, stderr)
    if to_stdout:
        write_stdout(text)
    else:
        assert output is not None
        _write_or_exit(output, text.encode("utf-8"))
    tasks = sum(1 for _ in walk_tasks(imported.data.get("tasks", [])))
    people = len(imported.data.get("people", []))
    where = "standard output" if to_stdout else str(output)
    summary = (
        f"{escape(where)} from {escape(FORMAT_NAMES[imported.format])}: {tasks} tasks, "
        f"{people} people"
    )
    if plan is None or has_errors(found):
        stderr.print(
            f"[red]✗[/red] wrote {summary}, but the plan has problems ({counts_line(found)}); "
            "fix them in the YAML"
        )
        raise typer.Exit(1)
    stderr.print(
        f"[green]✓[/green] wrote {summary}" + (f" ({counts_line(found)})" if found else "")
    )
