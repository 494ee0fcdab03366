"""MS Project XML: what the export writes, plan -> MSPDI -> plan keeps the plan, and hostile or
broken XML is refused with a diagnostic (never a traceback)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ontrack.engines.schedule.planner import schedule
from ontrack.interop.importer import (
    import_file,
    parse_bytes,
    plan_from_import,
    plan_yaml,
    walk_tasks,
)
from ontrack.interop.mspdi import LINK_TYPE, day_spans, export_mspdi, parse_pt, pt
from ontrack.model import DepType, Plan
from ontrack.planfile import load_plan, load_plan_text
from tests.conftest import EXAMPLES, codes, load_doc

NS = "{http://schemas.microsoft.com/project}"


def _plan(name: str) -> Plan:
    plan, diagnostics = load_plan(EXAMPLES / name)
    assert plan is not None, diagnostics
    return plan


def _round_trip(plan: Plan, tmp_path: Path) -> tuple[Plan, dict[str, tuple[str, ...]]]:
    scheduled, problems = schedule(plan)
    assert scheduled is not None, problems
    path = tmp_path / "plan.xml"
    path.write_text(export_mspdi(plan, scheduled), encoding="utf-8")
    imported, diagnostics = import_file(path)
    assert imported is not None and not diagnostics, diagnostics
    back, problems = plan_from_import(imported)
    assert back is not None, [d.format() for d in problems]
    # The YAML a person gets loads to the same plan.
    again, _ = load_plan_text(plan_yaml(imported), "again.yaml")
    assert again is not None and [t.id for t in again.tasks] == [t.id for t in back.tasks]
    return back, {t.id: t.assignees for t in scheduled.tasks}


@pytest.mark.parametrize("example", ["small", "platform-migration"])
def test_round_trip_keeps_the_plan(example: str, tmp_path: Path) -> None:
    plan = _plan(example)
    back, assignees = _round_trip(plan, tmp_path)
    assert {t.id for t in back.tasks} == {t.id for t in plan.tasks}
    for task in plan.tasks:
        got = back.task_by_id[task.id]
        assert got.title == task.title
        assert got.parent == task.parent
        assert got.children == task.children
        assert got.milestone == task.milestone
        assert got.deadline == task.deadline
        assert got.start_no_earlier_than == task.start_no_earlier_than
        assert got.notes == task.notes.strip()
        assert got.priority == task.priority
        assert [(d.task, d.type, d.lag) for d in got.depends] == [
            (d.task, d.type, d.lag) for d in task.depends
        ]
        if not task.is_summary:
            assert got.estimate == task.estimate
            assert got.duration == task.duration
        if not task.is_summary and not task.milestone:
            assert set(got.assignees) == set(assignees[task.id])  # the schedule's people
    assert [p.id for p in back.people] == [p.id for p in plan.people]
    for person in plan.people:
        got_person = back.person_by_id[person.id]
        assert got_person.name == person.name
        assert got_person.email == person.email
        assert got_person.allocation == person.allocation
        assert got_person.rate == person.rate
        assert got_person.skills == person.skills
        assert got_person.calendar == person.calendar
        assert [(r.start, r.end) for r in got_person.time_off] == [
            (r.start, r.end) for r in person.time_off
        ]
    assert back.calendar.workweek == plan.calendar.workweek
    assert back.calendar.hours_per_day == plan.calendar.hours_per_day
    assert set(back.calendar.holidays) == set(plan.calendar.holidays)
    assert {c.id: set(c.holidays) for c in back.calendars} == {
        c.id: set(c.holidays) for c in plan.calendars
    }
    assert back.program.name == plan.program.name
    assert back.program.start == plan.program.start
    # Records point at the XML elements they came from.
    assert back.task_by_id[plan.tasks[0].id].loc.file.endswith("plan.xml")
    assert back.task_by_id[plan.tasks[0].id].loc.line > 0


def test_round_trip_of_odd_values(tmp_path: Path) -> None:
    plan, diagnostics = load_doc(
        """\
        program:
          name: "Odd: <values> & \\"quotes\\""
          start: 2026-03-02
        calendar:
          workweek: [mon, tue, wed, thu]
          hours_per_day: 7.5
          holidays: [2026-03-10..2026-03-12]
        people:
          - id: ana
            name: Ana Lima
            allocation: 60%
            rate: 100/hour
        tasks:
          - id: a
            title: "Needs: colons, # hashes and 'quotes'"
            estimate: 90m
            assignee: ana
            notes: |
              Two lines
              of notes
          - id: b
            title: Fixed wait
            duration: 1.5d/2d/4d
            depends: [{task: a, type: SF, lag: -3h}]
          - id: c
            title: Lead in hours
            estimate: 2d
            depends: [{task: b, type: FF, lag: 45m}]
            start_no_earlier_than: 2026-03-16
        """
    )
    assert plan is not None, diagnostics
    back, _ = _round_trip(plan, tmp_path)
    assert back.program.name == plan.program.name
    assert back.calendar.hours_per_day == plan.calendar.hours_per_day
    assert back.calendar.workweek == plan.calendar.workweek
    for task in plan.tasks:
        got = back.task_by_id[task.id]
        assert (got.title, got.estimate, got.duration) == (task.title, task.estimate, task.duration)
        assert [(d.task, d.type, d.lag) for d in got.depends] == [
            (d.task, d.type, d.lag) for d in task.depends
        ]
    assert back.task_by_id["a"].notes == "Two lines\nof notes"
    assert back.person_by_id["ana"].allocation == plan.person_by_id["ana"].allocation


def test_export_structure() -> None:
    plan = _plan("small")
    scheduled, _ = schedule(plan)
    root = ET.fromstring(export_mspdi(plan, scheduled))
    assert root.tag == f"{NS}Project"
    tasks = root.findall(f"{NS}Tasks/{NS}Task")
    assert len(tasks) == len(plan.tasks) + 1  # and the project summary, task 0
    assert tasks[0].findtext(f"{NS}OutlineLevel") == "0"
    flow = next(t for t in tasks if t.findtext(f"{NS}Name", "").startswith("Design single-page"))
    assert flow.findtext(f"{NS}Duration") == "PT128H0M0S"  # 8d of effort at half time
    assert flow.findtext(f"{NS}Work") == "PT64H0M0S"
    links = {
        (link.findtext(f"{NS}Type"), link.findtext(f"{NS}LinkLag"), link.findtext(f"{NS}LagFormat"))
        for link in flow.findall(f"{NS}PredecessorLink")
    }
    assert links == {("1", "0", "7"), ("3", "9600", "7")}  # FS; SS with 2d = 960 min in tenths
    assert len(root.findall(f"{NS}Resources/{NS}Resource")) == len(plan.people)
    assert root.findall(f"{NS}Assignments/{NS}Assignment")
    standard = root.find(f"{NS}Calendars/{NS}Calendar")
    assert standard is not None
    periods = standard.findall(f"{NS}Exceptions/{NS}Exception/{NS}TimePeriod/{NS}FromDate")
    assert {p.text for p in periods} == {"2026-01-19T00:00:00", "2026-02-16T00:00:00"}


def test_export_without_a_schedule_uses_the_plans_assignees() -> None:
    plan = _plan("small")
    root = ET.fromstring(export_mspdi(plan))
    assigned = root.findall(f"{NS}Assignments/{NS}Assignment")
    assert len(assigned) == sum(len(t.assignees) for t in plan.tasks if not t.is_summary)
    assert root.find(f"{NS}Tasks/{NS}Task/{NS}Start") is None


def test_mspdi_encodings() -> None:
    assert LINK_TYPE == {DepType.FF: 0, DepType.FS: 1, DepType.SF: 2, DepType.SS: 3}
    assert pt(2400) == "PT40H0M0S" and pt(90) == "PT1H30M0S"
    assert parse_pt("PT40H0M0S") == 2400
    assert parse_pt("PT8H30M0S") == 510
    assert parse_pt("P1DT2H") == 1560
    assert parse_pt("-PT1H0M0S") == -60
    assert day_spans(480) == [(480, 720), (780, 1020)]
    assert day_spans(240) == [(480, 720)]
    assert day_spans(1440) == [(0, 1440)]


# -- hostile and broken input --------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol3;</Name></Project>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&xxe;</Name></Project>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Project SYSTEM "http://example.invalid/evil.dtd">
<Project xmlns="http://schemas.microsoft.com/project"><Name>x</Name></Project>
"""


