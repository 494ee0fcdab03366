"""`ontrack release calendar` through the real app: the table and JSON, the window options, the
warnings on stderr, and a plan that does not load answered with file:line:col and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ontrack.cli.main import app
from tests.conftest import EXAMPLES

runner = CliRunner()
MIGRATION = str(EXAMPLES / "platform-migration")
PLAN = """\
program: {name: Trains, start: 2027-01-04}
calendar: {holidays: [2027-01-26]}
tasks:
  - {id: api, title: API, estimate: 3d}
  - {id: ship, title: Ship, milestone: true, depends: [api]}
  - {id: big, title: Big, estimate: 30d}
trains:
  - {id: web, title: Web train, first: 2027-01-12, every: 2w, code_freeze: 3d, hardening: 1w}
releases:
  - {id: r1, title: First, date: 2027-01-27, train: web, includes: [ship]}
  - {id: r2, title: Second, date: 2027-01-28, train: web}
  - {id: r3, title: Third, date: 2027-02-09, train: web, includes: [big]}
  - {id: loose, title: Loose, date: 2027-02-20}
"""


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["release", "calendar", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _plan(tmp_path: Path) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return str(path)


def test_table_of_the_example() -> None:
    code, out, err = invoke(MIGRATION)
    assert code == 0, err
    assert "Release calendar, 2026-02-02 .." in out
    assert "Fri 2026-07-17" in out and "rel-stateless" in out
    assert "Mon 2026-06-22 (from Fri)" in out  # Juneteenth
    assert "Tue 2026-07-14" in out  # the freeze before 17 Jul
    assert "Fri 2026-07-10 .. Thu 2026-07-16" in out  # its hardening
    assert "✓ scope done" in out
    assert err == ""


def test_json_with_a_window(tmp_path: Path) -> None:
    code, out, err = invoke(
        _plan(tmp_path), "--from", "2027-01-20", "--to", "2027-02-10", "-f", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert (data["start"], data["end"]) == ("2027-01-20", "2027-02-10")
    assert data["scheduled"] is True
    assert [d["date"] for d in data["departures"]] == ["2027-01-27", "2027-02-09"]
    first, second = data["departures"]
    assert first["code_freeze"] == "2027-01-21"
    assert first["hardening"] == {"start": "2027-01-19", "end": "2027-01-25"}
    assert [(r["release"], r["before_cutoff"]) for r in first["releases"]] == [("r1", True)]
    assert [(r["release"], r["before_cutoff"]) for r in second["releases"]] == [("r3", False)]
    assert [o["release"] for o in data["off_train"]] == ["r2"]
    assert [r["release"] for r in data["untrained"]] == ["loose"]
    assert sorted(d["code"] for d in data["diagnostics"]) == ["W313", "W314"]
    # The warnings go to stderr too, with their places.
    assert "warning W313" in err and "plan.yaml:11:35" in err
    assert "warning W314" in err


def test_table_lists_the_releases_apart(tmp_path: Path) -> None:
    code, out, err = invoke(_plan(tmp_path), "--to", "2027-02-28")
    assert code == 0, err
    assert "Train releases on no departure" in out
    assert "not a departure" in out and "Wed 2027-01-27" in out and "Tue 2027-02-09" in out
    assert "Releases without a train" in out and "Loose" in out
    assert "✗ scope finishes" in out


def test_a_plan_without_trains(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("program: {name: P, start: 2027-01-04}\n")
    code, out, err = invoke(str(path))
    assert code == 0, err
    assert "the plan has no trains" in out


def test_bad_plan_exits_1_with_file_line_col(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "program: {name: X, start: 2027-01-04}\n"
        "trains:\n  - {id: web, first: 2027-01-12, every: fortnight}\n"
    )
    code, out, err = invoke(str(bad))
    assert code == 1
    assert f"{bad}:3:" in err and "E110" in err
    assert out == ""


def test_bad_options_exit_2(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert invoke(plan, "--from", "soon")[0] == 2
    code, _, err = invoke(plan, "--from", "2027-03-01", "--to", "2027-02-01")
    assert code == 2 and "before" in err


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["release", "calendar", "--help"])
    assert result.exit_code == 0
    assert "ontrack release calendar examples/platform-migration" in result.stdout
