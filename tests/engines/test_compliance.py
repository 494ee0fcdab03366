"""The DCMA 14-point checks and the plan lint on hand-built plans, counts worked by hand.

Every plan starts on Monday 2026-01-05 (working day 0) with a Monday-to-Friday calendar, so
working day n is n // 5 weeks and n % 5 days after it: day 10 is Monday 2026-01-19.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from ontrack.engines.compliance import (
    Audit,
    AuditOptions,
    Check,
    Tracking,
    audit,
    lint,
)
from ontrack.engines.schedule.planner import ScheduleOptions
from ontrack.engines.schedule.progress import Status, TaskProgress
from ontrack.model import BaselineTask, Plan
from tests.conftest import HEADER, load_doc

D = dt.date
FAST = AuditOptions(schedule=ScheduleOptions(time_limit=0.2))


def plan_of(text: str) -> Plan:
    plan, diagnostics = load_doc(HEADER + text)
    assert plan is not None, [d.format() for d in diagnostics]
    return plan


def run(text: str, tracking: Tracking | None = None, options: AuditOptions = FAST) -> Audit:
    result, _ = audit(plan_of(text), tracking, options)
    return result


def check(result: Audit, name: str) -> Check:
    return next(c for c in (*result.dcma, *result.lint) if c.check == name)


def summary(c: Check) -> tuple[int | None, int | None, bool | None, tuple[str, ...]]:
    return c.count, c.total, c.passed, c.ids


LOGIC = """
tasks:
  - {id: start, title: Kickoff, milestone: true}
  - {id: a, title: A, estimate: 2d, depends: start}
  - {id: b, title: B, estimate: 2d, depends: [{task: a, lag: 1d}]}
  - {id: c, title: C, estimate: 2d, depends: [{task: b, type: SS, lag: -1d}]}
  - {id: d, title: D, estimate: 1d}
  - {id: e, title: E, estimate: 1d, depends: a}
  - id: phase
    title: Phase
    depends: c
    tasks:
      - {id: f, title: F, estimate: 1d}
      - {id: g, title: G, estimate: 1d, depends: f}
  - {id: end, title: End, milestone: true, depends: [phase, {task: c, type: FF}]}
  - {id: lone, title: Lone milestone, milestone: true}
"""


def test_logic_and_relationships() -> None:
    result = run(LOGIC)
    # 10 leaf tasks, none done. start opens a chain and end closes one (milestones may);
    # f's predecessor is its summary's (c), g's successor its summary's (end). Missing: d
    # (neither), e (no successor), lone (a milestone with neither). 3/10 = 30 % > 5 %.
    assert summary(check(result, "logic")) == (3, 10, False, ("d", "e", "lone"))
    # Relationships into open work: a, b, c, e, phase, g one each, end two = 8.
    # One lead (c, -1d): must be none.
    assert summary(check(result, "leads")) == (1, 8, False, ("c",))
    # One positive lag (b, +1d): 1/8 = 12.5 % > 5 %.
    assert summary(check(result, "lags")) == (1, 8, False, ("b",))
    # Finish-to-start: 8 less c's SS and end's FF = 6/8 = 75 % < 90 %; the others listed.
    types = check(result, "relationship-types")
    assert summary(types) == (6, 8, False, ("c", "end"))
    assert types.value == Fraction(3, 4)
    assert [c.number for c in result.dcma] == list(range(1, 15))


def test_clean_logic_passes() -> None:
    result = run(
        """
tasks:
  - {id: go, title: Go, milestone: true}
  - {id: a, title: A, estimate: 2d, depends: go}
  - {id: b, title: B, estimate: 2d, depends: a}
  - {id: done, title: Done, milestone: true, depends: b}
