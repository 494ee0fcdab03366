"""Release readiness gates, each with a known answer worked out from the fixture plan
(tests/fixtures/release-gates.yaml, as of its status date 2026-01-26):

- r1 ships `ship`, which waits for `build` (done) and `test` (in progress, planned to finish
  2026-01-28); it leaves with train t's third departure, 2026-02-03, code freeze 2026-01-30.
- `r-high` (critical) affects `test`: the risk gate fails; `r-other` affects other work.
- checklist a is overdue (due 2026-01-20), b not yet due, c waived, d done.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ontrack.app.assessment import Assessment, AssessOptions, assess
from ontrack.engines.readiness import Inputs, readiness
from ontrack.model import Plan
from ontrack.model.signoff import SignOff
from ontrack.planfile import load_plan
from tests.conftest import FIXTURES

PLAN = FIXTURES / "release-gates.yaml"
T0 = dt.datetime(2026, 1, 26, 10, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def plan() -> Plan:
    loaded, diagnostics = load_plan(PLAN)
    assert loaded is not None, diagnostics
    return loaded


def _assessed(plan: Plan, signoffs: tuple[SignOff, ...] = ()) -> Assessment:
    result, diagnostics = assess(plan, AssessOptions(iterations=2000, seed=3), signoffs=signoffs)
    assert result is not None, diagnostics
    return result


def _inputs(a: Assessment, **changes: object) -> Inputs:
    base = Inputs(
        plan=a.plan,
        as_of=a.as_of.date,
        schedule=a.schedule,
        forecast=a.forecast,
        status=a.status,
        risks=a.risks,
        audit=a.audit,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_each_gate_of_r1_has_its_worked_out_state(plan: Plan) -> None:
    a = _assessed(plan)
    r = a.release("r1")
    assert r is not None
    states = {g.id: g.state for g in r.gates}
    assert states == {
        "scope": "pending",
        "odds": "fail",  # about 10%: `test` alone has 2 days left of a 3-day estimate, with r-high
        "risks": "fail",
        "audit": "pass",
        "checklist:a": "fail",
        "checklist:b": "pending",
        "checklist:c": "pass",
        "checklist:d": "pass",
        "signoffs": "pending",
    }
    assert (r.done, r.work) == (1, 2)
    assert r.departure is not None and r.departure.number == 3
    assert r.code_freeze == dt.date(2026, 1, 30)
    scope = r.gate("scope")
    assert scope is not None and [e.subject for e in scope.evidence] == ["test"]
    risks = r.gate("risks")
    assert risks is not None and [e.subject for e in risks.evidence] == ["r-high"]
    checklist = r.gate("checklist:a")
    assert checklist is not None and (checklist.owner, checklist.due) == (
        "vp",
        dt.date(2026, 1, 20),
    )
    assert r.recommendation == "no-go"


def test_the_odds_gate_reads_the_forecast_the_assessment_shows(plan: Plan) -> None:
    a = _assessed(plan)
    r = a.release("r1")
    assert r is not None
    shown = next(m for m in a.to_json()["milestones"] if m["id"] == "r1")
    assert r.probability is not None
    assert round(r.probability, 4) == shown["probability_on_time"]
    assert r.p80 is not None and r.p80.isoformat() == shown["p80"]
    assert a.to_json()["releases"][0] == r.to_json()


def test_a_release_whose_work_is_done_and_unthreatened_is_a_go(plan: Plan) -> None:
    r = _assessed(plan).release("r-go")
    assert r is not None
    assert r.recommendation == "go"
    assert {g.state for g in r.gates} == {"pass"}
    assert r.reasons == ("every gate passes",)


def test_a_date_off_the_trains_departures_is_said_with_the_nearest(plan: Plan) -> None:
    r = _assessed(plan).release("offtrain")
    assert r is not None
    assert r.departure is None and r.code_freeze is None
    scope = r.gate("scope")
    assert scope is not None
    assert any(
        "2026-02-04 is not a departure" in e.text and "2026-02-03 and 2026-02-17" in e.text
        for e in scope.evidence
    )


def test_scope_fails_once_the_code_freeze_has_come(plan: Plan) -> None:
    a = _assessed(plan)
    release = next(x for x in plan.releases if x.id == "r1")
    late = readiness(_inputs(a, as_of=dt.date(2026, 1, 30)), release)
    scope = late.gate("scope")
    assert scope is not None and scope.state == "fail"
    assert "code freeze (2026-01-30) has come" in scope.summary
    # Checklist b (due 2026-02-02) is still pending then, and fails after it.
    assert {g.id: g.state for g in late.gates}["checklist:b"] == "pending"
    after = readiness(_inputs(a, as_of=dt.date(2026, 2, 3)), release)
    assert {g.id: g.state for g in after.gates}["checklist:b"] == "fail"


def test_the_latest_signoff_of_each_role_counts(plan: Plan) -> None:
    a = _assessed(plan)
    release = next(x for x in plan.releases if x.id == "r1")
    qa = SignOff("r1", "qa", "Dana", "go", T0, 1)
    eng_no = SignOff("r1", "eng", "Eli", "no-go", T0 + dt.timedelta(minutes=5), 1, "flaky")
    eng_go = SignOff("r1", "eng", "Eli", "go", T0 + dt.timedelta(minutes=9), 1)
    other = SignOff("r-go", "eng", "Eli", "no-go", T0, 1)

    def gate(*signed: SignOff) -> tuple[str, str]:
        found = readiness(_inputs(a, signoffs=signed), release).gate("signoffs")
        assert found is not None
        return found.state, found.summary

    assert gate(qa) == ("pending", "1 of 2 signed; waiting for eng")
    assert gate(qa, eng_no) == ("fail", "no-go from eng")
    assert gate(qa, eng_no, eng_go) == ("pass", "all 2 signed go")
    assert gate(qa, eng_go, other)[0] == "pass"  # another release's sign-off is not this one's
    signed = readiness(_inputs(a, signoffs=(qa, eng_no, eng_go)), release)
    assert len(signed.signoffs) == 3  # every one kept as evidence, not only the latest


def test_a_release_without_a_date_has_its_odds_pending(plan: Plan) -> None:
    a = _assessed(plan)
    release = dataclasses.replace(plan.releases[0], date=None, train=None, checklist=())
    r = readiness(_inputs(a), release)
    odds = r.gate("odds")
    assert odds is not None and odds.state == "pending"
    assert r.code_freeze is None
