"""Scope slipping: plans whose answer is known by construction (one person, single-point
estimates, so the odds are 0 or 1 and only the right set restores them)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from ontrack.engines.schedule.progress import Status, TaskProgress
from ontrack.engines.slip import SlipOptions, propose_slip, what_if_plan
from ontrack.model import Plan
from ontrack.planfile import load_plan_text

FAST = SlipOptions(iterations=500, search_iterations=200)

# Ana works 2027-01-04 onwards; the release is due after 9 working days (2027-01-14).
# a1 + a2 (2d each), big (10d) and b2 (1d, after big): 15 days of work for 9 days. Only
# moving big (which drags b2 along) gets the release within its date.
PLAN = """\
program: {name: Slip, start: 2027-01-04}
people:
  - {id: ana, name: Ana}
tasks:
  - {id: a1, title: A1, estimate: 2d, assignee: ana}
  - {id: a2, title: A2, estimate: 2d, assignee: ana, depends: [a1]}
  - {id: big, title: Big, estimate: 10d, assignee: ana}
  - {id: b2, title: B2, estimate: 1d, assignee: ana, depends: [big]}
  - {id: ship, title: Ship, milestone: true, depends: [a2, b2]}
trains:
  - {id: web, first: 2027-01-07, every: 2w}
releases:
  - {id: r1, title: R1, date: 2027-01-14, train: web, includes: [ship, a1, a2, big, b2]}
  - {id: r2, title: R2, date: 2027-01-28, train: web, includes: [ship]}
