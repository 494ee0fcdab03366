"""Earned value periods from a CSV file: ``period,pv,ev,ac``, cumulative values.

For teams whose EV data comes from finance. ``period`` is either integers 1..n or ISO status
dates (one kind per file); other columns are ignored. An empty EV marks a period not measured
yet (the rest of the baseline); an empty AC, a period finance has not reported yet. Every
problem is a diagnostic with the file, line and column of the cell, so one run reports them all;
ordering and cumulative checks are the engine's (:func:`ontrack.engines.evm.evm_series`), on
the points' locations.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from decimal import Decimal
from pathlib import Path

from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.engines.evm import EvmPoint
from ontrack.fileio import MAX_INPUT_BYTES, read_bytes_limited

CODES = ("E430", "E431", "E432", "E433", "E434", "E435", "E436")
COLUMNS = ("period", "pv", "ev", "ac")

# Names finance and older EVM texts use, for the "did you mean" hint.
_ALIASES = {
    "bcws": "pv",
    "planned": "pv",
    "planned_value": "pv",
    "bcwp": "ev",
    "earned": "ev",
    "earned_value": "ev",
    "acwp": "ac",
    "actual": "ac",
    "actual_cost": "ac",
    "date": "period",
    "status_date": "period",
    "week": "period",
    "month": "period",
}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,2})?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")  # 1,234,567.89 (quoted in CSV)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Cell = tuple[str, int]  # text (stripped, unquoted) and its 1-based column


def read_periods(path: Path | str) -> tuple[list[EvmPoint], list[Diagnostic]]:
    """The points in the CSV file at ``path``; any error diagnostics mean they are unusable."""
    path = Path(path)
    name = str(path)
    try:
        data = read_bytes_limited(path, MAX_INPUT_BYTES)
    except FileNotFoundError:
        return [], [error("E430", SourceLoc(name), "no such file", "check the path")]
    except IsADirectoryError:
        return [], [error("E430", SourceLoc(name), "is a folder", "give a CSV file")]
    except OSError as exc:
        return [], [error("E430", SourceLoc(name), f"cannot be read: {exc.strerror or exc}")]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return [], [
            error(
                "E431",
                SourceLoc(name, 1, 1),
                "the file is UTF-16, not UTF-8",
                "save it as 'CSV UTF-8 (comma delimited)'",
            )
        ]
    try:
        text = data.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return [], [
            error(
                "E431",
                SourceLoc(name, line, col),
                f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
                "save the file as 'CSV UTF-8 (comma delimited)'",
            )
        ]
    return parse_periods(text, name)


def parse_periods(text: str, name: str = "<periods>") -> tuple[list[EvmPoint], list[Diagnostic]]:
    """The points in CSV ``text`` (``name`` is the file name used in diagnostics)."""
    rows = [
        (number, _cells(line.rstrip("\r")))
        for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1)
        if line.strip() and not line.lstrip().startswith("#")  # blank lines, # comments
    ]
    if not rows:
        return [], [error("E432", SourceLoc(name), "the file is empty", _header_hint())]
    header_line, header = rows[0]
    columns, problems = _columns(name, header_line, header)
    if problems:
        return [], problems
    if len(rows) == 1:
        return [], [
            error(
                "E432",
                SourceLoc(name, header_line),
                "no periods after the header",
                "add one row per period: period,pv,ev,ac",
            )
        ]
    points: list[EvmPoint] = []
    diagnostics: list[Diagnostic] = []
    dated: bool | None = None  # the kind of the first period read: dates or numbers
    for line, cells in rows[1:]:
        found, point, kind = _row(name, line, cells, columns, len(header), dated, len(points))
        diagnostics += found
        if point is not None:
            points.append(point)
            dated = kind if dated is None else dated
    return points, diagnostics


def _header_hint() -> str:
    return "the first line names the columns: period,pv,ev,ac"


def _cells(line: str) -> list[Cell]:
    """Split a CSV line, keeping each cell's column; double quotes as in RFC 4180."""
    cells: list[Cell] = []
    i = 0
    while True:
        while i < len(line) and line[i] in " \t":
            i += 1
        start = i + 1
        if i < len(line) and line[i] == '"':
            parts: list[str] = []
            j = i + 1
            while j < len(line):
                if line[j] == '"':
                    if line[j + 1 : j + 2] == '"':
                        parts.append('"')
                        j += 2
                        continue
                    j += 1
                    break
                parts.append(line[j])
                j += 1
            comma = line.find(",", j)
            value = "".join(parts)
        else:
            comma = line.find(",", i)
            value = line[i : comma if comma >= 0 else len(line)]
        cells.append((value.strip(), start))
        if comma < 0:
            return cells
        i = comma + 1


