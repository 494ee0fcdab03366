"""Plans from other tools' files: MS Project XML (MSPDI), Primavera P6 XER and CSV task lists.

Every importer turns its file into the same thing: plain plan data, exactly as a plan file would
hold it, plus where each record came from and remarks about what could not be carried over. The
data is then written as plan YAML (readable, in the order people write plans, remarks as
comments) and that YAML is loaded by the ordinary plan loader: an imported plan is checked by the
same rules as a hand-written one, and ``ontrack import`` writes exactly what the other commands
read. Diagnostics and record locations are moved back onto the imported file, so a problem is
reported at ``project.xml:120``, not at a line of YAML nobody has seen.

This module is the dispatcher: it picks the format, calls its reader (``mspdi``, ``xer``,
``csvtasks``), writes the YAML and loads it. What the readers share lives in ``kit`` (re-exported
here), so a format never imports the dispatcher or another format.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ontrack.diagnostics import Diagnostic, SourceLoc, error, has_errors, sorted_diagnostics
from ontrack.interop.kit import (
    CODES,
    IdMaker,
    ImportedPlan,
    ImportFormat,
    RecordKey,
    date_ranges,
    duration_text,
    hours_text,
    nest_tasks,
    percent_text,
    range_days,
    slug,
    walk_tasks,
)
from ontrack.model import Plan
from ontrack.planfile import load_plan, load_plan_text

__all__ = [  # the kit's names stay importable from here
    "CODES",
    "FORMATS",
    "FORMAT_NAMES",
    "MAX_IMPORT_BYTES",
    "SECTION_ORDER",
    "IdMaker",
    "ImportFormat",
    "ImportedPlan",
    "RecordKey",
    "date_ranges",
    "duration_text",
    "hours_text",
    "import_file",
    "load_any",
    "nest_tasks",
    "parse_bytes",
    "percent_text",
    "plan_from_import",
    "plan_yaml",
    "range_days",
    "render_yaml",
    "scalar",
    "slug",
    "walk_tasks",
]

FORMATS: Mapping[str, ImportFormat] = MappingProxyType(
    {".xml": "mspdi", ".xer": "xer", ".csv": "csv", ".tsv": "csv"}
)
FORMAT_NAMES: Mapping[ImportFormat, str] = MappingProxyType(
    {"mspdi": "MS Project XML", "xer": "Primavera P6 XER", "csv": "CSV task list"}
)
#: Imports larger than this are refused rather than read into memory.
MAX_IMPORT_BYTES = 256 * 1024 * 1024

#: Sections in the order the plan format documents them (and people write them).
SECTION_ORDER = (
    "program",
    "calendar",
    "calendars",
    "people",
    "teams",
    "tasks",
    "risks",
    "releases",
    "stakeholders",
)

# -- the YAML writer ----------------------------------------------------------------------------

_IMPLICIT: dict[Any, list[tuple[str, Any]]] = yaml.resolver.Resolver.yaml_implicit_resolvers
# The writer looks at each scalar a few times, with regular expressions that scan it once each
# (no backtracking, no Python loop per character): a title of megabytes is written in linear
# time and memory. A plain scalar may not start with an indicator or a space, nor hold ": " or
# " #", nor end in a space; in flow context PyYAML also ends one at any of ``,:?[]{}``.
_PLAIN_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@`")
_COLON_BREAK = re.compile(r":(?!\S)")
_HASH_BREAK = re.compile(r"\s#")
_FLOW_INDICATORS = ":?,[]{}"
_MINUS_PLAIN = re.compile(r"-[0-9.][\w./%]*")  # lags such as -1d
# Characters YAML prints (its c-printable), less what would not read back as written: line
# breaks and tabs in plain scalars, NEL, the Unicode line and paragraph separators, a BOM.
_PRINTABLE = "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_NOT_PLAIN = re.compile(f"[^{_PRINTABLE}]")
_NOT_BLOCK = re.compile(f"[^\t\n{_PRINTABLE}]")
_NOT_QUOTED = _NOT_PLAIN  # in JSON's output, tabs and line breaks are escapes already
# Only ints and floats resolve from long text, and they are made of these characters alone.
_NUMBERISH = re.compile(r"[0-9a-fA-FxXoO_+\-.:]*")
_SHORT = 64
_LINE_WIDTH = 100


def _resolves_to_str(text: str) -> bool:
    if len(text) > _SHORT:  # a number written long is quoted, not matched digit by digit
        return text[0] not in "+-.0123456789" or not _NUMBERISH.fullmatch(text)
    return all(not rx.match(text) for _, rx in _IMPLICIT.get(text[:1], ()))


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar: JSON's escapes, plus YAML's non-printable characters."""
    body = json.dumps(text, ensure_ascii=False)
    if body.isascii() and body.isprintable():
        return body
    return _NOT_QUOTED.sub(lambda m: f"\\u{ord(m[0]):04x}", body)


