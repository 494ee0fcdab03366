"""The plan's ``delivery:`` section in the program assessment, its JSON and the HTML report: a
real git repository built here with deployment and incident logs beside the plan, and every
figure compared with ``ontrack dora --format json`` for the same files and window."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ontrack.app.delivery import delivery_report, delivery_window
from ontrack.cli.main import app
from ontrack.planfile import load_plan
from tests.interop.test_gitlog import commit, git

runner = CliRunner()
AS_OF = "2026-03-20"  # a Friday

PLAN = """\
program:
  name: Delivery Demo
  start: 2026-01-05
people:
  - id: ada
    name: Ada
tasks:
  - id: build
    title: Build it
    estimate: 5d
    assignee: ada
"""


def invoke(*args: str | Path) -> Any:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def write_program(root: Path, delivery: str | None) -> Path:
    """A plan folder with a git repository (``app``) and the logs: two services, a tag each
    deployment names, an incident caused by one, a version the repository lacks (W471) and a
    staging deployment that is not measured."""
    folder = root / "prog"
    repo = folder / "app"
    repo.mkdir(parents=True)
    git(repo, "2026-03-02T09:00:00Z", "init", "-q", "-b", "main")
    commit(repo, "2026-03-02T09:00:00Z", "a.txt", "init")
    commit(repo, "2026-03-02T10:00:00Z", "b.txt", "feat: b")
    git(repo, "2026-03-02T10:00:00Z", "tag", "v1")
    commit(repo, "2026-03-03T09:00:00Z", "c.txt", "feat: c")
    git(repo, "2026-03-03T09:00:00Z", "tag", "v2")
    commit(repo, "2026-03-05T12:00:00Z", "d.txt", "fix: d")
    git(repo, "2026-03-05T12:00:00Z", "tag", "v3")
    (folder / "deploys.csv").write_text(
        "id,service,version,environment,time,result\n"
        "d1,api,v1,production,2026-03-02T11:00:00Z,success\n"
        "d2,api,v2,production,2026-03-03T15:00:00Z,success\n"
        "d3,web,v1,production,2026-03-04T10:00:00Z,success\n"
        "d4,web,v2,production,2026-03-06T10:00:00Z,success\n"
        "d5,api,v3,production,2026-03-06T12:00:00Z,success\n"
        "d6,api,nosuchtag,production,2026-03-09T12:00:00Z,failure\n"
        "d7,api,v3,staging,2026-03-05T13:00:00Z,success\n",
        encoding="utf-8",
    )
    (folder / "incidents.csv").write_text(
        "id,service,started,resolved,caused_by\n"
        "i1,api,2026-03-03T16:00:00Z,2026-03-03T18:00:00Z,d2\n"
        "i2,web,2026-03-10T08:00:00Z,,d4\n",
        encoding="utf-8",
    )
    (folder / "plan.yaml").write_text(PLAN + (delivery or ""), encoding="utf-8")
    return folder


DELIVERY = """\
delivery:
  repo: app
  deployments: deploys.csv
  incidents: incidents.csv
