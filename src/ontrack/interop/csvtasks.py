"""CSV task lists in: a spreadsheet of tasks (or ``ontrack export --to csv``) becomes a plan.

The header names the columns; common spellings are understood (``name`` or ``title``, ``effort``
or ``estimate``, ``predecessors`` or ``depends``, ``owner`` or ``assignee``, ...). Nesting comes
from a ``parent`` column (the summary's id), a ``wbs`` column (``1.2.3``) or a ``level`` column.
Dependencies are written ``design; api SS+2d; build:FF-1d`` (an id, then an optional link type
and lag); plain row numbers work too, as MS Project's predecessor column writes them (``3FS+2d``).
A duration without a unit is in days.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ontrack.diagnostics import Diagnostic, SourceLoc, error, sorted_diagnostics, warning
from ontrack.interop.kit import (
    EARLIEST_DATE,
    LATEST_DATE,
    IdMaker,
    ImportedPlan,
    arrange,
    in_horizon,
    left_out,
    outline,
    outline_problems,
)

#: Column names understood, by the plan field they fill (compared without case, spaces, _ or -).
ALIASES: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "key", "taskid", "code", "activityid", "ref"),
    "title": ("title", "name", "task", "taskname", "summary", "subject", "activityname"),
    "estimate": ("estimate", "effort", "work", "estimatedeffort"),
    "duration": ("duration", "fixedduration"),
    "depends": ("depends", "dependson", "predecessors", "dependencies", "blockedby", "after"),
    "assignee": (
        "assignee",
        "assignees",
        "owner",
        "resource",
        "resources",
        "resourcenames",
        "assignedto",
    ),
    "parent": ("parent", "parentid", "epic", "summarytask"),
    "wbs": ("wbs", "outline", "outlinenumber", "wbscode"),
    "level": ("level", "outlinelevel", "indent"),
    "kind": ("kind", "type", "tasktype"),
    "milestone": ("milestone", "ismilestone"),
    "deadline": ("deadline", "due", "duedate"),
    "start_no_earlier_than": ("startnoearlierthan", "snet", "notbefore", "earlieststart"),
    "team": ("team", "group"),
    "skills": ("skills", "skill"),
    "tags": ("tags", "labels", "label"),
    "priority": ("priority",),
    "notes": ("notes", "description", "comments", "comment"),
    "percent_complete": ("percentcomplete", "complete", "progress", "done"),
}
#: Columns of ``ontrack export --to csv`` that are results, not plan: read back silently.
COMPUTED = frozenset(
    {
        "start",
        "finish",
        "durationdays",
        "totalfloatdays",
        "freefloatdays",
        "critical",
        "meanfinish",
        "p50",
        "p80",
        "p95",
        "latedays",
        "state",
    }
)
_BY_NAME = {alias: key for key, names in ALIASES.items() for alias in names}
_TRUE = frozenset({"1", "y", "yes", "true", "x", "✓", "milestone"})
# A lag needs a link type before it (``api SS+2d``): ids may end in ``-1`` themselves.
_DEP = re.compile(
    r"^(?P<ref>.+?)(?:(?:\s*:\s*|\s+|(?<=\d))(?P<type>FS|SS|FF|SF)"
    r"(?:\s*(?P<lag>[+-]\s*\d+(?:\.\d+)?\s*[A-Za-z]*))?)?$"
)
_BARE_NUMBER = re.compile(r"^\s*[+-]?\d+(?:\.\d+)?\s*$")
_LEVEL = re.compile(r"[0-9]{1,6}(?:\.[0-9]{0,6})?")  # an outline level (spreadsheets write 2.0)
_PRIORITY = re.compile(r"[0-9]{1,9}")  # a priority, or a row number in a predecessors cell


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-./()]+", "", header.strip().lower().lstrip("\ufeff"))


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _with_unit(text: str) -> str:
    """Durations from spreadsheets: ``5`` means five days; estimates may be three-point."""
    parts = [p.strip() for p in text.split("/")]
    return "/".join(f"{p}d" if _BARE_NUMBER.match(p) else p for p in parts)


def _date(text: str) -> dt.date | str:
    """An ISO date (a date and time keeps the date); anything else is left for the loader to
    report at its row."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return text


def _percent(text: str) -> str:
    """``40%``, ``40`` and ``0.4`` all mean forty percent."""
    if text.endswith("%"):
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    return f"{value * 100:g}%" if "." in text and value <= 1 else f"{text}%"


def _split(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;,\n]", text) if p.strip()]