@pytest.mark.parametrize(
    "data", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "xxe", "dtd"]
)
def test_hostile_xml_is_refused(data: bytes) -> None:
    imported, diagnostics = parse_bytes(data, "evil.xml", "mspdi")
    assert imported is None
    assert codes(diagnostics) == ["E452"]
    assert diagnostics[0].loc.file == "evil.xml" and diagnostics[0].loc.line >= 2


def test_broken_xml_points_at_the_line() -> None:
    data = b'<?xml version="1.0"?>\n<Project>\n  <Tasks>\n</Project>\n'
    imported, diagnostics = parse_bytes(data, "broken.xml", "mspdi")
    assert imported is None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E451", 4)]


def test_other_xml_is_not_a_project() -> None:
    imported, diagnostics = parse_bytes(b"<html><body/></html>", "page.xml", "mspdi")
    assert imported is None
    assert codes(diagnostics) == ["E453"]


def test_bad_values_are_reported_at_their_element() -> None:
    data = b"""<?xml version="1.0"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <StartDate>2026-01-05T08:00:00</StartDate>
  <Tasks>
    <Task>
      <UID>1</UID><Name>A</Name><OutlineLevel>1</OutlineLevel>
      <Duration>three days</Duration>
    </Task>
  </Tasks>
</Project>
"""
    imported, diagnostics = parse_bytes(data, "bad.xml", "mspdi")
    assert imported is None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E454", 7)]


