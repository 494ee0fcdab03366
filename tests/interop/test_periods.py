"""The period CSV reader: good files (numbers, dates, finance lag) and every kind of bad one,
each reported with its stable code and file:line:col."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ontrack.diagnostics import Diagnostic
from ontrack.engines.evm import evm_series
from ontrack.interop.periods import CODES, parse_periods, read_periods
from tests.conftest import FIXTURES

EVM = FIXTURES / "evm"
D = Decimal


def where(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.loc.line, d.loc.col) for d in diagnostics]


def test_reads_integer_periods() -> None:
    points, diagnostics = read_periods(EVM / "vanhoucke.csv")
    assert diagnostics == []
    assert [p.period for p in points] == list(range(1, 12))
    assert points[0].pv == D(5) and points[0].ev == D("3.33") and points[0].ac is None
    assert points[0].date is None and points[0].label == "1"
    assert (points[0].loc.line, points[0].loc.col) == (3, 1)  # after the comment and header
    assert points[-1].ev == D(150)


def test_reads_dated_periods_with_finance_lag_and_future_rows() -> None:
    points, diagnostics = read_periods(EVM / "finance-weekly.csv")
    assert diagnostics == []  # column names are case-insensitive
    assert [p.period for p in points] == [1, 2, 3, 4, 5]  # periods numbered by row
    assert points[0].date == dt.date(2026, 1, 9) and points[0].label == "2026-01-09"
    assert [p.ac for p in points] == [D(90), D(240), None, None, None]
    assert [p.ev for p in points][3:] == [None, None]
    series, problems = evm_series(points)
    assert series is not None and problems == []
    assert series.latest.label == "2026-01-23"
    assert series.bac == D(600)


def test_quotes_thousands_separators_bom_crlf_extra_columns() -> None:
    text = '\ufeffperiod,notes,pv,ev,ac\r\n1,"kick-off, late",100,"1,050.5",\r\n\r\n'
    points, diagnostics = parse_periods(text, "f.csv")
    assert diagnostics == []
    assert (points[0].pv, points[0].ev, points[0].ac) == (D(100), D("1050.5"), None)


def test_missing_columns_say_what_exists_and_guess() -> None:
    _, diagnostics = read_periods(EVM / "missing-columns.csv")
    assert where(diagnostics) == [("E433", 1, 1)]
    d = diagnostics[0]
    assert "'pv', 'ev', 'ac'" in d.message
    assert "'planned_value'" in d.message  # names the columns that exist
    assert "'planned_value' for 'pv'" in d.hint and "'earned' for 'ev'" in d.hint


def test_semicolons_and_duplicate_columns() -> None:
    _, diagnostics = parse_periods("period;pv;ev;ac\n1;1;1;1\n", "f.csv")
    assert where(diagnostics) == [("E433", 1, 1)]
    assert "semicolons" in diagnostics[0].hint
    _, diagnostics = parse_periods("period,pv,ev,ac,pv\n1,1,1,1,1\n", "f.csv")
    assert where(diagnostics) == [("E433", 1, 17)]


def test_bad_cells_point_at_line_and_column() -> None:
    points, diagnostics = read_periods(EVM / "bad-cells.csv")
    assert where(diagnostics) == [
        ("E434", 3, 3),  # two hundred
        ("E435", 4, 7),  # -5
        ("E434", 5, 18),  # n/a (the quoted 1,234.50 before it is fine)
    ]
    assert diagnostics[0].loc.file == str(EVM / "bad-cells.csv")
    assert [p.period for p in points] == [1]  # rows with errors give no point


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("0,1,1,1", ("E436", 2, 1)),  # periods count from 1
        ("week 1,1,1,1", ("E436", 2, 1)),
        ("2026-02-30,1,1,1", ("E436", 2, 1)),  # not a day
        (",1,1,1", ("E436", 2, 1)),
        ("1,,1,1", ("E434", 2, 3)),  # PV is required
        ("1,nan,1,1", ("E434", 2, 3)),
        ("1,1e999,1,1", ("E434", 2, 3)),
        ("1,1,1,1,7", ("E434", 2, 9)),  # more cells than columns
        ("1,1,1,-0.01", ("E435", 2, 7)),
    ],
)
def test_bad_rows(row: str, expected: tuple[str, int, int]) -> None:
    _, diagnostics = parse_periods(f"period,pv,ev,ac\n{row}\n", "f.csv")
    assert where(diagnostics) == [expected]


def test_short_rows_leave_ev_and_ac_empty() -> None:
    points, diagnostics = parse_periods("period,pv,ev,ac\n1,100\n2,200,150\n", "f.csv")
    assert diagnostics == []
    assert [(p.ev, p.ac) for p in points] == [(None, None), (D(150), None)]


def test_mixed_period_kinds() -> None:
    _, diagnostics = parse_periods("period,pv,ev,ac\n1,1,1,1\n2026-01-09,2,2,2\n", "f.csv")
    assert where(diagnostics) == [("E436", 3, 1)]


def test_out_of_order_and_duplicated_periods_through_the_engine() -> None:
    points, diagnostics = read_periods(EVM / "out-of-order.csv")
    assert diagnostics == []  # order is the engine's check, on the rows' locations
    series, problems = evm_series(points)
    assert series is None
    assert where(problems) == [("E437", 4, 1), ("E437", 5, 1)]
    assert "out of order" in problems[0].message and "duplicate" not in problems[0].message


def test_decreasing_values_warn_with_their_line() -> None:
    points, diagnostics = read_periods(EVM / "decreasing.csv")
    series, problems = evm_series(points)
    assert series is not None
    assert sorted(where(diagnostics + problems)) == [("W430", 4, 1), ("W431", 4, 1)]


def test_empty_files(tmp_path: Path) -> None:
    for text in ("", "\n\n", "# only a comment\n"):
        (tmp_path / "e.csv").write_text(text, encoding="utf-8")
        _, diagnostics = read_periods(tmp_path / "e.csv")
        assert [d.code for d in diagnostics] == ["E432"]
    _, diagnostics = parse_periods("period,pv,ev,ac\n", "f.csv")
    assert where(diagnostics) == [("E432", 1, 0)]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("period,pv,ev,ac\n1,100,90,95 €\n".encode("cp1252"))
    _, diagnostics = read_periods(path)
    assert where(diagnostics) == [("E431", 2, 13)]
    path.write_bytes("period,pv\n".encode("utf-16"))
    _, diagnostics = read_periods(path)
    assert [d.code for d in diagnostics] == ["E431"]
    assert "UTF-16" in diagnostics[0].message


def test_missing_file_and_folder(tmp_path: Path) -> None:
    _, diagnostics = read_periods(tmp_path / "nope.csv")
    assert [(d.code, d.loc.file) for d in diagnostics] == [("E430", str(tmp_path / "nope.csv"))]
    _, diagnostics = read_periods(tmp_path)
    assert [d.code for d in diagnostics] == ["E430"]


def test_codes_are_in_the_evm_range() -> None:
    assert all(code[0] == "E" and 430 <= int(code[1:]) <= 439 for code in CODES)


def test_a_superscript_digit_is_not_a_period() -> None:
    """Found by the fuzz suite: '²' passed str.isdigit() and crashed int()."""
    from ontrack.interop.periods import parse_periods

    _, diagnostics = parse_periods("period,pv,ev,ac\n²,100,90,95\n", "p.csv")
    assert [d.code for d in diagnostics if d.is_error] == ["E436"]
