"""The HTML page: self-contained, escaped, one Gantt bar per task, optional sections."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import textwrap
from typing import Any

import pytest

from ontrack.app.asof import resolve_as_of
from ontrack.app.assessment import AssessOptions, assess
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan
from ontrack.reports import ComplianceRow, Finding, ReportData, ReportOptions
from ontrack.reports.html import render_report
from tests.conftest import report_data
from tests.reports.test_data import PLAN

EVIL = '<script>alert("x")</script> & "quotes"'


def _data(text: str, **options: Any) -> ReportData:
    plan, diagnostics = load_plan_text(textwrap.dedent(text), "plan.yaml")
    assert plan is not None, diagnostics
    data, problems = report_data(
        plan,
        dt.date(2026, 1, 16),
        iterations=200,
        seed=1,
        generated=dt.datetime(2026, 1, 16, 9, 0, tzinfo=dt.UTC),
        **options,
    )
    assert isinstance(data, ReportData), problems
    return data


@pytest.fixture(scope="module")
def hostile() -> ReportData:
    text = (
        PLAN.replace("title: API", f"title: '{EVIL}'")
        .replace("name: Report test", f"name: '{EVIL}'")
        .replace("title: Vendor late", f"title: '{EVIL}'")
        .replace("name: Ann Lee", f"name: '{EVIL}'")
    )
    return _data(text)


def gantt_bars(page: str) -> list[str]:
    body = page[page.index('class="g-body"') :]
    return re.findall(r'<span class="bar [^"]*"', body)


def test_plan_text_is_escaped_everywhere(hostile: ReportData) -> None:
    page = render_report(hostile)
    assert "<script>alert" not in page
    assert page.count("&lt;script&gt;alert") >= 4  # title, Gantt, tooltip, risk, people...


def test_the_page_is_self_contained_and_prints(hostile: ReportData) -> None:
    page = render_report(hostile)
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<link" not in page and " src=" not in page  # no stylesheet, script or image to fetch
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "@media print" in page and "@page" in page


def test_one_gantt_bar_per_task_and_the_sections(hostile: ReportData) -> None:
    page = render_report(hostile)
    assert len(gantt_bars(page)) == len(hostile.gantt.tasks) == 5
    for anchor in ("milestones", "schedule", "forecast", "people", "risks"):
        assert f'<section id="{anchor}"' in page
    assert 'id="tracking"' not in page  # no baseline given
    assert 'id="g-links"' in page  # dependency arrows for a small plan
    # c's deadline passed before the status date and it is not done: the headline is red, its
    # reason (quotes escaped) the overdue one.
    assert hostile.rag.colour == "red" and '<div class="rag rag-red">' in page
    assert hostile.rag.reason.replace("'", "&#39;") in page


def test_findings_and_compliance_render_only_when_present(hostile: ReportData) -> None:
    # (The Releases section names failed checks as gate evidence: it is left out here.)
    hostile = dataclasses.replace(hostile, findings=(), compliance=(), releases=())
    page = render_report(hostile)
    assert "Detected risks" not in page and "DCMA" not in page
    extended = dataclasses.replace(
        hostile,
        findings=(Finding("R101", "high", "Single point of failure", "Ann does all <b>", ("b",)),),
        compliance=(
            ComplianceRow(1, "Logic", "2%", "≤ 5%", True),
            ComplianceRow(2, "Leads", "—", "0", None, "n/a"),
        ),
    )
    page = render_report(extended)
    assert "Detected risks" in page and "Single point of failure" in page
    assert "Ann does all &lt;b&gt;" in page
    assert "DCMA" in page and ">pass<" in page and ">n/a<" in page


def test_a_large_plan_folds_and_drops_arrows() -> None:
    plan, diagnostics = load_plan_text(
        dump_plan(generate_plan(tasks=150, people=8, seed=2)), "plan.yaml"
    )
    assert plan is not None, diagnostics
    # The schedule's time limit is an assessment option now (AssessOptions), not a report one.
    assessed, problems = assess(
        plan,
        AssessOptions(
            iterations=200,
            seed=1,
            time_limit=0.3,
            report=ReportOptions(expanded_rows=30, arrows_max_tasks=100),
        ),
        as_of=resolve_as_of(plan, (), dt.date(2026, 1, 16)),
    )
    assert assessed is not None, problems
    data = assessed.report
    page = render_report(data)
    assert len(gantt_bars(page)) == len(data.gantt.tasks)
    assert '<details class="g-grp">' in page  # folded groups
    assert (
        'id="g-links"' not in page and "Dependency arrows are drawn for plans of up to 100" in page
    )
