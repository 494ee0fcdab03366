"""One risk matrix: the program report's risk rows are the risk engine's register, so a risk's
probability, impact, score, rating and exposure read the same in the report as in
`ontrack risks`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from ontrack.planfile import load_plan
from ontrack.reports.data import risk_cells
from tests.conftest import EXAMPLES, report_data

DAY = dt.date(2026, 2, 2)


@pytest.mark.parametrize("example", ["small", "platform-migration"])
def test_the_report_scores_risks_as_ontrack_risks_does(example: str) -> None:
    path = EXAMPLES / example
    plan, diagnostics = load_plan(path)
    assert plan is not None, diagnostics
    data, problems = report_data(plan, DAY, iterations=200, seed=0)
    assert data is not None, problems
    out = CliRunner().invoke(
        app, ["risks", str(path), "--as-of", DAY.isoformat(), "-n", "200", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    register = json.loads(out.stdout)["register"]
    assert register, "the example has risks"

    assert {
        r.id: (r.probability_score, r.impact_score, r.score, r.rating, round(r.exposure_days, 2))
        for r in data.risks
    } == {
        r["id"]: (
            r["probability_band"],
            r["impact_band"],
            r["score"],
            r["rating"],
            r["exposure_days"],
        )
        for r in register
    }
    # The matrix holds the open and mitigating risks, as the engine's heat map does.
    cells = risk_cells(data.risks)
    assert {
        (c["probability"], c["impact"]): sorted(c["risks"])
        for c in json.loads(out.stdout)["heatmap"]
    } == {(p, i): sorted(cells[p - 1][i - 1]) for p in range(1, 6) for i in range(1, 6)}
