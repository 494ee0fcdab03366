"""The risk register's scoring and every detector, each on a plan that triggers it and one that
does not. Plans start Monday 2026-01-05 (grid day 0) with no holidays, so working days are easy
to count by hand. Most detectors are checked without a forecast (criticality 0, so only the
deterministic schedule decides what drives the finish); the forecast's own ones use a few
thousand iterations with a fixed seed and numbers that are exact or have wide margins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction as F
from typing import Any

import pytest

from ontrack.diagnostics import SourceLoc, error
from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast
from ontrack.engines.risk import (
    CODES,
    DETECTORS,
    IMPACT_BANDS,
    PROBABILITY_BANDS,
    Assessment,
    Finding,
    Rating,
    RiskOptions,
    Tracking,
    assess,
    band,
    leaf_predecessors,
    rating,
)
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.engines.schedule.progress import facts_status
from ontrack.model import BaselineTask, Plan
from ontrack.store.repo import ProgressFact
from tests.conftest import EXAMPLES, HEADER, load_doc

AS_OF = dt.date(2026, 1, 5)


def plan_of(text: str, header: str = HEADER) -> Plan:
    loaded, diagnostics = load_doc(header + text)
    assert loaded is not None, [d.format() for d in diagnostics]
    return loaded


def run(
    text: str | Plan,
    *,
    iterations: int = 0,
    tracking: Tracking | None = None,
    header: str = HEADER,
    **options: Any,
) -> Assessment:
    """Schedule (and, with ``iterations``, forecast) the plan, then assess it."""
    plan = text if isinstance(text, Plan) else plan_of(text, header)
    status = tracking.status if tracking is not None else None
    scheduled, problems = schedule(plan, ScheduleOptions(time_limit=1, status=status))
    assert scheduled is not None, problems
    simulated = None
    if iterations:
        simulated, problems = forecast(
            plan, ForecastOptions(iterations=iterations, seed=7, workers=1, status=status)
        )
        assert simulated is not None, problems
    as_of = options.pop("as_of", AS_OF)
    return assess(plan, scheduled, simulated, RiskOptions(as_of=as_of, **options), tracking)


def found(result: Assessment, code: str) -> list[Finding]:
    return [f for f in result.findings if f.code == code]


def one(result: Assessment, code: str) -> Finding:
    hits = found(result, code)
    assert len(hits) == 1, [f.message for f in result.findings]
    return hits[0]


# -- scales and the register ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "expected"),
    [(1, 1), (10, 1), (11, 2), (30, 2), (31, 3), (50, 3), (51, 4), (70, 4), (71, 5), (100, 5)],
)
def test_probability_bands(percent: int, expected: int) -> None:
    assert band(F(percent, 100), PROBABILITY_BANDS) == expected


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (F(1, 100), 1),
        (F(2, 100), 1),
        (F(3, 100), 2),
        (F(5, 100), 2),
        (F(10, 100), 3),
        (F(11, 100), 4),
        (F(20, 100), 4),
        (F(21, 100), 5),
    ],
)
def test_impact_bands(share: F, expected: int) -> None:
    assert band(share, IMPACT_BANDS) == expected


def test_ratings() -> None:
    assert [rating(s) for s in (1, 4, 5, 9, 10, 16, 20, 25)] == [
        Rating.LOW,
        Rating.LOW,
        Rating.MEDIUM,
        Rating.MEDIUM,
        Rating.HIGH,
        Rating.HIGH,
        Rating.CRITICAL,
        Rating.CRITICAL,
    ]


BUDGET_HEADER = """\
program:
  name: Test program
  start: 2026-01-05
  budget: 100000
"""

# A 50-working-day program: 5 days of impact is 10 % of it, 10 days 20 %.
REGISTER = """
people:
  - {id: x, name: X}
tasks:
  - {id: a, title: Build, estimate: 50d}
risks:
  - {id: r-days, title: Days, probability: 30%, impact: 5d/10d/15d, affects: a, owner: x,
     response: mitigate, mitigation: m, review_date: 2026-01-01}
  - {id: r-money, title: Money, probability: 60%, cost_impact: 25000, owner: x,
     response: accept, review_date: 2026-02-01}
  - {id: r-small, title: Small, probability: 10%, impact: 5d, owner: x, response: accept}
  - {id: r-done, title: Happened, probability: 20%, impact: 1d, status: occurred, owner: x,
     review_date: 2026-01-02}
  - {id: r-gone, title: Gone, probability: 90%, impact: 20d, status: closed,
     review_date: 2026-01-01}
