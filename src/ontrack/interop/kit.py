"""The interchange kit: what every importer shares (MS Project XML, Primavera XER, CSV task
lists). An importer turns its file into an ``ImportedPlan`` (plain plan data as a plan file would
hold it, where each record came from, remarks on what could not be carried over) with the small
conversions here: readable unique ids, the plan language's spellings of durations, percentages and
date ranges, tasks nested under their summaries.

The formats import this module and never each other or the dispatcher
(``ontrack.interop.importer``), which imports the formats.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from ontrack.diagnostics import Diagnostic, SourceLoc, error, warning
from ontrack.model import Duration

#: Interchange diagnostics (E450-E469 errors, W450-W469 warnings); tests match on these.
CODES = (
    "E450",  # the file cannot be read (missing, unreadable, not text)
    "E451",  # not well-formed XML
    "E452",  # XML with a DTD or entities (external entities, entity bombs): refused
    "E453",  # XML that is not an MS Project (MSPDI) file
    "E454",  # a value an importer cannot read (a date, a duration, a number)
    "E455",  # not a Primavera XER file
    "E456",  # a malformed XER table or row
    "E457",  # no project in the file
    "E458",  # a CSV task list without a header or a title column
    "E459",  # a cycle in the outline (WBS parents, a parent column): cut, the ids named
    "E461",  # a format that cannot be imported
    "E462",  # the export cannot be written
    "W450",  # converted with an approximation (elapsed time, percent lags, constraints)
    "W451",  # a dependency on a task not in the file, dropped
    "W452",  # a material or cost resource (not a person), left out
    "W453",  # a calendar whose data cannot be read, ignored
    "W454",  # a file with several projects: only the first is imported
    "W455",  # an assignment of someone not in the file, dropped
    "W456",  # a value out of range or not a number (inf, a duration over ten years, year 3000)
    "W457",  # CSV columns that were not understood, ignored
    "W458",  # a record read but not written (no id, no project): left out, counted
    "W459",  # an outline deeper than MAX_LEVELS: deeper tasks moved up to that level
    "W460",  # a TaskJuggler export approximation (FF/SF link, negative lag, nobody to staff)
)

#: Imported values are bounded as the plan loader bounds them (``ontrack.planfile.values``):
#: a duration or lag holds at most ten years of five-day weeks of working time, a date lies
#: in 1900-2200. Beyond that a value is a data error, and the engines' arithmetic would overflow.
MAX_WORK_DAYS = 2600
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2200, 12, 31)
#: Task levels an outline may nest: the plan reader takes 48 levels of YAML, two per task level
#: and three more for a dependency's fields.
MAX_LEVELS = 20

ImportFormat = Literal["mspdi", "xer", "csv"]

RecordKey = tuple[str, str]  # (section, id); singletons use an empty id


@dataclass
class ImportedPlan:
    """Plan data from an imported file, with where each record came from.

    ``data`` is what a plan file would hold (tasks nested under their summaries); ``origins``
    maps (section, id) to the element or row it was made from; ``remarks`` are comments written
    above a record (what could not be carried over exactly); ``header`` opens the YAML file.
    """

    data: dict[str, Any]
    source: str
    format: ImportFormat
    origins: dict[RecordKey, SourceLoc] = field(default_factory=dict)
    remarks: dict[RecordKey, list[str]] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)

    def remark(self, key: RecordKey, text: str) -> None:
        self.remarks.setdefault(key, []).append(text)


# -- ids, durations and other small conversions, shared by the importers ------------------------

_SLUG_DROP = re.compile(r"[^a-z0-9]+")
_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_MAX_SLUG = 48


class IdMaker:
    """Readable, unique plan ids from names (``Design the API`` -> ``design-the-api``)."""

    def __init__(self, fallback: str = "item") -> None:
        self.fallback = fallback
        self.used: set[str] = set()

    def take(self, wanted: str) -> str | None:
        """``wanted`` itself when it is a valid id not taken yet, else None."""
        if _ID_OK.match(wanted) and wanted not in self.used:
            self.used.add(wanted)
            return wanted
        return None

    def make(self, name: str, fallback: str | None = None) -> str:
        base = _slug_head(name)[:_MAX_SLUG].strip("-") or (fallback or self.fallback)
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}-{n}"
        self.used.add(candidate)
        return candidate


_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")


def code_identifier(text: str, used: set[str], empty: str = "x") -> str:
    """An identifier other tools take (``[A-Za-z_][A-Za-z0-9_]*``: TaskJuggler ids, Mermaid
    task ids) made from ``text``, unique in ``used`` (which it joins): other characters become
    ``_``, a leading digit gets ``t_``, a repeat ``_2``, ``_3``, ..."""
    base = _NOT_IDENT.sub("_", text) or empty
    if base[0].isdigit():
        base = f"t_{base}"
    ident, n = base, 1
    while ident in used:
        n += 1
        ident = f"{base}_{n}"
    used.add(ident)
    return ident


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SLUG_DROP.sub("-", ascii_text.lower()).strip("-")


def shown(text: str, limit: int = 40) -> str:
    """A value as a message quotes it: short, whatever the file holds."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _slug_head(text: str) -> str:
    """The start of ``slug(text)``, at least its first ``_MAX_SLUG`` characters, read from as
    little of the text as gives them: a name may be megabytes long."""
    size = 256
    while True:
        head = slug(text[:size])
        if size >= len(text) or len(head) > _MAX_SLUG + 8:  # the cut only changes the tail
            return head
        size *= 4


