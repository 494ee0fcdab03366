"""Deployment and incident logs for the DORA metrics, from CSV or JSON.

Deployments (CSV header or JSON keys): ``service``, ``version`` (or ``commit``), ``environment``,
``time``, ``result`` (``success`` or ``failure``; ``success`` when absent), and an optional ``id``
(by default the row's line number, ``L12``, or the JSON entry's position, ``#3``).
Incidents: ``id``, ``service``, ``started``, ``resolved`` (empty while open) and ``caused_by``
(deployment ids separated by ``;``, or a JSON list).

Times are ISO 8601; a time without a zone is UTC, a date alone is midnight UTC. Every problem is
a diagnostic with its file, line and column (E470-E476); one bad row refuses the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ontrack.checks.limits import EARLIEST_DATE, HORIZON_TEXT, LATEST_DATE
from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.fileio import MAX_INPUT_BYTES, read_bytes_limited
from ontrack.model.dora import Deployment, Incident
from ontrack.planfile.yamlread import PosDict, PosList, read_yaml_bytes

DEPLOYMENT_KEYS = ("id", "service", "version", "commit", "environment", "time", "result")
INCIDENT_KEYS = ("id", "service", "started", "resolved", "caused_by")

Row = dict[str, tuple[str, SourceLoc]]  # key -> (text, where); "_row" -> the row's place
T = TypeVar("T")


def read_deployments(path: Path) -> tuple[list[Deployment], list[Diagnostic]]:
    """The deployments of a log, or none and every problem found."""
    return _read(path, DEPLOYMENT_KEYS, ("service", "environment", "time"), _deployment)


def read_incidents(path: Path) -> tuple[list[Incident], list[Diagnostic]]:
    """The incidents of a log, or none and every problem found."""
    return _read(path, INCIDENT_KEYS, ("id", "service", "started"), _incident)


def _read(
    path: Path,
    keys: tuple[str, ...],
    required: tuple[str, ...],
    build: Callable[[Row, list[Diagnostic]], T | None],
) -> tuple[list[T], list[Diagnostic]]:
    name = str(path)
    try:
        raw = read_bytes_limited(path, MAX_INPUT_BYTES)
    except OSError as exc:
        return [], [error("E470", SourceLoc(name), f"cannot read: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [error("E470", SourceLoc(name, line), "not UTF-8 text", "save it as UTF-8")]
    if not text.strip():
        return [], [error("E470", SourceLoc(name, 1, 1), "the file is empty", "add rows")]
    if path.suffix.lower() == ".json":
        rows, problems = _json_rows(raw, name, keys)
    else:
        rows, problems = _csv_rows(text, name, keys)
    if problems:
        return [], problems
    records: list[T] = []
    for row in rows:
        missing = [k for k in required if k not in row and not (k == "version" and "commit" in row)]
        if "version" in keys and "version" not in row and "commit" not in row:
            missing.append("version")
        for key in missing:
            problems.append(error("E471", row["_row"][1], f"no {key}", f"give every row a {key}"))
        if missing:
            continue
        record = build(row, problems)
        if record is not None:
            records.append(record)
    seen: dict[str, SourceLoc] = {}
    for record in records:
        ident, where = _identity(record)
        if ident in seen:
            problems.append(
                error(
                    "E473",
                    where,
                    f"id '{ident}' is used twice",
                    "give each row its own id",
                    related=(seen[ident],),
                )
            )
        else:
            seen[ident] = where
    return ([] if problems else records), problems


def _identity(record: object) -> tuple[str, SourceLoc]:
    if isinstance(record, Deployment | Incident):
        return record.id, record.loc
    return "", SourceLoc("")


def _time(row: Row, key: str, problems: list[Diagnostic]) -> dt.datetime | None:
    text, where = row[key]
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        problems.append(
            error(
                "E472",
                where,
                f"{key} '{text}' is not an ISO 8601 time",
                "write 2026-03-02T14:05:00Z (or a date, 2026-03-02)",
            )
        )
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        value = value.astimezone(dt.UTC)
    except OverflowError:
        value = dt.datetime.min.replace(tzinfo=dt.UTC)
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        problems.append(
            error(
                "E472",
                where,
                f"{key} '{text}' is outside {HORIZON_TEXT}",
                "check the year",
            )
        )
        return None
    return value


def _deployment(row: Row, problems: list[Diagnostic]) -> Deployment | None:
    before = len(problems)
    when = _time(row, "time", problems)
    result, result_loc = row.get("result", ("success", row["_row"][1]))
    result = result.lower()
    if result not in ("success", "failure"):
        problems.append(error("E472", result_loc, f"result '{result}' is not success or failure"))
    version = row.get("version", row.get("commit"))
    if len(problems) > before or when is None or version is None:
        return None
    loc = row["_row"][1]
    return Deployment(
        id=row["id"][0] if "id" in row else row["_id"][0],
        service=row["service"][0],
        version=version[0],
        environment=row["environment"][0],
        time=when,
        result="success" if result == "success" else "failure",
        loc=loc,
    )


def _incident(row: Row, problems: list[Diagnostic]) -> Incident | None:
    before = len(problems)
    started = _time(row, "started", problems)
    resolved = _time(row, "resolved", problems) if "resolved" in row else None
    if started is not None and resolved is not None and resolved < started:
        problems.append(
            error(
                "E474",
                row["resolved"][1],
                f"incident '{row['id'][0]}' is resolved before it started",
                "fix the resolved time",
            )
        )
    if len(problems) > before or started is None:
        return None
    causes = row.get("caused_by", ("", row["_row"][1]))[0]
    return Incident(
        id=row["id"][0],
        service=row["service"][0],
        started=started,
        resolved=resolved,
        caused_by=tuple(c.strip() for c in causes.split(";") if c.strip()),
        loc=row["_row"][1],
    )


def _unknown(keys: tuple[str, ...], key: str, where: SourceLoc) -> Diagnostic:
    close = difflib.get_close_matches(key, keys, n=1)
    return error(
        "E476",
        where,
        f"unknown column '{key}'",
        f"did you mean '{close[0]}'?" if close else "columns: " + ", ".join(keys),
    )


def _column(line: str, index: int) -> int:
    """The 1-based column where cell ``index`` of a CSV line starts (quotes understood)."""
    cell, quoted = 0, False
    for pos, char in enumerate(line):
        if cell == index:
            return pos + 1
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            cell += 1
    return 1


def _csv_rows(text: str, name: str, keys: tuple[str, ...]) -> tuple[list[Row], list[Diagnostic]]:
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        return [], [error("E470", SourceLoc(name, 1, 1), f"not a CSV file: {exc}")]
    problems = [
        _unknown(keys, key, SourceLoc(name, 1, _column(lines[0], i)))
        for i, key in enumerate(header)
        if key and key not in keys
    ]
    if problems:
        return [], problems
    rows: list[Row] = []
    try:
        for cells in reader:
            number = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            raw_line = lines[number - 1] if number - 1 < len(lines) else ""
            row: Row = {
                key: (cell.strip(), SourceLoc(name, number, _column(raw_line, i)))
                for i, (key, cell) in enumerate(zip(header, cells, strict=False))
                if key and cell.strip()
            }
            row["_row"] = ("", SourceLoc(name, number, 1))
            row["_id"] = (f"L{number}", SourceLoc(name, number, 1))
            rows.append(row)
    except csv.Error as exc:
        return [], [error("E470", SourceLoc(name, reader.line_num, 1), f"bad CSV: {exc}")]
    return rows, []


def _json_rows(raw: bytes, name: str, keys: tuple[str, ...]) -> tuple[list[Row], list[Diagnostic]]:
    doc = read_yaml_bytes(raw, name)
    if doc.diagnostics:
        return [], [
            error("E470", d.loc, f"not a JSON file: {d.message}", d.hint) for d in doc.diagnostics
        ]
    data = doc.data
    if not isinstance(data, PosList):
        return [], [error("E470", SourceLoc(name, 1, 1), "expected a JSON list of objects")]
    rows: list[Row] = []
    problems: list[Diagnostic] = []
    for position, (item, where) in enumerate(zip(data, data.item_locs, strict=True), 1):
        if not isinstance(item, PosDict):
            problems.append(error("E470", where, "each entry must be a JSON object"))
            continue
        row: Row = {"_row": ("", where), "_id": (f"#{position}", where)}
        for key, value in item.items():
            if key not in keys:
                problems.append(_unknown(keys, key, item.key_locs[key]))
            elif value is None or value == "":
                continue
            elif isinstance(value, PosList):
                row[key] = (";".join(str(v) for v in value), item.value_locs[key])
            else:
                text = value.isoformat() if isinstance(value, dt.date) else str(value)
                row[key] = (text, item.value_locs[key])
        rows.append(row)
    return rows, problems
