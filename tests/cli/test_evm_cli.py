"""`ontrack evm --periods FILE.csv`: table, JSON and CSV output, and bad files (exit 1, a code,
no traceback). The command is registered on a local app: main.py wires it up separately.
`ontrack evm --baseline` runs on a store built through the whole `ontrack` command line, and
the tables are printed on narrow terminals."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

from ontrack.cli import output
from ontrack.cli.evm import CSV_COLUMNS, evm_command
from ontrack.cli.main import app as main_app
from ontrack.engines.evm import evm_series
from ontrack.interop.periods import read_periods
from tests.conftest import FIXTURES

EVM = FIXTURES / "evm"
VANHOUCKE = str(EVM / "vanhoucke.csv")
WEEKLY = str(EVM / "finance-weekly.csv")

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("evm")(evm_command)


@app.callback()
def _root() -> None:
    """A group, so the command is invoked as `evm` like under `ontrack`."""


runner = CliRunner()


def invoke(*args: str) -> Result:
    return runner.invoke(app, ["evm", *args])


def test_json_reproduces_vanhoucke() -> None:
    result = invoke("--periods", VANHOUCKE, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["bac"] == 150.0 and data["planned_duration"] == 9
    assert [round(p["es"], 2) for p in data["periods"][:6]] == [0.67, 1.33, 2.0, 2.83, 4.5, 4.92]
    assert data["latest"]["period"] == 11 and data["latest"]["es"] == 9.0
    assert data["latest"]["cpi"] is None
    assert data["latest"]["null_reasons"]["cpi"] == "AC not reported"
    assert data["diagnostics"] == []


def test_table_with_dates_and_finance_lag() -> None:
    result = invoke("--periods", WEEKLY)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Earned value" in out and "Earned schedule" in out
    assert "2026-01-23" in out
    # ES 2.53 at the latest week; IEAC(t) 5.92 weeks, 2026-02-12 (see the engine tests).
    assert "forecast finish 5.92 periods (2026-02-12)" in out
    assert "Cost as of period 2026-01-16 (the last with AC)" in out
    assert "720.00 (BAC/CPI)" in out  # 600 x 240 / 200


def test_csv_output() -> None:
    result = invoke("--periods", WEEKLY, "-f", "csv", "--bac", "600")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 4 and all(len(r) == len(CSV_COLUMNS) for r in rows)
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first["period"] == "2026-01-09"
    assert (first["pv"], first["ev"], first["ac"], first["cpi"]) == (
        "100.00",
        "80.00",
        "90.00",
        "0.8889",
    )
    assert first["eac_cpi"] == "675.00"  # 600 x 90 / 80
    assert first["es_date"] == "2026-01-08" and first["forecast_finish"] == "2026-02-15"
    last = dict(zip(CSV_COLUMNS, rows[3], strict=True))
    assert last["ac"] == "" and last["cpi"] == "" and last["spi"] == "0.8250"


def test_bac_option_changes_the_planned_duration(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("period,pv,ev,ac\n1,100,100,100\n2,150,,\n3,200,,\n", encoding="utf-8")
    data = json.loads(invoke("--periods", str(path), "-f", "json", "--bac", "150").stdout)
    assert data["bac"] == 150.0 and data["planned_duration"] == 2
    result = invoke("--periods", str(path), "--bac", "lots")
    assert result.exit_code == 2


def test_warnings_go_to_stderr_and_json_stays_clean() -> None:
    result = invoke("--periods", str(EVM / "decreasing.csv"), "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [(d["code"], d["line"]) for d in data["diagnostics"]] == [("W430", 4), ("W431", 4)]
    assert "W430" in result.stderr


def test_bad_files_exit_1_with_a_code_and_no_traceback(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("period,pv,ev,ac\n1,100,90,95 €\n".encode("cp1252"))
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    cases = [
        (str(tmp_path / "missing.csv"), "E430"),
        (str(latin), "E431"),
        (str(empty), "E432"),
        (str(EVM / "missing-columns.csv"), "E433"),
        (str(EVM / "bad-cells.csv"), "E434"),
        (str(EVM / "out-of-order.csv"), "E437"),
    ]
    for path, code in cases:
        result = invoke("--periods", path, "-f", "json")
        assert result.exit_code == 1, (path, result.output)
        assert code in result.stderr
        assert "Traceback" not in result.output
        assert result.stdout == ""
    result = invoke("--periods", str(EVM / "bad-cells.csv"))
    assert "bad-cells.csv:3:3: error E434" in result.stderr


def test_no_periods_option_is_a_usage_error() -> None:
    result = invoke()
    assert result.exit_code == 2
    assert "--periods" in result.stderr


def test_help_says_periods_end_on_status_dates() -> None:
    # `--baseline --help` shows the help (not a baseline named "--help"), as `--help` does.
    for args in (["evm", "--help"], ["evm", "--baseline", "--help"]):
        result = runner.invoke(main_app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        text = " ".join(result.output.replace("│", " ").split())
        assert "weeks from the baseline" not in text and "weekly PV" not in text
        assert "Periods end on the status dates; earned schedule is in working days" in text
        assert "the periods end on the status dates of the recorded progress" in text


# `ontrack evm --baseline`: a store built through the whole command line.

TRACKED_PLAN = """\
program:
  name: Build
  start: 2024-01-01
