"""iCalendar, CSV, Excel and Mermaid exports, checked by reading them back with their own
readers (icalendar, csv, openpyxl)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from functools import cache
from typing import Any

import icalendar
import openpyxl
import pytest

from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast
from ontrack.engines.forecast.result import Forecast
from ontrack.engines.schedule.planner import schedule
from ontrack.engines.schedule.result import Schedule
from ontrack.interop.ical import milestones_ics
from ontrack.interop.mermaid import gantt_mermaid, label
from ontrack.interop.tables import (
    COLUMNS,
    FORECAST_COLUMNS,
    csv_text,
    tasks_csv,
    tasks_xlsx,
    xlsx_text,
)
from ontrack.model import Plan
from ontrack.planfile import load_plan
from tests.conftest import EXAMPLES, load_doc

STAMP = dt.datetime(2026, 1, 2, 9, 30, tzinfo=dt.UTC)


@cache
def _example(name: str) -> tuple[Plan, Schedule, Forecast]:
    plan, _ = load_plan(EXAMPLES / name)
    assert plan is not None
    scheduled, _ = schedule(plan)
    assert scheduled is not None
    result, problems = forecast(plan, ForecastOptions(iterations=300, seed=1))
    assert result is not None, problems
    return plan, scheduled, result


def _category(event: Any) -> str:
    return str(event["CATEGORIES"].cats[0])


@pytest.mark.parametrize("name", ["small", "platform-migration"])
def test_ics_has_an_event_per_milestone_and_release(name: str) -> None:
    plan, scheduled, result = _example(name)
    cal = icalendar.Calendar.from_ical(milestones_ics(plan, scheduled, result, stamp=STAMP))
    # Train departures, code freezes and hardening windows: tests/interop/test_ical_trains.py.
    trains = {"Train", "Code freeze", "Hardening"}
    events = [e for e in cal.walk("VEVENT") if _category(e) not in trains]
    milestones = [t for t in plan.tasks if t.milestone]
    assert len(events) == len(milestones) + len(plan.releases)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    finish = {t.id: t.finish for t in scheduled.tasks}
    for event in events:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert type(start) is dt.date and end == start + dt.timedelta(days=1)
        assert event.decoded("DTSTAMP") == STAMP
        assert "P80" in str(event["DESCRIPTION"])
    by_uid = {str(e["UID"]): e for e in events}
    for task in milestones:
        event = next(e for u, e in by_uid.items() if u.startswith(f"milestone-{task.id}@"))
        assert event.decoded("DTSTART") == finish[task.id]
        assert str(event["SUMMARY"]) == f"Milestone: {task.title}"
    for release in plan.releases:
        event = next(e for u, e in by_uid.items() if u.startswith(f"release-{release.id}@"))
        assert event.decoded("DTSTART") == release.date


def test_ics_without_a_forecast_is_stable() -> None:
    plan, scheduled, _ = _example("small")
    first = milestones_ics(plan, scheduled, None, stamp=STAMP)
    assert first == milestones_ics(plan, scheduled, None, stamp=STAMP)
    assert b"P80" not in first and first.startswith(b"BEGIN:VCALENDAR\r\n")


def test_csv_table() -> None:
    plan, scheduled, result = _example("small")
    rows = list(csv.DictReader(io.StringIO(tasks_csv(plan, scheduled, result))))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["id"] for r in rows] == [t.id for t in plan.tasks]
    design = next(r for r in rows if r["id"] == "flow-design")
    assert design["depends"] == "ux-research; funnel-analysis SS+2d"
    assert design["estimate"] == "5d/8d/12d"
    assert design["assignees"] == "sofia"
    assert design["mean_finish"] and not design["p50"]  # percentiles are for milestones
    launch = next(r for r in rows if r["id"] == "launch")
    assert launch["kind"] == "milestone" and launch["p50"] <= launch["p80"]
    plain = list(csv.DictReader(io.StringIO(tasks_csv(plan, scheduled))))
    assert not set(FORECAST_COLUMNS) & set(plain[0])


def test_xlsx_opens_with_the_expected_rows() -> None:
    plan, scheduled, result = _example("platform-migration")
    book = openpyxl.load_workbook(io.BytesIO(tasks_xlsx(plan, scheduled, result)))
    assert book.sheetnames == ["Tasks", "Forecast"]
    sheet = book["Tasks"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == len(plan.tasks) + 1
    header = {name: i for i, name in enumerate(COLUMNS)}
    ids = [str(r[header["id"]]) for r in rows[1:]]
    assert sorted(ids) == sorted(t.id for t in plan.tasks)
    placed = {t.id: t for t in scheduled.tasks}
    for row in rows[1:]:
        at = placed[str(row[header["id"]])]
        start = row[header["start"]]
        assert isinstance(start, dt.datetime) and start.date() == at.start  # a real date cell
        assert row[header["total_float_days"]] == at.total_float_days
    odds = list(book["Forecast"].iter_rows(values_only=True))
    assert len(odds) == len(result.milestones) + 2  # the header and the program finish


def test_xlsx_keeps_formulas_as_text() -> None:
    plan, diagnostics = load_doc(
        """\
        program: {name: Sheet, start: 2026-01-05}
        tasks:
          - {id: a, title: "=HYPERLINK(\\"http://x\\")", estimate: 1d}
        """
    )
    assert plan is not None, diagnostics
    scheduled, _ = schedule(plan)
    assert scheduled is not None
    book = openpyxl.load_workbook(io.BytesIO(tasks_xlsx(plan, scheduled)))
    cell = book["Tasks"]["D2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'


@pytest.mark.parametrize("name", ["small", "platform-migration"])
def test_mermaid_has_a_line_per_task_in_sections(name: str) -> None:
    plan, scheduled, _ = _example(name)
    text = gantt_mermaid(plan, scheduled)
    lines = text.splitlines()
    assert lines[:4] == [
        "gantt",
        f"    title {label(plan.program.name)}",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %b %d",
    ]
    body = lines[4:]
    assert body[0].startswith("    section ")
    sections = [line for line in body if line.startswith("    section ")]
    epics = [t for t in plan.tasks if t.parent is None and t.is_summary]
    task_lines = [line for line in body if not line.startswith("    section ")]
    assert len(task_lines) == len(plan.tasks) - len(epics)
    assert len(sections) >= len(epics)
    assert all(line.count(":") == 1 for line in task_lines)
    milestones = [line for line in task_lines if ":milestone," in line or ", milestone," in line]
    assert len(milestones) == sum(t.milestone for t in plan.tasks)


def test_mermaid_labels_are_safe() -> None:
    assert label("Phase 2: build; ship #1") == "Phase 2 build ship 1"
    assert label("Section of the docs").startswith("\u200b")
    assert label("") == "untitled"


# Titles a spreadsheet would run as formulas (OWASP's CSV injection list), and the control
# characters an .xlsx cell cannot hold.
FORMULAS = {
    "f1": '=HYPERLINK("http://x","click")',
    "f2": "+1+1",
    "f3": "@SUM(A1:A2)",
    "f4": "-2+3",
    "f5": "\t=1+1",
    "f6": "\r=1+1",
    "f7": 'a;=1+1,"b"',
}


def _hostile_plan() -> tuple[Plan, Schedule]:
    titles = {**FORMULAS, "late": "NUL\x00 BEL\x07 ESC\x1b[2J"}
    tasks = "".join(  # a JSON string is a YAML double-quoted scalar
        f"  - {{id: {ident}, title: {json.dumps(title)}, estimate: 1d}}\n"
        for ident, title in titles.items()
    )
    plan, diagnostics = load_doc(
        "program: {name: Sheet, start: 2026-01-05}\ntasks:\n"
        + tasks.replace("estimate: 1d}\n", "estimate: 5d, deadline: 2026-01-06}\n")
    )
    assert plan is not None, diagnostics
    assert {t.id: t.title for t in plan.tasks} == titles
    scheduled, _ = schedule(plan)
    assert scheduled is not None
    return plan, scheduled


def test_csv_cells_never_run_as_formulas() -> None:
    plan, scheduled = _hostile_plan()
    text = tasks_csv(plan, scheduled)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    for ident, title in FORMULAS.items():
        assert rows[ident]["title"] == ("'" + title if title[0] in "=+-@\t\r" else title)
    assert rows["f7"]["title"] == 'a;=1+1,"b"'  # quoted whole: no locale splits it at ';'
    # Every text cell is quoted; the numbers (a negative float too) are bare and unmangled.
    late = next(line for line in text.splitlines() if line.startswith('"late"'))
    assert rows["late"]["total_float_days"].startswith("-")
    assert f",{rows['late']['total_float_days']}," in late
    assert ",'-" not in late and '"-' not in late


def test_csv_text_and_xlsx_text() -> None:
    assert [csv_text(t) for t in ("=1", "+1", "-1", "@a", "\tx", "\rx")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "'\rx",
    ]
    assert csv_text("Payment API") == "Payment API" and csv_text("a=1") == "a=1"
    assert xlsx_text("a\x00b\x07c\x1b[2J\td\ne") == "a\\x00b\\x07c\\x1b[2J\td\ne"


def test_xlsx_with_control_characters_opens() -> None:
    plan, scheduled = _hostile_plan()
    book = openpyxl.load_workbook(io.BytesIO(tasks_xlsx(plan, scheduled)))
    rows = {r[0]: r for r in book["Tasks"].iter_rows(min_row=2, values_only=True)}
    assert rows["late"][3] == "NUL\\x00 BEL\\x07 ESC\\x1b[2J"
    for ident, title in FORMULAS.items():  # strings, never formulas, and not prefixed
        assert rows[ident][3] == title.replace("\r", "\n")  # XML reads a CR as a line end
    assert all(c.data_type == "s" for c in book["Tasks"]["D"][1:])
