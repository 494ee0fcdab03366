"""Diagnostics: one format for people, one for machines, a stable order."""

from __future__ import annotations

from ontrack.diagnostics import SourceLoc, error, sorted_diagnostics, warning


def test_format_with_hint_and_related() -> None:
    d = error(
        "E201",
        SourceLoc("plan.yaml", 12, 5),
        "unknown task 'x' in depends of 'api'",
        "did you mean 'y'?",
        related=(SourceLoc("other.yaml", 3, 1),),
    )
    assert d.format() == (
        "plan.yaml:12:5: error E201 unknown task 'x' in depends of 'api'\n"
        "    hint: did you mean 'y'?\n"
        "    see: other.yaml:3:1"
    )
    assert d.to_json()["line"] == 12 and d.to_json()["severity"] == "error"


def test_locations_without_positions() -> None:
    assert str(SourceLoc("https://tracker/ISSUE-1")) == "https://tracker/ISSUE-1"
    assert str(SourceLoc("a.yaml", 3)) == "a.yaml:3"


def test_sorted_by_file_then_position() -> None:
    found = [
        warning("W301", SourceLoc("b.yaml", 1, 1), "x"),
        error("E110", SourceLoc("a.yaml", 9, 1), "x"),
        error("E100", SourceLoc("a.yaml", 2, 7), "x"),
    ]
    assert [d.code for d in sorted_diagnostics(found)] == ["E100", "E110", "W301"]