tasks:
  - {{id: build, title: Build, duration: {days}d, cost: {cost}}}
"""
STATUS_HEADER = "task,status_date,actual_start,actual_finish,percent_complete,actual_cost\n"


def tracked(tmp_path: Path, days: int, cost: int, rows: list[str]) -> list[str]:
    """A store with the plan recorded, baselined as 'b' and one progress file per row;
    returns the --db and --plan options that reach it."""
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "plan.yaml").write_text(TRACKED_PLAN.format(days=days, cost=cost))
    where = ["--db", str(tmp_path / "store.db"), "--plan", str(plan)]
    steps = [["apply", str(plan), "--db", where[1]], ["baseline", "set", "b", "--db", where[1]]]
    for i, row in enumerate(rows):
        status = tmp_path / f"status-{i}.csv"
        status.write_text(STATUS_HEADER + row + "\n")
        steps.append(["progress", str(status), "--db", where[1]])
    for step in steps:
        result = runner.invoke(main_app, step)
        assert result.exit_code == 0, (step, result.output)
    return where


def evm_json(where: list[str]) -> dict[str, Any]:
    result = runner.invoke(main_app, ["evm", "--baseline", "b", *where, "-f", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


LATE_BUILD = [
    "build,2024-01-05,2024-01-01,,30,300",
    "build,2024-01-19,2024-01-01,2024-01-19,100,1000",
]


def test_baseline_late_finish_is_behind_in_working_days(tmp_path: Path) -> None:
    # build: 10 working days from Monday 2024-01-01, 1000: planned finish Friday 01-12,
    # PV 100 a working day. 30 % (EV 300) on 01-05; done (EV 1000) on 01-19, a week late.
    where = tracked(tmp_path, 10, 1000, LATE_BUILD)
    data = evm_json(where)
    # Planned duration PD = 10 working days, finishing 01-12 (not rounded up to the 01-19
    # status date, which made PD 2 periods and the late finish "on schedule", SPI(t) 1.00).
    assert (data["time_unit"], data["planned_duration"]) == ("working days", 10)
    assert data["planned_finish"] == "2024-01-12"
    first, done = data["periods"]
    # 01-05: EV 300 = PV after 3 working days: ES 3, dated 01-03 (was 2023-12-30, before the
    # program); AT 5 (Mon-Fri); SV(t) -2; SPI(t) 3/5; IEAC(t) 10 / 0.6 = 16.67 -> working
    # day 17, 01-23.
    assert (first["pv"], first["ev"], first["spi"]) == (500.0, 300.0, 0.6)
    assert (first["es"], first["es_date"], first["at"], first["sv_t"]) == (
        3.0,
        "2024-01-03",
        5,
        -2.0,
    )
    assert (first["spi_t"], first["ieac_t"], first["forecast_finish"]) == (
        0.6,
        16.6667,
        "2024-01-23",
    )
    # 01-19: EV = BAC, so ES = PD = 10; AT = 15 working days (three weeks); SV(t) = -5;
    # SPI(t) = 10/15 = 0.6667 while SPI = 1000/1000 = 1; IEAC(t) = 15, the actual finish.
    assert (done["es"], done["es_date"], done["at"], done["sv_t"]) == (10.0, "2024-01-12", 15, -5.0)
    assert (done["spi"], done["spi_t"], done["ieac_t"]) == (1.0, 0.6667, 15.0)
    assert done["forecast_finish"] == "2024-01-19"
    assert data["latest"] == done
    result = runner.invoke(main_app, ["evm", "--baseline", "b", *where])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Earned schedule (working days)" in out
    assert "planned duration 10 working days, planned finish 2024-01-12" in out
    assert (
        "Schedule: behind schedule by 5.00 working days (ES 10.00, AT 15 working days, "
        "SPI(t) 0.67); forecast finish 15.00 working days (2024-01-19)"
    ) in out
    assert "2023-12-30" not in out


def test_baseline_earned_schedule_does_not_depend_on_the_reporting_grid(tmp_path: Path) -> None:
    # build: 20 working days from Monday 2024-01-01 to Friday 01-26, 2000: PV 100 a day.
    # 25 % on 01-05 and 75 % (EV 1500) on 01-26; then the same with weekly reports between.
    sparse = [
        "build,2024-01-05,2024-01-01,,25,500",
        "build,2024-01-26,2024-01-01,,75,1500",
    ]
    weekly = [
        sparse[0],
        "build,2024-01-12,2024-01-01,,40,800",
        "build,2024-01-19,2024-01-01,,55,1100",
        sparse[1],
    ]
    results = []
    for name, rows in (("sparse", sparse), ("weekly", weekly)):
        folder = tmp_path / name
        folder.mkdir()
        results.append(evm_json(tracked(folder, 20, 2000, rows)))
    for data in results:
        # 01-26: EV 1500 = PV after 15 working days: ES 15; AT 20 (four weeks): SPI(t)
        # 15/20 = 0.75 both ways (in periods the sparse grid gave 0.8333); SV(t) -5;
        # IEAC(t) = 20 / 0.75 = 26.67 -> working day 27, 2024-02-06.
        latest = data["latest"]
        assert (latest["es"], latest["at"], latest["sv_t"], latest["spi_t"]) == (
            15.0,
            20,
            -5.0,
            0.75,
        )
        assert (latest["ieac_t"], latest["forecast_finish"]) == (26.6667, "2024-02-06")
        assert (latest["es_date"], data["planned_finish"]) == ("2024-01-19", "2024-01-26")
    # The weekly reports in between: 01-12, EV 800, ES 8 of AT 10; 01-19, EV 1100, ES 11 of 15.
    assert [(p["es"], p["at"]) for p in results[1]["periods"]] == [
        (5.0, 5),
        (8.0, 10),
        (11.0, 15),
        (15.0, 20),
    ]


# Tables on a 100-column terminal: every figure in full, never "0.…".

LARGE = str(EVM / "large-amounts.csv")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def figures(path: str) -> list[str]:
    """Every figure the tables of the periods file print, as the tables format them."""
    points, _ = read_periods(path)
    series, _ = evm_series(points)
    assert series is not None
    cent = Decimal("0.01")
    found = []
    for p in series.periods:
        money = (p.pv, p.ev, p.sv, p.ac, p.cv, p.eac_cpi)
        found += [f"{m.quantize(cent, ROUND_HALF_UP):,}" for m in money if m is not None]
        found += [f"{x:.2f}" for x in (p.spi, p.cpi, p.tcpi_bac, p.es, p.ieac_t) if x is not None]
        found += [f"{p.sv_t:+.2f}", str(p.es_date), str(p.forecast_finish), p.label]
    return found


def test_tables_on_a_100_column_terminal_keep_every_figure() -> None:
    exe = Path(sys.executable).with_name("ontrack")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ontrack.cli.main"]
    done = subprocess.run(
        [*command, "evm", "--periods", LARGE],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = ANSI.sub("", done.stdout)
    lines = out.splitlines()
    assert max(len(line) for line in lines if "│" in line) <= 100  # it is a 100-column terminal
    assert "…" not in out
    assert "Earned value (cumulative), continued" in out  # stacked, not cut
    for figure in figures(LARGE):
        assert figure in out, figure
    assert "7,548,650.07" in out and "-290,000.75" in out  # EAC and CV of 2026-03-31


def test_baseline_tables_on_a_narrow_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = tracked(tmp_path, 10, 1000, LATE_BUILD)
    for width in (100, 40, 20):
        console = Console(force_terminal=True, width=width, record=True)
        monkeypatch.setattr(output, "stdout", console)
        monkeypatch.setattr("ontrack.cli.evm.stdout", console)
        result = runner.invoke(main_app, ["evm", "--baseline", "b", *where])
        assert result.exit_code == 0, result.output
        text = console.export_text()
        assert "…" not in text, width
        for figure in ("1,000.00", "-200.00", "0.60", "0.67", "10.00", "-5.00", "16.67"):
            assert figure in text, (width, figure)
        for day in ("2024-01-03", "2024-01-12", "2024-01-19", "2024-01-23"):
            assert day in text, (width, day)