"""


def test_register_scoring_exposure_and_heatmap() -> None:
    result = assess(
        plan_of(REGISTER, BUDGET_HEADER),
        schedule(plan_of(REGISTER, BUDGET_HEADER))[0],
        None,
        RiskOptions(as_of=dt.date(2026, 1, 10)),
    )
    assert result.program_days == 50
    by_id = {s.risk.id: s for s in result.register}
    days, money, small, done, gone = (
        by_id[k] for k in ("r-days", "r-money", "r-small", "r-done", "r-gone")
    )
    # PERT mean (5 + 4*10 + 15) / 6 = 10 days = 20 % of 50: band 4; 30 % is band 2.
    assert (days.probability_band, days.time_band, days.cost_band) == (2, 4, 1)
    assert (days.score, days.rating) == (8, Rating.MEDIUM)
    assert days.impact_days == 10
    assert days.exposure_days == 3  # 0.3 x 10
    assert days.review_overdue_days == 9
    # 25,000 of a 100,000 budget is 25 %: band 5; 60 % is band 4: 20, critical.
    assert (money.probability_band, money.impact_band, money.score) == (4, 5, 20)
    assert money.rating is Rating.CRITICAL
    assert money.exposure_money == Decimal(15000)
    assert money.review_overdue_days is None  # not due yet
    assert (small.probability_band, small.impact_band) == (1, 3)
    assert small.exposure_days == F(1, 2)
    # Occurred: certain (top row, full exposure), no longer on the heat map.
    assert done.probability == 1
    assert done.exposure_days == 1
    assert done.probability_band == 5
    assert not done.active
    # Closed: no exposure, no overdue review, not on the heat map.
    assert gone.exposure_days == 0
    assert (gone.review_overdue_days, gone.active) == (None, False)
    cells = {(c.probability, c.impact): c.risks for c in result.heatmap}
    assert len(cells) == 25
    assert cells[(2, 4)] == ("r-days",)
    assert cells[(4, 5)] == ("r-money",)
    assert cells[(1, 3)] == ("r-small",)
    assert sum(len(r) for r in cells.values()) == 3
    assert [s.risk.id for s in result.ranked_register()][:2] == ["r-days", "r-done"]
    data = result.to_json()
    assert set(data) >= {"register", "heatmap", "raid", "findings"}
    assert data["register"][0]["impact_days"] == {
        "optimistic": 5.0,
        "likely": 10.0,
        "pessimistic": 15.0,
        "mean": 10.0,
    }


def test_without_a_budget_cost_is_banded_against_nothing() -> None:
    result = run(REGISTER)  # no budget and no forecast: no basis for money
    money = next(s for s in result.register if s.risk.id == "r-money")
    assert money.cost_band == 1


# -- R101 deadline at risk --------------------------------------------------------------------

# 20 working days: 2026-01-05 .. 2026-01-30. The risk adds 5 days to 'a' 30 % of the time.
DEADLINE = """
people:
  - {id: x, name: X}
tasks:
  - {id: a, title: Build, estimate: 20d}
  - {id: m, title: Launch, milestone: true, depends: a, deadline: 2026-01-30}
risks:
  - {id: r1, title: Vendor late, probability: PCT, impact: 5d, affects: a, owner: x,
     response: mitigate, mitigation: m}
releases:
  - {id: rel, title: Release, date: 2026-01-30, includes: [m]}