def duration_text(minutes: int, hours_per_day: Fraction) -> str:
    """Plan-language spelling of working minutes (``3d``, ``4h``, ``90m``)."""
    return Duration(minutes).format(hours_per_day)


def percent_text(value: Fraction | Decimal) -> str:
    """``50%``; exact when the percentage has at most four decimals."""
    frac = Fraction(value) * 100
    hundred = Decimal(frac.numerator) / Decimal(frac.denominator)
    return format(hundred.quantize(Decimal("0.0001")).normalize(), "f") + "%"


def hours_text(value: Fraction) -> int | float:
    """``hours_per_day`` as YAML writes it: 8, not 8.0."""
    return int(value) if value.denominator == 1 else float(value)


def date_ranges(days: Iterable[dt.date]) -> list[str | dt.date]:
    """Dates as the plan writes them: single days, and runs of consecutive days as ranges."""
    ordered = sorted(set(days))
    out: list[str | dt.date] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] - ordered[j] == dt.timedelta(days=1):
            j += 1
        out.append(ordered[i] if i == j else f"{ordered[i]}..{ordered[j]}")
        i = j + 1
    return out


def range_days(start: dt.date, end: dt.date, limit: int = 3660) -> list[dt.date]:
    """Every day of an inclusive range (at most ``limit``: a range of years is a data error)."""
    count = min((end - start).days + 1, limit)
    return [start + dt.timedelta(days=k) for k in range(max(count, 0))]


def in_horizon(day: dt.date) -> bool:
    """Whether a date lies in the years a plan may hold (1900-2200)."""
    return EARLIEST_DATE <= day <= LATEST_DATE


def max_minutes(hours_per_day: Fraction) -> int:
    """The longest duration or lag an import keeps, in working minutes of this day length."""
    return int(MAX_WORK_DAYS * 60 * hours_per_day)


def find_cycles(parent_of: Mapping[str, str | None]) -> list[list[str]]:
    """The cycles of a parent map (each key names at most one parent), each once, starting at
    its key that comes first in the map, the others in parent order. Linear time."""
    order = {key: n for n, key in enumerate(parent_of)}
    done: set[str] = set()
    cycles: list[list[str]] = []
    for start in parent_of:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node in order and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parent_of[node]
        if node is not None and node in on_path:
            cycle = path[path.index(node) :]
            first = min(range(len(cycle)), key=lambda k: order[cycle[k]])
            cycles.append(cycle[first:] + cycle[:first])
        done.update(path)
    return cycles


def cycle_text(cycle: Sequence[str], label: Callable[[str], str] = repr) -> str:
    """``'a' under 'b' under 'a'``: a cycle of a parent map as a person reads it."""
    return " under ".join(label(key) for key in [*cycle, cycle[0]])


@dataclass
class Arrangement:
    """Where each task of an outline goes, and what had to change to get there."""

    parent: dict[str, str | None]  # the summary each task is written under (None: the top)
    cycles: list[list[str]]  # each cycle's first task (document order) was put at the top
    moved_up: list[str]  # tasks deeper than MAX_LEVELS, put beside their ancestor at that level

    @property
    def summaries(self) -> set[str]:
        """The tasks that have subtasks once arranged."""
        return {p for p in self.parent.values() if p is not None}


@dataclass
class Outline(Arrangement):
    """Tasks nested under their summaries."""

    tasks: list[Any] = field(default_factory=list)


