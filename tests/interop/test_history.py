"""History CSV reader: date forms, open items, filters, and every kind of broken file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ontrack.interop.history import (
    ROW_REPORT_LIMIT,
    Filter,
    parse_history,
    parse_where,
    read_history,
)
from tests.conftest import FIXTURES, SHARED_DATA, codes, shared_or_skip

HISTORY = FIXTURES / "history"
D = dt.date


def test_reads_dates_datetimes_and_open_items() -> None:
    history, found = read_history(HISTORY / "mixed.csv")
    assert history is not None
    by_line = {item.loc.line: item for item in history.items}
    assert (by_line[2].created, by_line[2].closed) == (D(2026, 1, 5), D(2026, 1, 7))
    assert (by_line[3].created, by_line[3].closed) == (D(2026, 1, 5), D(2026, 1, 8))
    assert (by_line[4].created, by_line[4].closed) == (D(2026, 1, 6), D(2026, 1, 9))
    # The written day is kept: no time-zone conversion.
    assert (by_line[5].created, by_line[5].closed) == (D(2026, 1, 6), D(2026, 1, 12))
    assert by_line[6].closed is None  # open
    assert by_line[8].closed == D(2026, 1, 13)  # quoted cells
    # Closed before created: reported on its line and dropped.
    assert [(d.code, d.loc.line) for d in found] == [("W410", 7)]
    assert 7 not in by_line
    assert history.rows == 7 and len(history.items) == 6
    assert history.columns == ("id", "team", "created", "closed", "title")


def test_where_filters_rows() -> None:
    filters, problems = parse_where(["team=api"])
    assert not problems and filters == [Filter("team", "api")]
    history, _ = read_history(HISTORY / "mixed.csv", where=filters)
    assert history is not None
    assert sorted(item.loc.line for item in history.items) == [6, 8]  # line 7 dropped (W410)
    others, _ = read_history(HISTORY / "mixed.csv", where=parse_where(["team!=api"])[0])
    assert others is not None and len(others.items) == 4


def test_bad_where_expressions() -> None:
    _, problems = parse_where(["project", "=0"])
    assert codes(problems) == ["E416", "E416"]
    history, found = read_history(HISTORY / "mixed.csv", where=[Filter("teem", "api")])
    assert history is None and codes(found) == ["E413"]
    assert "'team'" in found[0].hint
    history, found = read_history(HISTORY / "mixed.csv", where=[Filter("team", "mobile")])
    assert history is None and codes(found) == ["E417"]
    assert "'web'" in found[0].hint and "'api'" in found[0].hint


def test_missing_column_names_the_columns_and_suggests_one() -> None:
    history, found = read_history(HISTORY / "mixed.csv", closed_column="closed_at")
    assert history is None
    assert [(d.code, d.loc.line) for d in found] == [("E413", 1)]
    assert "'title'" in found[0].message  # lists what exists
    assert "did you mean 'closed'" in found[0].hint


def test_unparsable_date_points_at_the_cell() -> None:
    history, found = read_history(HISTORY / "bad-date.csv")
    assert history is None
    assert [(d.code, d.loc.line, d.loc.col) for d in found] == [("E414", 3, 15)]
    assert str(found[0].loc).endswith("bad-date.csv:3:15")


def test_empty_creation_date_is_an_error() -> None:
    _, found = parse_history("id,created,closed\nX1,,2026-01-02\n", "h.csv")
    assert [(d.code, d.loc.line, d.loc.col) for d in found] == [("E415", 2, 4)]


def test_semicolons_and_byte_order_mark(tmp_path: Path) -> None:
    history, found = read_history(HISTORY / "semicolon.csv")
    assert history is not None and not found
    assert [i.closed for i in history.items] == [D(2026, 1, 6), None]
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfcreated,closed\n2026-01-05,2026-01-06\n")
    history, found = read_history(path)
    assert history is not None and history.columns == ("created", "closed")


def test_many_bad_rows_are_listed_then_counted() -> None:
    rows = "".join(f"X{i},2026-02-10,2026-02-0{i % 9 + 1}\n" for i in range(12))
    history, found = parse_history("id,created,closed\n" + rows, "h.csv")
    assert history is not None and not history.items
    assert codes(found) == ["W410"] * (ROW_REPORT_LIMIT + 1)
    assert found[-1].loc.line == 0 and "12 rows" in found[-1].message


def test_empty_and_header_only_files() -> None:
    assert codes(parse_history("", "h.csv")[1]) == ["E417"]
    assert codes(parse_history("\n\n", "h.csv")[1]) == ["E417"]
    history, found = parse_history("id,created,closed\n", "h.csv")
    assert history is None and [(d.code, d.loc.line) for d in found] == [("E417", 1)]


def test_files_that_are_not_utf8_csv(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"created,closed,title\n2026-01-05,2026-01-06,caf\xe9\n")
    _, found = read_history(latin)
    assert [(d.code, d.loc.line, d.loc.col) for d in found] == [("E411", 2, 26)]
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("created,closed\n".encode("utf-16"))
    assert codes(read_history(utf16)[1]) == ["E411"]
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert codes(read_history(binary)[1]) == ["E412"]
    broken = tmp_path / "broken.csv"
    broken.write_text('created,closed\n2026-01-05,"2026-01-06"x\n')
    _, found = read_history(broken)
    assert [(d.code, d.loc.line) for d in found] == [("E412", 2)]
    prose = tmp_path / "notes.txt"
    prose.write_text("These are my notes.\nNothing tabular here.\n")
    assert codes(read_history(prose)[1]) == ["E413", "E413"]


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert codes(read_history(tmp_path / "nope.csv")[1]) == ["E410"]
    assert codes(read_history(tmp_path)[1]) == ["E410"]


def test_the_jira_export() -> None:
    path = SHARED_DATA / "history" / "jira-agile" / "jira.csv"
    shared_or_skip(path, "the shared history data")
    history, found = read_history(path, "created_date", "finished_date", [Filter("project", "1")])
    assert history is not None
    assert history.rows == 4123 and history.matched == 1696
    assert len(history.items) == 1142  # 554 rows closed the day before they were created
    assert codes(found) == ["W410"] * (ROW_REPORT_LIMIT + 1)
    assert "554 rows" in found[-1].message


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["created,closed", "2026-01-05,2026-01-06", "2026-01-05,", ',"', ";;", "x"]
            ),
            st.text(max_size=30),
        ),
        max_size=8,
    )
)
def test_any_text_gives_a_history_or_diagnostics(lines: list[str]) -> None:
    history, found = parse_history("\n".join(lines), "h.csv")
    assert history is not None or any(d.is_error for d in found)


def test_dates_outside_the_horizon_are_refused_not_overflowed() -> None:
    """Found by the fuzz suite: a close date of 9999-12-31 or a --start of 0001-01-01 overflowed
    the calendar arithmetic (OverflowError)."""
    import datetime as dt

    from ontrack.engines.forecast.throughput import ForecastOptions, Question, forecast_export
    from ontrack.interop.history import parse_history

    history, diagnostics = parse_history("created,closed\n2025-06-01,9999-12-31\n", "h.csv")
    assert "E414" in {d.code for d in diagnostics}
    history, diagnostics = parse_history("created,closed\n2025-06-01,2025-06-03\n", "h.csv")
    assert history is not None
    result, problems = forecast_export(
        history.items, Question(items=1, start=dt.date(1, 1, 1)), ForecastOptions(iterations=10)
    )
    assert result is None and [p.code for p in problems] == ["E421"]