"""
    )
    # Both milestones sit at an end of the chain; a and b have both: 0/4; 3 FS links, no lag.
    assert summary(check(result, "logic")) == (0, 4, True, ())
    assert summary(check(result, "leads")) == (0, 3, True, ())
    assert summary(check(result, "lags")) == (0, 3, True, ())
    assert summary(check(result, "relationship-types")) == (3, 3, True, ())


FLOATS = """
tasks:
  - {id: a, title: A, duration: 10d}
  - {id: b, title: B, duration: 50d, depends: a}
  - {id: c, title: C, duration: 2d, depends: a}
  - {id: d, title: D, duration: 5d, depends: a, start_no_earlier_than: 2026-01-26}
  - {id: m, title: Done, milestone: true, depends: b, deadline: 2026-04-03}
"""


def test_constraints_floats_durations_and_the_critical_path() -> None:
    result = run(FLOATS)
    assert result.basis == "levelled"
    # a [0,10), b [10,60), c [10,12), d from its SNET 2026-01-26 = day 15: [15,20); m at 60.
    # Hard constraints: none. d's start no earlier than is soft and m's deadline a target.
    hard = check(result, "hard-constraints")
    assert summary(hard) == (0, 5, True, ())
    assert "1 start no earlier than" in hard.note and "1 deadline " in hard.note
    # Float to the end (60): c 60 - 12 = 48 > 44; d 60 - 20 = 40; a, b, m 0 (m's deadline,
    # 2026-04-03 = day 64, leaves it 5 days but the finish bounds it first). 1/5 = 20 %.
    assert summary(check(result, "high-float")) == (1, 5, False, ("c",))
    assert summary(check(result, "negative-float")) == (0, 5, True, ())
    # b lasts 50 working days > 44: 1 of the 4 tasks with work (m is a milestone).
    assert summary(check(result, "high-duration")) == (1, 4, False, ("b",))
    # The driving path is a, b (float 0); a starts first. 600 more days on a: the end moves
    # from 60 to 660.
    cpt = check(result, "critical-path-test")
    assert summary(cpt) == (600, 600, True, ("a",))
    # CPLI from day 0 against m's deadline: path 60 days, float 65 - 60 = +5: 65/60.
    cpli = check(result, "cpli")
    assert summary(cpli) == (65, 60, True, ("m",))
    assert cpli.value == Fraction(65, 60)
    assert result.finish == D(2026, 3, 27)  # day 59, the last working day of b


def test_critical_path_test_on_a_chosen_task_and_a_smaller_delay() -> None:
    options = AuditOptions(
        schedule=ScheduleOptions(time_limit=0.2), delay_days=100, critical_task="c"
    )
    # c has 48 days of float: 100 more days end it at 12 + 100 = 112, 52 past the old end.
    cpt = check(run(FLOATS, options=options), "critical-path-test")
    assert summary(cpt) == (52, 100, False, ("c",))
    unknown = AuditOptions(schedule=ScheduleOptions(time_limit=0.2), critical_task="nope")
    assert check(run(FLOATS, options=unknown), "critical-path-test").passed is None


def test_a_start_to_start_link_breaks_the_critical_path_test() -> None:
    # q starts with p (SS) and drives the end (20). p's float through the SS link is 0, so
    # p is critical; but a longer p moves only p's own end: 10 + 600 = 610, 590 past 20.
    result = run(
        """
tasks:
  - {id: p, title: P, duration: 10d}
  - {id: q, title: Q, duration: 20d, depends: [{task: p, type: SS}]}
"""
    )
    assert summary(check(result, "critical-path-test")) == (590, 600, False, ("p",))


def test_negative_float_when_a_deadline_cannot_be_met() -> None:
    result, diagnostics = audit(
        plan_of(
            """
tasks:
  - {id: a, title: A, duration: 10d}
  - {id: m, title: Done, milestone: true, depends: a, deadline: 2026-01-09}
"""
        ),
        None,
        FAST,
    )
    # The deadline (Friday, day 4: due by the end of day 4 = 5) cannot be met (W311): the
    # plan is levelled as if it were absent and measured with it. m: late finish 5, early 10: -5;
    # a: late finish = m's late start 5, early 10: -5.
    assert [d.code for d in diagnostics] == ["W311"]
    assert result.basis == "levelled"
    assert summary(check(result, "negative-float")) == (2, 2, False, ("a", "m"))
    # CPLI: path 10 days, float -5: 5/10 = 0.5.
    assert summary(check(result, "cpli")) == (5, 10, False, ("m",))


RESOURCES = """
people:
  - {id: ann, name: Ann, skills: [backend]}
  - {id: bob, name: Bob, skills: [frontend], allocation: 0%}
