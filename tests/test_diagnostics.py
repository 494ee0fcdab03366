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


def test_messages_quote_user_text_safely() -> None:
    huge = error("E117", SourceLoc("p.yaml", 3, 9), f"id '{'x' * 10**6}' is not valid", "x" * 10**6)
    assert huge.code == "E117" and huge.loc.line == 3
    assert len(huge.format()) < 500 and "(1,000,000 characters)" in huge.message
    assert len(huge.hint) < 200
    hidden = warning("W1", SourceLoc("p.yaml"), "id 'ev\u202eil\x1b[2J'", subjects=("ev\u202eil",))
    assert hidden.message == "id 'ev<U+202E>il\\x1b[2J'"
    assert hidden.subjects == ("ev\u202eil",)  # records stay as they are; only text is shown
    assert hidden.to_json()["message"] == hidden.message