"""


def _plan(text: str = PLAN) -> Plan:
    plan, diagnostics = load_plan_text(text)
    assert plan is not None, diagnostics
    return plan


@pytest.mark.parametrize("exact_limit", [12, 0])  # exact search, and greedy + pruning
def test_the_long_task_and_its_dependent_move(exact_limit: int) -> None:
    options = SlipOptions(iterations=500, search_iterations=200, exact_limit=exact_limit)
    proposal, diagnostics = propose_slip(_plan(), "r1", None, options)
    assert proposal is not None, diagnostics
    assert proposal.outcome == "proposed"
    assert proposal.method == ("exact" if exact_limit else "greedy")
    assert proposal.moved_ids == ("big", "b2")
    assert [m.reason for m in proposal.moved] == [
        "chosen: its work holds the release back",
        "depends on big",
    ]
    assert proposal.before.probability == 0 and proposal.after is not None
    assert proposal.after.probability == 1
    assert proposal.before.p80 is not None and proposal.after.p80 is not None
    assert proposal.after.p80 < proposal.before.p80
    # The milestone stays and marks the reduced release.
    assert proposal.dropped_links == (("ship", "b2"),)
    assert proposal.next_release == "r2"
    assert proposal.departure is not None and str(proposal.departure.date) == "2027-01-21"
    data = proposal.to_json()
    assert data["moved"][0]["id"] == "big" and data["work_days_moved"] == 11


def test_irreducible_nothing_moved_can_come_back() -> None:
    plan = _plan()
    proposal, _ = propose_slip(plan, "r1", None, SlipOptions(iterations=500, exact_limit=0))
    assert proposal is not None and proposal.moved_ids == ("big", "b2")
    # Returning b2 (big may stay moved), or big (which brings b2 back too) misses the date.
    for still_moved in ({"big"}, set()):
        changed, _ = what_if_plan(plan, plan.releases[0], still_moved)
        again, _ = propose_slip(changed, "r1", None, FAST)
        assert again is not None and again.before.probability < 0.8


def test_moving_a_task_moves_what_depends_on_it() -> None:
    # a1 is the long one now: moving it must drag a2 along (a2 depends on it).
    text = PLAN.replace("id: a1, title: A1, estimate: 2d", "id: a1, title: A1, estimate: 12d")
    text = text.replace("id: big, title: Big, estimate: 10d", "id: big, title: Big, estimate: 2d")
    proposal, _ = propose_slip(_plan(text), "r1", None, FAST)
    assert proposal is not None and proposal.moved_ids == ("a1", "a2")
    assert proposal.moved[1].reason == "depends on a1"


def test_started_tasks_never_move() -> None:
    day = dt.date(2027, 1, 4)
    status = Status(day, {"big": TaskProgress(actual_start=day)})
    proposal, _ = propose_slip(_plan(), "r1", status, FAST)
    assert proposal is not None
    assert "big" not in proposal.moved_ids
    assert ("big", "in-progress") in proposal.unmovable
    # b2 alone cannot help enough: big (started) is ten days by itself.
    assert proposal.outcome == "infeasible"


def test_infeasible_reports_the_best_found() -> None:
    text = PLAN.replace("date: 2027-01-14", "date: 2027-01-05")  # big alone is 10 days
    text = text.replace("includes: [ship, a1, a2, big, b2]", "includes: [ship, a1, a2, b2]")
    text = text.replace("depends: [a2, b2]", "depends: [a2, big]")
    # big is in the release's work (ship waits for it) but has started: it cannot move.
    day = dt.date(2027, 1, 4)
    status = Status(day, {"big": TaskProgress(actual_start=day)})
    proposal, _ = propose_slip(_plan(text), "r1", status, FAST)
    assert proposal is not None
    assert proposal.outcome == "infeasible"
    assert proposal.after is not None and proposal.after.probability < 0.8
    assert set(proposal.moved_ids) == {"a1", "a2", "b2"}


def test_a_release_at_target_moves_nothing() -> None:
    text = PLAN.replace("date: 2027-01-14", "date: 2027-02-26")
    proposal, _ = propose_slip(_plan(text), "r1", None, FAST)
    assert proposal is not None
    assert proposal.outcome == "on-target" and proposal.moved == ()
    assert proposal.method == "none" and proposal.after is None


def test_target_from_the_release_then_the_option() -> None:
    text = PLAN.replace(
        "train: web, includes: [ship, a1", "train: web, min_odds: 50%, includes: [ship, a1"
    )
    proposal, _ = propose_slip(_plan(text), "r1", None, FAST)
    assert proposal is not None and proposal.target == 0.5 and proposal.target_source == "release"
    proposal, _ = propose_slip(
        _plan(text), "r1", None, SlipOptions(iterations=200, target=Fraction(9, 10))
    )
    assert proposal is not None and proposal.target == 0.9 and proposal.target_source == "option"


def test_bad_requests_are_coded() -> None:
    proposal, diagnostics = propose_slip(_plan(), "nope", None, FAST)
    assert proposal is None and [d.code for d in diagnostics] == ["E480"]
    undated = PLAN.replace("{id: r2, title: R2, date: 2027-01-28,", "{id: r2, title: R2,")
    proposal, diagnostics = propose_slip(_plan(undated), "r2", None, FAST)
    assert proposal is None and [d.code for d in diagnostics] == ["E481"]
    proposal, diagnostics = propose_slip(_plan(), "r1", None, SlipOptions(target=Fraction(0)))
    assert proposal is None and [d.code for d in diagnostics] == ["E482"]


def test_what_if_replaces_an_included_summary_by_what_stays() -> None:
    text = """\
program: {name: S, start: 2027-01-04}
people:
  - {id: ana, name: Ana}
tasks:
  - id: wave
    title: Wave
    tasks:
      - {id: w1, title: W1, estimate: 2d, assignee: ana}
      - {id: w2, title: W2, estimate: 2d, assignee: ana}
  - {id: done, title: Done, milestone: true, depends: [wave]}
releases:
  - {id: r1, title: R1, date: 2027-01-08, includes: [wave, done]}
"""
    plan = _plan(text)
    changed, dropped = what_if_plan(plan, plan.releases[0], {"w2"})
    assert changed.releases[0].includes == ("w1", "done")
    assert [d.task for d in changed.task_by_id["done"].depends] == ["w1"]
    assert dropped == (("done", "w2"),)
    assert str(changed.task_by_id["w2"].start_no_earlier_than) == "2027-01-09"
    assert plan.task_by_id["w2"].start_no_earlier_than is None  # the plan is never changed


# A release that includes only its milestone: its work is what the milestone waits for. ship
# waits for a2 and the gate milestone beta (outside the release's scope), beta for check, check
# for b2 and b2 for big. Ana has 16 days of work for 9: only moving big with everything that
# waits for it within the release (b2, then check, which stays only in the release through
# beta) gets it in on time; beta moves along and ship drops its link to it.
MILESTONE_ONLY = """\
program: {name: Slip, start: 2027-01-04}
people:
  - {id: ana, name: Ana}