teams:
  - {id: web, name: Web, members: [bob]}
tasks:
  - {id: a, title: A, estimate: 2d, assignee: ann}
  - {id: b, title: B, estimate: 2d}
  - {id: c, title: Vendor lead time, duration: 5d}
  - {id: d, title: D, estimate: 2d, skills: [backend]}
  - {id: e, title: E, estimate: 2d, team: web}
  - {id: f, title: F, duration: 3d, skills: [design]}
  - {id: m, title: M, milestone: true, depends: [a, b, c, d, e, f]}
"""


def test_resources() -> None:
    result, diagnostics = audit(plan_of(RESOURCES), None, FAST)
    # Needing people: effort a, b, d, e, and f (a duration that names a skill); c is a lead
    # time that holds nobody, m a milestone: 5. b names nobody, e's team has nobody with
    # time, nobody has f's skill: 3.
    assert summary(check(result, "resources")) == (3, 5, False, ("b", "e", "f"))
    # e and f cannot be levelled (E301): the checks fall back to the logic network.
    assert result.basis == "network"
    assert {d.code for d in diagnostics} == {"E301"}


def test_a_plan_without_people_is_resourced_by_name() -> None:
    result = run(
        """
teams:
  - {id: web, name: Web}
tasks:
  - {id: a, title: A, estimate: 2d, skills: [backend]}
  - {id: b, title: B, estimate: 2d, team: web}
  - {id: c, title: C, estimate: 2d}
"""
    )
    # No people listed: a skill or a team names the resource; c names nothing: 1/3.
    assert summary(check(result, "resources")) == (1, 3, False, ("c",))


CHAIN = """
tasks:
  - {id: a, title: A, estimate: 5d}
  - {id: b, title: B, estimate: 5d}
  - {id: c, title: C, estimate: 5d}
  - {id: d, title: D, estimate: 5d}