"""


def test_deadline_at_risk() -> None:
    result = run(DEADLINE.replace("PCT", "30%"), iterations=4000)
    f = one(result, "R101")
    assert f.subjects == ("m", "rel")  # the release due the same day is named with it
    e = f.evidence
    assert e["deadline"] == "2026-01-30"
    assert 0.67 < e["probability_on_time"] < 0.73  # 1 - 0.3
    assert (e["p50"], e["p80"]) == ("2026-01-30", "2026-02-06")  # +5 working days
    assert 1.35 < e["expected_late_days"] < 1.65  # 0.3 x 5
    assert e["risks"] == ["r1"]
    assert f.severity is Rating.MEDIUM
    assert f.loc.line > 0


def test_deadline_not_at_risk_or_below_a_stricter_threshold() -> None:
    text = DEADLINE.replace("PCT", "10%")
    assert not found(run(text, iterations=4000), "R101")
    strict = found(run(text, iterations=4000, deadline_threshold=0.95), "R101")
    assert [f.subjects for f in strict] == [("m", "rel")]


def test_deadline_odds_below_a_half_are_high() -> None:
    f = one(run(DEADLINE.replace("PCT", "60%"), iterations=4000), "R101")
    assert f.severity is Rating.HIGH


# -- R102 merge bias --------------------------------------------------------------------------

MERGE = """
tasks:
  - {id: a, title: A, estimate: 5d/10d/20d}
  - {id: b, title: B, estimate: 5d/10d/20d}
  - {id: c, title: C, estimate: 5d/10d/20d}
  - {id: d, title: D, estimate: 5d/10d/20d}
  - {id: m, title: Join, milestone: true, depends: [a, b, c, d]}
"""


def test_merge_bias() -> None:
    result = run(MERGE, iterations=4000, merge_bias_days=1.0)
    f = one(result, "R102")
    assert f.subjects == ("m",)
    assert f.evidence["inputs"] == 4
    assert result.findings  # the evidence is the forecast's own measure
    assert f.evidence["merge_bias_days"] >= 1.0


def test_no_merge_bias_with_fewer_inputs() -> None:
    text = MERGE.replace("depends: [a, b, c, d]", "depends: [a, b]")
    assert not found(run(text, iterations=4000, merge_bias_days=0.01), "R102")


# -- R103 thin float --------------------------------------------------------------------------

# 'a' is the critical path (10 days); 'b' and 'c' have 2 and 3 days of float.
THIN = """
tasks:
  - {id: a, title: A, estimate: 10d}
  - {id: b, title: B, estimate: 8d}
  - {id: c, title: C, estimate: 7d}
  - {id: m, title: Join, milestone: true, depends: [a, b, c]}
"""


def test_thin_float() -> None:
    f = one(run(THIN), "R103")
    assert set(f.subjects) == {"b", "c"}
    paths = f.evidence["paths"]
    assert sorted(p["min_float_days"] for p in paths) == [2, 3]
    assert f.severity is Rating.MEDIUM


def test_float_that_is_not_thin() -> None:
    text = THIN.replace("estimate: 8d", "estimate: 2d").replace("estimate: 7d", "estimate: 3d")
    assert not found(run(text), "R103")
    assert not found(run(THIN, thin_float_paths=3), "R103")


# -- R104 wide estimates ----------------------------------------------------------------------


def test_wide_estimate_on_the_critical_path() -> None:
    f = one(run("tasks:\n  - {id: a, title: A, estimate: 2d/5d/12d}\n"), "R104")
    e = f.evidence
    assert (e["optimistic_days"], e["likely_days"], e["pessimistic_days"]) == (2, 5, 12)
    assert e["ratio"] == 6.0
    assert f.exposure_days == 7  # critical: the whole pessimistic overrun, 12 - 5


def test_narrow_or_off_path_estimates_are_not_wide() -> None:
    assert not found(run("tasks:\n  - {id: a, title: A, estimate: 1d/2d/3d}\n"), "R104")
    off_path = """
tasks:
  - {id: a, title: A, estimate: 40d}
  - {id: b, title: B, estimate: 2d/5d/12d}
"""
    assert not found(run(off_path), "R104")  # 35 days of float


# -- R105 long tasks --------------------------------------------------------------------------


def test_long_task() -> None:
    f = one(run("tasks:\n  - {id: a, title: A, estimate: 25d}\n"), "R105")
    assert f.evidence["likely_days"] == 25
    assert f.severity is Rating.MEDIUM  # it is the critical path


def test_task_of_twenty_days_or_a_vendor_lead_time_is_not_long() -> None:
    assert not found(run("tasks:\n  - {id: a, title: A, estimate: 20d}\n"), "R105")
    assert not found(run("tasks:\n  - {id: a, title: A, duration: 60d}\n"), "R105")


# -- R110 bus factor --------------------------------------------------------------------------

BUS = """
people:
  - {id: alice, name: Alice}
  - {id: bob, name: Bob}
  - {id: carol, name: Carol}
