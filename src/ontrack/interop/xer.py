"""Primavera P6 XER files in: the WBS, activities, relationships, the project calendar, labour
resources and their assignments.

XER is tab-separated text: ``%T`` names a table, ``%F`` its fields, each ``%R`` a row, ``%E``
ends the file. P6 schedules by durations, so activities keep their original duration as
``duration`` (elapsed working time); milestones stay milestones; WBS nodes become summary tasks,
the project's own node included, as P6 shows it at the top of the WBS. Progress (actual dates,
remaining duration) is kept, as of the project's data date.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ontrack.diagnostics import Diagnostic, SourceLoc, error, sorted_diagnostics, warning
from ontrack.interop.kit import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_WORK_DAYS,
    IdMaker,
    ImportedPlan,
    cycle_text,
    date_ranges,
    duration_text,
    find_cycles,
    hours_text,
    in_horizon,
    left_out,
    max_minutes,
    outline,
    outline_problems,
    percent_text,
    shown,
)
from ontrack.model import WEEKDAYS

_LINK_TYPES = {"PR_FS": "FS", "PR_SS": "SS", "PR_FF": "FF", "PR_SF": "SF"}
_MILESTONES = frozenset({"TT_Mile", "TT_FinMile"})
_PLANNED_STARTS = ("target_start_date", "early_start_date")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # P6 calendars count days from here, as spreadsheets do


@dataclass
class Table:
    name: str
    fields: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the file line of each row


class XerError(ValueError):
    def __init__(self, code: str, message: str, line: int, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.hint = hint


def decode(data: bytes) -> str:
    """XER files are UTF-8 when recent, Windows-1252 (P6's default) when older."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_tables(text: str) -> dict[str, Table]:
    """The tables of an XER file; raises :class:`XerError` when it is not one."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("ERMHDR"):
        raise XerError(
            "E455",
            "not a Primavera XER file (it does not start with ERMHDR)",
            1,
            "in P6: File > Export > Primavera PM (XER)",
        )
    tables: dict[str, Table] = {}
    current: Table | None = None
    for number, line in enumerate(lines[1:], start=2):
        kind, _, rest = line.partition("\t")
        if kind == "%T":
            current = tables.setdefault(rest.strip(), Table(rest.strip(), []))
        elif kind == "%F":
            if current is None:
                raise XerError("E456", "%F (fields) before any %T (table)", number)
            current.fields = rest.split("\t")
        elif kind == "%R":
            if current is None or not current.fields:
                raise XerError("E456", "%R (row) before the table's %F (fields)", number)
            values = rest.split("\t")
            if len(values) > len(current.fields) and any(v for v in values[len(current.fields) :]):
                raise XerError(
                    "E456",
                    f"row of {current.name} has {len(values)} values for "
                    f"{len(current.fields)} fields",
                    number,
                    "the file is damaged; export it again",
                )
            current.rows.append(dict(zip(current.fields, values, strict=False)))
            current.lines.append(number)
        elif kind == "%E":
            break
    return tables


@dataclass
class _Cal:
    """A P6 calendar as the plan needs it."""

    hours_per_day: Fraction
    workweek: list[str]
    holidays: list[dt.date]
    extra_working: int = 0
    problems: list[str] = field(default_factory=list)  # parts that were left out, and why


def parse_clndr_data(text: str) -> Any:
    """P6's calendar notation, ``(0||Name(attr|value)(children))``, as nested tuples
    (name, attributes, children). Raises ValueError when it is cut short or malformed."""
    pos = 0
    text = text.replace("\x7f", " ")

    def skip() -> None:
        nonlocal pos
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1

    def expect(char: str) -> None:
        nonlocal pos
        skip()
        if pos >= len(text) or text[pos] != char:
            found = text[pos] if pos < len(text) else "the end"
            raise ValueError(f"expected '{char}' at {pos}, found {found!r}")
        pos += 1

    def until(char: str) -> str:
        nonlocal pos
        end = text.find(char, pos)
        if end < 0:
            raise ValueError(f"missing '{char}' after {pos}")
        value = text[pos:end]
        pos = end
        return value

    def node(depth: int) -> tuple[str, dict[str, str], list[Any]]:
        nonlocal pos
        if depth > 32:
            raise ValueError("calendar data nested too deep")
        expect("(")
        head = until("(")
        name = head.split("||", 1)[-1].strip()
        expect("(")
        parts = until(")").split("|")
        attrs = {parts[k].strip(): parts[k + 1].strip() for k in range(0, len(parts) - 1, 2)}
        expect(")")
        expect("(")
        children = []
        skip()
        while pos < len(text) and text[pos] == "(":
            children.append(node(depth + 1))
            skip()
        expect(")")
        expect(")")
        return name, attrs, children

    return node(0)


def _minutes_of(spans: Sequence[Any]) -> int:
    total = 0
    for _, attrs, _ in spans:
        begin, end = attrs.get("s"), attrs.get("f")
        if not begin or not end:
            continue
        a, b = dt.time.fromisoformat(begin), dt.time.fromisoformat(end)
        start, stop = a.hour * 60 + a.minute, b.hour * 60 + b.minute
        total += (stop - start) if stop > start else 1440 - start + stop
    return total


# Day numbers of calendar exceptions a plan can hold (1900-2200), and the week's day numbers.
_SERIALS = range((EARLIEST_DATE - _EXCEL_EPOCH).days, (LATEST_DATE - _EXCEL_EPOCH).days + 1)
_DAY_NUMBERS = {str(n): WEEKDAYS[(n + 5) % 7] for n in range(1, 8)}  # 1 = Sunday


def calendar_of(row: Mapping[str, str]) -> _Cal:
    """Week and holidays of a CALENDAR row; raises ValueError when its data is unreadable.
    A day length or an exception day out of range is left out and said in ``problems``."""
    problems: list[str] = []
    hours = Fraction(8)
    given = row.get("day_hr_cnt", "").strip()
    if given:
        found = _number(given)
        if found is not None and 0 < found <= 24:
            hours = Fraction(found)
        else:
            problems.append(f"hours per day '{shown(given)}' is not 0-24: 8 is used")
    data = row.get("clndr_data", "").strip()
    if not data:
        return _Cal(hours, ["mon", "tue", "wed", "thu", "fri"], [], problems=problems)
    _, _, sections = parse_clndr_data(data)
    workweek: list[str] = []
    holidays: list[dt.date] = []
    extra = 0
    for name, _, children in sections:
        if name == "DaysOfWeek":
            for day, _, spans in children:
                if day in _DAY_NUMBERS and _minutes_of(spans) > 0:
                    workweek.append(_DAY_NUMBERS[day])
        elif name == "Exceptions":
            for _, attrs, spans in children:
                serial = attrs.get("d", "")
                if not re.fullmatch(r"[0-9]{1,12}", serial) or int(serial) not in _SERIALS:
                    problems.append(
                        f"exception day '{shown(serial)}' is not a date in "
                        f"{EARLIEST_DATE.year}-{LATEST_DATE.year}: ignored"
                    )
                    continue
                if _minutes_of(spans) > 0:
                    extra += 1
                else:
                    holidays.append(_EXCEL_EPOCH + dt.timedelta(days=int(serial)))
    order = {d: n for n, d in enumerate(WEEKDAYS)}
    return _Cal(hours, sorted(workweek, key=order.__getitem__), holidays, extra, problems)


def _number(value: str | None) -> Decimal | None:
    """A finite number (not ``inf``, ``nan``), else None."""
    if value is None or not value.strip() or len(value) > 64:
        return None
    try:
        found = Decimal(value.strip())
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def _when(value: str | None) -> dt.date | None:
    if not value or not value.strip():
        return None
    try:
        return dt.datetime.fromisoformat(value.strip()).date()
    except ValueError:
        return None


def _first_of(row: Mapping[str, str], *keys: str) -> str:
    """The first of ``keys`` the row has a value for (else the last)."""
    return next((k for k in keys if row.get(k, "").strip()), keys[-1])


def _plain_text(memo: str) -> str:
    """Notes from P6's HTML memos."""
    text = re.sub(r"<\s*(br|/p|/div|/li)\s*/?>", "\n", memo, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]*>", "", text)).replace("\x7f\x7f", "\n")
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


class _Reader:
    def __init__(self, tables: dict[str, Table], name: str) -> None:
        self.tables = tables
        self.name = name
        self.out = ImportedPlan({}, name, "xer")
        self.diagnostics: list[Diagnostic] = []

    def rows(self, table: str) -> Iterator[tuple[dict[str, str], int]]:
        found = self.tables.get(table)
        if found is not None:
            yield from zip(found.rows, found.lines, strict=True)

    def loc(self, line: int) -> SourceLoc:
        return SourceLoc(self.name, line)

    def out_of_range(self, line: int, key: str, text: str, problem: str) -> None:
        self.diagnostics.append(
            warning(
                "W456",
                self.loc(line),
                f"{key} '{shown(text)}' {problem}",
                "fix the value in P6 and export again",
            )
        )

    def number(self, row: Mapping[str, str], key: str, line: int) -> Decimal | None:
        """A number of the row (None when empty); W456 when it is not a finite number."""
        text = row.get(key, "")
        if not text.strip():
            return None
        found = _number(text)
        if found is None:
            self.out_of_range(line, key, text, "is not a number: ignored")
        return found

    def date(self, row: Mapping[str, str], key: str, line: int) -> dt.date | None:
        """A date of the row (None when empty or unreadable); W456 outside 1900-2200."""
        found = _when(row.get(key))
        if found is not None and not in_horizon(found):
            self.out_of_range(
                line,
                key,
                row.get(key, ""),
                f"is not in {EARLIEST_DATE.year}-{LATEST_DATE.year}: ignored",
            )
            return None
        return found

    def hours(
        self, row: Mapping[str, str], key: str, line: int, *, lag: bool = False
    ) -> int | None:
        """Working minutes of an hours field: a duration (at least zero) or a lag, at most
        ``MAX_WORK_DAYS`` working days; W456 when the value is clamped."""
        found = self.number(row, key, line)
        if found is None:
            return None
        limit = max_minutes(self.hours_per_day)
        low = -limit if lag else 0
        minutes = found * 60
        if low <= minutes <= limit:
            return round(minutes)
        clamped = int(min(max(minutes, Decimal(low)), Decimal(limit)))
        problem = f"is over {MAX_WORK_DAYS} working days"
        if minutes < 0 and not lag:
            problem = "is negative"
        self.out_of_range(
            line,
            key,
            row.get(key, ""),
            f"(hours) {problem}: {duration_text(clamped, self.hours_per_day)} is used",
        )
        return clamped

    def read(self) -> tuple[ImportedPlan | None, list[Diagnostic]]:
        projects = list(self.rows("PROJECT"))
        projects = [(p, n) for p, n in projects if p.get("project_flag", "Y") != "N"] or projects
        if not projects:
            self.diagnostics.append(
                error(
                    "E457",
                    self.loc(1),
                    "the file has no project (no PROJECT table rows)",
                    "export a project, not only resources or codes",
                )
            )
            return None, self.diagnostics
        project, line = projects[0]
        if len(projects) > 1:
            others = ", ".join(p.get("proj_short_name", "?") for p, _ in projects[1:])
            self.diagnostics.append(
                warning(
                    "W454",
                    self.loc(projects[1][1]),
                    f"the file holds {len(projects)} projects; only "
                    f"'{project.get('proj_short_name')}' is imported (not {others})",
                    "export each project to its own file",
                )
            )
        proj_id = project.get("proj_id", "")
        self.orphans({p.get("proj_id", "") for p, _ in self.rows("PROJECT")})
        cal = self.calendar(project)
        self.hours_per_day = cal.hours_per_day
        wbs = [(r, n) for r, n in self.rows("PROJWBS") if r.get("proj_id") == proj_id]
        node = next((r for r, _ in wbs if r.get("proj_node_flag") == "Y"), None)
        start = (
            self.date(project, "plan_start_date", line)
            or self.date(project, "last_recalc_date", line)
            or min(
                (
                    d
                    for r, n in self.rows("TASK")
                    if r.get("proj_id") == proj_id
                    and (d := self.date(r, _first_of(r, *_PLANNED_STARTS), n))
                ),
                default=None,
            )
        )
        if start is None:
            self.diagnostics.append(
                error("E457", self.loc(line), "the project has no start date", "set it in P6")
            )
            return None, self.diagnostics
        title = (node or {}).get("wbs_name") or project.get("proj_short_name") or self.name
        program: dict[str, Any] = {"name": title, "start": start}
        currency = self.currency()
        if currency:
            program["currency"] = currency
        data = self.out.data
        data["program"] = program
        self.out.origins[("program", "")] = self.loc(line)
        data["calendar"] = {
            "workweek": cal.workweek or ["mon", "tue", "wed", "thu", "fri"],
            "hours_per_day": hours_text(min(cal.hours_per_day, Fraction(24))),
        }
        if cal.holidays:
            data["calendar"]["holidays"] = date_ranges(cal.holidays)
        people, resources = self.people()
        if people:
            data["people"] = people
        flat, parents = self.tasks(proj_id, wbs, resources)
        nested = outline(flat, parents)
        data["tasks"] = nested.tasks
        self.diagnostics += outline_problems(nested, self.task_loc)
        read = [(t["id"], self.task_loc(t["id"])) for t in flat]
        self.diagnostics += left_out(read, nested.tasks, "activities and WBS nodes")
        if any(k in t for t in flat for k in ("actual_start", "actual_finish", "remaining")):
            status = self.date(project, "last_recalc_date", line)
            actuals = [t[k] for t in flat for k in ("actual_start", "actual_finish") if k in t]
            latest = max([status, *actuals] if status else actuals)
            program["status_date"] = latest
        self.out.header = [
            f"Imported from {self.name} (Primavera P6 XER) by `ontrack import`.",
            "Activities keep their original duration as `duration` (elapsed working time); "
            f"a day (d) is {hours_text(self.hours_per_day)} hours, as in the project calendar.",
        ]
        return self.out, self.diagnostics

    def task_loc(self, ident: str) -> SourceLoc:
        return self.out.origins.get(("tasks", ident), self.loc(0))

    def orphans(self, projects: set[str]) -> None:
        """W458 for WBS nodes and activities of no project in the file: they are left out."""
        for table, what in (("PROJWBS", "WBS nodes"), ("TASK", "activities")):
            lines = [n for r, n in self.rows(table) if r.get("proj_id", "") not in projects]
            if lines:
                self.diagnostics.append(
                    warning(
                        "W458",
                        self.loc(lines[0]),
                        f"{len(lines)} {what} belong to no project of the file "
                        f"(proj_id not in PROJECT): left out",
                        "export the whole project from P6",
                    )
                )

    def currency(self) -> str | None:
        for row, _ in self.rows("CURRTYPE"):
            if _number(row.get("base_exch_rate")) == 1 and re.fullmatch(
                r"[A-Z]{3}", row.get("curr_short_name", "")
            ):
                return row["curr_short_name"]
        return None

    def calendar(self, project: Mapping[str, str]) -> _Cal:
        """The project's calendar (else the default one); unreadable calendars are reported and
        skipped, whichever they are."""
        wanted = project.get("clndr_id")
        chosen: _Cal | None = None
        fallback: _Cal | None = None
        for row, line in self.rows("CALENDAR"):
            try:
                cal = calendar_of(row)
            except (ValueError, ArithmeticError) as exc:
                self.diagnostics.append(
                    warning(
                        "W453",
                        self.loc(line),
                        f"calendar '{row.get('clndr_name', row.get('clndr_id'))}' cannot be "
                        f"read ({exc}): ignored",
                        "fix it in P6 (Enterprise > Calendars) and export again",
                    )
                )
                continue
            for problem in cal.problems:
                self.diagnostics.append(
                    warning(
                        "W453",
                        self.loc(line),
                        f"calendar '{row.get('clndr_name', row.get('clndr_id'))}': {problem}",
                        "fix it in P6 (Enterprise > Calendars) and export again",
                    )
                )
            if row.get("clndr_id") == wanted:
                chosen = cal
                if cal.extra_working:
                    self.out.remark(
                        ("calendar", ""),
                        f"{cal.extra_working} extra working days of the P6 calendar "
                        "are not carried over",
                    )
            elif row.get("default_flag") == "Y" and fallback is None:
                fallback = cal
        return chosen or fallback or _Cal(Fraction(8), ["mon", "tue", "wed", "thu", "fri"], [])

    def people(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        ids = IdMaker("person")
        rates: dict[str, tuple[str, Decimal | None, Decimal | None]] = {}
        for row, line in self.rows("RSRCRATE"):
            rid = row.get("rsrc_id", "")
            when = row.get("start_date", "")
            if rid not in rates or when >= rates[rid][0]:  # the latest rate applies now
                rates[rid] = (
                    when,
                    self.number(row, "cost_per_qty", line),
                    self.number(row, "max_qty_per_hr", line),
                )
        people: list[dict[str, Any]] = []
        resources: dict[str, str] = {}
        for row, line in self.rows("RSRC"):
            rid = row.get("rsrc_id", "")
            name = row.get("rsrc_name") or row.get("rsrc_short_name") or rid
            if row.get("rsrc_type", "RT_Labor") != "RT_Labor":
                kind = "equipment" if row.get("rsrc_type") == "RT_Equip" else "material"
                self.diagnostics.append(
                    warning(
                        "W452",
                        self.loc(line),
                        f"resource '{name}' is {kind}, not a person: left out",
                        "plans schedule people; record costs as a task's `cost`",
                    )
                )
                continue
            ident = ids.make(row.get("rsrc_short_name") or name, f"r{rid}")
            resources[rid] = ident
            person: dict[str, Any] = {"id": ident, "name": name}
            if row.get("email_addr"):
                person["email"] = row["email_addr"]
            _, cost, units = rates.get(rid, ("", None, None))
            if units is not None and 0 < units < 1:
                person["allocation"] = percent_text(units)
            if cost:
                person["rate"] = f"{format(cost.normalize(), 'f')}/hour"
            people.append(person)
            self.out.origins[("people", ident)] = self.loc(line)
        return people, resources

    def tasks(
        self,
        proj_id: str,
        wbs: Sequence[tuple[dict[str, str], int]],
        resources: Mapping[str, str],
    ) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
        ids = IdMaker("task")
        activities = [(r, n) for r, n in self.rows("TASK") if r.get("proj_id") == proj_id]
        activities = self.unique(activities, "task_id", "activity")
        wbs = self.unique(wbs, "wbs_id", "WBS node")
        # Rows are known by their P6 key (task_id, wbs_id), or by their line when it is missing.
        act_keys = [r.get("task_id") or f"@{n}" for r, n in activities]
        wbs_keys = [r.get("wbs_id") or f"@{n}" for r, n in wbs]
        # Activity ids first: they are what P6 users know the work by.
        act_ids: dict[str, str] = {}
        for (r, n), key in zip(activities, act_keys, strict=True):
            act_ids[key] = ids.make(
                r.get("task_code") or r.get("task_name", ""), f"a{r.get('task_id') or n}"
            )
        wbs_ids: dict[str, str] = {}
        for (r, n), key in zip(wbs, wbs_keys, strict=True):
            wbs_ids[key] = ids.make(
                r.get("wbs_short_name") or r.get("wbs_name", ""), f"w{r.get('wbs_id') or n}"
            )
        assigned: dict[str, list[str]] = {}
        for row, _ in self.rows("TASKRSRC"):
            person = resources.get(row.get("rsrc_id", ""))
            task = row.get("task_id", "")
            if person is None:  # equipment or material (reported there), or a bare role
                continue
            if person not in assigned.setdefault(task, []):
                assigned[task].append(person)
        memos = {r.get("task_id", ""): r.get("task_memo", "") for r, _ in self.rows("TASKMEMO")}
        preds = self.relationships(act_ids)
        # The WBS: each node's parent in this project (None at the top); a cycle is reported
        # and cut at its node that comes first in the file, so every node is written.
        wbs_line = dict(zip(wbs_keys, (n for _, n in wbs), strict=True))
        parent_of: dict[str, str | None] = {}
        for (row, _), key in zip(wbs, wbs_keys, strict=True):
            parent = row.get("parent_wbs_id")
            parent_of[key] = parent if parent in wbs_line else None
        for cycle in find_cycles(parent_of):
            first = wbs_ids[cycle[0]]
            self.diagnostics.append(
                error(
                    "E459",
                    self.loc(wbs_line[cycle[0]]),
                    "WBS nodes are their own parents: "
                    f"{cycle_text(cycle, lambda k: repr(wbs_ids[k]))} "
                    f"(parent_wbs_id); '{first}' is put at the top level",
                    "give the WBS node a parent that is not one of its own children in P6",
                    subjects=[wbs_ids[k] for k in cycle],
                    related=[self.loc(wbs_line[k]) for k in cycle[1:]],
                )
            )
            parent_of[cycle[0]] = None
        children: dict[str | None, list[tuple[dict[str, str], str]]] = {}
        for (row, _), key in zip(wbs, wbs_keys, strict=True):
            children.setdefault(parent_of[key], []).append((row, key))
        by_wbs: dict[str | None, list[tuple[dict[str, str], int, str]]] = {}
        for (row, line), key in zip(activities, act_keys, strict=True):
            home = row.get("wbs_id")
            by_wbs.setdefault(home if home in wbs_line else None, []).append((row, line, key))
        flat: list[dict[str, Any]] = []
        parents: dict[str, str | None] = {}

        def emit_activities(home: str | None) -> None:
            for row, line, key in by_wbs.get(home, []):
                ident = act_ids[key]
                flat.append(
                    self.activity(
                        row,
                        line,
                        ident,
                        preds.get(key, []),
                        assigned.get(row.get("task_id", ""), []),
                        memos.get(row.get("task_id", ""), ""),
                    )
                )
                parents[ident] = wbs_ids.get(home or "")
                self.out.origins[("tasks", ident)] = self.loc(line)

        # Nodes in P6's order (sequence number), each before its activities, then its children;
        # an explicit stack, as a WBS may be deeper than Python's recursion.
        def ordered(parent: str | None) -> list[tuple[dict[str, str], str]]:
            nodes = children.get(parent, [])
            return sorted(nodes, key=lambda rk: _number(rk[0].get("seq_num")) or 0)

        stack = list(reversed(ordered(None)))
        while stack:
            row, key = stack.pop()
            ident = wbs_ids[key]
            flat.append({"id": ident, "title": row.get("wbs_name") or ident})
            parents[ident] = wbs_ids.get(parent_of[key] or "")
            self.out.origins[("tasks", ident)] = self.loc(wbs_line[key])
            emit_activities(key)
            stack.extend(reversed(ordered(key)))
        emit_activities(None)
        return flat, parents

    def unique(
        self, rows: Sequence[tuple[dict[str, str], int]], key: str, what: str
    ) -> list[tuple[dict[str, str], int]]:
        """Rows with a ``key`` no earlier row has; W458 for each one left out."""
        first: dict[str, int] = {}
        kept: list[tuple[dict[str, str], int]] = []
        for row, line in rows:
            value = row.get(key, "")
            if value and value in first:
                self.diagnostics.append(
                    warning(
                        "W458",
                        self.loc(line),
                        f"{what} {key} {shown(value)} is also at line {first[value]}: "
                        "this row is left out",
                        "the file is damaged; export it again",
                    )
                )
                continue
            first.setdefault(value, line)
            kept.append((row, line))
        return kept

    def relationships(self, act_ids: Mapping[str, str]) -> dict[str, list[Any]]:
        """Each activity's predecessors, by its P6 key."""
        preds: dict[str, list[Any]] = {}
        for row, line in self.rows("TASKPRED"):
            succ, pred = row.get("task_id", ""), row.get("pred_task_id", "")
            if succ not in act_ids:
                continue
            if pred not in act_ids:
                self.diagnostics.append(
                    warning(
                        "W451",
                        self.loc(line),
                        f"'{act_ids[succ]}' depends on activity {shown(pred)}, which is not in "
                        "this project: dropped",
                        "add the dependency by hand if it matters",
                        subjects=(act_ids[succ],),
                    )
                )
                continue
            kind = _LINK_TYPES.get(row.get("pred_type", "PR_FS"), "FS")
            lag = self.hours(row, "lag_hr_cnt", line, lag=True) or 0
            if kind == "FS" and lag == 0:
                preds.setdefault(succ, []).append(act_ids[pred])
            else:
                entry: dict[str, Any] = {"task": act_ids[pred], "type": kind}
                if lag:
                    entry["lag"] = duration_text(lag, self.hours_per_day)
                preds.setdefault(succ, []).append(entry)
        return preds

    def activity(
        self,
        row: Mapping[str, str],
        line: int,
        ident: str,
        depends: list[Any],
        people: list[str],
        memo: str,
    ) -> dict[str, Any]:
        key = ("tasks", ident)
        data: dict[str, Any] = {"id": ident, "title": row.get("task_name") or ident}
        kind = row.get("task_type", "TT_Task")
        if kind in _MILESTONES:
            data["milestone"] = True
        else:
            minutes = self.hours(row, "target_drtn_hr_cnt", line) or 0
            data["duration"] = duration_text(minutes, self.hours_per_day)
            if kind == "TT_LOE":
                self.out.remark(key, "a level-of-effort activity in P6: imported with its duration")
            elif kind == "TT_WBS":
                self.out.remark(key, "a WBS summary activity in P6: imported with its duration")
        if depends:
            data["depends"] = depends
        if people and kind not in _MILESTONES:
            data["assignee"] = people[0] if len(people) == 1 else people
        constraint, when = row.get("cstr_type", ""), self.date(row, "cstr_date", line)
        if when is not None and constraint:
            if constraint in ("CS_MSOA", "CS_MSO"):
                data["start_no_earlier_than"] = when
                if constraint == "CS_MSO":
                    self.out.remark(key, f"'start on {when}' became 'start no earlier than'")
            elif constraint in ("CS_MEOB", "CS_MEO"):
                data["deadline"] = when
            else:
                self.out.remark(key, f"P6 constraint {constraint} {when} not carried over")
        notes = _plain_text(memo) if memo else ""
        if notes:
            data["notes"] = notes
        started = self.date(row, "act_start_date", line)
        finished = self.date(row, "act_end_date", line)
        status = row.get("status_code", "")
        if started is not None:
            data["actual_start"] = started
        if (
            finished is not None
            and status == "TK_Complete"
            and (not started or finished >= started)
        ):
            data["actual_finish"] = finished
        elif status == "TK_Active" and kind not in _MILESTONES:
            left = self.hours(row, "remain_drtn_hr_cnt", line)
            if left is not None:
                data["remaining"] = duration_text(left, self.hours_per_day)
        return data


def parse_xer(data: bytes, name: str) -> tuple[ImportedPlan | None, list[Diagnostic]]:
    """Plan data from the bytes of an XER file."""
    try:
        tables = read_tables(decode(data))
    except XerError as exc:
        return None, [error(exc.code, SourceLoc(name, exc.line), exc.message, exc.hint)]
    imported, diagnostics = _Reader(tables, name).read()
    return imported, sorted_diagnostics(diagnostics)