"""


def test_checks_that_need_tracking_data_are_not_applicable_without_it() -> None:
    result = run(CHAIN)
    for name in ("invalid-dates", "missed-tasks", "bei", "cpli"):
        c = check(result, name)
        assert c.passed is None and c.count is None and c.note, name
        assert c.to_json()["pass"] is None and "note" in c.to_json()
    assert result.status_date is None


def test_invalid_dates() -> None:
    status = Status(
        D(2026, 1, 16),
        {
            "a": TaskProgress(D(2026, 1, 5), D(2026, 1, 20)),  # finished after the status date
            "b": TaskProgress(D(2026, 1, 19)),  # started after it
            "c": TaskProgress(D(2026, 1, 5), D(2026, 1, 9)),  # fine
        },
    )
    result = run(CHAIN, Tracking(status))
    # d has no progress: forecast from Monday 2026-01-19, after the status date. 2 of 4.
    assert summary(check(result, "invalid-dates")) == (2, 4, False, ("a", "b"))
    assert result.status_date == D(2026, 1, 16)


BASELINE = {
    "a": BaselineTask(D(2026, 1, 5), D(2026, 1, 9), 5),
    "b": BaselineTask(D(2026, 1, 12), D(2026, 1, 16), 5),
    "c": BaselineTask(D(2026, 1, 19), D(2026, 1, 23), 5),
    "d": BaselineTask(D(2026, 1, 26), D(2026, 1, 30), 5),
    "e": BaselineTask(D(2026, 1, 12), D(2026, 1, 14), 3),
    "all": BaselineTask(D(2026, 1, 5), D(2026, 1, 30), 20, summary=True),
}


def test_missed_tasks_bei_and_cpli_against_the_baseline() -> None:
    text = CHAIN + "  - {id: e, title: E, estimate: 3d}\n"
    status = Status(
        D(2026, 1, 16),
        {
            "a": TaskProgress(D(2026, 1, 6), D(2026, 1, 12)),  # due the 9th: late
            "b": TaskProgress(D(2026, 1, 12), percent_complete=Fraction(1, 2)),  # due, not done
            "c": TaskProgress(D(2026, 1, 12), D(2026, 1, 14)),  # due the 23rd: early
            "e": TaskProgress(D(2026, 1, 12), D(2026, 1, 13)),  # due the 14th: on time
        },
    )
    result = run(text, Tracking(status, BASELINE, "approved"))
    # Due by the 16th (summaries aside): a, b, e = 3. Missed: a (finished after its baseline
    # finish), b (not finished): 2/3 = 67 %.
    assert summary(check(result, "missed-tasks")) == (2, 3, False, ("a", "b"))
    # BEI: every task finished by the status date (a, c, e: 3) over the 3 due = 1.00.
    bei = check(result, "bei")
    assert summary(bei) == (3, 3, True, ("b",))  # b: due and not finished
    # No deadline: CPLI against the baseline's finish, Friday the 30th = day 19 (due 20).
    # From Monday the 19th (day 10): b's 2.5 days left end on day 13 (ceil), d's 5 days on
    # day 15: path 15 - 10 = 5, float 20 - 15 = +5: 10/5 = 2.
    assert summary(check(result, "cpli")) == (10, 5, True, ())
    assert result.baseline == "approved"

    # Without c's early finish: 2 finished (a, e) over 3 due = 0.67 < 0.95.
    late = Status(status.date, {k: v for k, v in status.tasks.items() if k != "c"})
    bei = check(run(text, Tracking(late, BASELINE)), "bei")
    assert (bei.count, bei.total, bei.passed) == (2, 3, False)


def test_done_without_a_date_counts_as_done_on_the_status_date() -> None:
    status = Status(D(2026, 1, 16), {"e": TaskProgress(percent_complete=Fraction(1))})
    result = run(CHAIN + "  - {id: e, title: E, estimate: 3d}\n", Tracking(status, BASELINE))
    # e is done, known only by the 16th: after its baseline finish (the 14th), so missed;
    # a and b are due and not done. 3/3 missed; 1 finished of 3 due.
    assert summary(check(result, "missed-tasks"))[:3] == (3, 3, False)
    assert summary(check(result, "bei"))[:3] == (1, 3, False)


def test_nothing_due_yet() -> None:
    status = Status(D(2026, 1, 7), {})
    result = run(CHAIN, Tracking(status, BASELINE))
    # No baseline finish on or before the 7th: no task can have been missed; BEI is 0/0.
    assert summary(check(result, "missed-tasks")) == (0, 0, True, ())
    assert check(result, "bei").passed is None


def test_done_work_leaves_the_incomplete_task_counts() -> None:
    status = Status(D(2026, 1, 9), {"a": TaskProgress(D(2026, 1, 5), D(2026, 1, 9))})
    result = run(LOGIC, Tracking(status))
    # a is done: 9 incomplete tasks; the relationships into a (from start) no longer count: 7.
    assert check(result, "logic").total == 9
    assert check(result, "leads").total == 7


# -- lint ----------------------------------------------------------------------------------------

LINT = """
stakeholders:
  - {id: cto, name: The CTO}
  - {id: pm, name: The PM}
people:
  - {id: ann, name: Ann, skills: [backend]}
tasks:
  - {id: a, title: A, estimate: 2d, assignee: ann}
  - {id: b, title: B}
  - {id: c, title: C, estimate: 1d, skills: [backend]}
  - id: phase
    title: Phase
    tasks:
      - {id: d, title: D, duration: 2d}
      - {id: m1, title: In a release through its summary, milestone: true, depends: d}
  - {id: m2, title: In a release, milestone: true, depends: a}
  - {id: m3, title: Has a deadline, milestone: true, depends: c, deadline: 2026-03-02,
     accountable: cto, responsible: [ann]}
  - {id: m4, title: No target, milestone: true, depends: b, accountable: cto}
  - {id: doc, title: Runbook, estimate: 1d, assignee: ann, deliverable: true, responsible: [pm]}