tasks:
  - {id: a, title: A, estimate: 10d, assignee: alice}
  - {id: b, title: B, estimate: 5d, assignee: bob, depends: a}
  - {id: c, title: C, estimate: 10d, assignee: WHO, depends: b}
"""


def test_bus_factor() -> None:
    f = one(run(BUS.replace("WHO", "alice")), "R110")
    e = f.evidence
    assert (e["person"], e["days"], e["driving_days"], e["share"]) == ("alice", 20, 25, 0.8)
    assert e["tasks"] == ["a", "c"]


def test_no_bus_factor_when_the_work_is_shared() -> None:
    assert not found(run(BUS.replace("WHO", "carol")), "R110")  # alice 10 of 25: 40 %


# -- R111 single skill ------------------------------------------------------------------------

SKILL = """
people:
  - {id: alice, name: Alice, skills: [backend, k8s]}
  - {id: bob, name: Bob, skills: [backend, BOBS]}
tasks:
  - {id: x, title: X, estimate: 3d, skills: k8s}
  - {id: y, title: Y, estimate: 2d, skills: backend}
"""


def test_single_skill_holder() -> None:
    f = one(run(SKILL.replace("BOBS", "go")), "R111")
    e = f.evidence
    assert (e["person"], e["skills"], e["tasks"], e["days"]) == ("alice", ["k8s"], ["x"], 3)


def test_skills_held_by_two_people() -> None:
    assert not found(run(SKILL.replace("BOBS", "k8s")), "R111")


# -- R112 over-allocation ---------------------------------------------------------------------

LOAD = """
people:
  - {id: alice, name: Alice, skills: [s]}
  - {id: bob, name: Bob, skills: [OTHER]}
  - {id: carol, name: Carol, skills: [OTHER]}
tasks:
  - {id: x1, title: X1, estimate: 10d, skills: s}
  - {id: x2, title: X2, estimate: 10d, skills: s}
  - {id: x3, title: X3, estimate: 10d, skills: s}
"""


def test_over_allocation_that_moves_the_finish() -> None:
    f = one(run(LOAD.replace("OTHER", "t")), "R112")
    e = f.evidence
    # All three start on day 0 and nothing else sets the end: 30 days of work that cannot
    # move, in alice's first ten working days.
    assert e["people"] == ["alice"]
    assert (e["from"], e["to"]) == ("2026-01-05", "2026-01-16")
    assert (e["demand_days"], e["fixed_days"], e["capacity_days"]) == (30, 30, 10)
    assert f.severity is Rating.HIGH
    assert f.exposure_days == 20  # 20 days of excess at alice's one day a day


def test_over_allocation_with_float_is_medium() -> None:
    text = LOAD.replace("OTHER", "t").replace(
        "  - {id: x3, title: X3, estimate: 10d, skills: s}",
        "  - {id: z, title: Z, estimate: 30d, skills: t, assignee: bob}",
    )
    f = one(run(text), "R112")
    # x1 and x2 could move to days 20-29: none of their work is fixed in the first window.
    assert (f.evidence["demand_days"], f.evidence["fixed_days"]) == (20, 0)
    assert f.severity is Rating.MEDIUM


def test_enough_people_for_the_load() -> None:
    assert not found(run(LOAD.replace("OTHER", "s")), "R112")


# -- R113 time off crunch ---------------------------------------------------------------------

TIME_OFF = """
people:
  - {id: alice, name: Alice, time_off: [OFF]}
tasks:
  - {id: a, title: A, estimate: 10d, assignee: alice}
