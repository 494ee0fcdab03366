"""`ontrack release status`, `go-no-go` and `sign` through the real app and a real store
(SQLite and PostgreSQL): sign-offs recorded append-only and read back into the gates, the status
equal to what `ontrack assess --progress` shows, the go/no-go document in Markdown and HTML,
and mistakes answered with a code, a position and exit 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from tests.conftest import FIXTURES

runner = CliRunner()
FAST = ("-n", "1000", "--seed", "5")


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.yaml"
    shutil.copy(FIXTURES / "release-gates.yaml", path)
    return path


def _status(plan: Path, *more: str) -> dict[str, object]:
    code, out, err = invoke("release", "status", "r1", str(plan), *FAST, "-f", "json", *more)
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def _gates(data: dict[str, object]) -> dict[str, str]:
    gates = data["gates"]
    assert isinstance(gates, list)
    return {g["id"]: g["state"] for g in gates}


def test_sign_offs_move_the_gate_and_equal_the_assessment(plan: Path, db_url: str) -> None:
    code, out, err = invoke(
        "release", "sign", "r1", str(plan), "--as", "QA", "--by", "Dana Ruiz",
        "-m", "suite green", "--db", db_url,
    )  # fmt: skip
    assert code == 0, err
    assert "Dana Ruiz signed go for r1 as qa on revision 1" in out
    code, out, err = invoke(
        "release", "sign", "r1", str(plan), "--as", "eng", "--by", "Eli", "--no-go",
        "--db", db_url, "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    signed = json.loads(out)
    assert (signed["role"], signed["decision"], signed["revision"]) == ("eng", "no-go", 1)
    assert signed["recorded_revision"] is False  # the plan was recorded by the first sign-off

    data = _status(plan, "--db", db_url)
    assert _gates(data)["signoffs"] == "fail"
    assert data["recommendation"] == "no-go"
    signoffs = data["signoffs"]
    assert isinstance(signoffs, list)
    assert [(s["role"], s["name"]) for s in signoffs] == [("qa", "Dana Ruiz"), ("eng", "Eli")]

    # One truth: the assessment shows the same readiness.
    code, out, err = invoke("assess", str(plan), "--progress", "--db", db_url, *FAST, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["releases"][0] == data

    # Eng changes its mind: the later sign-off stands, the earlier one is kept.
    code, _, err = invoke(
        "release", "sign", "r1", str(plan), "--as", "eng", "--by", "Eli", "--db", db_url
    )
    assert code == 0, err
    data = _status(plan, "--db", db_url)
    assert _gates(data)["signoffs"] == "pass"
    assert len(data["signoffs"]) == 3  # type: ignore[arg-type]


def test_a_changed_plan_is_recorded_before_it_is_signed(plan: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    assert invoke("release", "sign", "r1", str(plan), "--as", "qa", "--by", "a", "--db", db)[0] == 0
    plan.write_text(plan.read_text().replace("title: R1", "title: R1 (renamed)"))
    code, out, err = invoke(
        "release", "sign", "r1", str(plan), "--as", "eng", "--by", "b", "--db", db
    )
    assert code == 0, err
    assert "on revision 2 (recorded the plan as that revision first)" in out


def test_status_without_a_store_reads_the_plan_alone(plan: Path) -> None:
    data = _status(plan)
    assert _gates(data)["checklist:a"] == "fail"
    assert data["signoffs"] == []
    code, out, err = invoke("release", "status", "r1", str(plan), *FAST)
    assert code == 0, err
    assert "Recommendation: NO-GO" in out
    assert "A: open, due 2026-01-20" in out


def test_go_no_go_documents(plan: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    invoke("release", "sign", "r1", str(plan), "--as", "qa", "--by", "Dana <b>", "--db", db)
    code, out, err = invoke("release", "go-no-go", "r1", str(plan), "--db", db, *FAST)
    assert code == 0, err
    assert out.startswith("# Go/no-go: R1 (r1)")
    assert "· plan revision 1" in out  # the plan file is revision 1, recorded when signing
    assert "## Recommendation: NO-GO" in out
    assert "| qa | go | Dana \\<b\\> |" in out  # escaped: no HTML gets into the Markdown
    assert "| eng | not signed |" in out
    page = tmp_path / "gonogo.html"
    code, out, err = invoke(
        "release", "go-no-go", "r1", str(plan), "--db", db, *FAST, "-f", "html", "-o", str(page)
    )
    assert code == 0, err
    html = page.read_text()
    assert "Recommendation: NO-GO" in html
    assert "Dana &lt;b&gt;" in html and "<b>" not in html.split("<body>")[1].split("Dana")[0][-5:]
    assert html.count('class="gate-') == 9
    assert not list(tmp_path.glob("*.tmp*"))
    plan.write_text(plan.read_text().replace("title: R1", "title: R1 renamed"))
    code, out, err = invoke("release", "go-no-go", "r1", str(plan), "--db", db, *FAST)
    assert code == 0, err
    assert "plan revision" not in out.splitlines()[2]
    assert "changes not recorded as a revision" in out


def test_mistakes_have_codes_and_exit_1(plan: Path, tmp_path: Path) -> None:
    code, _, err = invoke("release", "status", "nope", str(plan), *FAST)
    assert code == 1 and "E485" in err and "r1, r-go, offtrain" in err
    db = str(tmp_path / "store.db")
    code, _, err = invoke(
        "release", "sign", "r1", str(plan), "--as", "ceo", "--by", "x", "--db", db
    )
    assert code == 1 and "E486" in err and "sign as one of: qa, eng" in err
    assert f"{plan}:" in err  # file:line:col of the release's sign-off roles
    assert not (tmp_path / "store.db").exists()  # nothing written
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "program: {name: X, start: 2026-01-05}\nreleases:\n  - {id: r, title: R, train: nope}\n"
    )
    code, _, err = invoke("release", "status", "r", str(broken))
    assert code == 1 and "E212" in err and "broken.yaml:3:" in err
    code, _, err = invoke("release", "go-no-go", "r1", str(plan), "-f", "pdf")
    assert code == 2 and "pdf" in err


def test_assess_lists_each_release_recommendation(plan: Path) -> None:
    code, out, err = invoke("assess", str(plan), *FAST)
    assert code == 0, err
    table = out.split("Release readiness")[1]
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if "│" in line}
    assert "NO-GO" in rows["r1"] and "1/2" in rows["r1"]
    assert "GO" in rows["r-go"] and "NO-GO" not in rows["r-go"]
