"""The report's Releases section: each release's recommendation and gates as the assessment
has them, and the trains' calendar; absent for a plan without releases or trains."""

from __future__ import annotations

import re

from ontrack.app.assessment import AssessOptions, assess
from ontrack.planfile import load_plan
from ontrack.reports.html import render_report, report_sections
from tests.conftest import EXAMPLES, FIXTURES, HEADER, load_doc


def test_every_release_shows_its_recommendation_and_gates() -> None:
    plan, _ = load_plan(FIXTURES / "release-gates.yaml")
    assert plan is not None
    assessed, _ = assess(plan, AssessOptions(iterations=500, seed=2))
    assert assessed is not None
    page = render_report(assessed.report)
    for r in assessed.releases:
        card = page.split(f'id="release-{r.release}"')[1].split('class="card readiness"')[0]
        verdict = {"go": "GO", "no-go": "NO-GO", "pending": "NOT YET"}[r.recommendation]
        assert re.search(rf">{verdict}</span>", card)
        assert card.count('class="gate-') == len(r.gates)
        for g in r.gates:
            assert f'class="gate-{g.state}"' in card
    assert 'class="relcal' in page  # the train's calendar


def test_the_example_has_the_section_and_a_plain_plan_has_none() -> None:
    plan, _ = load_plan(EXAMPLES / "platform-migration")
    assert plan is not None
    assessed, _ = assess(plan, AssessOptions(iterations=300, seed=1))
    assert assessed is not None
    assert "releases" in [anchor for anchor, _, _ in report_sections(assessed.report)]
    bare, _ = load_doc(HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n")
    assert bare is not None
    plain, _ = assess(bare, AssessOptions(iterations=100, seed=1))
    assert plain is not None
    assert "releases" not in [anchor for anchor, _, _ in report_sections(plain.report)]