"""


def test_critical_work_waits_for_time_off() -> None:
    f = one(run(TIME_OFF.replace("OFF", "2026-01-12..2026-01-16")), "R113")
    e = f.evidence
    # Tasks are not split around days off: a waits for Alice's week away, 19th to 30th.
    assert (e["start"], e["finish"], e["days_waited"]) == ("2026-01-19", "2026-01-30", 5)
    assert e["time_off"] == ["2026-01-12..2026-01-16"]
    assert f.severity is Rating.HIGH


def test_time_off_just_after_the_finish_counts() -> None:
    f = one(run(TIME_OFF.replace("OFF", "2026-01-20..2026-01-21")), "R113")
    assert (f.evidence["days_off_inside"], f.evidence["days_off_just_after"]) == (0, 2)


def test_time_off_far_from_the_work() -> None:
    assert not found(run(TIME_OFF.replace("OFF", "2026-03-02..2026-03-06")), "R113")


# -- R114 team away ---------------------------------------------------------------------------

TEAM_AWAY = """
people:
  - {id: alice, name: Alice, time_off: [2026-01-12..2026-01-16]}
  - {id: bob, name: Bob, time_off: [BOB]}
  - {id: carol, name: Carol}
teams:
  - {id: t, name: T, members: [alice, bob, carol]}
tasks:
  - {id: a, title: A, estimate: 15d, assignee: carol, team: t}
"""


def test_most_of_a_team_away() -> None:
    f = one(run(TEAM_AWAY.replace("BOB", "2026-01-12..2026-01-14")), "R114")
    e = f.evidence
    assert (e["week"], e["away"], e["tasks"]) == ("2026-01-12", ["alice", "bob"], ["a"])
    assert f.severity is Rating.HIGH  # carol's task is the critical path


def test_one_of_three_away_is_not_a_crunch() -> None:
    # Bob is away two days of five: less than half the week.
    assert not found(run(TEAM_AWAY.replace("BOB", "2026-01-12..2026-01-13")), "R114")


# -- R120 external dependency -----------------------------------------------------------------

EXTERNAL = """
tasks:
  - {id: a, title: Design, estimate: 3d}
  - {id: v, title: Vendor delivery, duration: 10d/15d/25d, tags: [vendor], depends: a}
  - {id: b, title: Build, estimate: LONG}
  - {id: m, title: Done, milestone: true, depends: [v, b]}
"""


def test_external_dependency_on_the_critical_path() -> None:
    f = one(run(EXTERNAL.replace("LONG", "5d")), "R120")
    assert f.subjects == ("v",)
    e = f.evidence
    assert (e["critical"], e["likely_days"], e["pessimistic_days"], e["risks"]) == (
        True,
        15,
        25,
        [],
    )
    assert f.exposure_days == 10
    assert f.severity is Rating.HIGH
    assert "add it to the risk register" in f.suggestion


def test_external_dependency_with_float_is_not_flagged() -> None:
    assert not found(run(EXTERNAL.replace("LONG", "40d")), "R120")  # 22 days of float


def test_untagged_plans_count_lead_times_without_people() -> None:
    text = """
tasks:
  - {id: w, title: Wait for the carrier, duration: 10d}
  - {id: b, title: Build, estimate: 2d, depends: w}
"""
    assert one(run(text), "R120").subjects == ("w",)


# -- R121 cross-team hand-off -----------------------------------------------------------------

HANDOFF = """
people:
  - {id: alice, name: Alice}
  - {id: bob, name: Bob}
  - {id: carol, name: Carol}
teams:
  - {id: ta, name: A team, members: [alice]}
  - {id: tb, name: B team, members: [bob]}
  - {id: tc, name: C team, members: [carol]}
tasks:
  - {id: a, title: A, estimate: 5d, team: ta}
  - {id: b, title: B, estimate: 5d, team: TEAM, depends: a}
  - {id: other, title: Other, estimate: LONG, team: tc}
"""


def test_cross_team_handoff_on_the_driving_path() -> None:
    f = one(run(HANDOFF.replace("TEAM", "tb").replace("LONG", "3d")), "R121")
    assert f.evidence["links"] == [{"from": "a", "to": "b"}]
    assert (f.evidence["from_team"], f.evidence["to_team"]) == ("ta", "tb")


def test_handoffs_within_a_team_or_off_the_driving_path() -> None:
    assert not found(run(HANDOFF.replace("TEAM", "ta").replace("LONG", "3d")), "R121")
    # Carol's 30 days set the finish: a and b have 20 days of float.
    assert not found(run(HANDOFF.replace("TEAM", "tb").replace("LONG", "30d")), "R121")


# -- R130-R134 the register -------------------------------------------------------------------

RISKS = """
people:
  - {id: x, name: X}
