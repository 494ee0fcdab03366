"""Progress files: CSV and YAML, every problem with its place, all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from ontrack.diagnostics import Diagnostic
from ontrack.interop.progressfile import read_progress
from ontrack.store.repo import ProgressFact

TASKS = {"design", "build", "docs"}


def read(path: Path, **kw: object) -> tuple[list[ProgressFact], list[Diagnostic]]:
    return read_progress(path, task_ids=TASKS, hours_per_day=Fraction(8), **kw)  # type: ignore[arg-type]


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "status.csv"
    path.write_text(
        "task,status_date,actual_start,actual_finish,percent_complete,remaining,actual_cost,note\n"
        "design,2026-03-13,2026-03-02,2026-03-06,,,4200.50,done early\n"
        "build,2026-03-13,2026-03-09,,40%,6d,2100,\n"
        "docs,2026-03-13,,,0,,,\n"
    )
    facts, diagnostics = read(path)
    assert diagnostics == []
    design, build, docs = facts
    assert design.percent_complete == 100  # a finish means done
    assert design.actual_cost == Decimal("4200.50")
    assert design.note == "done early"
    assert (build.percent_complete, build.remaining_days) == (Decimal(40), Decimal(6))
    assert docs.percent_complete == 0
    assert build.source.endswith("status.csv:3")


def test_yaml_with_one_status_date(tmp_path: Path) -> None:
    path = tmp_path / "status.yaml"
    path.write_text(
        "status_date: 2026-03-13\n"
        "tasks:\n"
        "  - {task: build, percent_complete: 55%, remaining: 12h}\n"
        "  - {task: design, actual_finish: 2026-03-06}\n"
    )
    facts, diagnostics = read(path)
    assert diagnostics == []
    assert [f.status_date for f in facts] == [dt.date(2026, 3, 13)] * 2
    assert facts[0].remaining_days == Decimal("1.5")


def test_status_date_for_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("task,percent_complete\nbuild,10\n")
    facts, diagnostics = read(path, status_date=dt.date(2026, 4, 3))
    assert not diagnostics and facts[0].status_date == dt.date(2026, 4, 3)
    _, missing = read(path)
    assert [d.code for d in missing] == ["E445"]


def test_every_problem_is_placed_and_nothing_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "task,status_date,actual_start,actual_finish,percent_complete,actual_cost\n"
        "biuld,2026-03-13,,,40%,\n"
        "build,2026-13-40,,,40%,\n"
        "design,2026-03-13,2026-03-20,,,\n"
        "docs,2026-03-13,,,140%,\n"
        "build,2026-03-13,,,10%,-5\n"
        "design,2026-03-13,2026-03-05,2026-03-02,,\n"
    )
    facts, diagnostics = read(path)
    assert facts == []
    found = {(d.loc.line, d.loc.col, d.code) for d in diagnostics}
    assert (2, 1, "E443") in found  # unknown task, with a suggestion
    assert any("did you mean 'build'" in d.hint for d in diagnostics)
    assert (3, 7, "E444") in found  # bad date, at its cell
    assert (4, 19, "E445") in found  # started after the status date
    assert (5, 19, "E444") in found  # 140 %
    assert any(d.loc.line == 6 and d.code == "E444" for d in diagnostics)  # negative cost
    assert any(d.loc.line == 7 and d.code == "E445" for d in diagnostics)  # finish < start


def test_duplicates_unknown_columns_and_bad_files(tmp_path: Path) -> None:
    dup = tmp_path / "dup.csv"
    dup.write_text("task,status_date\nbuild,2026-03-13\nbuild,2026-03-13\n")
    assert [d.code for d in read(dup)[1]] == ["E446"]
    cols = tmp_path / "cols.csv"
    cols.write_text("task,status_date,percent\nbuild,2026-03-13,4\n")
    [problem] = read(cols)[1]
    assert problem.code == "E442" and "percent_complete" in problem.hint
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert [d.code for d in read(empty)[1]] == ["E441"]
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"task\n\xff\xfe\n")
    assert [d.code for d in read(binary)[1]] == ["E440"]
    assert [d.code for d in read(tmp_path / "none.csv")[1]] == ["E440"]


def test_a_status_date_after_the_latest_allowed_is_refused(tmp_path: Path) -> None:
    csv_file = tmp_path / "s.csv"
    csv_file.write_text(
        "task,status_date,percent_complete\nbuild,2199-01-01,10\ndocs,2026-03-13,0\n"
    )
    latest = dt.date(2026, 3, 13)
    facts, diagnostics = read(csv_file, latest=latest)
    assert facts == []
    assert [(d.code, d.loc.line, d.loc.col) for d in diagnostics] == [("E447", 2, 7)]
    facts, diagnostics = read(csv_file)  # no limit: future dates allowed
    assert not diagnostics and len(facts) == 2
    one_date = tmp_path / "s.yaml"
    one_date.write_text("status_date: 2199-01-01\ntasks:\n  - {task: build}\n  - {task: docs}\n")
    _, diagnostics = read(one_date, latest=latest)
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E447", 1)]  # once, at the date
    plain = tmp_path / "p.csv"
    plain.write_text("task,percent_complete\nbuild,10\n")
    _, diagnostics = read(plain, status_date=dt.date(2199, 1, 1), latest=latest)
    assert [d.code for d in diagnostics] == ["E447"]


START = dt.date(2026, 3, 2)


def test_progress_is_dated_within_the_programs_horizon(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "task,status_date,actual_start,percent_complete\n"
        "design,2025-03-01,,10\n"  # more than a year before the start
        "build,2076-03-03,,10\n"  # more than 50 years after it
        "docs,2026-03-13,2025-02-28,10\n"  # an actual date before the horizon
        "design,2025-03-02,,10\n"  # the first day
        "build,2076-03-02,,10\n"  # the last
    )
    facts, diagnostics = read(path, program_start=START)
    assert facts == []
    assert [(d.code, d.loc.line, d.loc.col) for d in diagnostics] == [
        ("E448", 2, 8),
        ("E448", 3, 7),
        ("E448", 4, 17),
    ]
    path.write_text(
        "task,status_date,percent_complete\ndesign,2025-03-02,10\nbuild,2076-03-02,10\n"
    )
    facts, diagnostics = read(path, program_start=START)  # allowed into the future
    assert diagnostics == [] and len(facts) == 2
    _, diagnostics = read(path, program_start=START, latest=dt.date(2026, 12, 6))
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E447", 3)]


def test_the_horizon_bounds_allowed_future_dates_and_the_calendar(tmp_path: Path) -> None:
    plain = tmp_path / "p.csv"
    plain.write_text("task,percent_complete\nbuild,10\n")
    for day in (dt.date(2080, 1, 1), dt.date(2020, 1, 1)):
        _, diagnostics = read(plain, status_date=day, program_start=START)
        assert [d.code for d in diagnostics] == ["E448"]
    late = dt.date(2190, 6, 1)  # 50 years after this start is past 2200: the calendar's end
    _, diagnostics = read(plain, status_date=dt.date(2201, 1, 1), program_start=late)
    assert [d.code for d in diagnostics] == ["E448"]
    one_date = tmp_path / "s.yaml"
    one_date.write_text("status_date: 2099-01-01\ntasks:\n  - {task: build}\n  - {task: docs}\n")
    _, diagnostics = read(one_date, program_start=START)
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E448", 1)]  # once, at the date
    leap = tmp_path / "leap.csv"
    leap.write_text("task,status_date,percent_complete\nbuild,2023-02-28,10\n")
    _, diagnostics = read(leap, program_start=dt.date(2024, 2, 29))
    assert [d.code for d in diagnostics] == []  # a year before 29 February is 28 February


def test_numbers_and_notes_are_what_the_store_keeps(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "task,status_date,actual_cost,note\n"
        "design,2026-03-13,1e23,\n"
        'build,2026-03-13,999999999999.99,"two\nlines\tand a tab"\n'
        'docs,2026-03-13,,"bell\x07"\n'
    )
    _, diagnostics = read(path)
    assert [(d.code, d.loc.line) for d in diagnostics] == [("E444", 2), ("E444", 5)]
    path.write_text(
        "task,status_date,actual_cost,note\n"
        'build,2026-03-13,999999999999.99,"two\nlines\tand a tab"\n'
    )
    [fact], diagnostics = read(path)
    assert fact.actual_cost == Decimal("999999999999.99")
    assert fact.note == "two\nlines\tand a tab"


def test_the_progress_limits_are_the_stores() -> None:
    from ontrack.checks.limits import MAX_WORK_DAYS
    from ontrack.model.progress import MAX_ACTUAL_COST, MAX_REMAINING_DAYS
    from ontrack.store.limits import column_limit

    assert column_limit("progress", "actual_cost") == MAX_ACTUAL_COST
    # Work remaining fits the column and is what one task may hold at all (ten years).
    assert column_limit("progress", "remaining_days") > MAX_REMAINING_DAYS
    assert MAX_REMAINING_DAYS == MAX_WORK_DAYS + 1