def parse_csv(data: bytes, name: str) -> tuple[ImportedPlan | None, list[Diagnostic]]:
    """Plan data from the bytes of a CSV (or tab-separated) task list."""
    text = decode(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            rows.append((reader.line_num, record))
    except csv.Error as exc:
        return None, [
            error(
                "E458",
                SourceLoc(name, reader.line_num),
                f"not a readable CSV file: {exc}",
                "save it from your spreadsheet as CSV (UTF-8)",
            )
        ]
    rows = [(n, r) for n, r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return None, [
            error("E458", SourceLoc(name), "the file is empty", "add a header row and tasks")
        ]
    header_line, header = rows[0]
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        key = _BY_NAME.get(_norm(title))
        if key is not None and key not in columns:
            columns[key] = index
        elif _norm(title) == "start" and "start" not in columns:
            columns["start"] = index  # scheduled starts: the earliest is the program's start
        elif _norm(title) and _norm(title) not in COMPUTED:
            ignored.append(title.strip())
    diagnostics: list[Diagnostic] = []
    if "title" not in columns and "id" not in columns:
        return None, [
            error(
                "E458",
                SourceLoc(name, header_line),
                "no title column in the header row",
                "name a column 'title' (or 'name'); others understood: "
                + ", ".join(sorted(ALIASES)),
            )
        ]
    if ignored:
        diagnostics.append(
            warning(
                "W457",
                SourceLoc(name, header_line),
                "columns not understood, ignored: " + ", ".join(ignored),
                "rename them to plan fields (" + ", ".join(sorted(ALIASES)) + ")",
            )
        )
    found = _Rows(name, columns, rows[1:])
    return found.build(), sorted_diagnostics([*diagnostics, *found.diagnostics])


class _Rows:
    def __init__(
        self, name: str, columns: Mapping[str, int], rows: Sequence[tuple[int, list[str]]]
    ):
        self.name = name
        self.columns = columns
        self.rows = rows
        self.out = ImportedPlan({}, name, "csv")
        self.person_ids = IdMaker("person")
        self.people: dict[str, str] = {}  # person id by the name the file gives
        self.teams: dict[str, list[str]] = {}  # team id -> the people assigned to its tasks
        self.diagnostics: list[Diagnostic] = []
        self.lines: list[int] = [n for n, _ in rows]

    def cell(self, row: Sequence[str], key: str) -> str:
        index = self.columns.get(key)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def build(self) -> ImportedPlan:
        ids = IdMaker("task")
        idents: list[str] = []
        # Ids first (the file's own, then made from titles), so dependencies can name any row.
        own = [self.cell(r, "id") for _, r in self.rows]
        ids.used.update(v for v in own if v)  # made-up ids never collide with the file's
        for (_, row), value in zip(self.rows, own, strict=True):
            idents.append(value or ids.make(self.cell(row, "title"), "task"))
        for line, ident in zip(self.lines, idents, strict=True):
            self.out.origins.setdefault(("tasks", ident), SourceLoc(self.name, line))
        # Where each row goes (a cycle of parents cut, an outline too deep moved up) decides
        # which rows are summaries.
        placed = arrange(idents, self.parents(idents))
        self.diagnostics += outline_problems(placed, self.task_loc)
        has_children = placed.summaries
        flat = []
        for n, ((_, row), ident) in enumerate(zip(self.rows, idents, strict=True)):
            flat.append(self.task(row, ident, ident in has_children, idents, own, n))
        nested = outline(flat, placed.parent)
        read = [(t["id"], SourceLoc(self.name, n)) for t, n in zip(flat, self.lines, strict=True)]
        self.diagnostics += left_out(read, nested.tasks, "rows of tasks")
        starts = [self.date(r, "start", n) for n, r in self.rows if self.cell(r, "start")]
        starts += [d for t in flat if isinstance(d := t.get("start_no_earlier_than"), dt.date)]
        known = [d for d in starts if isinstance(d, dt.date)]
        start = min(known, default=None)
        if start is None:  # a list of tasks has no first day of its own
            start = dt.date.today()
            self.out.remark(
                ("program", ""), "the program starts on the day of the import; set the real `start`"
            )
        self.out.data = {
            "program": {"name": self.name.rsplit("/", 1)[-1].rsplit(".", 1)[0], "start": start},
            "people": [
                {"id": ident, "name": name} if ident != name else {"id": ident}
                for name, ident in self.people.items()
            ],
            "teams": [{"id": t, "members": m} for t, m in self.teams.items()],
            "tasks": nested.tasks,
        }
        if self.teams:
            self.out.remark(
                ("teams", ""), "teams are made of the people assigned to their tasks in the file"
            )
        self.out.header = [
            f"Imported from {self.name} (CSV task list) by `ontrack import`.",
            "Add people, a calendar and risks to schedule and forecast it.",
        ]
        return self.out

    def task_loc(self, ident: str) -> SourceLoc:
        return self.out.origins.get(("tasks", ident), SourceLoc(self.name))

    def date(self, row: Sequence[str], key: str, line: int) -> dt.date | str | None:
        """An ISO date of the row (else its text, for the loader to report); W456 and None
        when the date is not in 1900-2200."""
        found = _date(self.cell(row, key))
        if isinstance(found, dt.date) and not in_horizon(found):
            self.diagnostics.append(
                warning(
                    "W456",
                    SourceLoc(self.name, line),
                    f"{key} {found} is not in {EARLIEST_DATE.year}-{LATEST_DATE.year}: ignored",
                    "check the year",
                )
            )
            return None
        return found

    def person(self, name: str) -> str:
        """Everyone assigned becomes a person of the plan, by a readable id."""
        if name not in self.people:
            self.people[name] = self.person_ids.take(name) or self.person_ids.make(name)
        return self.people[name]

    def parents(self, idents: Sequence[str]) -> dict[str, str | None]:
        parents: dict[str, str | None] = {}
        if "parent" in self.columns:  # cycles are cut (and reported) as the outline is nested
            known = set(idents)
            for (line, row), ident in zip(self.rows, idents, strict=True):
                parent = self.cell(row, "parent")
                parents[ident] = parent if parent in known else None
                if parent and parent not in known:
                    self.diagnostics.append(
                        warning(
                            "W451",
                            SourceLoc(self.name, line),
                            f"the parent of '{ident}', '{parent}', is not a task of the file: "
                            "the task is put at the top level",
                            "write the id of a task of the file in the parent column",
                            subjects=(ident,),
                        )
                    )
            return parents
        if "wbs" in self.columns:
            by_number = {}
            for (_, row), ident in zip(self.rows, idents, strict=True):
                number = self.cell(row, "wbs").rstrip(".")
                by_number[number] = ident
                head = number.rsplit(".", 1)[0] if "." in number else None
                parents[ident] = by_number.get(head) if head else None
            return parents
        if "level" in self.columns:
            stack: list[tuple[int, str]] = []
            for (_, row), ident in zip(self.rows, idents, strict=True):
                text = self.cell(row, "level")
                level = int(float(text)) if _LEVEL.fullmatch(text) else 1
                while stack and stack[-1][0] >= level:
                    stack.pop()
                parents[ident] = stack[-1][1] if stack else None
                stack.append((level, ident))
            return parents
        return dict.fromkeys(idents)

    def task(
        self,
        row: Sequence[str],
        ident: str,
        summary: bool,
        idents: Sequence[str],
        own: Sequence[str],
        index: int,
    ) -> dict[str, Any]:
        key = ("tasks", ident)
        data: dict[str, Any] = {"id": ident, "title": self.cell(row, "title") or ident}
        kind = self.cell(row, "kind").lower()
        milestone = kind == "milestone" or self.cell(row, "milestone").lower() in _TRUE
        estimate, duration = self.cell(row, "estimate"), self.cell(row, "duration")
        if summary:
            if estimate or duration:
                self.out.remark(key, "a summary task: its own estimate is left out")
        elif milestone:
            data["milestone"] = True
        elif estimate:
            data["estimate"] = _with_unit(estimate)
        elif duration:
            data["duration"] = _with_unit(duration)
        depends = self.depends(self.cell(row, "depends"), idents, own, key)
        if depends:
            data["depends"] = depends
        people = [self.person(p) for p in _split(self.cell(row, "assignee"))]
        if people and not summary and not milestone:
            data["assignee"] = people[0] if len(people) == 1 else people
        team = self.cell(row, "team")
        if team:
            data["team"] = team
            members = self.teams.setdefault(team, [])
            members.extend(p for p in people if p not in members)
        skills = _split(self.cell(row, "skills"))
        if skills:
            data["skills"] = skills
        priority = self.cell(row, "priority")
        if priority:
            data["priority"] = int(priority) if _PRIORITY.fullmatch(priority) else priority.lower()
        for field in ("deadline", "start_no_earlier_than"):
            if self.cell(row, field):
                value = self.date(row, field, self.lines[index])
                if value is not None:
                    data[field] = value
        tags = _split(self.cell(row, "tags"))
        if tags:
            data["tags"] = tags
        done = self.cell(row, "percent_complete")
        if done and not summary:
            data["percent_complete"] = _percent(done)
        notes = self.cell(row, "notes")
        if notes:
            data["notes"] = notes.replace("\r\n", "\n")
        return data

    def depends(
        self, text: str, idents: Sequence[str], own: Sequence[str], key: tuple[str, str]
    ) -> list[Any]:
        known = set(idents)
        out: list[Any] = []
        for token in _split(text):
            match = _DEP.match(token)
            if match is None:
                out.append(token)
                continue
            ref = match["ref"].strip()
            row_number = ref not in known and _PRIORITY.fullmatch(ref) and not any(own)
            if row_number and 1 <= int(ref) <= len(idents):
                ref = idents[int(ref) - 1]  # a row number, as MS Project's predecessors column
            kind = match["type"] or "FS"
            lag = (match["lag"] or "").replace(" ", "").lstrip("+")
            if lag and not re.search(r"[A-Za-z]$", lag):
                lag += "d"
            if kind == "FS" and not lag:
                out.append(ref)
            else:
                entry: dict[str, Any] = {"task": ref, "type": kind}
                if lag:
                    entry["lag"] = lag
                out.append(entry)
        return out
