"""The import pipeline: the YAML writer (any text reads back exactly), readable ids, the record
locations moved onto the imported file, and ``load_any``'s dispatch by suffix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ontrack.diagnostics import SourceLoc
from ontrack.interop.importer import (
    IdMaker,
    ImportedPlan,
    date_ranges,
    import_file,
    load_any,
    plan_from_import,
    plan_yaml,
    render_yaml,
    scalar,
)
from tests.conftest import EXAMPLES, codes


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_reads_back_exactly(text: str) -> None:
    assert yaml.safe_load(f"k: {scalar(text)}") == {"k": text}
    assert yaml.safe_load(f"k: [{scalar(text, flow=True)}, x]") == {"k": [text, "x"]}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\n")), min_size=2))
def test_notes_read_back_exactly(lines: list[str]) -> None:
    notes = "\n".join(lines)
    imported = ImportedPlan(
        {
            "program": {"name": "P", "start": dt.date(2026, 1, 5)},
            "tasks": [{"id": "a", "title": "A", "notes": notes}],
        },
        "x.csv",
        "csv",
    )
    data = yaml.safe_load(plan_yaml(imported))
    assert data["tasks"][0]["notes"] == notes


def test_plain_where_plain_reads_the_same() -> None:
    assert scalar("Design, build") == "Design, build"
    assert scalar("3d/5d/8d") == "3d/5d/8d"
    assert scalar("-1d") == "-1d"
    assert scalar("2026-01-05..2026-01-09") == "2026-01-05..2026-01-09"
    for quoted in ("yes", "null", "1.5", "Phase 2: build", "x #1", " lead", ""):
        assert scalar(quoted).startswith('"')
    assert scalar("a, b", flow=True) == '"a, b"'


def test_ids_and_ranges() -> None:
    ids = IdMaker()
    assert ids.make("Design the API!") == "design-the-api"
    assert ids.make("Design the API") == "design-the-api-2"
    assert ids.make("Überprüfung") == "uberprufung"
    assert ids.make("!!!", "task-7") == "task-7"
    assert ids.take("A100") == "A100" and ids.take("A100") is None
    days = [dt.date(2026, 1, d) for d in (5, 6, 7, 9)]
    assert date_ranges(days) == ["2026-01-05..2026-01-07", dt.date(2026, 1, 9)]


def test_writer_order_comments_and_spans() -> None:
    imported = ImportedPlan(
        {
            "tasks": [{"id": "a", "title": "A", "duration": "1d"}],
            "program": {"name": "P", "start": dt.date(2026, 1, 5)},
        },
        "src.xml",
        "mspdi",
        origins={("tasks", "a"): SourceLoc("src.xml", 40)},
        remarks={("tasks", "a"): ["lag was elapsed time"]},
        header=["Imported from src.xml"],
    )
    text, spans = render_yaml(imported)
    lines = text.splitlines()
    assert lines[0] == "# Imported from src.xml"
    assert lines.index("program:") < lines.index("tasks:")
    assert "  # lag was elapsed time" in lines
    (a_span,) = [s for s in spans if s[2] == ("tasks", "a")]
    assert lines[a_span[0] - 1] == "  - id: a"


def test_problems_are_reported_on_the_imported_file(tmp_path: Path) -> None:
    path = tmp_path / "tasks.csv"
    path.write_text("id,title,estimate,depends\na,A,3d,\nb,B,2d,a\nc,C,1d,nope\n")
    plan, diagnostics = load_any(path)
    assert plan is None
    assert [(d.code, d.loc.file, d.loc.line) for d in diagnostics] == [("E201", str(path), 4)]


def test_plan_records_point_at_the_imported_file(tmp_path: Path) -> None:
    path = tmp_path / "tasks.csv"
    path.write_text("id,title,estimate\na,A,3d\nb,B,2d\n")
    imported, _ = import_file(path)
    assert imported is not None
    plan, _ = plan_from_import(imported)
    assert plan is not None
    assert plan.task_by_id["b"].loc == SourceLoc(str(path), 3)
    assert plan.sources == (str(path),)


def test_load_any_dispatches_on_the_suffix(tmp_path: Path) -> None:
    plan, diagnostics = load_any(EXAMPLES / "small" / "plan.yaml")
    assert plan is not None and not [d for d in diagnostics if d.is_error]
    folder, _ = load_any(EXAMPLES / "platform-migration")
    assert folder is not None
    odd = tmp_path / "plan.mpp"
    odd.write_bytes(b"\xd0\xcf\x11\xe0")
    imported, found = import_file(odd)
    assert imported is None and codes(found) == ["E461"]
    missing, found = load_any(tmp_path / "gone.xer")
    assert missing is None and codes(found) == ["E450"]