tasks:
  - {id: a, title: A, estimate: 10d, actual_start: 2026-01-05, actual_finish: 2026-01-09}
  - {id: b, title: B, estimate: 10d, depends: a}
risks:
  - {id: r1, title: R1, probability: 60%, impact: 3d, FIELDS}
"""


def register_case(fields: str = "owner: x") -> Assessment:
    return run(RISKS.replace("FIELDS", "affects: b, " + fields if fields else "affects: b"))


def test_unowned_risk() -> None:
    f = one(register_case("response: accept"), "R130")
    assert f.subjects == ("r1",)


def test_owned_or_closed_risks_are_not_unowned() -> None:
    assert not found(register_case("owner: x, response: accept"), "R130")
    assert not found(register_case("status: closed"), "R130")


def test_unmitigated_high_risk() -> None:
    # 3 days of a 20-day program is 15 %: I4; 60 % is P4: 16, high.
    f = one(register_case(), "R131")
    assert (f.evidence["score"], f.evidence["rating"], f.evidence["response"]) == (16, "high", None)
    f = one(register_case("owner: x, response: mitigate"), "R131")
    assert f.evidence["response"] == "mitigate"


def test_mitigated_or_accepted_high_risks() -> None:
    assert not found(register_case("owner: x, response: mitigate, mitigation: Do X"), "R131")
    assert not found(register_case("owner: x, response: accept"), "R131")
    assert not found(register_case("owner: x, status: mitigating"), "R131")


def test_stale_risk_reviews() -> None:
    f = one(register_case("owner: x, review_date: 2025-12-31"), "R132")
    assert f.evidence["risks"][0]["days_overdue"] == 5  # as of 2026-01-05


def test_reviews_not_yet_due() -> None:
    assert not found(register_case("owner: x, review_date: 2026-01-05"), "R132")


def test_risk_on_done_work_is_moot() -> None:
    f = one(run(RISKS.replace("FIELDS", "affects: a, owner: x")), "R134")
    assert f.subjects == ("r1",)


def test_risk_on_work_to_do_is_not_moot() -> None:
    assert not found(register_case(), "R134")


RAID = """
people:
  - {id: x, name: X}
tasks:
  - {id: a, title: A, estimate: 5d}
assumptions:
  - {id: as1, title: Vendor API is stable, owner: x, due: 2026-01-01, severity: high}
issues:
  - {id: is1, title: Build farm is slow, due: 2026-01-02, status: closed}
decisions:
  - {id: de1, title: Pick a database, due: 2026-02-01}
"""


def test_overdue_raid_items() -> None:
    result = run(RAID)
    f = one(result, "R133")
    assert f.subjects == ("as1",)
    assert (f.evidence["days_overdue"], f.severity) == (4, Rating.HIGH)
    kinds = {e.item.id: (e.kind, e.overdue_days) for e in result.raid}
    assert kinds == {"as1": ("assumption", 4), "is1": ("issue", None), "de1": ("decision", None)}
    raid = result.to_json()["raid"]
    assert [len(raid[k]) for k in ("assumptions", "issues", "decisions")] == [1, 1, 1]


def test_nothing_overdue_in_the_raid_log() -> None:
    assert not found(run(RAID.replace("2026-01-01", "2026-01-05")), "R133")


# -- R140-R144 tracking -----------------------------------------------------------------------

TRACKED = """
tasks:
  - {id: a, title: A, estimate: 5d}
  - {id: b, title: B, estimate: BDAYS, depends: a}
  - {id: m, title: Done, milestone: true, depends: b}
