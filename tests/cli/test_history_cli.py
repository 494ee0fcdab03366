"""`forecast --history` (through :func:`forecast_history`) and `backtest`: output contracts,
exit codes and messages for bad input, on a small local app (the real `forecast` command lives
in another module)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import typer
from typer.testing import CliRunner, Result

from ontrack.cli import history as history_cli
from ontrack.cli.main import app as ontrack_app
from ontrack.engines.forecast.backtest import BacktestOptions, cut_options
from tests.conftest import FIXTURES

runner = CliRunner()
CONSTANT = str(FIXTURES / "history" / "constant.csv")  # 2 a day, 2026-01-05 .. 2026-03-01
app = typer.Typer(pretty_exceptions_enable=False)


@app.command("forecast")
def _forecast(
    history: Path = typer.Option(..., "--history"),
    items: int | None = typer.Option(None, "--items"),
    until: dt.datetime | None = typer.Option(None, "--until", formats=["%Y-%m-%d"]),
    start: dt.datetime | None = typer.Option(None, "--start", formats=["%Y-%m-%d"]),
    as_of: dt.datetime | None = typer.Option(None, "--as-of", formats=["%Y-%m-%d"]),
    window: int | None = typer.Option(None, "--window"),
    created_column: str = typer.Option("created", "--created-column"),
    closed_column: str = typer.Option("closed", "--closed-column"),
    where: list[str] = typer.Option([], "--where"),
    growth: float = typer.Option(0.0, "--growth"),
    iterations: int = typer.Option(10_000, "--iterations"),
    seed: int = typer.Option(0, "--seed"),
    fmt: str = typer.Option("table", "--format"),
) -> None:
    """Mirrors the options of `ontrack forecast` that apply to --history."""
    history_cli.forecast_history(
        history,
        items=items,
        until=until.date() if until else None,
        start=start.date() if start else None,
        window_days=window,
        created_column=created_column,
        closed_column=closed_column,
        where=where,
        growth=growth,
        iterations=iterations,
        seed=seed,
        json_output=fmt == "json",
        as_of=as_of.date() if as_of else None,
    )


app.command("backtest")(history_cli.backtest)


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def as_json(result: Result) -> dict[str, object]:
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_when_json_has_the_documented_shape() -> None:
    data = as_json(run("forecast", "--history", CONSTANT, "--items", "20", "--format", "json"))
    assert {"items", "p50", "p85", "p95", "start", "window", "warnings"} <= set(data)
    assert data["items"] == 20 and data["start"] == "2026-03-02"
    assert data["p50"] == data["p85"] == data["p95"] == "2026-03-11"  # 2 a day: 10 days
    window = data["window"]
    assert isinstance(window, dict) and window["closed"] == 112 and window["days"] == 56
    assert data["warnings"] == []


def test_until_json_counts_items() -> None:
    result = run("forecast", "--history", CONSTANT, "--until", "2026-03-08", "--format", "json")
    data = as_json(result)
    assert {"until", "p50", "p85", "p95"} <= set(data)
    assert data["until"] == "2026-03-08" and (data["p50"], data["p85"], data["p95"]) == (14, 14, 14)


def test_table_output_and_warnings_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    text = Path(CONSTANT).read_text() + "X1,2026-02-10,2026-02-09\n"
    path.write_text(text)
    result = run("forecast", "--history", str(path), "--items", "20", "--start", "2026-03-02")
    assert result.exit_code == 0, result.output
    assert "2026-03-11" in result.stdout and "85 %" in result.stdout
    assert "W410" in result.stderr and "h.csv:114" in result.stderr


def test_columns_and_filters_by_option(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    rows = [
        f"P{i % 2}-{i},{i % 2},2026-01-{1 + i % 28:02d},2026-02-{1 + i % 28:02d}" for i in range(80)
    ]
    path.write_text("key,project,opened,resolved\n" + "\n".join(rows) + "\n")
    args = ["--history", str(path), "--created-column", "opened", "--closed-column", "resolved"]
    both = as_json(run("forecast", *args, "--until", "2026-03-31", "--format", "json"))
    one = as_json(
        run("forecast", *args, "--where", "project=1", "--until", "2026-03-31", "--format", "json")
    )
    assert isinstance(both["window"], dict) and isinstance(one["window"], dict)
    assert (both["window"]["closed"], one["window"]["closed"]) == (80, 40)


def test_same_seed_same_numbers() -> None:
    args = ("forecast", "--history", CONSTANT, "--items", "30", "--format", "json", "--seed", "4")
    assert as_json(run(*args)) == as_json(run(*args))


def fails_with(result: Result, code: str) -> str:
    assert result.exit_code == 1, result.output
    assert code in result.stderr, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


def test_bad_requests_exit_one_with_a_code() -> None:
    base = ("forecast", "--history", CONSTANT)
    fails_with(run(*base, "--items", "0"), "E421")
    fails_with(run(*base, "--items", "-5"), "E421")
    fails_with(run(*base), "E421")  # neither --items nor --until
    fails_with(run(*base, "--items", "5", "--until", "2026-04-01"), "E421")
    fails_with(run(*base, "--until", "2026-02-01"), "E422")  # before the start (2026-03-02)
    fails_with(run(*base, "--until", "2026-03-20", "--start", "2026-03-21"), "E422")
    fails_with(run(*base, "--items", "5", "--iterations", "0"), "E423")
    fails_with(run(*base, "--items", "5", "--iterations", str(10**12)), "E423")
    fails_with(run(*base, "--items", "5", "--window", "3"), "E424")
    fails_with(run(*base, "--items", "5", "--growth", "2"), "E425")
    fails_with(run(*base, "--items", "5", "--start", "2025-12-01"), "E426")
    fails_with(run(*base, "--items", "5", "--where", "project"), "E416")


def test_bad_files_exit_one_with_a_code(tmp_path: Path) -> None:
    def forecast(path: Path, *more: str) -> Result:
        return run("forecast", "--history", str(path), "--items", "5", *more)

    stderr = fails_with(forecast(tmp_path / "missing.csv"), "E410")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    fails_with(forecast(empty), "E417")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"created,closed\n2026-01-05,2026-01-0\xe9\n")
    stderr = fails_with(forecast(latin), "E411")
    assert "latin.csv:2:21" in stderr
    binary = tmp_path / "archive.zip"
    binary.write_bytes(b"PK\x03\x04\x00\x00" + bytes(200))
    fails_with(forecast(binary), "E412")
    stderr = fails_with(forecast(Path(CONSTANT), "--closed-column", "done"), "E413")
    assert "'closed'" in stderr  # the columns that exist are named
    stderr = fails_with(forecast(FIXTURES / "history" / "bad-date.csv"), "E414")
    assert "bad-date.csv:3:15" in stderr
    short = tmp_path / "short.csv"
    short.write_text("created,closed\n" + "2026-01-05,2026-01-06\n" * 5)
    fails_with(forecast(short), "E420")


def test_backtest_table_and_json() -> None:
    table = run("backtest", "--history", CONSTANT, "--window", "28", "-n", "200")
    assert table.exit_code == 0, table.output
    assert "how many: actual ≥ P85" in table.stdout and "100.0%" in table.stdout
    data = as_json(
        run("backtest", "--history", CONSTANT, "--window", "28", "-n", "200", "--format", "json")
    )
    assert data["cut_dates"] == 1 and data["method"] == "paced"
    how_many = data["how_many"]
    assert isinstance(how_many, dict) and how_many["p85"]["rate"] == 1.0
    cuts = data["cuts"]
    assert isinstance(cuts, list) and cuts[0]["count"]["actual"] == 56
    listed = run("backtest", "--history", CONSTANT, "--window", "28", "-n", "200", "--cuts")
    assert listed.exit_code == 0 and "2026-02-02" in listed.stdout


def test_backtest_bad_input() -> None:
    fails_with(run("backtest", "--history", CONSTANT), "E427")  # 56 days: no full window + 28
    fails_with(run("backtest", "--history", CONSTANT, "--horizon", "0"), "E428")
    fails_with(run("backtest", "--history", CONSTANT, "-n", "0"), "E423")
    fails_with(run("backtest", "--history", CONSTANT, "--created-column", "made"), "E413")


def test_backtest_help_ends_with_an_example() -> None:
    doc = history_cli.backtest.__doc__ or ""
    assert doc.strip().splitlines()[-1].strip().startswith("Example: ontrack backtest --history")
    result = run("backtest", "--help")
    assert result.exit_code == 0 and "--horizon" in result.stdout


def test_the_export_day_is_stated() -> None:
    """CONSTANT's last date is 2026-03-01: the default export day, stated in the output."""
    data = as_json(run("forecast", "--history", CONSTANT, "--items", "20", "--format", "json"))
    assert data["history"] == {
        "file": CONSTANT,
        "from": "2026-01-05",
        "to": "2026-03-01",
        "as_of": "2026-03-01",
        "as_of_from": "file",
    }
    table = run("forecast", "--history", CONSTANT, "--items", "20", "--start", "2026-03-02")
    assert table.exit_code == 0, table.output
    assert "as exported on 2026-03-01 (the day before --start" in " ".join(table.stdout.split())
    # Exported three days after the last close: the quiet days are in the window.
    args = ["--until", "2026-03-31", "--as-of", "2026-03-04", "--format", "json"]
    later = as_json(run("forecast", "--history", CONSTANT, *args))
    window = later["window"]
    assert later["start"] == "2026-03-05" and isinstance(window, dict)
    assert window["to"] == "2026-03-04" and window["zero_days"] > 0
    fails_with(
        run("forecast", "--history", CONSTANT, "--items", "5", "--as-of", "2025-12-01"), "E426"
    )
    fails_with(
        run(
            "forecast",
            "--history",
            CONSTANT,
            "--items",
            "5",
            "--as-of",
            "2026-03-01",
            "--start",
            "2026-02-20",
        ),
        "E429",
    )


