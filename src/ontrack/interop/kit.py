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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from ontrack.diagnostics import SourceLoc
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
    "E461",  # a format that cannot be imported
    "E462",  # the export cannot be written
    "W450",  # converted with an approximation (elapsed time, percent lags, constraints)
    "W451",  # a dependency on a task not in the file, dropped
    "W452",  # a material or cost resource (not a person), left out
    "W453",  # a calendar whose data cannot be read, ignored
    "W454",  # a file with several projects: only the first is imported
    "W455",  # an assignment of someone not in the file, dropped
    "W457",  # CSV columns that were not understood, ignored
)

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
        base = slug(name)[:_MAX_SLUG].strip("-") or (fallback or self.fallback)
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}-{n}"
        self.used.add(candidate)
        return candidate


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SLUG_DROP.sub("-", ascii_text.lower()).strip("-")


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


def nest_tasks(flat: Sequence[dict[str, Any]], parent_of: Mapping[str, str | None]) -> list[Any]:
    """Put each task under its summary's ``tasks:`` list, keeping document order."""
    by_id = {t["id"]: t for t in flat}
    roots: list[dict[str, Any]] = []
    for task in flat:
        parent = parent_of.get(task["id"])
        if parent is not None and parent in by_id:
            by_id[parent].setdefault("tasks", []).append(task)
        else:
            roots.append(task)
    return roots


def walk_tasks(tasks: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Every task of nested task data, depth first, in document order."""
    for task in tasks:
        yield task
        yield from walk_tasks(task.get("tasks", ()))
