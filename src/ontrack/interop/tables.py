"""Task tables for spreadsheets: CSV and Excel (.xlsx).

One row per task, in WBS order: what it is, its estimate, dependencies and people, the
schedule's dates and float, and, with a forecast, the mean finish of every task and the P50 and
P80 of each milestone (and task with a deadline). The CSV reads back with ``ontrack import``:
its dependencies are written in the syntax the CSV importer understands (``design; api SS+2d``).

A plan's text is not trusted in a spreadsheet: in the CSV every text cell is quoted and one that
starts with ``= + - @``, a tab or a CR gets a leading ``'`` (OWASP's advice against CSV
injection), so no title runs as a formula; numbers stay numbers. In the workbook text cells are
strings, never formulas, and the control characters XML cannot hold are written visibly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from typing import Any

from ontrack.engines.forecast.result import Forecast, ItemForecast
from ontrack.engines.schedule.result import Schedule
from ontrack.model import DepType, Duration, Plan, Task
from ontrack.safetext import visible_all


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One row of the task table (None: an empty cell)."""

    id: str
    wbs: str
    level: int
    title: str
    kind: str  # task | milestone | summary
    parent: str | None
    estimate: str | None
    duration: str | None
    depends: str | None
    assignees: str | None
    team: str | None
    start: dt.date | None
    finish: dt.date | None
    duration_days: int | None
    total_float_days: int | None
    critical: bool | None
    deadline: dt.date | None
    mean_finish: dt.date | None
    p50: dt.date | None
    p80: dt.date | None


COLUMNS = tuple(f.name for f in fields(TaskRow))
FORECAST_COLUMNS = ("mean_finish", "p50", "p80")


def depends_text(task: Task, hours_per_day: Any) -> str:
    """``design; api SS+2d``: the CSV importer's dependency syntax."""
    parts = []
    for dep in task.depends:
        text = dep.task
        if dep.type is not DepType.FS or dep.lag:
            text += f" {dep.type.value}"
            if dep.lag:
                sign = "-" if dep.lag.minutes < 0 else "+"
                text += sign + Duration(abs(dep.lag.minutes)).format(hours_per_day)
        parts.append(text)
    return "; ".join(parts)


def outline(plan: Plan) -> list[tuple[Task, int, str]]:
    """Tasks depth first, each with its level (1 at the top) and outline number."""
    out: list[tuple[Task, int, str]] = []

    def visit(ids: Sequence[str], level: int, prefix: str) -> None:
        for n, ident in enumerate(ids, start=1):
            task = plan.task_by_id[ident]
            out.append((task, level, f"{prefix}{n}"))
            visit(task.children, level + 1, f"{prefix}{n}.")

    visit([t.id for t in plan.tasks if t.parent not in plan.task_by_id], 1, "")
    return out


def task_rows(plan: Plan, schedule: Schedule, forecast: Forecast | None = None) -> list[TaskRow]:
    hours = plan.calendar.hours_per_day
    placed = {t.id: t for t in schedule.tasks}
    means = {t.id: t.mean_finish for t in forecast.tasks} if forecast else {}
    items: dict[str, ItemForecast] = (
        {m.id: m for m in forecast.milestones if m.kind in ("milestone", "deadline")}
        if forecast
        else {}
    )
    rows = []
    for task, level, number in outline(plan):
        at = placed.get(task.id)
        item = items.get(task.id)
        kind = "summary" if task.is_summary else "milestone" if task.milestone else "task"
        work = None if task.is_summary else task
        rows.append(
            TaskRow(
                id=task.id,
                wbs=number,
                level=level,
                title=task.title,
                kind=kind,
                parent=task.parent,
                estimate=work.estimate.format(hours) if work and work.estimate else None,
                duration=work.duration.format(hours) if work and work.duration else None,
                depends=depends_text(task, hours) or None,
                assignees="; ".join(at.assignees if at else task.assignees) or None,
                team=task.team,
                start=at.start if at else None,
                finish=at.finish if at else None,
                duration_days=at.duration_days if at else None,
                total_float_days=at.total_float_days if at else None,
                critical=at.critical if at else None,
                deadline=task.deadline,
                mean_finish=means.get(task.id),
                p50=item.p50 if item else None,
                p80=item.p80 if item else None,
            )
        )
    return rows


def _columns(forecast: Forecast | None) -> tuple[str, ...]:
    return COLUMNS if forecast else tuple(c for c in COLUMNS if c not in FORECAST_COLUMNS)


#: A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# What XML 1.0 (so an .xlsx cell) cannot hold: most C0 controls, surrogates, U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def csv_text(text: str) -> str:
    """A CSV text cell a spreadsheet shows as text: ``'=HYPERLINK(...)``. Text starting with
    ``= + - @``, a tab or a CR gets a leading single quote, which spreadsheets read as "this is
    text" (OWASP, CSV injection); writing every text cell quoted keeps a separator or a line
    break inside it from starting a new cell (the ``;`` of locales that split on it too)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def xlsx_text(text: str) -> str:
    """Text an .xlsx cell can hold: a NUL, BEL or ESC (which openpyxl refuses) is written
    visibly as ``\\x1b``; other text is kept as it is."""
    return _NOT_XML.sub(lambda m: visible_all(m.group()), text)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def tasks_csv(plan: Plan, schedule: Schedule, forecast: Forecast | None = None) -> str:
    """The task table as CSV (RFC 4180: comma separated, CRLF line ends); text cells are
    quoted and never read as formulas (:func:`csv_text`), numbers are bare."""
    columns = _columns(forecast)
    keep = [COLUMNS.index(c) for c in columns]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)  # text quoted, numbers not
    writer.writerow(columns)
    for row in task_rows(plan, schedule, forecast):
        values = astuple(row)
        cells = (_cell(values[i]) for i in keep)
        writer.writerow([csv_text(c) if isinstance(c, str) else c for c in cells])
    return out.getvalue()


def tasks_xlsx(plan: Plan, schedule: Schedule, forecast: Forecast | None = None) -> bytes:
    """An Excel workbook: the task table, and with a forecast a sheet of the odds for each
    milestone, deadline and release. Dates are real dates; text is never read as a formula."""
    from openpyxl import Workbook  # noqa: PLC0415 - only this export needs it
    from openpyxl.styles import Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet
    sheet.title = "Tasks"
    columns = _columns(forecast)
    keep = [COLUMNS.index(c) for c in columns]
    table: list[list[Any]] = [
        [astuple(r)[i] for i in keep] for r in task_rows(plan, schedule, forecast)
    ]
    _fill(sheet, list(columns), table)
    if forecast is not None:
        odds = book.create_sheet("Forecast")
        header = ["id", "title", "kind", "deadline", "planned", "p50", "p80", "p95", "on_time"]
        rows: list[list[Any]] = [
            [
                m.id,
                m.title,
                m.kind,
                m.deadline,
                m.planned,
                m.p50,
                m.p80,
                m.p95,
                m.probability_on_time,
            ]
            for m in (*forecast.milestones, forecast.finish)
        ]
        _fill(odds, header, rows)
        for cells in odds.iter_rows(min_row=2, min_col=9, max_col=9):
            for cell in cells:
                cell.number_format = "0%"
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        for index, column in enumerate(ws.iter_cols(values_only=True), start=1):
            width = max((len(_cell(v)) if isinstance(v, str) else 11 for v in column), default=8)
            ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Any, header: list[str], rows: list[list[Any]]) -> None:
    sheet.append(header)
    for values in rows:
        sheet.append([xlsx_text(v) if isinstance(v, str) else v for v in values])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a title starting with "=" stays text, not a formula
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
