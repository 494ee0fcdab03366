"""Primavera P6 XER: the shared files import, a broken calendar is reported and skipped, and the
WBS, relationships, resources and progress of a small file come through."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest

from ontrack.engines.schedule.planner import schedule
from ontrack.interop.importer import (
    import_file,
    load_any,
    parse_bytes,
    plan_from_import,
    plan_yaml,
    walk_tasks,
)
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


# -- hostile files: a broken WBS, absurd numbers (the hardening issue) --------------------------

_HEAD = (
    "ERMHDR\t19.12\t2024-01-01\tProject\tadmin\tadmin\tdbx\tProject Management\tUSD\n"
    "%T\tPROJECT\n%F\tproj_id\tproj_short_name\tclndr_id\tplan_start_date\n"
    "%R\t1\tDEMO\t10\t2024-03-04 08:00\n"  # line 4
)
_WBS_FIELDS = (
    "%T\tPROJWBS\n"
    "%F\twbs_id\tproj_id\tseq_num\tproj_node_flag\twbs_short_name\twbs_name\tparent_wbs_id\n"
)
_TASK_FIELDS = (
    "%T\tTASK\n%F\ttask_id\tproj_id\twbs_id\ttask_code\ttask_name\ttask_type\ttarget_drtn_hr_cnt\n"
)


def _xer(wbs: list[str], tasks: list[str], more: str = "") -> bytes:
    rows = "".join(f"%R\t{r}\n" for r in wbs)
    acts = "".join(f"%R\t{r}\n" for r in tasks)
    return (_HEAD + more + _WBS_FIELDS + rows + _TASK_FIELDS + acts + "%E\n").encode()


def load_any_bytes(data: bytes, name: str) -> tuple[Any, list[Any]]:
    """``load_any`` of a file holding ``data`` (what every command reads)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return load_any(path)


def _written(data: dict[str, Any]) -> list[str]:
    return [t["id"] for t in walk_tasks(data["tasks"])]


def test_wbs_nodes_that_are_each_others_parents_are_an_error_and_nothing_is_lost() -> None:
    data = _xer(
        [
            "100\t1\t0\tY\tDEMO\tDemo\t",  # line 7
            "101\t1\t1\tN\tX\tX\t102",  # line 8
            "102\t1\t2\tN\tY\tY\t101",  # line 9
        ],
        ["1\t1\t101\tA1\tOne\tTT_Task\t8", "2\t1\t102\tA2\tTwo\tTT_Task\t8"],
    )
    imported, diagnostics = parse_bytes(data, "cycle.xer", "xer")
    assert imported is not None
    (cycle,) = diagnostics
    assert (cycle.code, cycle.loc.line) == ("E459", 8)
    assert cycle.subjects == ("x", "y") and [r.line for r in cycle.related] == [9]
    assert sorted(_written(imported.data)) == ["a1", "a2", "demo", "x", "y"]  # all four, + node
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    assert plan.task_by_id["y"].parent == "x" and plan.task_by_id["x"].parent is None
    assert load_any_bytes(data, "cycle.xer")[0] is None  # other commands refuse it (exit 1)


def test_the_project_node_as_its_own_parent_is_an_error_and_its_work_is_kept() -> None:
    data = _xer(["100\t1\t0\tY\tDEMO\tDemo\t100"], ["1\t1\t100\tA1\tOne\tTT_Task\t8"])
    imported, diagnostics = parse_bytes(data, "self.xer", "xer")
    assert imported is not None
    assert [(d.code, d.loc.line, d.subjects) for d in diagnostics] == [("E459", 7, ("demo",))]
    assert _written(imported.data) == ["demo", "a1"]


def test_a_wbs_deeper_than_the_plan_reads_is_moved_up_not_dropped() -> None:
    chain = ["100\t1\t0\tY\tDEMO\tDemo\t"]
    chain += [f"{101 + k}\t1\t{k}\tN\tW{k}\tW{k}\t{100 + k}" for k in range(40)]
    imported, diagnostics = parse_bytes(
        _xer(chain, ["1\t1\t140\tA1\tDeepest\tTT_Task\t8"]), "deep.xer", "xer"
    )
    assert imported is not None
    assert codes(diagnostics) == ["W459"]
    assert len(_written(imported.data)) == 42
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]