tasks:
  - {id: a1, title: A1, estimate: 2d, assignee: ana}
  - {id: a2, title: A2, estimate: 2d, assignee: ana, depends: [a1]}
  - {id: big, title: Big, estimate: 10d, assignee: ana}
  - {id: b2, title: B2, estimate: 1d, assignee: ana, depends: [big]}
  - {id: check, title: Check, estimate: 1d, assignee: ana, depends: [b2]}
  - {id: beta, title: Beta, milestone: true, depends: [check]}
  - {id: ship, title: Ship, milestone: true, depends: [a2, beta]}
trains:
  - {id: web, first: 2027-01-07, every: 2w}
releases:
  - {id: r1, title: R1, date: 2027-01-14, train: web, includes: [ship]}
  - {id: r2, title: R2, date: 2027-01-28, train: web, includes: [ship]}
"""


@pytest.mark.parametrize("exact_limit", [12, 0])
def test_a_milestone_only_release_moves_the_work_it_waits_for(exact_limit: int) -> None:
    plan = _plan(MILESTONE_ONLY)
    assert plan.release_scope(plan.releases[0]) == ("ship",)
    options = SlipOptions(iterations=500, search_iterations=200, exact_limit=exact_limit)
    proposal, diagnostics = propose_slip(plan, "r1", None, options)
    assert proposal is not None, diagnostics
    assert proposal.outcome == "proposed" and proposal.candidates == 5
    assert proposal.moved_ids == ("big", "b2", "check", "beta")
    assert [m.reason for m in proposal.moved] == [
        "chosen: its work holds the release back",
        "depends on big",
        "depends on b2",
        "depends on check",
    ]
    assert proposal.before.probability == 0
    assert proposal.after is not None and proposal.after.probability == 1
    # The release's milestone stays and marks the smaller release.
    assert proposal.dropped_links == (("ship", "beta"),)
    changed, _ = what_if_plan(plan, plan.releases[0], proposal.moved_ids)
    assert [d.task for d in changed.task_by_id["ship"].depends] == ["a2"]
    assert str(changed.task_by_id["big"].start_no_earlier_than) == "2027-01-15"
    assert changed.task_by_id["beta"].start_no_earlier_than is None  # no work to defer
    assert changed.release_work(changed.releases[0]) == ("a1", "a2", "ship")


def test_moving_the_last_task_of_a_chain_takes_the_chain_with_it() -> None:
    # Moving check alone would leave big and b2 waited for by nothing in the release: they go
    # too (deferred, and counted), so a cut at the end of a chain is never a free lunch.
    plan = _plan(MILESTONE_ONLY.replace("estimate: 10d", "estimate: 3d"))
    proposal, _ = propose_slip(plan, "r1", None, FAST)
    assert proposal is not None and proposal.outcome == "on-target"
    changed, _ = what_if_plan(plan, plan.releases[0], ["check", "beta"])
    assert changed.release_work(changed.releases[0]) == ("a1", "a2", "ship")
    again, _ = propose_slip(
        _plan(MILESTONE_ONLY), "r1", None, SlipOptions(iterations=500, exact_limit=0)
    )
    assert again is not None and set(again.moved_ids) == {"big", "b2", "check", "beta"}


def test_work_that_waits_for_the_release_milestone_moves_too() -> None:
    # notes (in the release) waits for ship; ship stops waiting for big's chain, so notes,
    # which really needs that work, moves with it instead of losing the dependency.
    text = MILESTONE_ONLY.replace(
        "  - {id: ship,",
        "  - {id: notes, title: Notes, estimate: 1d, assignee: ana, depends: [ship]}\n"
        "  - {id: ship,",
    ).replace("includes: [ship]}\n  - {id: r2", "includes: [ship, notes]}\n  - {id: r2")
    text = text.replace("date: 2027-01-14", "date: 2027-01-15")
    proposal, diagnostics = propose_slip(_plan(text), "r1", None, FAST)
    assert proposal is not None, diagnostics
    assert proposal.outcome == "proposed"
    assert set(proposal.moved_ids) == {"big", "b2", "check", "beta", "notes"}
    reasons = {m.id: m.reason for m in proposal.moved}
    assert reasons["notes"] == "waits for beta through milestone ship"