"""

# The baseline: a in week 1, b in week 2, m on Friday 2026-01-16.
BASELINE_TASKS = {
    "a": BaselineTask(dt.date(2026, 1, 5), dt.date(2026, 1, 9), 5),
    "b": BaselineTask(dt.date(2026, 1, 12), dt.date(2026, 1, 16), 5),
    "m": BaselineTask(dt.date(2026, 1, 16), dt.date(2026, 1, 16), 0, milestone=True),
}


def fact(task: str, day: str, **kw: Any) -> ProgressFact:
    return ProgressFact(task, dt.date.fromisoformat(day), **kw)


def tracked(
    facts: list[ProgressFact], b_days: str = "5d", baseline_text: str | None = None
) -> tuple[Plan, Tracking]:
    plan = plan_of(TRACKED.replace("BDAYS", b_days))
    base = plan_of(baseline_text or TRACKED.replace("BDAYS", "5d"))
    status = facts_status(plan, facts)
    return plan, Tracking("approved", base, BASELINE_TASKS, tuple(facts), status)


A_DONE = fact(
    "a", "2026-01-14", actual_start=dt.date(2026, 1, 5), actual_finish=dt.date(2026, 1, 9)
)


def test_late_task_against_the_baseline() -> None:
    plan, tracking = tracked([A_DONE])
    f = one(run(plan, tracking=tracking, as_of=dt.date(2026, 1, 14)), "R140")
    e = f.evidence
    # b should have started Monday 12th; by Wednesday 14th it is three working days late.
    assert (e["task"], e["late"], e["working_days_behind"]) == ("b", "not started", 3)
    assert f.severity is Rating.HIGH  # it is the critical path


def test_late_finish_and_tasks_on_time() -> None:
    started = fact(
        "b", "2026-01-14", actual_start=dt.date(2026, 1, 12), percent_complete=Decimal(40)
    )
    plan, tracking = tracked([A_DONE, started])
    assert not found(run(plan, tracking=tracking), "R140")
    a_open = fact("a", "2026-01-14", actual_start=dt.date(2026, 1, 5), percent_complete=Decimal(80))
    plan, tracking = tracked([a_open])
    late = {
        f.evidence["task"]: (f.evidence["late"], f.evidence["working_days_behind"])
        for f in found(run(plan, tracking=tracking), "R140")
    }
    # a was due Friday 9th: Monday 12th to Wednesday 14th is three working days; b could not
    # start on the 12th as the baseline had it.
    assert late == {"a": ("not finished", 3), "b": ("not started", 3)}


def test_slipping_milestone() -> None:
    plan, tracking = tracked([], b_days="10d")
    f = one(run(plan, tracking=tracking), "R141")
    # b takes 10 days instead of 5: m moves from Friday 16th to Friday 23rd.
    e = f.evidence
    assert (e["baseline_finish"], e["finish"], e["slip_days"]) == ("2026-01-16", "2026-01-23", 5)


def test_milestone_within_the_slip_allowance() -> None:
    plan, tracking = tracked([], b_days="9d")
    assert not found(run(plan, tracking=tracking), "R141")


def test_stale_update() -> None:
    under_way = fact(
        "a", "2026-01-05", actual_start=dt.date(2026, 1, 5), percent_complete=Decimal(10)
    )
    other = fact("b", "2026-01-30", percent_complete=Decimal(0))
    plan, tracking = tracked([under_way, other])
    f = one(run(plan, tracking=tracking, as_of=dt.date(2026, 1, 30)), "R142")
    assert f.evidence["tasks"] == [{"task": "a", "last_report": "2026-01-05", "days": 25}]


def test_recent_update() -> None:
    under_way = fact(
        "a", "2026-01-23", actual_start=dt.date(2026, 1, 5), percent_complete=Decimal(10)
    )
    other = fact("b", "2026-01-30", percent_complete=Decimal(0))
    plan, tracking = tracked([under_way, other])
    assert not found(run(plan, tracking=tracking, as_of=dt.date(2026, 1, 30)), "R142")


def test_stale_status() -> None:
    plan, tracking = tracked([A_DONE])
    f = one(run(plan, tracking=tracking, as_of=dt.date(2026, 2, 2)), "R143")
    assert (f.evidence["latest_status_date"], f.evidence["days"]) == ("2026-01-14", 19)
    plan, tracking = tracked([])
    assert one(run(plan, tracking=tracking), "R143").evidence["latest_status_date"] is None


def test_recent_status() -> None:
    plan, tracking = tracked([A_DONE])
    assert not found(run(plan, tracking=tracking, as_of=dt.date(2026, 1, 28)), "R143")
    assert not found(run(plan), "R143")  # no tracking, nothing to be stale


def test_scope_creep() -> None:
    plan, tracking = tracked([], b_days="7d")  # 10 -> 12 days: +20 %
    f = one(run(plan, tracking=tracking), "R144")
    e = f.evidence
    assert (e["baseline_days"], e["current_days"], e["growth"]) == (10, 12, 0.2)
    assert e["contributors"][0]["id"] == "b"


def test_growth_at_the_threshold_is_not_creep() -> None:
    plan, tracking = tracked([], b_days="6d")  # +10 %: not strictly above
    assert not found(run(plan, tracking=tracking), "R144")


# -- the whole assessment ---------------------------------------------------------------------


def test_an_unschedulable_plan_still_has_a_register() -> None:
    plan = plan_of(REGISTER)
    problem = error(
        "E301", SourceLoc("plan.yaml", 3), "task 'a' cannot be scheduled", subjects=["a"]
    )
    result = assess(plan, None, None, RiskOptions(as_of=AS_OF), schedule_problems=[problem])
    f = result.findings[0]
    assert (f.code, f.severity, f.subjects, f.loc.line) == ("R100", Rating.CRITICAL, ("a",), 3)
    assert len(result.register) == 5


def test_a_crashing_detector_is_a_finding() -> None:
    def broken(ctx: Any) -> list[Finding]:
        raise ZeroDivisionError("boom")

    plan = plan_of(THIN)
    result = assess(
        plan,
        schedule(plan)[0],
        None,
        RiskOptions(as_of=AS_OF),
        detectors=[("R103", broken), *DETECTORS[3:4]],
    )
    assert [f.code for f in result.findings] == ["R199"]
    assert "boom" in result.findings[0].message


def test_codes_are_documented_and_unique() -> None:
    assert len({code for code, _ in DETECTORS}) == len(DETECTORS)
    assert all(code in CODES for code, _ in DETECTORS)
    assert all(code.startswith("R1") and len(code) == 4 for code in CODES)


def test_leaf_predecessors_expand_summaries() -> None:
    plan = plan_of(
        """
