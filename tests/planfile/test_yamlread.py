"""The YAML reader refuses hostile or broken input with a diagnostic, never an exception."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ontrack.planfile import yamlread
from ontrack.planfile.yamlread import (
    PosDict,
    PosList,
    read_yaml_bytes,
    read_yaml_file,
    read_yaml_text,
)


def only_code(text: str) -> str:
    doc = read_yaml_text(text, "p.yaml")
    assert doc.data is None
    assert len(doc.diagnostics) == 1
    return doc.diagnostics[0].code


def test_positions_of_keys_values_and_items() -> None:
    doc = read_yaml_text("tasks:\n  - id: a\n    depends: [x, y]\n", "p.yaml")
    assert doc.diagnostics == []
    top = doc.data
    assert isinstance(top, PosDict)
    tasks = top["tasks"]
    assert isinstance(tasks, PosList)
    assert str(tasks.item_locs[0]) == "p.yaml:2:5"
    task = tasks[0]
    assert str(task.key_locs["depends"]) == "p.yaml:3:5"
    assert str(task["depends"].item_locs[1]) == "p.yaml:3:18"


def test_scalars_keep_yaml_types_and_bad_dates_stay_text() -> None:
    doc = read_yaml_text("a: 2026-01-05\nb: 2026-02-30\nc: 3d\nd: 12\ne: yes\nf: ~\n", "p")
    assert doc.data == {
        "a": dt.date(2026, 1, 5),
        "b": "2026-02-30",
        "c": "3d",
        "d": 12,
        "e": True,
        "f": None,
    }


def test_syntax_error_points_at_the_problem() -> None:
    doc = read_yaml_text("tasks:\n  - id: a\n   title: x\n", "p.yaml")
    (diag,) = doc.diagnostics
    assert diag.code == "E005"
    assert diag.loc.line == 3


def test_tabs_get_a_hint() -> None:
    doc = read_yaml_text("tasks:\n\t- id: a\n", "p.yaml")
    assert doc.diagnostics[0].code == "E005"
    assert "tab" in doc.diagnostics[0].hint


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_files_are_refused(text: str) -> None:
    assert only_code(text) == "E003"


def test_invalid_utf8_reports_line_and_column() -> None:
    doc = read_yaml_bytes(b"program:\n  name: caf\xe9\n", "p.yaml")
    (diag,) = doc.diagnostics
    assert diag.code == "E002"
    assert (diag.loc.line, diag.loc.col) == (2, 12)


def test_utf8_bom_is_accepted() -> None:
    doc = read_yaml_bytes("\ufeffa: 1\n".encode(), "p.yaml")
    assert doc.data == {"a": 1}


def test_huge_files_are_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlread, "MAX_FILE_BYTES", 100)
    doc = read_yaml_bytes(b"a: " + b"x" * 200, "p.yaml")
    assert doc.diagnostics[0].code == "E004"


def test_huge_file_on_disk_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlread, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 200)
    assert read_yaml_file(path).diagnostics[0].code == "E004"


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo pwned']\n",
        "a: !!python/name:os.system\n",
        "a: !custom thing\n",
        "!!set {a, b}\n",
        "a: !!binary aGVsbG8=\n",
    ],
)
def test_constructor_tags_are_refused(text: str) -> None:
    assert only_code(text) == "E006"


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    assert only_code("\n".join(lines) + "\n") == "E007"


def test_deep_nesting_is_refused() -> None:
    assert only_code("a: " + "[" * 200 + "]" * 200 + "\n") in {"E005", "E007"}


def test_recursive_alias_is_refused() -> None:
    assert only_code("a: &x [1, *x]\n") == "E007"


def test_small_aliases_and_merge_keys_work() -> None:
    text = "defaults: &d {team: core, skills: [backend]}\ntask: {<<: *d, id: a, team: web}\n"
    doc = read_yaml_text(text, "p.yaml")
    assert doc.diagnostics == []
    assert doc.data["task"] == {"id": "a", "team": "web", "skills": ["backend"]}


def test_duplicate_keys_are_reported_with_both_places() -> None:
    doc = read_yaml_text("a: 1\nb: 2\na: 3\n", "p.yaml")
    (diag,) = doc.diagnostics
    assert diag.code == "E008"
    assert diag.loc.line == 3
    assert diag.related[0].line == 1
    assert doc.data == {"a": 1, "b": 2}


def test_multiple_documents_are_refused() -> None:
    doc = read_yaml_text("a: 1\n---\nb: 2\n", "p.yaml")
    assert doc.diagnostics[0].code == "E005"
    assert "---" in doc.diagnostics[0].hint


def test_control_characters_are_a_syntax_error() -> None:
    assert only_code("a: b\x00c\n") == "E005"


def test_missing_file(tmp_path: Path) -> None:
    doc = read_yaml_file(tmp_path / "nope.yaml")
    assert doc.diagnostics[0].code == "E001"