def _columns(name: str, line: int, header: list[Cell]) -> tuple[dict[str, int], list[Diagnostic]]:
    """Where each needed column is in the row (by index)."""
    where: dict[str, int] = {}
    problems: list[Diagnostic] = []
    for index, (title, col) in enumerate(header):
        key = title.strip().lower().replace(" ", "_")
        if key in COLUMNS and key in where:
            problems.append(
                error("E433", SourceLoc(name, line, col), f"column '{key}' appears twice")
            )
        elif key in COLUMNS:
            where[key] = index
    missing = [c for c in COLUMNS if c not in where]
    if missing:
        present = [title for title, _ in header if title.strip().lower() not in where]
        guesses = []
        for column in missing:
            guess = next((t for t in present if _ALIASES.get(t.strip().lower()) == column), None)
            close = difflib.get_close_matches(column, [t.lower() for t in present], n=1)
            guess = guess or (next(t for t in present if t.lower() == close[0]) if close else None)
            if guess:
                guesses.append(f"'{guess}' for '{column}'")
        hint = f"did you mean {', '.join(guesses)}?" if guesses else _header_hint()
        if len(header) == 1 and ";" in header[0][0]:
            hint = "separate the values with commas, not semicolons"
        listed = ", ".join(f"'{t}'" for t, _ in header)
        problems.append(
            error(
                "E433",
                SourceLoc(name, line, 1),
                f"missing column{'s' * (len(missing) > 1)} "
                f"{', '.join(repr(c) for c in missing)}; the header has {listed}",
                hint,
            )
        )
    return where, problems


def _row(
    name: str,
    line: int,
    cells: list[Cell],
    columns: dict[str, int],
    width: int,
    dated: bool | None,
    count: int,
) -> tuple[list[Diagnostic], EvmPoint | None, bool]:
    """One period row: its diagnostics, its point (None when it has errors), whether dated."""
    problems: list[Diagnostic] = []
    extra = [(text, col) for text, col in cells[width:] if text]
    if extra:
        problems.append(
            error(
                "E434",
                SourceLoc(name, line, extra[0][1]),
                f"the row has {len(cells)} cells but the header names {width} columns",
                'quote numbers written with thousands separators: "1,234.50"',
            )
        )

    def cell(column: str) -> Cell:
        index = columns[column]
        if index < len(cells):
            return cells[index]
        end = cells[-1][1] + len(cells[-1][0]) if cells else 1
        return "", end  # a short row: the missing cells are empty

    text, col = cell("period")
    loc = SourceLoc(name, line, col)
    period: int | None = None
    date: dt.date | None = None
    is_date = bool(_ISO_DATE.fullmatch(text))
    if is_date:
        try:
            date = dt.date.fromisoformat(text)
        except ValueError:
            problems.append(error("E436", loc, f"period '{text}' is not a valid date"))
    elif text.isascii() and text.isdigit() and len(text) <= 6 and int(text) >= 1:
        # ASCII digits only: str.isdigit() is also true of '²', which int() refuses.
        period = int(text)
    else:
        problems.append(
            error(
                "E436",
                loc,
                f"period '{text}' is neither a number 1, 2, … nor an ISO date",
                "write periods as 1, 2, 3 or as status dates like 2026-01-30",
            )
        )
    if dated is not None and (period is not None or date is not None) and is_date != dated:
        problems.append(
            error(
                "E436",
                loc,
                f"period '{text}' is a {'date' if is_date else 'number'} but earlier periods "
                f"are {'dates' if dated else 'numbers'}",
                "use one kind of period in a file",
            )
        )
    values: dict[str, Decimal | None] = {}
    for column in ("pv", "ev", "ac"):
        value, problem = _amount(name, line, column, *cell(column))
        values[column] = value
        if problem:
            problems.append(problem)
    if problems:
        return problems, None, is_date
    pv = values["pv"]
    assert pv is not None  # an empty PV is an error above
    point = EvmPoint(
        period=period if period is not None else count + 1,
        label=text,
        date=date,
        pv=pv,
        ev=values["ev"],
        ac=values["ac"],
        loc=loc,
    )
    return [], point, is_date


def _amount(
    name: str, line: int, column: str, text: str, col: int
) -> tuple[Decimal | None, Diagnostic | None]:
    loc = SourceLoc(name, line, col)
    label = column.upper()
    if not text:
        if column == "pv":
            return None, error(
                "E434", loc, "PV is empty", "every period of the baseline needs its PV"
            )
        return None, None  # EV: not measured yet; AC: not reported yet
    plain = text.replace(",", "") if _GROUPED.fullmatch(text) else text
    if not _NUMBER.fullmatch(plain):
        empty = "" if column == "pv" else "; leave the cell empty where it is not known yet"
        return None, error(
            "E434",
            loc,
            f"{label} '{text}' is not a number",
            f"write plain numbers such as 1234.50 (no currency signs){empty}",
        )
    value = Decimal(plain)
    if value < 0:
        return None, error(
            "E435",
            loc,
            f"{label} {text} is negative",
            "values are cumulative to date: 0 or more",
        )
    return value, None