def arrange(ids: Sequence[str], parent_of: Mapping[str, str | None]) -> Arrangement:
    """Each task's summary as written: its parent, unless that makes a cycle (cut at the cycle's
    task that comes first) or nests deeper than ``MAX_LEVELS`` (then beside its ancestor at
    that level, under that one's summary). A parent that is not one of ``ids`` is none.
    Iterative and linear: outlines may be deeper than Python's recursion."""
    known = set(ids)
    parents = {i: p for i in ids if (p := parent_of.get(i)) is not None and p in known}
    cycles = find_cycles({i: parents.get(i) for i in ids})
    for cycle in cycles:
        parents.pop(cycle[0], None)
    depth: dict[str, int] = {}
    home: dict[str, str | None] = {}
    for ident in ids:
        chain: list[str] = []
        node: str | None = ident
        while node is not None and node not in depth:
            chain.append(node)
            node = parents.get(node)
        for key in reversed(chain):
            parent = parents.get(key)
            if parent is None:
                depth[key], home[key] = 1, None
            elif depth[parent] < MAX_LEVELS:
                depth[key], home[key] = depth[parent] + 1, parent
            else:  # the parent is at the deepest level: beside it, under its own summary
                depth[key], home[key] = depth[parent], home[parent]
    moved = [i for i in ids if home[i] != parents.get(i)]
    return Arrangement({i: home[i] for i in ids}, cycles, moved)


def outline(flat: Sequence[dict[str, Any]], parent_of: Mapping[str, str | None]) -> Outline:
    """Nest each task under its summary's ``tasks:`` list, keeping document order, as
    :func:`arrange` places it: every task of ``flat`` is written once."""
    by_id = {t["id"]: t for t in flat}
    placed = arrange([t["id"] for t in flat], parent_of)
    roots: list[dict[str, Any]] = []
    for task in flat:
        parent = placed.parent[task["id"]]
        if parent is None:
            roots.append(task)
        else:
            by_id[parent].setdefault("tasks", []).append(task)
    return Outline(placed.parent, placed.cycles, placed.moved_up, roots)


def nest_tasks(flat: Sequence[dict[str, Any]], parent_of: Mapping[str, str | None]) -> list[Any]:
    """Put each task under its summary's ``tasks:`` list, keeping document order (see
    :func:`outline`, which also says what it had to change)."""
    return outline(flat, parent_of).tasks


def walk_tasks(tasks: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Every task of nested task data, depth first, in document order."""
    for task in tasks:
        yield task
        yield from walk_tasks(task.get("tasks", ()))


def outline_problems(
    result: Arrangement, where: Callable[[str], SourceLoc], what: str = "task"
) -> list[Diagnostic]:
    """E459 for each cycle :func:`arrange` cut, W459 for the tasks it moved up; ``where`` gives
    a task's place in the imported file."""
    found: list[Diagnostic] = []
    for cycle in result.cycles:
        found.append(
            error(
                "E459",
                where(cycle[0]),
                f"the {what}s' parents make a cycle: {cycle_text(cycle)}; "
                f"'{cycle[0]}' is put at the top level",
                f"give each {what} a parent that is not one of its own subtasks",
                subjects=cycle,
                related=[where(key) for key in cycle[1:]],
            )
        )
    if result.moved_up:
        first = result.moved_up[0]
        found.append(
            warning(
                "W459",
                where(first),
                f"the outline is deeper than {MAX_LEVELS} levels: {len(result.moved_up)} "
                f"{what}(s) moved up to level {MAX_LEVELS}, '{first}' first",
                "flatten the work breakdown; a WBS rarely needs more than 6 levels",
                subjects=result.moved_up[:20],
            )
        )
    return found


def left_out(
    read: Sequence[tuple[str, SourceLoc]], tasks: Iterable[dict[str, Any]], what: str = "tasks"
) -> list[Diagnostic]:
    """W458 when tasks that were read are missing from the nested ``tasks`` written: the count
    that makes sure an import never loses work silently."""
    missing = Counter(ident for ident, _ in read)
    missing.subtract(str(t.get("id")) for t in walk_tasks(tasks))
    lost = [(ident, loc) for ident, loc in read if missing[ident] > 0]
    if not lost:
        return []
    names = ", ".join(f"'{ident}'" for ident, _ in lost[:10]) + (", ..." if len(lost) > 10 else "")
    return [
        warning(
            "W458",
            lost[0][1],
            f"{len(lost)} of the {len(read)} {what} read were not written: {names}",
            "this is a bug in ontrack's importer; please report it with the file",
            subjects=[ident for ident, _ in lost[:20]],
        )
    ]