def test_a_thin_history_is_widened_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "thin.csv"
    early = [f"2025-09-{day:02d},2025-09-{day:02d}" for day in range(1, 21)]
    late = ["2026-02-02,2026-02-02", "2026-02-20,2026-02-20"]
    path.write_text("created,closed\n" + "\n".join(early + late) + "\n")
    result = run("forecast", "--history", str(path), "--items", "5", "--start", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert "W426" in result.stderr and "widened" in result.stderr
    assert "widened from 84" in " ".join(result.stdout.split())


def write_history(path: Path, rows: list[tuple[str, dt.date, dt.date | None]]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "created", "closed"])
        for key, created, closed in rows:
            writer.writerow([key, created.isoformat(), closed.isoformat() if closed else ""])


def test_the_backtest_and_the_forecast_command_give_identical_numbers(tmp_path: Path) -> None:
    """One code path: a backtest cut's numbers are exactly what `ontrack forecast --history`
    prints when fed the export a tracker would have given the day before the cut."""
    rng = np.random.default_rng(5)
    first = dt.date(2025, 6, 2)
    rows: list[tuple[str, dt.date, dt.date | None]] = []
    for offset, count in enumerate(rng.poisson(1.4, 200)):
        for _ in range(int(count)):
            created = first + dt.timedelta(days=offset)
            closed = created + dt.timedelta(days=int(rng.integers(0, 20)))
            rows.append((f"T{len(rows)}", created, closed))
    full = tmp_path / "full.csv"
    write_history(full, rows)
    report = as_json(
        run("backtest", "--history", str(full), "-n", "400", "--seed", "3", "-f", "json")
    )
    cuts = report["cuts"]
    assert isinstance(cuts, list) and len(cuts) > 5
    for index in (0, 4):
        cut = cuts[index]
        day = dt.date.fromisoformat(cut["date"])
        export = tmp_path / f"export-{index}.csv"
        write_history(
            export,
            [
                (key, created, closed if closed and closed < day else None)
                for key, created, closed in rows
                if created < day
            ],
        )
        seed = str(cut_options(BacktestOptions(iterations=400, seed=3), index).seed)
        common = ["--history", str(export), "--start", cut["date"], "-n", "400", "--seed", seed]
        until = (day + dt.timedelta(days=27)).isoformat()
        for question, expected in (
            (["--until", until], cut["count"]),
            (["--items", str(cut["when"]["items"])], cut["when"]),
        ):
            command = ["forecast", *common, *question, "--format", "json"]
            result = runner.invoke(ontrack_app, command)  # the real `ontrack forecast`
            data = as_json(result)
            history = data["history"]
            assert isinstance(history, dict)
            assert history["as_of"] == (day - dt.timedelta(days=1)).isoformat()
            assert (data["p50"], data["p85"]) == (expected["p50"], expected["p85"])
