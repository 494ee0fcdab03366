"""PSPLIB single-mode RCPSP instances (``.sm``) and their tables of optimal / best-known makespans.

The ``.sm`` format is fixed-layout text in Latin-1: a header with counts, then the sections
PRECEDENCE RELATIONS, REQUESTS/DURATIONS and RESOURCEAVAILABILITIES. Every job becomes a
:class:`Job` in file order, the dummy source and sink included (ids "1".."n"), so a solution
maps back onto the file's job numbers by position. Errors carry the 1-based line they were found
on, so the CLI can point at ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ontrack.engines.schedule.problem import Job, Link, LinkType, Mode, Problem, Resource
from ontrack.fileio import MAX_INPUT_BYTES, read_bytes_limited

ENCODING = "latin-1"


class PsplibError(ValueError):
    """A PSPLIB file that does not follow the format; ``line`` is 1-based (0: whole file)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}" if line > 0 else message)
        self.message = message
        self.line = line


class _Lines:
    """A cursor over numbered lines, so every error knows where it happened."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.index = 0

    def seek(self, pattern: str, what: str) -> re.Match[str]:
        """Advance to the next line matching ``pattern`` and move past it."""
        regex = re.compile(pattern, re.IGNORECASE)
        while self.index < len(self.lines):
            found = regex.search(self.lines[self.index])
            self.index += 1
            if found:
                return found
        raise PsplibError(f"missing {what}", len(self.lines))

    def data(self) -> Iterator[tuple[int, list[int]]]:
        """The following rows that start with a number (blanks and dashes skipped)."""
        while self.index < len(self.lines):
            words = self.lines[self.index].split()
            if words and not _digits(words[0]) and not re.fullmatch(r"-+", words[0]):
                return
            self.index += 1
            if not words or re.fullmatch(r"-+", words[0]):
                continue
            if bad := next((w for w in words if not _digits(w)), None):
                raise PsplibError(f"expected numbers, found {bad!r}", self.index)
            yield self.index, [int(word) for word in words]


def _int(found: re.Match[str], lineno: int) -> int:
    try:
        return int(found.group(1))
    except ValueError:
        raise PsplibError(f"expected a number, found {found.group(1)!r}", lineno) from None


def parse_psplib(text: str, name: str = "") -> Problem:
    """The problem in the ``.sm`` text ``text``; raises :class:`PsplibError` when malformed."""
    lines = _Lines(text)
    found = lines.seek(r"^jobs .*:\s*(\S+)", "'jobs (incl. supersource/sink ):' line")
    n = _int(found, lines.index)
    found = lines.seek(r"^\s*- renewable\s*:\s*(\S+)", "'- renewable :' line")
    k = _int(found, lines.index)
    found = lines.seek(r"^\s*- nonrenewable\s*:\s*(\S+)", "'- nonrenewable :' line")
    if _int(found, lines.index) != 0:
        raise PsplibError(
            "non-renewable resources are not supported (single-mode only)", lines.index
        )
    if n < 2 or k < 0:
        raise PsplibError(f"{n} jobs and {k} resources is not an instance", 0)

    lines.seek(r"^PRECEDENCE RELATIONS:", "PRECEDENCE RELATIONS section")
    lines.seek(r"jobnr", "precedence header line")
    successors: list[list[int]] = []
    for lineno, row in lines.data():
        if len(row) < 3 or row[0] != len(successors) + 1:
            raise PsplibError(
                f"expected 'job modes count successors...' for job {len(successors) + 1}", lineno
            )
        if row[1] != 1:
            raise PsplibError(
                f"job {row[0]} has {row[1]} modes; only single-mode files are read", lineno
            )
        if len(row) != 3 + row[2]:
            raise PsplibError(f"job {row[0]} lists {len(row) - 3} successors, not {row[2]}", lineno)
        if bad := [s for s in row[3:] if not 1 <= s <= n]:
            raise PsplibError(f"job {row[0]}: successor {bad[0]} is not a job 1..{n}", lineno)
        successors.append(row[3:])
    if len(successors) != n:
        raise PsplibError(f"{len(successors)} precedence rows for {n} jobs", lines.index + 1)

    lines.seek(r"^REQUESTS/DURATIONS:", "REQUESTS/DURATIONS section")
    lines.seek(r"jobnr", "requests header line")
    modes: list[Mode] = []
    request_lines: list[int] = []
    for lineno, row in lines.data():
        if len(row) != 3 + k or row[0] != len(modes) + 1 or row[1] != 1:
            raise PsplibError(
                f"expected 'job 1 duration' and {k} demands for job {len(modes) + 1}", lineno
            )
        if any(value < 0 for value in row[2:]):
            raise PsplibError(f"job {row[0]}: negative duration or demand", lineno)
        demands = tuple((r, units) for r, units in enumerate(row[3:]) if units > 0)
        modes.append(Mode(duration=row[2], demands=demands))
        request_lines.append(lineno)
    if len(modes) != n:
        raise PsplibError(f"{len(modes)} request rows for {n} jobs", lines.index + 1)

    lines.seek(r"^RESOURCEAVAILABILITIES:", "RESOURCEAVAILABILITIES section")
    lines.seek(r"R\s*\d", "resource names line")
    rows = list(lines.data())
    if len(rows) != 1 or len(rows[0][1]) != k:
        raise PsplibError(
            f"expected one line of {k} capacities", rows[0][0] if rows else lines.index
        )
    capacities = rows[0][1]
    for j, (mode, lineno) in enumerate(zip(modes, request_lines, strict=True)):
        for r, units in mode.demands:
            if units > capacities[r]:
                message = f"job {j + 1} needs {units} of R{r + 1}, capacity {capacities[r]}"
                raise PsplibError(message, lineno)

    return Problem(
        jobs=tuple(Job(id=str(j + 1), modes=(mode,)) for j, mode in enumerate(modes)),
        links=tuple(
            Link(pred=j, succ=s - 1, type=LinkType.FS)
            for j, succ in enumerate(successors)
            for s in succ
        ),
        resources=tuple(Resource(id=f"R{r + 1}", capacity=c) for r, c in enumerate(capacities)),
        objective="makespan",
        name=name,
    )


def read_psplib(path: Path | str) -> Problem:
    """The problem in the ``.sm`` file at ``path``, named after the file ("j301_1")."""
    path = Path(path)
    # A regular file of at most the input cap, read without blocking (a FIFO would hang).
    text = read_bytes_limited(path, MAX_INPUT_BYTES).decode(ENCODING)
    return parse_psplib(text, name=path.stem)


def read_best_known(tables_dir: Path | str, set_name: str) -> dict[str, int]:
    """Optimal (j30) or best-known upper-bound makespans of a set, keyed "j301_1".

    j30 has proven optima for every instance (``j30opt.sm``); the larger sets have the
    heuristic-record tables ``jXXhrs.sm``. Both are "parameter instance makespan ..." rows.
    """
    tables = Path(tables_dir)
    table = tables / ("j30opt.sm" if set_name == "j30" else f"{set_name}hrs.sm")
    return _read_rows(table, set_name, column=2)


def read_lower_bounds(tables_dir: Path | str, set_name: str) -> dict[str, int]:
    """Published lower bounds (``jXXlb.sm``; j30's optima are their own bound).

    The ``lb`` tables list only some instances; absent ones are simply not in the result.
    """
    if set_name == "j30":
        return read_best_known(tables_dir, set_name)
    return _read_rows(Path(tables_dir) / f"{set_name}lb.sm", set_name, column=3)


def _read_rows(table: Path, set_name: str, column: int) -> dict[str, int]:
    values: dict[str, int] = {}
    text = read_bytes_limited(table, MAX_INPUT_BYTES).decode(ENCODING)
    for lineno, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if len(words) <= column or not all(_digits(w) for w in words[: column + 1]):
            continue  # headers, rules, notes
        key = f"{set_name}{words[0]}_{words[1]}"
        if key in values:
            raise PsplibError(f"{key} listed twice in {table.name}", lineno)
        values[key] = int(words[column])
    if not values:
        raise PsplibError(f"no 'parameter instance makespan' rows in {table.name}", 0)
    return values


def _digits(word: str) -> bool:
    """ASCII digits only: str.isdigit() is also true of '²', which int() refuses."""
    return word.isascii() and word.isdigit()
