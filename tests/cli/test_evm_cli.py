"""`ontrack evm --periods FILE.csv`: table, JSON and CSV output, and bad files (exit 1, a code,
no traceback). The command is registered on a local app: main.py wires it up separately."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer
from typer.testing import CliRunner, Result

from ontrack.cli.evm import CSV_COLUMNS, evm_command
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