tasks:
  - id: s
    title: S
    tasks:
      - {id: s1, title: S1, estimate: 1d}
      - {id: s2, title: S2, estimate: 1d}
  - id: t
    title: T
    depends: s
    tasks:
      - {id: t1, title: T1, estimate: 1d}
  - {id: u, title: U, estimate: 1d, depends: t1}
"""
    )
    assert leaf_predecessors(plan) == {"s1": (), "s2": (), "t1": ("s1", "s2"), "u": ("t1",)}


def test_findings_are_ranked_by_severity_then_exposure() -> None:
    result = run(EXAMPLE_PLAN, iterations=500, as_of=dt.date(2026, 2, 2))
    keys = [(-f.severity.rank, -f.exposure_days) for f in result.findings]
    assert keys == sorted(keys)


def _example() -> Plan:
    from ontrack.planfile import load_plan

    plan, diagnostics = load_plan(EXAMPLES / "platform-migration")
    assert plan is not None, diagnostics
    return plan


EXAMPLE_PLAN = _example()


def test_the_example_program() -> None:
    """What a seasoned TPM would point at in the platform migration, and nothing silly."""
    result = run(EXAMPLE_PLAN, iterations=2000, as_of=dt.date(2026, 2, 2))
    codes = {f.code for f in result.findings}
    assert codes == {"R101", "R102", "R110", "R111", "R112", "R120", "R121"}
    assert one(result, "R110").evidence["person"] == "elena"
    # The hardware return is a vendor step on the critical path with no risk in the register.
    assert {f.subjects[0] for f in found(result, "R120")} == {"plat-dc-hardware-return"}
    assert one(result, "R102").subjects == ("apps-go-no-go",)
    late = {f.subjects[0] for f in found(result, "R101")}
    assert {"apps-go-no-go", "apps-cutover-complete", "plat-security-signoff"} <= late
    assert "plat-golden-path" not in late and "apps-readiness-done" not in late
    handoffs = {(f.evidence["from_team"], f.evidence["to_team"]) for f in found(result, "R121")}
    assert handoffs == {("apps", "platform"), ("data", "apps"), ("apps", "data")}
