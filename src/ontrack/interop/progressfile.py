"""Progress facts from a CSV or YAML file: what was true of each task on a status date.

CSV columns (header row; only ``task`` is required, with ``status_date`` per row or given
once for the file)::

    task,status_date,actual_start,actual_finish,percent_complete,remaining,actual_cost,note

YAML: a list of mappings with the same keys, or ``{status_date: ..., tasks: [...]}``.
``percent_complete`` is ``40%`` or ``40``; ``remaining`` is working time (``3d``, ``6h``).
Every problem is a diagnostic with its file, line and column, and one bad row refuses the whole
file: progress is recorded all or nothing.

Progress is dated within the program's horizon (E448): no status or actual date more than a year
before the program starts, and no status date more than 50 years after it (nor after 2200),
whatever ``--allow-future`` allows: 9999-12-31 for 2026-12-31 is a typo that would push every
forecast to the end of the calendar. Numbers and notes are held to what the store keeps (E444).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from ontrack.checks.limits import EARLIEST_DATE, LATEST_DATE, YEARS_FROM_START
from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.fileio import MAX_INPUT_BYTES, read_bytes_limited
from ontrack.model import ProgressFact
from ontrack.model.progress import MAX_ACTUAL_COST, MAX_REMAINING_DAYS
from ontrack.planfile import values as v
from ontrack.planfile.yamlread import PosDict, PosList, read_yaml_bytes

CODES = ("E440", "E441", "E442", "E443", "E444", "E445", "E446", "E447", "E448")
KEYS = (
    "task",
    "status_date",
    "actual_start",
    "actual_finish",
    "percent_complete",
    "remaining",
    "actual_cost",
    "note",
)

Row = dict[str, tuple[str, SourceLoc]]  # key -> (text, where)


def read_progress(
    path: Path,
    *,
    task_ids: Iterable[str],
    hours_per_day: Fraction,
    days_per_week: int = 5,
    status_date: dt.date | None = None,
    latest: dt.date | None = None,
    program_start: dt.date | None = None,
) -> tuple[list[ProgressFact], list[Diagnostic]]:
    """The facts of a progress file, checked against the plan's tasks.

    ``latest`` is the last status date accepted (the caller's today): progress is what was
    true, so a status date after it is a typo (2062 for 2026) until the caller allows it.
    ``program_start`` sets the horizon every date must lie in (:func:`horizon`), allowed or not.
    """
    name = str(path)
    bounds = horizon(program_start)
    if status_date is not None:
        outside = _outside(SourceLoc(name), status_date, bounds, "--status-date", program_start)
        if outside is not None:
            return [], [outside]
        if latest is not None and status_date > latest:
            return [], [_future(SourceLoc(name), status_date, latest, "--status-date")]
    try:
        raw = read_bytes_limited(path, MAX_INPUT_BYTES)
    except OSError as exc:
        return [], [error("E440", SourceLoc(name), f"cannot read: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [
            error("E440", SourceLoc(name, line), "not UTF-8 text", "save the file as UTF-8")
        ]
    if not text.strip():
        return [], [error("E441", SourceLoc(name, 1, 1), "the file is empty", "add rows")]
    rows, diagnostics = (
        _yaml_rows(raw, name) if path.suffix.lower() in (".yaml", ".yml") else _csv_rows(text, name)
    )
    if diagnostics:
        return [], diagnostics
    pairs: list[tuple[ProgressFact, Row]] = []
    known = set(task_ids)
    for row in rows:
        fact = _fact(row, name, known, (hours_per_day, days_per_week), status_date, diagnostics)
        if fact is not None and not _in_horizon(fact, row, bounds, program_start, diagnostics):
            fact = None
        if fact is not None:
            pairs.append((fact, row))
    seen: dict[tuple[str, dt.date], SourceLoc] = {}
    future: set[SourceLoc] = set()  # a YAML file's one status date is every row's
    for fact, row in pairs:
        key = (fact.task_id, fact.status_date)
        where = row["task"][1]
        if key in seen:
            diagnostics.append(
                error(
                    "E446",
                    where,
                    f"task '{fact.task_id}' has two rows for {fact.status_date}",
                    "keep one row per task and status date",
                    related=(seen[key],),
                )
            )
        seen[key] = where
        when = row.get("status_date", row["_row"])[1]
        if latest is not None and fact.status_date > latest and when not in future:
            future.add(when)
            diagnostics.append(_future(when, fact.status_date, latest, "status date"))
    facts = [fact for fact, _ in pairs]
    return ([] if diagnostics else facts), diagnostics


def horizon(program_start: dt.date | None) -> tuple[dt.date, dt.date]:
    """The first and last day progress of a program that starts on ``program_start`` may be
    dated: from a year before its start to ``YEARS_FROM_START`` years after it, within the
    horizon of every plan date (without a start, that horizon)."""
    if program_start is None:
        return EARLIEST_DATE, LATEST_DATE
    return (
        max(EARLIEST_DATE, _years_after(program_start, -1)),
        min(LATEST_DATE, _years_after(program_start, YEARS_FROM_START)),
    )


def _years_after(day: dt.date, years: int) -> dt.date:
    year = min(max(day.year + years, dt.MINYEAR), dt.MAXYEAR)
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=year, day=28)


def _outside(
    where: SourceLoc,
    day: dt.date,
    bounds: tuple[dt.date, dt.date],
    what: str,
    program_start: dt.date | None,
) -> Diagnostic | None:
    first, last = bounds
    if first <= day <= last:
        return None
    start = f"the program starts on {program_start}; " if program_start is not None else ""
    side = f"before {first}" if day < first else f"after {last}"
    return error(
        "E448",
        where,
        f"{what} {day} is outside the program's horizon ({side})",
        f"{start}progress is dated from {first} to {last}: check the year",
    )


def _in_horizon(
    fact: ProgressFact,
    row: Row,
    bounds: tuple[dt.date, dt.date],
    program_start: dt.date | None,
    out: list[Diagnostic],
) -> bool:
    before = len(out)
    where_row = row["_row"][1]
    for key, day in (
        ("status_date", fact.status_date),
        ("actual_start", fact.actual_start),
        ("actual_finish", fact.actual_finish),
    ):
        if day is None:
            continue
        where = row.get(key, ("", where_row))[1]
        outside = _outside(where, day, bounds, key.replace("_", " "), program_start)
        if outside is not None and outside not in out:  # a YAML file's one date, once
            out.append(outside)
    return len(out) == before


def _future(where: SourceLoc, day: dt.date, latest: dt.date, what: str) -> Diagnostic:
    return error(
        "E447",
        where,
        f"{what} {day} is in the future (after {latest})",
        "progress records what was true on a past day: check the date, or pass "
        "--allow-future to record a planned status date",
    )


def _csv_rows(text: str, name: str) -> tuple[list[Row], list[Diagnostic]]:
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        return [], [error("E441", SourceLoc(name, 1, 1), f"not a CSV file: {exc}")]
    problems = _unknown_keys(
        header, [SourceLoc(name, 1, _column(lines[0], i)) for i in range(len(header))]
    )
    if "task" not in header:
        problems.append(
            error(
                "E442",
                SourceLoc(name, 1, 1),
                "no 'task' column; columns: " + ", ".join(header),
                "the header needs task (and status_date, unless --status-date is given)",
            )
        )
    if problems:
        return [], problems
    rows: list[Row] = []
    try:
        for cells in reader:
            number = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            raw_line = lines[number - 1] if number - 1 < len(lines) else ""
            rows.append(
                {
                    key: (cell.strip(), SourceLoc(name, number, _column(raw_line, i)))
                    for i, (key, cell) in enumerate(zip(header, cells, strict=False))
                    if cell.strip()
                }
                | {"_row": ("", SourceLoc(name, number, 1))}
            )
    except csv.Error as exc:
        return [], [error("E441", SourceLoc(name, reader.line_num, 1), f"bad CSV: {exc}")]
    return rows, []


def _column(line: str, index: int) -> int:
    """1-based column where field ``index`` starts (exact for unquoted lines)."""
    if '"' in line:
        return 1
    return sum(len(part) + 1 for part in line.split(",")[:index]) + 1


def _yaml_rows(raw: bytes, name: str) -> tuple[list[Row], list[Diagnostic]]:
    doc = read_yaml_bytes(raw, name)
    if doc.diagnostics:
        return [], doc.diagnostics
    data = doc.data
    default: tuple[str, SourceLoc] | None = None
    if isinstance(data, PosDict) and "tasks" in data:
        if "status_date" in data:
            default = (str(data["status_date"]), data.value_locs["status_date"])
        data = data["tasks"]
    if not isinstance(data, PosList):
        return [], [
            error(
                "E441",
                SourceLoc(name, 1, 1),
                "expected a list of task progress entries",
                "write `- {task: build, percent_complete: 40%}` entries, or "
                "`status_date: ...` with `tasks: [...]`",
            )
        ]
    rows: list[Row] = []
    problems: list[Diagnostic] = []
    for item, where in zip(data, data.item_locs, strict=True):
        if not isinstance(item, PosDict):
            problems.append(error("E441", where, "each entry must be a mapping with task: ..."))
            continue
        problems.extend(_unknown_keys(list(item), [item.key_locs[k] for k in item]))
        row: Row = {k: (str(val), item.value_locs[k]) for k, val in item.items() if val is not None}
        row["_row"] = ("", where)
        if default is not None and "status_date" not in row:
            row["status_date"] = default
        rows.append(row)
    return rows, problems


def _unknown_keys(keys: list[str], locs: list[SourceLoc]) -> list[Diagnostic]:
    found = []
    for key, where in zip(keys, locs, strict=True):
        if key and key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            found.append(
                error(
                    "E442",
                    where,
                    f"unknown column '{key}'",
                    f"did you mean '{close[0]}'?" if close else "columns: " + ", ".join(KEYS),
                )
            )
    return found


def _fact(
    row: Row,
    name: str,
    known: set[str],
    calendar: tuple[Fraction, int],
    status_date: dt.date | None,
    out: list[Diagnostic],
) -> ProgressFact | None:
    before = len(out)
    where_row = row["_row"][1]
    task = row.get("task")
    if task is None:
        out.append(error("E443", where_row, "the row names no task", "fill in the task column"))
        return None
    task_id, task_loc = task
    if task_id not in known:
        close = difflib.get_close_matches(task_id, known, n=1)
        out.append(
            error(
                "E443",
                task_loc,
                f"no task '{task_id}' in the plan",
                f"did you mean '{close[0]}'?" if close else "use a task id from the plan",
                subjects=(task_id,),
            )
        )

    def parsed(key: str, parse: Callable[[str], Any]) -> Any:
        cell = row.get(key)
        if cell is None:
            return None
        try:
            return parse(cell[0])
        except v.ValueProblem as problem:
            out.append(error("E444", cell[1], problem.message, problem.hint))
        except (ValueError, InvalidOperation):
            out.append(error("E444", cell[1], f"'{cell[0]}' is not a valid {key}"))
        return None

    day = parsed("status_date", lambda t: v.parse_date(t, "status_date")) or status_date
    if day is None and "status_date" not in row:
        out.append(
            error(
                "E445",
                where_row,
                "no status date for this row",
                "add a status_date column, or give --status-date for the whole file",
            )
        )
    start = parsed("actual_start", lambda t: v.parse_date(t, "actual_start"))
    finish = parsed("actual_finish", lambda t: v.parse_date(t, "actual_finish"))
    percent = parsed("percent_complete", _percent)
    remaining = parsed("remaining", lambda t: _bounded(_days(t, *calendar), MAX_REMAINING_DAYS))
    cost = parsed("actual_cost", lambda t: _bounded(v.parse_money(t), MAX_ACTUAL_COST))
    note = parsed("note", _note)
    if day is not None:
        for key, value in (("actual_start", start), ("actual_finish", finish)):
            if value is not None and value > day:
                out.append(
                    error(
                        "E445",
                        row[key][1],
                        f"{key} {value} is after the status date {day}",
                        "a fact cannot be reported before it happens; check the dates",
                    )
                )
    if start is not None and finish is not None and finish < start:
        out.append(
            error("E445", row["actual_finish"][1], f"finish {finish} is before start {start}")
        )
    if len(out) > before or day is None:
        return None
    if finish is not None and percent is None:
        percent = Decimal(100)
    return ProgressFact(
        task_id=task_id,
        status_date=day,
        actual_start=start,
        actual_finish=finish,
        percent_complete=percent,
        remaining_days=remaining,
        actual_cost=cost,
        note=note or "",
        source=f"{name}:{where_row.line}",
    )


def _bounded(value: Decimal, limit: Decimal) -> Decimal:
    if value >= limit:
        raise v.ValueProblem(
            "E444",
            f"{value} is too large (progress holds less than {limit:,})",
            "check the number",
        )
    return value


def _note(text: str) -> str:
    for ch in text:
        if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r":
            raise v.ValueProblem(
                "E444",
                f"the note contains the control character U+{ord(ch):04X}",
                "remove it: a note is text",
            )
    return text


def _percent(text: str) -> Decimal:
    """``40%`` or ``40`` (a plain number here is always percent: 0.4 would be 0.4 %)."""
    share = v.parse_percent(text if text.endswith("%") else f"{text}%", "percent_complete")
    return (Decimal(share.numerator) * 100 / Decimal(share.denominator)).normalize()


def _days(text: str, hours_per_day: Fraction, days_per_week: int) -> Decimal:
    minutes = v.parse_duration(text, what="remaining").to_duration(hours_per_day, days_per_week)
    days = Fraction(minutes.minutes, 60) / hours_per_day
    return Decimal(days.numerator) / Decimal(days.denominator)