def scalar(value: Any, *, flow: bool = False) -> str:
    """One YAML scalar: plain where that reads back as the same text, quoted otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if _plain(text, flow) and _resolves_to_str(text):
        return text
    return _quoted(text)


def _plain(text: str, flow: bool) -> bool:
    """Whether ``text`` reads back as itself written plain."""
    if not text or text[-1].isspace():
        return False
    if not (text.isascii() and text.isprintable()) and _NOT_PLAIN.search(text):
        return False
    if _MINUS_PLAIN.fullmatch(text):
        return True
    if text[0] in _PLAIN_FIRST or text[0].isspace():
        return False
    if "#" in text and _HASH_BREAK.search(text):
        return False
    if flow:
        return not any(c in text for c in _FLOW_INDICATORS)
    return ":" not in text or not _COLON_BREAK.search(text)


def _block_ok(text: str) -> bool:
    """Multi-line text reads best as a literal block, when it can be one exactly."""
    return (
        "\n" in text
        and not text[0].isspace()
        and not text[-1].isspace()
        and not _NOT_BLOCK.search(text)
    )


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | Decimal | bool | dt.date)


@dataclass
class _Writer:
    remarks: Mapping[RecordKey, list[str]]
    lines: list[str] = field(default_factory=list)
    spans: list[tuple[int, int, RecordKey]] = field(default_factory=list)

    def comment(self, indent: str, texts: Iterable[str]) -> None:
        for text in texts:
            for line in text.splitlines() or [""]:
                self.lines.append(f"{indent}# {line}".rstrip())

    def mapping(self, data: Mapping[str, Any], indent: str, section: str) -> None:
        for key, value in data.items():
            self.entry(key, value, indent, section)

    def entry(self, key: str, value: Any, indent: str, section: str, first: str = "") -> None:
        """``key: value`` at ``indent``; ``first`` replaces the indent on the first line (the
        ``- `` of a list item)."""
        lead = first or indent
        if isinstance(value, str) and _block_ok(value):
            self.lines.append(f"{lead}{key}: |-")
            self.lines.extend(f"{indent}  {line}" if line else "" for line in value.split("\n"))
        elif _is_scalar(value):
            self.lines.append(f"{lead}{key}: {scalar(value)}")
        elif isinstance(value, Mapping):
            self.lines.append(f"{lead}{key}:")
            self.mapping(value, indent + "  ", section)
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            if key == "depends":
                self.lines.append(f"{lead}{key}:")
                self.lines.extend(f"{indent}  - {_flow_mapping(v)}" for v in value)
            else:
                self.lines.append(f"{lead}{key}:")
                self.records(key if key != "tasks" else "tasks", value, indent + "  ")
        elif isinstance(value, list):
            self.sequence(key, value, indent, lead)
        else:
            raise TypeError(f"cannot write {type(value).__name__} as YAML")

    def sequence(self, key: str, value: list[Any], indent: str, lead: str) -> None:
        items = [
            _flow_mapping(v) if isinstance(v, Mapping) else scalar(v, flow=True) for v in value
        ]
        flow = f"{lead}{key}: [{', '.join(items)}]"
        if len(flow) <= _LINE_WIDTH or key in ("workweek",):
            self.lines.append(flow)
            return
        self.lines.append(f"{lead}{key}:")
        self.lines.extend(
            f"{indent}  - {_flow_mapping(v) if isinstance(v, Mapping) else scalar(v)}"
            for v in value
        )

    def records(self, section: str, records: Sequence[Mapping[str, Any]], indent: str) -> None:
        top = indent == "  "
        for n, record in enumerate(records):
            if (
                top
                and n
                and section == "tasks"
                and (record.get("tasks") or records[n - 1].get("tasks"))
            ):
                self.lines.append("")  # epics read better apart
            ident = str(record.get("id", ""))
            self.comment(indent, self.remarks.get((section, ident), ()))
            start = len(self.lines) + 1
            items = list(record.items())
            for k, (key, value) in enumerate(items):
                self.entry(
                    key, value, indent + "  ", section, first=f"{indent}- " if k == 0 else ""
                )
            self.spans.append((start, len(self.lines), (section, ident)))


def _flow_mapping(value: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v, flow=True)}" for k, v in value.items()) + "}"


def render_yaml(imported: ImportedPlan) -> tuple[str, list[tuple[int, int, RecordKey]]]:
    """The plan YAML of an import, and the lines each record occupies (1-based, inclusive)."""
    writer = _Writer(imported.remarks)
    writer.comment("", imported.header)
    for section in SECTION_ORDER:
        value = imported.data.get(section)
        if value is None or (isinstance(value, list) and not value):
            continue
        if writer.lines:
            writer.lines.append("")
        writer.comment("", imported.remarks.get((section, ""), ()))
        start = len(writer.lines) + 1
        if isinstance(value, Mapping):
            writer.lines.append(f"{section}:")
            writer.mapping(value, "  ", section)
            writer.spans.append((start, len(writer.lines), (section, "")))
        else:
            writer.lines.append(f"{section}:")
            writer.records(section, value, "  ")
    return "\n".join(writer.lines) + "\n", writer.spans


def plan_yaml(imported: ImportedPlan) -> str:
    """Plan YAML a person can keep editing."""
    return render_yaml(imported)[0]


# -- reading files ------------------------------------------------------------------------------


def import_file(
    path: str | Path, fmt: ImportFormat | None = None
) -> tuple[ImportedPlan | None, list[Diagnostic]]:
    """Read an MS Project XML, Primavera XER or CSV file (by ``fmt``, else by its suffix)."""
    path = Path(path)
    name = str(path)
    chosen = fmt or FORMATS.get(path.suffix.lower())
    if chosen is None:
        known = ", ".join(sorted(FORMATS))
        return None, [
            error(
                "E461",
                SourceLoc(name),
                f"cannot import '{path.suffix or path.name}' files",
                f"import one of {known}, or name the format with --from",
            )
        ]
    from ontrack.fileio import FileTooLargeError, read_bytes_limited  # noqa: PLC0415

    try:
        # Regular files only, read without blocking (a FIFO would hang), capped by bytes read.
        data = read_bytes_limited(path, MAX_IMPORT_BYTES)
    except FileTooLargeError as exc:
        return None, [
            error(
                "E450",
                SourceLoc(name),
                f"file {exc.strerror}; imports are limited to {MAX_IMPORT_BYTES:,} bytes",
                "split the project, or export a smaller part of it",
            )
        ]
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return None, [
            error("E450", SourceLoc(name), f"cannot read the file: {reason}", "check the path")
        ]
    return parse_bytes(data, name, chosen)


def parse_bytes(
    data: bytes, name: str, fmt: ImportFormat
) -> tuple[ImportedPlan | None, list[Diagnostic]]:
    """Import from the bytes of a file (tests, uploads)."""
    # Each format's reader is imported on use: the XML reader brings defusedxml along.
    if fmt == "mspdi":
        from ontrack.interop.mspdi import parse_mspdi  # noqa: PLC0415

        return parse_mspdi(data, name)
    if fmt == "xer":
        from ontrack.interop.xer import parse_xer  # noqa: PLC0415

        return parse_xer(data, name)
    from ontrack.interop.csvtasks import parse_csv  # noqa: PLC0415

    return parse_csv(data, name)


def plan_from_import(imported: ImportedPlan) -> tuple[Plan | None, list[Diagnostic]]:
    """Load an import as the plan its YAML would be, with locations on the imported file."""
    text, spans = render_yaml(imported)
    plan, diagnostics = load_plan_text(text, imported.source)
    where = _Relocator(imported.source, spans, imported.origins)
    moved = [
        dataclasses.replace(d, loc=where(d.loc), related=tuple(where(r) for r in d.related))
        for d in diagnostics
    ]
    if plan is not None:
        plan = dataclasses.replace(_relocated(plan, where), sources=(imported.source,))
    return plan, sorted_diagnostics(moved)


def load_any(path: str | Path) -> tuple[Plan | None, list[Diagnostic]]:
    """A plan from a plan file or folder, or from a file another tool wrote: ``.xml`` (MS
    Project), ``.xer`` (Primavera P6) or ``.csv`` (a task list). Never raises for bad input."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower()) if not path.is_dir() else None
    if fmt is None:
        return load_plan(path)
    imported, diagnostics = import_file(path, fmt)
    if imported is None:
        return None, diagnostics
    plan, more = plan_from_import(imported)
    found = sorted_diagnostics([*diagnostics, *more])
    # As a plan file with errors, an import with errors (a cycle in its outline) is no plan.
    return (None if has_errors(found) else plan), found