releases:
  - {id: r1, title: R1, includes: [phase, m2]}
risks:
  - {id: r-open, title: Open, probability: 10%}
  - {id: r-owned, title: Owned, probability: 10%, owner: ann}
  - {id: r-closed, title: Closed, probability: 10%, status: closed}
"""


def test_lint_rules() -> None:
    checks = {c.check: c for c in lint(plan_of(LINT))}
    # Leaf tasks with work to do: a, b, c, d, doc = 5. b and d name nobody.
    assert summary(checks["owner"]) == (2, 5, False, ("b", "d"))
    # b has neither an estimate nor a duration.
    assert summary(checks["estimate"]) == (1, 5, False, ("b",))
    # m1 is in r1 through phase, m2 directly, m3 has a deadline: m4 alone of 4.
    assert summary(checks["milestone-target"]) == (1, 4, False, ("m4",))
    # Deliverables: the 4 milestones and doc = 5. m3 has both; m1, m2 have neither, m4 no
    # responsible, doc no accountable.
    assert summary(checks["raci"]) == (4, 5, False, ("m1", "m2", "m4", "doc"))
    # Open risks: r-open, r-owned (r-closed needs no owner) = 2; r-open has none.
    assert summary(checks["risk-owner"]) == (1, 2, False, ("r-open",))
    assert all(c.number == 0 and c.threshold == "" for c in checks.values())
    assert checks["risk-owner"].to_json() == {
        "check": "risk-owner",
        "name": "Open risks without an owner",
        "count": 1,
        "total": 2,
        "value": 0.5,
        "pass": False,
        "items": ["r-open"],
    }


def test_raci_only_when_the_plan_names_stakeholders() -> None:
    raci = next(
        c
        for c in lint(plan_of(CHAIN + "  - {id: m, title: M, milestone: true}\n"))
        if c.check == "raci"
    )
    assert (raci.count, raci.total, raci.passed) == (None, 1, None)
    assert raci.note


def test_a_clean_plan_passes_the_lint() -> None:
    checks = lint(
        plan_of(
            """
people:
  - {id: ann, name: Ann}
teams:
  - {id: web, name: Web, members: [ann]}
tasks:
  - {id: a, title: A, estimate: 2d, team: web}
  - {id: m, title: M, milestone: true, depends: a, deadline: 2026-02-02}
risks:
  - {id: r, title: R, probability: 10%, owner: ann}
"""
        )
    )
    assert [(c.check, c.passed) for c in checks] == [
        ("owner", True),
        ("estimate", True),
        ("milestone-target", True),
        ("raci", None),
        ("risk-owner", True),
    ]


def test_json_shape() -> None:
    result = run(FLOATS)
    data = result.to_json()
    assert set(data) == {
        "program",
        "basis",
        "finish",
        "status_date",
        "baseline",
        "summary",
        "dcma",
        "lint",
    }
    first = data["dcma"][0]
    assert first == {
        "check": "logic",
        "number": 1,
        "name": "Missing logic",
        "count": 3,
        "total": 5,
        "value": 0.6,
        "threshold": "<= 5%",
        "pass": False,
        "tasks": ["a", "c", "d"],
    }
    # Fail: logic, high float, high duration. n/a: invalid dates, missed tasks, BEI. Resources
    # passes with nothing to staff (durations that hold nobody).
    assert data["summary"]["dcma"] == {"pass": 8, "fail": 3, "n/a": 3}
    assert data["dcma"][8]["note"].startswith("needs progress")


@pytest.mark.parametrize("text", [LOGIC, FLOATS, RESOURCES, CHAIN])
def test_the_audit_never_mutates_the_plan(text: str) -> None:
    plan = plan_of(text)
    before = plan.tasks
    audit(plan, None, FAST)
    assert plan.tasks is before and plan == plan_of(text)