def test_links_outside_the_file_and_elapsed_lags(tmp_path: Path) -> None:
    data = b"""<?xml version="1.0"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <StartDate>2026-01-05T08:00:00</StartDate>
  <MinutesPerDay>480</MinutesPerDay><MinutesPerWeek>2400</MinutesPerWeek>
  <Tasks>
    <Task><UID>1</UID><Name>A</Name><OutlineLevel>1</OutlineLevel>
      <Duration>PT8H0M0S</Duration></Task>
    <Task><UID>2</UID><Name>B</Name><OutlineLevel>1</OutlineLevel>
      <Duration>PT8H0M0S</Duration>
      <PredecessorLink><PredecessorUID>1</PredecessorUID><Type>1</Type>
        <LinkLag>100800</LinkLag><LagFormat>8</LagFormat></PredecessorLink>
      <PredecessorLink><PredecessorUID>99</PredecessorUID><Type>1</Type></PredecessorLink>
    </Task>
  </Tasks>
  <Assignments>
    <Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>7</ResourceUID></Assignment>
  </Assignments>
</Project>
"""
    imported, diagnostics = parse_bytes(data, "links.xml", "mspdi")
    assert imported is not None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W451", 12), ("W455", 16)]
    plan, problems = plan_from_import(imported)
    assert plan is not None, problems
    dep = plan.task_by_id["b"].depends[0]
    assert dep.task == "a" and dep.lag.minutes == 2400  # 7 elapsed days: 5 working days
    assert "elapsed lag" in plan_yaml(imported)  # said in a comment above the task


# -- absurd values and outlines (the hardening issue) -------------------------------------------


def _project(tasks: str, head: str = "", tail: str = "") -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        '<Project xmlns="http://schemas.microsoft.com/project">\n'
        f"<StartDate>2026-01-05T08:00:00</StartDate>{head}\n"  # line 3
        f"<Tasks>\n{tasks}</Tasks>\n{tail}</Project>\n"
    ).encode()


def _task(uid: int, name: str, rest: str = "", level: int = 1) -> str:
    return (
        f"<Task><UID>{uid}</UID><Name>{name}</Name><OutlineLevel>{level}</OutlineLevel>"
        f"<Duration>PT8H0M0S</Duration>{rest}</Task>\n"
    )


@pytest.mark.parametrize(
    ("duration", "written"),
    [
        ("PT99999999999999999H0M0S", "2600d"),
        ("PT" + "9" * 5000 + "H", "2600d"),
        ("P99999999Y", "2600d"),
        ("-PT8H0M0S", "0d"),
    ],
)
def test_absurd_durations_are_clamped_with_w456(duration: str, written: str) -> None:
    data = _project(
        "<Task><UID>1</UID><Name>Big</Name><OutlineLevel>1</OutlineLevel>\n"  # line 5
        f"<Duration>{duration}</Duration></Task>\n" + _task(2, "Small")
    )
    imported, diagnostics = parse_bytes(data, "big.xml", "mspdi")
    assert imported is not None, [d.format() for d in diagnostics]
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W456", 6)]
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    big = plan.task_by_id["big"].duration
    assert big is not None and big.likely.format(8) == written
    scheduled, _ = schedule(plan)  # and the schedule runs
    assert scheduled is not None


@pytest.mark.parametrize(
    ("where", "tag", "value"),
    [
        ("head", "MinutesPerDay", "INF"),
        ("head", "MinutesPerDay", "-480"),
        ("head", "MinutesPerWeek", "1e999999999"),
        ("head", "StatusDate", "3000-01-01T00:00:00"),
        ("task", "Priority", "1e300"),
        ("task", "Deadline", "0001-01-01T00:00:00"),
        ("task", "Type", "NaN"),
        ("task", "PercentComplete", "-Infinity"),
        ("task", "Work", "PT99999999999999H"),
        ("task", "ActualStart", "9999-12-31T08:00:00"),
        ("resource", "MaxUnits", "1e300"),
        ("resource", "StandardRate", "sNaN"),
    ],
)
def test_numbers_and_dates_out_of_range_are_w456_never_a_crash(
    where: str, tag: str, value: str
) -> None:
    element = f"<{tag}>{value}</{tag}>"
    resource = "<Resources><Resource><UID>1</UID><Name>Ann</Name><Type>1</Type>{}</Resource>"
    data = _project(
        _task(1, "A", element if where == "task" else ""),
        element if where == "head" else "",
        resource.format(element if where == "resource" else "") + "</Resources>\n",
    )
    imported, diagnostics = parse_bytes(data, "odd.xml", "mspdi")
    assert imported is not None, [d.format() for d in diagnostics]
    assert codes(diagnostics) == ["W456"] and tag in diagnostics[0].message
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    scheduled, _ = schedule(plan)
    assert scheduled is not None


def test_an_outline_deeper_than_the_plan_reads_is_moved_up_and_nothing_is_lost() -> None:
    tasks = "".join(_task(k + 1, f"T{k}", level=k + 1) for k in range(40))
    tasks += "<Task><Name>No UID</Name><OutlineLevel>0</OutlineLevel></Task>\n"  # line 45
    imported, diagnostics = parse_bytes(_project(tasks), "deep.xml", "mspdi")
    assert imported is not None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W459", 25), ("W456", 45)]
    assert len(list(walk_tasks(imported.data["tasks"]))) == 41
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    assert plan.task_by_id["no-uid"].parent is None  # level 0 read as 1: at the top