@pytest.mark.parametrize(
    ("value", "written"),
    [("1e300", "2600d"), ("-40", "0d"), ("inf", "0d"), ("nan", "0d"), ("NaN", "0d"), ("x", "0d")],
)
def test_absurd_durations_are_clamped_or_ignored_with_w456(value: str, written: str) -> None:
    data = _xer(
        ["100\t1\t0\tY\tDEMO\tDemo\t"],
        [f"1\t1\t100\tA1\tOne\tTT_Task\t{value}", "2\t1\t100\tA2\tTwo\tTT_Task\t8"],
    )
    imported, diagnostics = parse_bytes(data, "big.xer", "xer")
    assert imported is not None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W456", 10)]
    assert "target_drtn_hr_cnt" in diagnostics[0].message
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    assert plan.task_by_id["a1"].duration is not None
    assert plan.task_by_id["a1"].duration.likely.format(8) == written
    scheduled, _ = schedule(plan)  # and the schedule runs
    assert scheduled is not None


def test_an_absurd_lag_and_dates_out_of_range() -> None:
    data = _xer(
        ["100\t1\t0\tY\tDEMO\tDemo\t"],
        ["1\t1\t100\tA1\tOne\tTT_Task\t8", "2\t1\t100\tA2\tTwo\tTT_Task\t8"],
        "%T\tTASKPRED\n%F\ttask_id\tpred_task_id\tpred_type\tlag_hr_cnt\n"
        "%R\t2\t1\tPR_FS\t-1e300\n",  # line 7
    ).replace(b"2024-03-04 08:00", b"3024-03-04 08:00")
    imported, diagnostics = parse_bytes(data, "odd.xer", "xer")
    # The start out of range is ignored (W456) and with no other date the project has none.
    assert imported is None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E457", 4), ("W456", 4)]
    data = data.replace(b"3024-03-04 08:00", b"2024-03-04 08:00")
    imported, diagnostics = parse_bytes(data, "odd.xer", "xer")
    assert imported is not None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W456", 7)]
    plan, problems = plan_from_import(imported)
    assert plan is not None, [d.format() for d in problems]
    (dep,) = plan.task_by_id["a2"].depends
    assert dep.lag.minutes == -2600 * 8 * 60


def test_a_calendar_exception_out_of_range_is_w453_and_the_rest_is_kept() -> None:
    week = "".join(f"(0||{d}()((0||0(s|08:00|f|16:00)())))" for d in range(2, 7))
    data = (
        "(0||CalendarData()((0||DaysOfWeek()((0||1()())" + week + "(0||7()())))"
        "(0||Exceptions()((0||0(d|999999999999999)())(0||1(d|45383)())(0||2(d|-5)())))))"
    )
    calendar = (
        "%T\tCALENDAR\n%F\tclndr_id\tdefault_flag\tclndr_name\tday_hr_cnt\tclndr_data\n"
        f"%R\t10\tY\tStandard\tinf\t{data}\n"  # line 7
    )
    imported, diagnostics = parse_bytes(
        _xer(["100\t1\t0\tY\tDEMO\tDemo\t"], ["1\t1\t100\tA1\tOne\tTT_Task\t8"], calendar),
        "cal.xer",
        "xer",
    )
    assert imported is not None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W453", 7)] * 3
    assert imported.data["calendar"]["holidays"] == [dt.date(2024, 4, 1)]
    assert imported.data["calendar"]["hours_per_day"] == 8  # not inf


def test_rows_without_keys_and_activities_of_no_project() -> None:
    data = _xer(
        ["\t1\t0\tY\tDEMO\tDemo\t"],  # a WBS node without its wbs_id (line 7)
        ["\t1\t\tA1\tNo key\tTT_Task\t8", "5\t77\t\tA5\tElsewhere\tTT_Task\t8"],
    )
    imported, diagnostics = parse_bytes(data, "keys.xer", "xer")
    assert imported is not None
    assert [(d.code, d.loc.line) for d in diagnostics] == [("W458", 11)]  # proj_id 77
    assert _written(imported.data) == ["demo", "a1"]


def test_duplicated_rows_are_left_out_with_w458_not_written_twice() -> None:
    wbs = ["100\t1\t0\tY\tDEMO\tDemo\t"]
    for k in range(30):  # each level twice: written once each, not 2^30 times
        wbs += [f"{101 + k}\t1\t{k}\tN\tW{k}\tW{k}\t{100 + k}"] * 2
    data = _xer(wbs, ["1\t1\t130\tA1\tOne\tTT_Task\t8", "1\t1\t130\tA1\tAgain\tTT_Task\t8"])
    imported, diagnostics = parse_bytes(data, "dup.xer", "xer")
    assert imported is not None
    assert codes(diagnostics).count("W458") == 31
    assert len(_written(imported.data)) == 32
