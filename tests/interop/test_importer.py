"""The import pipeline: the YAML writer (any text reads back exactly), readable ids, the record
locations moved onto the imported file, and ``load_any``'s dispatch by suffix."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
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
    slug,
    walk_tasks,
)
from ontrack.interop.kit import cycle_text, find_cycles, left_out, outline, outline_problems
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


# -- the writer at scale, outlines that cannot nest as written (the hardening issue) ------------


@pytest.mark.parametrize(
    "title",
    [
        "Build the thing and more " * 80_000,  # 2 MB, plain
        "Phase 2: build # again " * 90_000,  # 2 MB, quoted
        "Ünïcödé ✓ \x07 " * 180_000,  # 2 MB with escapes
        "1" * 2_000_000,  # an int written long: quoted, not matched digit by digit
    ],
    ids=["plain", "quoted", "escaped", "digits"],
)
def test_a_two_megabyte_title_renders_in_well_under_a_second(title: str) -> None:
    title = title.strip()
    imported = ImportedPlan(
        {
            "program": {"name": "P", "start": dt.date(2026, 1, 5)},
            "tasks": [{"id": "a", "title": title, "notes": f"{title}\nand a line"}],
        },
        "big.xml",
        "mspdi",
    )
    started = time.perf_counter()
    text, _ = render_yaml(imported)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"{elapsed:.2f} s"  # about 0.05 s; the per-character writer took 2 s
    task = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["tasks"][0]
    assert task["title"] == title and task["notes"] == f"{title}\nand a line"
    started = time.perf_counter()
    ident = IdMaker().make(title)  # from the start of the title only
    assert time.perf_counter() - started < 0.05
    assert ident == slug(title)[:48].strip("-")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=60, max_size=3000))
def test_ids_from_the_start_of_a_long_name_are_the_ids_of_the_whole(name: str) -> None:
    assert IdMaker().make(name, "x") == (slug(name)[:48].strip("-") or "x")


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8"), min_size=65, max_size=300))
def test_long_text_reads_back_exactly(text: str) -> None:
    assert yaml.safe_load(f"k: {scalar(text)}") == {"k": text}


def test_cycles_of_parents_are_found_once_each() -> None:
    parents = {"a": "b", "b": "a", "c": None, "d": "d", "e": "f", "f": "g", "g": "f", "h": "zz"}
    assert find_cycles(parents) == [["a", "b"], ["d"], ["f", "g"]]
    assert cycle_text(["a", "b"]) == "'a' under 'b' under 'a'"


def test_an_outline_keeps_every_task_whatever_its_parents() -> None:
    chain = [{"id": f"t{k}"} for k in range(30)]
    placed = outline(chain, {f"t{k}": f"t{k - 1}" for k in range(1, 30)})
    assert placed.cycles == [] and placed.moved_up == [f"t{k}" for k in range(20, 30)]
    assert placed.parent["t25"] == "t18" and "t19" not in placed.summaries
    assert len(list(walk_tasks(placed.tasks))) == 30
    looped = outline([{"id": "a"}, {"id": "b"}, {"id": "c"}], {"a": "b", "b": "a", "c": "c"})
    assert looped.cycles == [["a", "b"], ["c"]]
    assert [t["id"] for t in looped.tasks] == ["a", "c"] and looped.parent["b"] == "a"
    problems = outline_problems(looped, lambda i: SourceLoc("x.csv", ord(i)))
    assert [(d.code, d.loc.line, d.subjects) for d in problems] == [
        ("E459", ord("a"), ("a", "b")),
        ("E459", ord("c"), ("c",)),
    ]


def test_tasks_read_but_not_written_are_counted() -> None:
    read = [("a", SourceLoc("x.xer", 3)), ("b", SourceLoc("x.xer", 4))]
    assert left_out(read, [{"id": "a", "tasks": [{"id": "b"}]}]) == []
    (lost,) = left_out(read, [{"id": "a"}])
    assert (lost.code, lost.loc.line, lost.subjects) == ("W458", 4, ("b",))


def test_importing_a_fifo_or_a_folder_is_refused_without_hanging(tmp_path: Path) -> None:
    import os

    from ontrack.interop.importer import import_file

    fifo = tmp_path / "plan.xml"
    os.mkfifo(fifo)
    folder = tmp_path / "plan.xer"
    folder.mkdir()
    for path in (fifo, folder):
        imported, diagnostics = import_file(path)
        assert imported is None and [d.code for d in diagnostics] == ["E450"]
        assert "not a file" in diagnostics[0].message
