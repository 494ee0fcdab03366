"""`ontrack export` and `ontrack import` through a local Typer app: every format, the options,
atomic writes, and bad input answered with diagnostics and exit 1, never a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import icalendar
import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from ontrack.cli.interchange import export_command, import_command
from ontrack.planfile import load_plan
from tests.conftest import EXAMPLES

app = typer.Typer()
app.command("export")(export_command)
app.command("import")(import_command)
runner = CliRunner()
SMALL = str(EXAMPLES / "small" / "plan.yaml")
MIGRATION = str(EXAMPLES / "platform-migration")


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [("mspdi", "xml"), ("ics", "ics"), ("csv", "csv"), ("xlsx", "xlsx"), ("mermaid", "mmd")],
)
def test_export_each_format(fmt: str, suffix: str, tmp_path: Path) -> None:
    out = tmp_path / f"out.{suffix}"
    code, _, err = invoke("export", SMALL, "--to", fmt, "-o", str(out), "-n", "200")
    assert code == 0, err
    assert out.stat().st_size > 0
    assert "wrote" in err
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed, not left


def test_format_from_the_suffix_and_forecast_columns(tmp_path: Path) -> None:
    out = tmp_path / "tasks.xlsx"
    code, _, err = invoke("export", MIGRATION, "-o", str(out), "-n", "200", "--seed", "3")
    assert code == 0, err
    sheet = openpyxl.load_workbook(out)["Tasks"]
    header = [c.value for c in sheet[1]]
    assert {"mean_finish", "p50", "p80"} <= set(header)
    assert sheet.max_row == 154  # the header and 153 tasks
    code, _, err = invoke("export", MIGRATION, "-o", str(out), "--no-forecast")
    assert code == 0, err
    assert "p80" not in [c.value for c in openpyxl.load_workbook(out)["Tasks"][1]]


def test_ics_and_mermaid_to_stdout() -> None:
    code, out, err = invoke("export", SMALL, "--to", "mermaid")
    assert code == 0, err
    assert out.startswith("gantt\n")
    code, out, err = invoke("export", SMALL, "--to", "ics", "-n", "200", "--seed", "1")
    assert code == 0, err
    events = list(icalendar.Calendar.from_ical(out).walk("VEVENT"))
    assert len(events) == 4  # three milestones and a release


def test_tjp_from_the_suffix_and_the_select_option(tmp_path: Path) -> None:
    out = tmp_path / "plan.tjp"
    code, _, err = invoke("export", SMALL, "-o", str(out), "--tjp-select", "order")
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("/* TaskJuggler 3 project") and "select order persistent" in text
    assert "now 2026-01-23" in text  # the status date the other outputs use
    assert "W460" in err  # the finish-to-finish link, exported as finish-to-start
    assert not list(tmp_path.glob(".*.tmp"))
    code, stdout, err = invoke("export", SMALL, "--to", "tjp")
    assert code == 0, err
    assert stdout == text.replace("select order", "select minloaded")


def test_usage_errors(tmp_path: Path) -> None:
    assert invoke("export", SMALL)[0] == 2  # no --to, no -o to guess from
    assert invoke("export", SMALL, "-o", str(tmp_path / "x.unknown"))[0] == 2
    code, _, err = invoke("export", SMALL, "--to", "xlsx")
    assert code == 2 and "-o" in err


def test_export_reports_plan_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "program: {name: X, start: 2026-01-05}\ntasks:\n  - {id: a, title: A, depends: b}\n"
    )
    code, _, err = invoke("export", str(bad), "--to", "mermaid")
    assert code == 1
    assert "E201" in err and "Traceback" not in err


def test_export_cannot_write(tmp_path: Path) -> None:
    code, _, err = invoke("export", SMALL, "-o", str(tmp_path / "missing" / "x.mmd"))
    assert code == 1 and "E462" in err


def test_import_then_every_command_reads_it(tmp_path: Path) -> None:
    xml = tmp_path / "small.xml"
    assert invoke("export", SMALL, "-o", str(xml))[0] == 0
    plan_file = tmp_path / "plan.yaml"
    code, _, err = invoke("import", str(xml), "-o", str(plan_file))
    assert code == 0, err
    assert "20 tasks, 5 people" in err
    plan, diagnostics = load_plan(plan_file)
    assert plan is not None, diagnostics
    text = plan_file.read_text()
    assert text.startswith("# Imported from")
    code, _, err = invoke("import", str(xml), "-o", str(plan_file))
    assert code == 2 and "--force" in err
    assert invoke("import", str(xml), "-o", str(plan_file), "--force")[0] == 0
    # The export reads the MS Project file directly too.
    code, out, err = invoke("export", str(xml), "--to", "mermaid")
    assert code == 0, err
    tags = [line.rsplit(":", 1)[-1].split(", ") for line in out.splitlines() if ":" in line]
    assert sum("milestone" in t for t in tags) == 3


def test_import_to_stdout_with_an_explicit_format(tmp_path: Path) -> None:
    data = tmp_path / "tasks.txt"
    data.write_text("title,estimate\nWrite it,2\nShip it,1\n")
    code, out, err = invoke("import", str(data), "--from", "csv")
    assert code == 0, err
    assert "  - id: write-it\n    title: Write it\n    estimate: 2d" in out


def test_hostile_xml_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.xml"
    evil.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY a "aaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<Project>&b;</Project>\n'
    )
    code, _out, err = invoke("import", str(evil), "-o", str(tmp_path / "plan.yaml"))
    assert code == 1
    assert "E452" in err and "Traceback" not in err
    assert not (tmp_path / "plan.yaml").exists()
    assert invoke("export", str(evil), "--to", "csv")[0] == 1


def test_import_problems(tmp_path: Path) -> None:
    code, _, err = invoke("import", str(tmp_path / "nope.xer"))
    assert code == 1 and "E450" in err
    broken = tmp_path / "cycle.csv"
    broken.write_text("id,title,estimate,depends\na,A,1d,b\nb,B,1d,a\n")
    out = tmp_path / "cycle.yaml"
    code, _, err = invoke("import", str(broken), "-o", str(out))
    assert code == 1  # written, so it can be fixed, but the plan does not load yet
    assert out.exists() and f"{broken}:" in err


def test_stdout_is_bytes_exact_for_ics() -> None:
    result = runner.invoke(app, ["export", SMALL, "--to", "ics", "--no-forecast"])
    assert result.exit_code == 0
    assert b"\r\n" in result.stdout_bytes
    cal = icalendar.Calendar.from_ical(io.BytesIO(result.stdout_bytes).getvalue())
    assert cal["VERSION"] == "2.0"


def test_every_command_reads_files_other_tools_wrote(tmp_path: Path) -> None:
    from ontrack.cli.main import app as main_app
    from tests.conftest import SHARED_DATA, shared_or_skip

    sample = SHARED_DATA / "projects" / "mspdi" / "sample.xml"
    shared_or_skip(sample, "the shared MS Project files")
    runner = CliRunner()
    # As of before the 2003 project starts (as of today, its work would all be overdue).
    scheduled = runner.invoke(
        main_app, ["schedule", str(sample), "-f", "json", "-t", "1", "--as-of", "2000-01-03"]
    )
    assert scheduled.exit_code == 0, scheduled.output
    assert json.loads(scheduled.output)["finish"] == "2003-05-26"
    checked = runner.invoke(main_app, ["check", str(sample)])
    assert checked.exit_code == 0 and "19 tasks" in checked.output
    # Revisions keep plan files: an imported file must be converted first.
    refused = runner.invoke(main_app, ["apply", str(sample), "--db", str(tmp_path / "s.db")])
    assert refused.exit_code == 1


def test_an_outline_cycle_is_named_and_nothing_is_dropped(tmp_path: Path) -> None:
    xer = tmp_path / "cycle.xer"
    xer.write_text(
        "ERMHDR\t19.12\n"
        "%T\tPROJECT\n%F\tproj_id\tproj_short_name\tplan_start_date\n%R\t1\tDEMO\t2024-03-04\n"
        "%T\tPROJWBS\n%F\twbs_id\tproj_id\tproj_node_flag\twbs_short_name\tparent_wbs_id\n"
        "%R\t100\t1\tY\tDEMO\t\n%R\t101\t1\tN\tX\t102\n%R\t102\t1\tN\tY\t101\n"
        "%T\tTASK\n%F\ttask_id\tproj_id\twbs_id\ttask_code\ttarget_drtn_hr_cnt\n"
        "%R\t1\t1\t101\tA1\t8\n%R\t2\t1\t102\tA2\t1e300\n%E\n"
    )
    out = tmp_path / "plan.yaml"
    code, _, err = invoke("import", str(xer), "-o", str(out))
    assert code == 1 and "Traceback" not in err
    assert f"{xer}:8: error E459" in err and "'x' under 'y' under 'x'" in err
    assert f"{xer}:13: warning W456" in err  # the duration of centuries, clamped
    assert "5 tasks" in err  # the project node, both WBS nodes and both activities
    written = load_plan(out)[0]
    assert written is not None and {t.id for t in written.tasks} == {"demo", "x", "y", "a1", "a2"}
