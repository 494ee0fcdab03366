"""`ontrack forecast PLAN`: the JSON contract, determinism by seed, the table, bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from tests.conftest import EXAMPLES, FIXTURES

runner = CliRunner()
EXAMPLE = str(EXAMPLES / "platform-migration")


def forecast_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["forecast", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def test_json_has_the_documented_shape() -> None:
    data = forecast_json(EXAMPLE, "--iterations", "2000", "--seed", "7")
    assert data["iterations"] == 2000
    assert data["seed"] == 7
    milestones = data["milestones"]
    assert isinstance(milestones, list) and milestones
    for m in milestones:
        assert set(m) >= {"id", "deadline", "p50", "p80", "p95", "probability_on_time"}
        assert m["p50"] <= m["p80"] <= m["p95"]
        if m["deadline"] is None:
            assert m["probability_on_time"] is None
        else:
            assert 0 <= m["probability_on_time"] <= 1
    tasks = data["tasks"]
    assert isinstance(tasks, list)
    assert all(0 <= t["criticality"] <= 1 for t in tasks)
    drivers = data["drivers"]
    assert isinstance(drivers, list) and {"kind", "id", "days"} <= set(drivers[0])


def test_same_seed_same_numbers() -> None:
    first = forecast_json(EXAMPLE, "-n", "1500", "--seed", "3")
    second = forecast_json(EXAMPLE, "-n", "1500", "--seed", "3")
    first.pop("seconds")
    second.pop("seconds")
    assert first == second


def test_table() -> None:
    result = runner.invoke(app, ["forecast", EXAMPLE, "-n", "1000"])
    assert result.exit_code == 0, result.output
    assert "P80" in result.output
    assert "What moves the finish" in result.output
    assert "apps-cutover-complete" in result.output


def test_resource_mode() -> None:
    data = forecast_json(str(FIXTURES / "plans" / "clean.yaml"), "-n", "200", "--resources")
    assert data["mode"] == "resources"


def test_bad_iterations_exit_1_without_traceback() -> None:
    for count in ("0", "1000000000000"):
        result = runner.invoke(app, ["forecast", EXAMPLE, "--iterations", count])
        assert result.exit_code == 1
        assert "E330" in result.output
        assert "Traceback" not in result.output


def test_bad_correlation() -> None:
    result = runner.invoke(app, ["forecast", EXAMPLE, "--correlation", "1.5"])
    assert result.exit_code == 1
    assert "E331" in result.output


def test_a_broken_plan_is_reported() -> None:
    broken = FIXTURES / "plans"
    bad = next(p for p in sorted(broken.glob("*.yaml")) if "# expect: E" in p.read_text())
    result = runner.invoke(app, ["forecast", str(bad)])
    assert result.exit_code == 1
    assert "ontrack check" in result.output


def test_the_cli_knows_the_engines_limits_and_distributions() -> None:
    from ontrack.cli import forecast as cli
    from ontrack.engines.forecast import montecarlo
    from ontrack.engines.forecast.distributions import Distribution

    assert cli.MAX_ITERATIONS == montecarlo.MAX_ITERATIONS
    assert [c.value for c in cli.DistributionChoice] == [d.value for d in Distribution]


def test_tables_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # On a terminal the tables print at the terminal's width (piped, they widen instead).
    from rich.console import Console

    from ontrack.cli import output

    console = Console(force_terminal=True, width=150, record=True)
    monkeypatch.setattr(output, "stdout", console)
    monkeypatch.setattr("ontrack.cli.forecast.stdout", console)
    result = runner.invoke(app, ["forecast", EXAMPLE, "-n", "300"])
    assert result.exit_code == 0, result.output
    assert "What moves the finish" in console.export_text()


def test_driver_shares_read_naturally() -> None:
    """The delays add up to 100 %; a negative remainder (float that absorbed overruns) is its
    own explained line with no share, and the last line is the net move of the mean finish."""
    import dataclasses

    from rich.console import Console

    from ontrack.cli.forecast import MERGE_TAKES, _drivers_table
    from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast
    from ontrack.engines.forecast.result import DriverContribution
    from ontrack.planfile import load_plan

    plan, _ = load_plan(FIXTURES / "plans" / "clean.yaml")
    assert plan is not None
    result, _ = forecast(plan, ForecastOptions(iterations=50))
    assert result is not None
    drivers = (
        DriverContribution("merge", "merge-bias", "merge bias", -5.7, -0.61),
        DriverContribution("risk", "r1", "Vendor late", 9.0, 0.97),
        DriverContribution("task", "t1", "Build", 6.0, 0.65),
    )
    console = Console(width=200, record=True)
    console.print(_drivers_table(dataclasses.replace(result, drivers=drivers)))
    text = console.export_text()
    assert "-61" not in text and "−61" not in text
    rows = {
        line.split("│")[1].strip(): line.split("│")[3:5]
        for line in text.splitlines()[3:]
        if line.startswith("│")
    }
    assert [c.strip() for c in rows["r1 Vendor late"]] == ["+9.0", "60%"]
    assert [c.strip() for c in rows["t1 Build"]] == ["+6.0", "40%"]
    assert [c.strip() for c in rows["delays, all drivers"]] == ["+15.0", "100%"]
    assert MERGE_TAKES[:40] in text
    assert [c.strip() for c in rows["the mean finish moves by"]] == ["+9.3", ""]
