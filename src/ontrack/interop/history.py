"""Work-item histories from a CSV export: one row per item, with its creation and close dates.

Any tracker can export this (Jira, GitHub, GitLab, Azure Boards, a spreadsheet). The two date
columns are named by the caller (``created`` and ``closed`` by default); other columns are kept
only for ``--where`` filters such as ``project=0``. Dates are ISO: ``2015-02-05``, or a
date-time such as ``2015-02-05T10:00:00``, ``2015-02-05 10:00:00`` or ``…T10:00:00Z``, of which
the date is kept as written (no time-zone conversion: the day the tracker showed). An empty
close date is an item still open. The delimiter (comma, semicolon or tab) is taken from the
header line.

Every problem is a diagnostic with the file, line and column of the cell. A row closed before it
was created is a warning and the row is dropped (tracker migrations produce them); the first
few such rows are listed one by one and the rest counted, so a file with a thousand of them
still reads in one screen.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ontrack.diagnostics import Diagnostic, SourceLoc, error, warning
from ontrack.engines.forecast.throughput import WorkItem
from ontrack.fileio import MAX_INPUT_BYTES, read_bytes_limited

CODES = ("E410", "E411", "E412", "E413", "E414", "E415", "E416", "E417", "W410")
ROW_REPORT_LIMIT = 5  # rows listed one by one per code; the rest are counted
_DELIMITERS = ",;\t"
#: The dates a history may hold: anything outside is a typo (and would overflow the calendar).
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2200, 12, 31)
_DATE_HINT = "dates are ISO: 2015-02-05, 2015-02-05T10:00:00 or 2015-02-05 10:00:00"


@dataclass(frozen=True, slots=True)
class Filter:
    """``column=value`` (or ``column!=value``): keep rows whose cell, stripped, equals value."""

    column: str
    value: str
    negate: bool = False

    def keeps(self, cell: str) -> bool:
        return (cell.strip() == self.value) != self.negate

    def __str__(self) -> str:
        return f"{self.column}{'!=' if self.negate else '='}{self.value}"


@dataclass(frozen=True, slots=True)
class History:
    """The items of a history file, with what was read to get them."""

    source: str
    columns: tuple[str, ...]
    items: tuple[WorkItem, ...]
    rows: int  # data rows in the file
    matched: int  # rows kept by the filters (before dropping bad ones)


def parse_where(expressions: Sequence[str]) -> tuple[list[Filter], list[Diagnostic]]:
    filters: list[Filter] = []
    problems: list[Diagnostic] = []
    for text in expressions:
        column, op, value = text.partition("!=") if "!=" in text else text.partition("=")
        if not op or not column.strip():
            problems.append(
                error(
                    "E416",
                    SourceLoc("--where"),
                    f"cannot read the filter {text!r}",
                    "write COLUMN=VALUE (or COLUMN!=VALUE), e.g. --where project=0",
                )
            )
            continue
        filters.append(Filter(column.strip(), value.strip(), negate=op == "!="))
    return filters, problems


def read_history(
    path: Path | str,
    created_column: str = "created",
    closed_column: str = "closed",
    where: Sequence[Filter] = (),
) -> tuple[History | None, list[Diagnostic]]:
    """The history in the CSV file at ``path``; None with error diagnostics when unusable."""
    path = Path(path)
    name = str(path)
    try:
        data = read_bytes_limited(path, MAX_INPUT_BYTES)
    except FileNotFoundError:
        return None, [error("E410", SourceLoc(name), "no such file", "check the path")]
    except IsADirectoryError:
        return None, [error("E410", SourceLoc(name), "is a folder", "give a CSV file")]
    except OSError as exc:
        return None, [error("E410", SourceLoc(name), f"cannot be read: {exc.strerror or exc}")]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [
            error(
                "E411",
                SourceLoc(name, 1, 1),
                "the file is UTF-16, not UTF-8",
                "export it as CSV UTF-8",
            )
        ]
    if b"\x00" in data[:65536]:
        return None, [
            error(
                "E412",
                SourceLoc(name),
                "this is a binary file, not a CSV text file",
                "export the tracker's items as CSV",
            )
        ]
    try:
        text = data.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            error(
                "E411",
                SourceLoc(name, line, col),
                f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
                "export the file as CSV UTF-8",
            )
        ]
    return parse_history(text, name, created_column, closed_column, where)


def parse_history(
    text: str,
    name: str = "<history>",
    created_column: str = "created",
    closed_column: str = "closed",
    where: Sequence[Filter] = (),
) -> tuple[History | None, list[Diagnostic]]:
    """The history in CSV ``text`` (``name`` is the file name used in diagnostics)."""
    lines = io.StringIO(text, newline="").readlines()  # the physical lines csv counts
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        return None, [
            error(
                "E417",
                SourceLoc(name),
                "the file is empty",
                f"the first line names the columns, e.g. id,{created_column},{closed_column}",
            )
        ]
    delimiter = _delimiter(lines[header_at])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []  # (first physical line, cells)
    previous_end = 0
    try:
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if any(cell.strip() for cell in cells):
                records.append((start, cells))
    except csv.Error as exc:
        return None, [
            error(
                "E412",
                SourceLoc(name, reader.line_num),
                f"not readable as CSV: {exc}",
                "check the quoting on that line, or export the file again as CSV",
            )
        ]
    if not records:
        return None, [error("E417", SourceLoc(name), "the file has no header line and no rows")]
    header_line, header = records[0]
    columns = tuple(cell.strip() for cell in header)
    problems = [
        _missing_column(name, header_line, columns, wanted, option)
        for wanted, option in (
            (created_column, "--created-column"),
            (closed_column, "--closed-column"),
        )
        if wanted not in columns
    ]
    problems += [
        _missing_column(name, header_line, columns, f.column, "--where")
        for f in where
        if f.column not in columns
    ]
    if problems:
        return None, problems
    if len(records) == 1:
        return None, [
            error(
                "E417",
                SourceLoc(name, header_line),
                "no rows after the header",
                "export at least the items closed in the last few months",
            )
        ]
    index = {column: i for i, column in reversed(list(enumerate(columns)))}  # first wins
    created_at, closed_at = index[created_column], index[closed_column]
    selected = [(line, cells) for line, cells in records[1:] if _keeps(cells, index, where)]
    if not selected:
        return None, [_nothing_matched(name, header_line, records[1:], index, where)]
    items: list[WorkItem] = []
    reports: dict[str, list[Diagnostic]] = {}
    for line, cells in selected:
        raw_lines = lines[line - 1 : line]
        created, found = _date(name, line, raw_lines, cells, created_at, delimiter, created_column)
        closed, more = _date(name, line, raw_lines, cells, closed_at, delimiter, closed_column)
        if created is None and not found:
            col = _column_of(raw_lines[0], delimiter, created_at) if raw_lines else 0
            found = [
                error(
                    "E415",
                    SourceLoc(name, line, col),
                    f"no creation date (column {created_column!r} is empty)",
                    "every item needs the day it was created; remove the row or fill it in",
                )
            ]
        for d in found + more:
            reports.setdefault(d.code, []).append(d)
        if created is None or found or more:
            continue
        if closed is not None and closed < created:
            reports.setdefault("W410", []).append(
                warning(
                    "W410",
                    SourceLoc(name, line),
                    f"closed on {closed}, before it was created on {created}; the row is dropped",
                    "tracker migrations and clean-ups leave such rows; fix them at the source "
                    "if they are real work",
                )
            )
            continue
        items.append(WorkItem(created, closed, SourceLoc(name, line)))
    diagnostics = [d for code in sorted(reports) for d in _capped(name, reports[code])]
    if any(d.is_error for d in diagnostics):
        return None, diagnostics
    return (
        History(name, columns, tuple(items), rows=len(records) - 1, matched=len(selected)),
        diagnostics,
    )


def _delimiter(header: str) -> str:
    """The most frequent of comma, semicolon and tab in the header line (comma on a tie)."""
    return max(_DELIMITERS, key=lambda d: (header.count(d), d == ","))


def _keeps(cells: list[str], index: dict[str, int], where: Sequence[Filter]) -> bool:
    return all(f.keeps(_cell(cells, index[f.column])) for f in where)


def _cell(cells: list[str], at: int) -> str:
    return cells[at] if at < len(cells) else ""


def _missing_column(
    name: str, line: int, columns: tuple[str, ...], wanted: str, option: str
) -> Diagnostic:
    close = difflib.get_close_matches(wanted, columns, n=1, cutoff=0.5)
    if option == "--where":
        fix = f"--where {close[0]}=VALUE" if close else ""
    else:
        fix = f"{option} {close[0]}" if close else ""
    hint = f"did you mean '{close[0]}'? ({fix})" if close else f"name one of these with {option}"
    listed = ", ".join(repr(c) for c in columns[:20]) + (" ..." if len(columns) > 20 else "")
    return error(
        "E413",
        SourceLoc(name, line),
        f"no column {wanted!r} (for {option}); the header has {listed}",
        hint,
    )


def _nothing_matched(
    name: str,
    line: int,
    records: list[tuple[int, list[str]]],
    index: dict[str, int],
    where: Sequence[Filter],
) -> Diagnostic:
    seen = Counter(_cell(cells, index[where[0].column]).strip() for _, cells in records)
    values = ", ".join(repr(v) for v, _ in seen.most_common(10))
    return error(
        "E417",
        SourceLoc(name, line),
        f"no row matches --where {' '.join(str(f) for f in where)} ({len(records)} rows read)",
        f"values in {where[0].column!r}: {values}",
    )


def _date(
    name: str,
    line: int,
    raw: list[str],
    cells: list[str],
    at: int,
    delimiter: str,
    column: str,
) -> tuple[dt.date | None, list[Diagnostic]]:
    """The date in cell ``at`` (None when empty), or a diagnostic at the cell."""
    text = _cell(cells, at).strip()
    if not text:
        return None, []
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
        else:
            day = dt.datetime.fromisoformat(text).date()
        if not EARLIEST <= day <= LATEST:  # a typo, not history: dates run 1900..2200
            raise ValueError(text)
        return day, []
    except ValueError:
        col = _column_of(raw[0], delimiter, at) if raw else 0
        return None, [
            error(
                "E414",
                SourceLoc(name, line, col),
                f"cannot read {text!r} in column {column!r} as a date between "
                f"{EARLIEST} and {LATEST}",
                _DATE_HINT,
            )
        ]


def _column_of(line: str, delimiter: str, field: int) -> int:
    """The 1-based character column where field ``field`` starts on ``line`` (0: not found)."""
    quoted = False
    current = 0
    if field == 0:
        return 1
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            current += 1
            if current == field:
                return i + 2
    return 0


def _capped(name: str, found: list[Diagnostic]) -> list[Diagnostic]:
    """The first ROW_REPORT_LIMIT diagnostics of one code, and one line counting the rest."""
    if len(found) <= ROW_REPORT_LIMIT:
        return found
    first = found[0]
    summary = (
        f"{len(found)} rows in all have this problem (the first {ROW_REPORT_LIMIT} are listed)"
        + ("" if first.is_error else "; they were all dropped")
    )
    make = error if first.is_error else warning
    return [*found[:ROW_REPORT_LIMIT], make(first.code, SourceLoc(name), summary, first.hint)]