"""


def assess_json(folder: Path, *extra: str) -> dict[str, Any]:
    out = invoke("assess", folder, "--status-date", AS_OF, "-n", "200", *extra, "--format", "json")
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def dora_json(folder: Path, since: str, *extra: str) -> dict[str, Any]:
    out = invoke(
        "dora",
        "--repo",
        folder / "app",
        "--deployments",
        folder / "deploys.csv",
        "--incidents",
        folder / "incidents.csv",
        "--since",
        since,
        "--until",
        AS_OF,
        *extra,
        "--format",
        "json",
    )
    data: dict[str, Any] = json.loads(out.stdout)
    return data


@pytest.mark.parametrize(
    ("period", "since"),
    [("week", "2025-09-22"), ("month", "2025-04-01")],  # 26 weeks / 12 months to the as-of day
)
def test_the_assessment_json_is_what_ontrack_dora_prints(
    tmp_path: Path, period: str, since: str
) -> None:
    folder = write_program(tmp_path, DELIVERY + f"  period: {period}\n")
    truth = assess_json(folder)
    dora = truth["dora"]
    assert dora == dora_json(folder, since, "--period", period)
    assert dora["since"] == f"{since}T00:00:00+00:00"
    assert dora["until"] == "2026-03-21T00:00:00+00:00"  # the as-of day included
    assert dora["period"] == period
    assert [s["service"] for s in dora["services"]] == ["api", "web"]
    total = dora["overall"]["total"]
    # Six production deployments (staging's is not measured); d2 and d4 named by incidents.
    assert (total["deployments"], total["failed_deployments"]) == (6, 2)
    # The first deployment of each service ships nothing measured: C (twice: api and web
    # count it once, at d2) and D.
    assert total["lead_time_commits"] == 2
    assert total["unresolved_incidents"] == ["i2"]
    # The version the repository lacks: a warning in both places, with the log's line.
    codes = [(d["code"], d["line"]) for d in dora["diagnostics"]]
    assert codes == [("W471", 7)]
    assert ("W471", 7) in [(d["code"], d["line"]) for d in truth["diagnostics"]]


def test_the_report_has_a_delivery_section_with_a_trend_chart_per_metric(tmp_path: Path) -> None:
    folder = write_program(tmp_path, DELIVERY)
    out = tmp_path / "report.html"
    invoke("report", folder, "-o", out, "--status-date", AS_OF, "-n", "200")
    page = out.read_text(encoding="utf-8")
    assert '<a href="#delivery">Delivery</a>' in page
    found = re.search(r'<section id="delivery" class="section">(.*?)</section>', page, re.S)
    assert found is not None
    section = found.group(1)
    labels = re.findall(r'<svg class="chart"[^>]*aria-label="([^"]*)"', section)
    assert [label.split(" per ")[0] for label in labels] == [
        "Deployment frequency",
        "Change lead time (median)",
        "Change fail rate",
        "Failed deployment recovery time (median)",
        "Rework rate",
    ]
    assert all(label.endswith("week, 2025-09-22 to 2026-03-20") for label in labels)
    assert section.count("<title>") >= 5  # each chart has an accessible title
    # One row per service and one for all of them, each metric with its band.
    for name in ("All services", "api", "web"):
        assert f">{name}<" in section
    assert re.search(r'class="chip band-(elite|high|medium|low)"', section)
    assert "Unresolved incidents: i2." in section
    assert "<script" not in section  # drawn in SVG, no script


def test_the_status_report_says_one_line_on_delivery(tmp_path: Path) -> None:
    folder = write_program(tmp_path, DELIVERY)
    truth = assess_json(folder)["dora"]["overall"]["total"]
    text = invoke("status", folder, "--status-date", AS_OF, "-n", "200").stdout
    line = re.search(r"Delivery to production since 22 Sep 2025: ([^\n]*?)\.(?: |\n|$)", text)
    assert line is not None, text
    # The assessment's figures, each with its band.
    per_week = f"{truth['deployments_per_week']:.2f} deployments a week"
    assert line.group(1).startswith(f"{per_week} ({truth['bands']['deployment_frequency']})")
    assert f"change fail rate {100 * truth['change_fail_rate']:.0f}%" in line.group(1)


def test_a_missing_deployment_log_is_a_coded_warning_and_the_assessment_is_made(
    tmp_path: Path,
) -> None:
    folder = write_program(tmp_path, DELIVERY.replace("deploys.csv", "missing.csv"))
    truth = assess_json(folder)
    assert truth["dora"] is None
    assert truth["rag"]["rating"] in ("red", "amber", "green")
    problems = [d for d in truth["diagnostics"] if d["code"] == "E470"]
    assert len(problems) == 1
    problem = problems[0]
    assert problem["severity"] == "warning"
    assert problem["file"] == str(folder / "missing.csv")
    # It points back to the plan line that names the file.
    assert problem["related"] == [f"{folder / 'plan.yaml'}:14:16"]
    out = tmp_path / "report.html"
    result = invoke("report", folder, "-o", out, "--status-date", AS_OF, "-n", "200")
    assert "E470" in result.output
    assert 'id="delivery"' not in out.read_text(encoding="utf-8")


def test_no_repository_is_a_warning_too(tmp_path: Path) -> None:
    folder = write_program(tmp_path, DELIVERY.replace("repo: app", "repo: nowhere"))
    plan, problems = load_plan(folder)
    assert plan is not None and not problems
    report, found = delivery_report(plan, dt.date(2026, 3, 20))
    assert report is None
    assert [(d.code, d.severity.value) for d in found] == [("E475", "warning")]
    assert [str(r) for r in found[0].related] == [f"{folder / 'plan.yaml'}:13:9"]


def test_without_delivery_there_is_no_dora(tmp_path: Path) -> None:
    folder = write_program(tmp_path, None)
    assert assess_json(folder)["dora"] is None
    out = tmp_path / "report.html"
    invoke("report", folder, "-o", out, "--status-date", AS_OF, "-n", "200")
    page = out.read_text(encoding="utf-8")
    assert 'id="delivery"' not in page and 'href="#delivery"' not in page


def test_the_window_ends_on_the_as_of_day() -> None:
    utc = dt.UTC
    # Weeks: from the Monday 25 weeks before the as-of day's week.
    assert delivery_window(dt.date(2026, 3, 16), "week") == (
        dt.datetime(2025, 9, 22, tzinfo=utc),
        dt.datetime(2026, 3, 17, tzinfo=utc),
    )
    assert delivery_window(dt.date(2026, 3, 22), "week")[0] == dt.datetime(2025, 9, 22, tzinfo=utc)
    # Months: from the first of the month 11 months before, across a year's end.
    assert delivery_window(dt.date(2026, 1, 31), "month") == (
        dt.datetime(2025, 2, 1, tzinfo=utc),
        dt.datetime(2026, 2, 1, tzinfo=utc),
    )
    assert delivery_window(dt.date(2026, 12, 1), "month")[0] == dt.datetime(2026, 1, 1, tzinfo=utc)
