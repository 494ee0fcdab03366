"""User text never reaches the terminal raw: escape sequences, other control characters and
bidi overrides in names and titles are shown visibly by every command, and a huge invalid id
does not flood the screen."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app

runner = CliRunner()

# Retitle the window, clear the screen, ring the bell, a C1 CSI, DEL, a bidi override.
HOSTILE = "\x1b]0;pwned\x07 \x1b[2J\x9b31m\x7f \u202eevil"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _y(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


PLAN = f"""\
program:
  name: {_y("Program " + HOSTILE)}
  start: 2026-01-05
  status_date: 2026-01-05
people:
  - id: al
    name: {_y("Al " + HOSTILE)}
    skills: [backend]
teams:
  - id: core
    name: {_y("Core " + HOSTILE)}
    members: [al]
tasks:
  - id: a
    title: {_y("Design " + HOSTILE)}
    estimate: 2d/3d/6d
    skills: [backend]
    deadline: 2026-01-06
  - id: b
    title: {_y("=HYPERLINK(1) " + HOSTILE)}
    estimate: 2d/4d/8d
    depends: [a]
    assignee: al
  - id: m
    title: {_y("Launch " + HOSTILE)}
    milestone: true
    depends: [b]
    deadline: 2026-02-02
risks:
  - id: r
    title: {_y("Risk " + HOSTILE)}
    probability: 30%
    impact: 3d
    affects: [b]
    owner: al
releases:
  - id: r1
    title: {_y("Release " + HOSTILE)}
    date: 2026-02-02
    includes: [m]
"""

COMMANDS = [
    ["check"],
    ["check", "--format", "json"],
    ["show"],
    ["show", "--format", "json"],
    ["schedule", "-t", "1"],
    ["schedule", "-t", "1", "--format", "json"],
    ["forecast", "-n", "200"],
    ["forecast", "-n", "200", "--format", "json"],
    ["risks", "-n", "200"],
    ["audit"],
    ["assess", "-n", "200"],
    ["assess", "-n", "200", "--format", "json"],
]


@pytest.fixture(scope="module")
def hostile_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    return path


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_no_raw_control_characters_reach_the_terminal(hostile_plan: Path, args: list[str]) -> None:
    result = runner.invoke(app, [args[0], str(hostile_plan), *args[1:]])
    assert result.exit_code == 0, result.output
    for stream in (result.stdout, result.stderr):
        assert not RAW.findall(stream), RAW.findall(stream)[:5]
    if "json" in args:
        json.loads(result.stdout)  # still JSON, with the characters escaped
    elif args[0] in ("show", "risks", "assess"):
        assert "\\x1b]0;pwned\\x07" in result.stdout and "<U+202E>evil" in result.stdout


def test_json_keeps_the_text_it_escapes(hostile_plan: Path) -> None:
    def strings(value: object) -> list[str]:
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    result = runner.invoke(app, ["show", str(hostile_plan), "--format", "json"])
    assert "Program " + HOSTILE in strings(json.loads(result.stdout))


def test_diagnostics_show_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN.replace("depends: [a]", f"depends: [{_y('a' + HOSTILE)}]"))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1 and "E117" in result.stdout
    assert not RAW.findall(result.stdout + result.stderr)
    assert "\\x1b[2J" in result.stdout and "<U+202E>" in result.stdout


def test_a_megabyte_id_gives_a_short_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    huge = "x" * 1_000_000
    path.write_text(
        "program: {name: P, start: 2026-01-05}\n"
        "tasks:\n"
        f"  - {{id: a, title: A, estimate: 1d, depends: [{huge}]}}\n"
        f"  - {{id: 'b{huge}!', title: B, estimate: 1d}}\n"
    )
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert len(result.stdout) + len(result.stderr) < 10_000
    assert "E117" in result.stdout and "(1,000,000 characters)" in result.stdout


def test_a_bidi_override_in_an_id_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        "program: {name: P, start: 2026-01-05}\n"
        "tasks:\n"
        '  - {id: a, title: A, estimate: 1d, depends: ["ev\\u202eil"]}\n'
    )
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1 and "E117" in result.stdout
    assert "'ev<U+202E>il'" in result.stdout and "\u202e" not in result.stdout
