"""Primavera P6 XER: the shared files import, a broken calendar is reported and skipped, and the
WBS, relationships, resources and progress of a small file come through."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ontrack.interop.importer import import_file, parse_bytes, plan_from_import, plan_yaml
from ontrack.interop.xer import calendar_of, parse_clndr_data
from ontrack.model import DepType
from tests.conftest import SHARED_DATA, codes, needs_shared

XER = SHARED_DATA / "projects" / "xer"

needs_xer = needs_shared(XER, "the shared Primavera files")


@needs_xer
@pytest.mark.parametrize("path", sorted(XER.glob("*.xer")), ids=lambda p: p.name)
def test_shared_files_import(path: Path) -> None:
    imported, diagnostics = import_file(path)
    assert imported is not None
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    assert plan.tasks and plan.tasks[0].is_summary  # the project's WBS node on top
    expected = ["W453"] if path.name == "invalid-8.4.xer" else []
    assert codes(diagnostics) == expected


@needs_xer
def test_invalid_calendar_is_named_at_its_line() -> None:
    imported, diagnostics = import_file(XER / "invalid-8.4.xer")
    assert imported is not None
    (warning,) = diagnostics
    assert warning.code == "W453" and warning.loc.line == 33
    assert "Test - Invalid" in warning.message


@needs_xer
def test_progress_and_rates() -> None:
    imported, _ = import_file(XER / "percent-complete-8.4.xer")
    assert imported is not None
    plan, _ = plan_from_import(imported)
    assert plan is not None
    assert plan.program.status_date == dt.date(2015, 2, 24)
    a1010 = plan.task_by_id["a1010"]
    assert a1010.actual_start == dt.date(2015, 2, 24)
    assert a1010.remaining is not None and a1010.remaining.minutes == 600 * 60
    imported, _ = import_file(XER / "resource-rates-test.xer")
    assert imported is not None
    plan, _ = plan_from_import(imported)
    assert plan is not None
    (person,) = plan.people
    assert str(person.rate) == "21/hour"  # the rate in force now, the 2023 one
    assert plan.task_by_id["a1000"].assignees == (person.id,)


FOUR_DAYS = (
    "(0||CalendarData()((0||DaysOfWeek()((0||1()())"
    "(0||2()((0||0(s|07:00|f|17:00)())))"
    "(0||3()((0||0(s|07:00|f|17:00)())))"
    "(0||4()((0||0(s|07:00|f|17:00)())))"
    "(0||5()((0||0(s|07:00|f|17:00)())))"
    "(0||6()())(0||7()())))(0||Exceptions()((0||0(d|45383)())))))"
)
SMALL = f"""ERMHDR\t19.12\t2024-01-01\tProject\tadmin\tadmin\tdbx\tProject Management\tUSD
%T\tCURRTYPE
%F\tcurr_id\tcurr_short_name\tbase_exch_rate
%R\t1\tEUR\t1
%T\tPROJECT
%F\tproj_id\tproj_short_name\tclndr_id\tplan_start_date\tlast_recalc_date
%R\t1\tDEMO\t10\t2024-03-04 08:00\t2024-03-04 08:00
%T\tCALENDAR
%F\tclndr_id\tdefault_flag\tclndr_name\tday_hr_cnt\tclndr_data
%R\t10\tY\tFour days\t10\t{FOUR_DAYS}
%T\tPROJWBS
%F\twbs_id\tproj_id\tseq_num\tproj_node_flag\twbs_short_name\twbs_name\tparent_wbs_id
%R\t100\t1\t0\tY\tDEMO\tDemo project\t
%R\t101\t1\t2\tN\tBUILD\tBuild\t100
%R\t102\t1\t1\tN\tDESIGN\tDesign\t100
%T\tRSRC
%F\trsrc_id\trsrc_name\trsrc_short_name\trsrc_type
%R\t7\tAda Byron\tADA\tRT_Labor
%R\t8\tCrane\tCRANE\tRT_Equip
%T\tTASK
%F\ttask_id\tproj_id\twbs_id\ttask_code\ttask_name\ttask_type\ttarget_drtn_hr_cnt\tstatus_code
%R\t1\t1\t102\tA100\tSketch\tTT_Task\t20\tTK_NotStart
%R\t2\t1\t101\tA200\tBuild it\tTT_Task\t40\tTK_NotStart
%R\t3\t1\t101\tA300\tDone\tTT_FinMile\t0\tTK_NotStart
%T\tTASKPRED
%F\ttask_id\tpred_task_id\tpred_type\tlag_hr_cnt
%R\t2\t1\tPR_SS\t10
%R\t3\t2\tPR_FS\t0
%R\t3\t99\tPR_FS\t0
%T\tTASKRSRC
%F\ttask_id\trsrc_id
%R\t1\t7
%R\t2\t8
%E
"""


def test_small_file() -> None:
    imported, diagnostics = parse_bytes(SMALL.encode(), "demo.xer", "xer")
    assert imported is not None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W452", 19), ("W451", 29)]
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    assert plan.program.currency == "EUR"
    assert plan.calendar.hours_per_day == 10
    assert plan.calendar.workweek == frozenset({0, 1, 2, 3})
    assert plan.calendar.holidays == (dt.date(2024, 4, 1),)
    assert [t.id for t in plan.tasks] == ["demo", "design", "a100", "build", "a200", "a300"]
    assert plan.task_by_id["design"].parent == "demo"
    assert plan.task_by_id["a100"].duration is not None
    assert plan.task_by_id["a100"].duration.likely.minutes == 20 * 60  # 2d of 10 hours
    (dep,) = plan.task_by_id["a200"].depends
    assert (dep.task, dep.type, dep.lag.minutes) == ("a100", DepType.SS, 600)
    assert plan.task_by_id["a300"].milestone
    assert plan.task_by_id["a100"].assignees == ("ada",)
    assert "lag: 1d" in plan_yaml(imported)


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("<html></html>", "E455", 1),
        ("ERMHDR\t8.4\n%R\t1\t2\n", "E456", 2),
        ("ERMHDR\t8.4\n%T\tTASK\n%F\ta\tb\n%R\t1\t2\t3\n", "E456", 4),
        ("ERMHDR\t8.4\n%T\tTASK\n%F\ta\n%E\n", "E457", 1),
    ],
)
def test_broken_files(text: str, code: str, line: int) -> None:
    imported, diagnostics = parse_bytes(text.encode(), "bad.xer", "xer")
    assert imported is None
    assert [(d.code, d.loc.line) for d in diagnostics] == [(code, line)]


def test_calendar_notation() -> None:
    name, _, children = parse_clndr_data("(0||CalendarData()((0||DaysOfWeek()())))")
    assert name == "CalendarData" and children[0][0] == "DaysOfWeek"
    with pytest.raises(ValueError):
        parse_clndr_data("(0||CalendarData()(")
    cal = calendar_of({"day_hr_cnt": "7.5", "clndr_data": ""})
    assert cal.hours_per_day == 7.5 and cal.workweek == ["mon", "tue", "wed", "thu", "fri"]