class _Relocator:
    """Maps a position in the generated YAML onto the record of the imported file it came
    from (the innermost record whose lines hold it)."""

    def __init__(
        self,
        name: str,
        spans: Sequence[tuple[int, int, RecordKey]],
        origins: Mapping[RecordKey, SourceLoc],
    ) -> None:
        self.name = name
        self.spans = sorted(spans, key=lambda s: (s[0], -s[1]))
        self.origins = origins

    def __call__(self, loc: SourceLoc) -> SourceLoc:
        if loc.file != self.name:
            return loc
        best: RecordKey | None = None
        for start, end, key in self.spans:
            if start > loc.line:
                break
            if loc.line <= end:
                best = key
        if best is None:
            return SourceLoc(self.name)
        return self.origins.get(best, SourceLoc(self.name))


def _relocated(value: Any, where: Callable[[SourceLoc], SourceLoc]) -> Any:
    """A copy of a model record with every source location moved by ``where``."""
    if isinstance(value, SourceLoc):
        return where(value)
    if isinstance(value, tuple):
        return tuple(_relocated(v, where) for v in value)
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(value):
        if not f.init:
            continue
        old = getattr(value, f.name)
        if f.name == "locs" and isinstance(old, Mapping):
            changes[f.name] = MappingProxyType({k: where(v) for k, v in old.items()})
        elif (
            isinstance(old, SourceLoc)
            or (isinstance(old, tuple) and old and dataclasses.is_dataclass(old[0]))
            or (dataclasses.is_dataclass(old) and hasattr(old, "loc"))
        ):
            changes[f.name] = _relocated(old, where)
    return dataclasses.replace(value, **changes) if changes else value
