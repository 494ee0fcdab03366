"""Tracker sync's reconciliation, worked by hand: progress facts from the items' state history,
drift W620-W629 with the side that changed since the last sync, accepted sides and plan edits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from ontrack.engines.schedule.progress import TaskProgress, facts_status
from ontrack.engines.trackersync import Change, Edit, Outcome, reconcile, tracker_dates
from ontrack.model import Plan
from ontrack.model.quantities import Duration
from ontrack.model.tracker import Drift, Source, TrackerItem, TrackerKind, Transition
from ontrack.planfile import load_plan_text
from tests.conftest import HEADER

D = dt.date
TODAY = D(2026, 3, 10)


def at(day: int, hour: int = 9, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def load(tasks: str, extra: str = "") -> Plan:
    text = (
        HEADER
        + "people:\n  - {id: alice, name: Alice}\n  - {id: bob, name: Bob}\n"
        + SOURCES
        + extra
        + "tasks:\n"
        + tasks
    )
    plan, diagnostics = load_plan_text(text, "plan.yaml")
    assert plan is not None, diagnostics
    return plan


SOURCES = """\
sources:
  - {name: rm, kind: redmine, url: https://rm.example.com, project: p}
  - {name: jr, kind: jira, url: https://x.atlassian.net, project: PLAT}
  - {name: gl, kind: gitlab, url: https://gitlab.example.com, project: g/p}
  - {name: gh, kind: github, url: https://api.github.com, project: o/r}
"""

PLAN_TASKS = """\
  - {id: a, title: A, estimate: 2d, tracker: rm#1}
  - {id: b, title: B, estimate: 3d, depends: a, tracker: rm#2}
"""

RM = Source(
    "rm",
    TrackerKind.REDMINE,
    "https://rm.example.com",
    "p",
    estimate_field="estimated_hours",
    estimate_unit=Duration(60),
)


def item(key: str, **changes: Any) -> TrackerItem:
    base = TrackerItem(
        key=key,
        title=f"Item {key}",
        url=f"https://rm.example.com/issues/{key}",
        state="New",
        closed=False,
        created=at(1),
        updated=at(2),
    )
    return replace(base, **changes)


START = Transition(at(3), "In Progress", "New", started=True)
DONE = Transition(at(6), "Closed", "In Progress", started=True, done=True)


def started(key: str, **changes: Any) -> TrackerItem:
    values: dict[str, Any] = {"state": "In Progress", "started": True, "transitions": (START,)}
    values.update(changes)
    return item(key, **values)


def finished(key: str, **changes: Any) -> TrackerItem:
    values: dict[str, Any] = {
        "state": "Closed",
        "closed": True,
        "closed_at": at(6),
        "started": True,
        "done": True,
        "transitions": (START, DONE),
        "updated": at(9),  # a comment after closing: not the finish
    }
    values.update(changes)
    return item(key, **values)


def run(
    plan: Plan,
    items: Mapping[str, TrackerItem],
    agreed: Mapping[str, Mapping[str, Any] | None] | None = None,
    progress: Mapping[str, TaskProgress] | None = None,
    *,
    source: Source = RM,
    today: dt.date = TODAY,
    accept: Mapping[str, str] | None = None,
) -> Outcome:
    return reconcile(plan, source, items, agreed or {}, progress or {}, today, accept)


def codes(outcome: Outcome) -> list[tuple[str, str, str]]:
    return [(d.code, d.task, d.changed) for d in outcome.drift]


def only(outcome: Outcome, code: str) -> Drift:
    (found,) = [d for d in outcome.drift if d.code == code]
    return found


# -- tracker_dates ---------------------------------------------------------------------------------


def test_dates_come_from_the_transitions_not_the_last_update() -> None:
    assert tracker_dates(finished("1")) == (D(2026, 3, 3), D(2026, 3, 6))


def test_dates_of_an_open_item() -> None:
    assert tracker_dates(item("1")) == (None, None)
    assert tracker_dates(started("1", updated=at(9))) == (D(2026, 3, 3), None)


def test_reopened_item_finishes_when_it_last_became_done() -> None:
    history = (
        START,
        Transition(at(4), "Closed", "In Progress", started=True, done=True),
        Transition(at(5), "Reopened", "Closed", started=True),
        Transition(at(8), "Resolved", "Reopened", started=True, done=True),
        Transition(at(9), "Closed", "Resolved", started=True, done=True),  # done to done
    )
    assert tracker_dates(finished("1", transitions=history)) == (D(2026, 3, 3), D(2026, 3, 8))


def test_reopened_and_open_has_a_start_and_no_finish() -> None:
    history = (
        Transition(at(4), "Closed", "New", started=True, done=True),
        Transition(at(5), "Reopened", "Closed", started=True),
    )
    assert tracker_dates(started("1", transitions=history)) == (D(2026, 3, 4), None)


def test_done_without_history() -> None:
    # Created straight into a started state, closed with no journal: started when created.
    bare = finished("1", transitions=(), closed_at=at(7))
    assert tracker_dates(bare) == (D(2026, 3, 1), D(2026, 3, 7))
    # Not even started by the rules: it took the day it was closed.
    assert tracker_dates(replace(bare, started=False)) == (D(2026, 3, 7), D(2026, 3, 7))
    # No closed date either: the last update is all there is.
    assert tracker_dates(replace(bare, started=False, closed_at=None)) == (
        D(2026, 3, 9),
        D(2026, 3, 9),
    )


def test_started_without_a_transition_started_when_created() -> None:
    assert tracker_dates(item("1", started=True, state="In Progress")) == (D(2026, 3, 1), None)


def test_a_start_after_the_finish_is_pulled_back_to_it() -> None:
    # Only a done transition whose start came later in the history (clock skew between journals).
    history = (
        Transition(at(5), "Closed", "New", started=True, done=True),
        Transition(at(7), "Closed", "Closed", started=True, done=True),
    )
    weird = finished("1", transitions=(*history,))
    assert tracker_dates(weird) == (D(2026, 3, 5), D(2026, 3, 5))
    # The first started transition comes after the only done one (late history import).
    late = finished(
        "1",
        transitions=(
            Transition(at(4), "Closed", "New", done=True),
            Transition(at(6), "Closed", "Closed", started=True, done=True),
        ),
    )
    assert tracker_dates(late) == (D(2026, 3, 4), D(2026, 3, 4))


def test_dates_are_utc_days() -> None:
    evening = dt.datetime(2026, 3, 5, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    morning = dt.datetime(2026, 3, 7, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    done = finished(
        "1",
        transitions=(
            Transition(evening, "In Progress", "New", started=True),
            Transition(morning, "Closed", "In Progress", started=True, done=True),
        ),
    )
    assert tracker_dates(done) == (D(2026, 3, 6), D(2026, 3, 6))


# -- progress -------------------------------------------------------------------------------------


def test_first_sync_records_facts_for_tasks_the_plan_says_nothing_of() -> None:
    plan = load(PLAN_TASKS)
    out = run(plan, {"1": finished("1"), "2": started("2", blocked_by=("1",))})
    assert out.drift == ()
    assert out.linked == 2
    assert out.status_date == TODAY
    by_task = {f.task_id: f for f in out.facts}
    a, b = by_task["a"], by_task["b"]
    assert (a.status_date, a.actual_start, a.actual_finish, a.percent_complete) == (
        TODAY,
        D(2026, 3, 3),
        D(2026, 3, 6),
        Decimal(100),
    )
    assert a.source == "sync:rm"
    assert a.note == "rm#1: Closed"
    assert (b.actual_start, b.actual_finish, b.percent_complete) == (D(2026, 3, 3), None, None)
    assert out.changes == (
        Change("a", "rm#1", "planned", "done"),
        Change("b", "rm#2", "planned", "in-progress"),
    )
    assert out.agreed["1"] is not None
    assert out.agreed["1"]["progress"] == {"plan": ["done", 100], "tracker": ["done", 100]}
    assert out.agreed["2"] is not None
    assert out.agreed["2"]["progress"] == {
        "plan": ["in-progress", None],
        "tracker": ["in-progress", None],
    }


def test_percent_done_becomes_the_share_complete() -> None:
    plan = load(PLAN_TASKS)
    out = run(plan, {"1": started("1", percent_done=Decimal(40)), "2": item("2")})
    (fact,) = out.facts
    assert fact.percent_complete == Decimal(40)
    assert out.changes == (Change("a", "rm#1", "planned", "in-progress 40%"),)


def test_nothing_recorded_when_both_sides_agree() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3), D(2026, 3, 6))}
    out = run(plan, {"1": finished("1"), "2": item("2", blocked_by=("1",))}, progress=progress)
    assert out.facts == () and out.changes == () and out.drift == ()


def test_done_item_without_history_is_recorded_done() -> None:
    plan = load(PLAN_TASKS)
    bare = finished("1", transitions=(), started=False, closed_at=at(7))
    out = run(plan, {"1": bare, "2": item("2", blocked_by=("1",))})
    (fact,) = out.facts
    assert (fact.actual_start, fact.actual_finish) == (D(2026, 3, 7), D(2026, 3, 7))


def test_a_tracker_clock_ahead_of_today_moves_the_status_date() -> None:
    plan = load(PLAN_TASKS)
    ahead = finished(
        "1",
        closed_at=at(12),
        transitions=(START, Transition(at(12), "Closed", "In Progress", started=True, done=True)),
    )
    out = run(plan, {"1": ahead, "2": item("2", blocked_by=("1",))}, today=D(2026, 3, 11))
    assert out.status_date == D(2026, 3, 12)
    (fact,) = out.facts
    assert fact.status_date == D(2026, 3, 12)
    assert fact.actual_finish == D(2026, 3, 12)


def test_items_not_linked_do_not_move_the_status_date() -> None:
    plan = load(PLAN_TASKS)
    stranger = finished("99", closed_at=at(20), transitions=())
    out = run(plan, {"1": item("1"), "2": item("2", blocked_by=("1",)), "99": stranger})
    assert out.status_date == TODAY
    assert "99" not in out.agreed


def agreement(plan_side: list[Any], tracker_side: list[Any]) -> dict[str, Any]:
    return {"progress": {"plan": plan_side, "tracker": tracker_side}}


PLANNED = ["planned", None]
IN_PROGRESS = ["in-progress", None]
DONE_STATE = ["done", 100]


def b_quiet() -> dict[str, TrackerItem]:
    return {"2": item("2", blocked_by=("1",))}


def test_only_the_tracker_changed_records_facts() -> None:
    plan = load(PLAN_TASKS)
    out = run(plan, {"1": finished("1"), **b_quiet()}, {"1": agreement(PLANNED, PLANNED)})
    assert out.drift == ()
    (fact,) = out.facts
    assert (fact.task_id, fact.actual_finish) == ("a", D(2026, 3, 6))
    assert out.changes == (Change("a", "rm#1", "planned", "done"),)


def test_the_tracker_moving_on_from_an_agreed_in_progress() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    out = run(
        plan,
        {"1": finished("1"), **b_quiet()},
        {"1": agreement(IN_PROGRESS, IN_PROGRESS)},
        progress,
    )
    assert out.drift == ()
    assert [f.task_id for f in out.facts] == ["a"]


def test_first_sync_with_contrary_plan_progress_is_drift() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    out = run(plan, {"1": finished("1"), **b_quiet()}, progress=progress)
    assert codes(out) == [("W620", "a", "first sync")]
    assert out.facts == ()
    drift = only(out, "W620")
    assert (drift.field, drift.plan, drift.tracker, drift.item) == (
        "progress",
        "in-progress",
        "done",
        "rm#1",
    )
    assert drift.url == "https://rm.example.com/issues/1"
    assert "rm#1 is Closed (done)" in drift.message


def test_plan_changed_done_in_tracker_w620() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    out = run(
        plan, {"1": finished("1"), **b_quiet()}, {"1": agreement(PLANNED, DONE_STATE)}, progress
    )
    assert codes(out) == [("W620", "a", "plan")]
    assert out.facts == ()
    assert out.changes == ()
    # The agreement remembers what each side said now.
    assert out.agreed["1"] is not None
    assert out.agreed["1"]["progress"] == {"plan": IN_PROGRESS, "tracker": DONE_STATE}


def test_plan_changed_done_in_plan_open_in_tracker_w621() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3), D(2026, 3, 5))}
    out = run(
        plan, {"1": started("1"), **b_quiet()}, {"1": agreement(IN_PROGRESS, IN_PROGRESS)}, progress
    )
    assert codes(out) == [("W621", "a", "plan")]
    drift = only(out, "W621")
    assert (drift.plan, drift.tracker) == ("done", "in-progress")
    assert "(open)" in drift.message


def test_plan_changed_started_in_one_only_w622() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    out = run(plan, {"1": item("1"), **b_quiet()}, {"1": agreement(PLANNED, PLANNED)}, progress)
    assert codes(out) == [("W622", "a", "plan")]
    drift = only(out, "W622")
    assert (drift.plan, drift.tracker) == ("in-progress", "planned")


def test_a_different_share_complete_is_w622() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3), percent_complete=Fraction(1, 4))}
    tracked = started("1", percent_done=Decimal(50))
    out = run(plan, {"1": tracked, **b_quiet()}, progress=progress)
    assert codes(out) == [("W622", "a", "first sync")]
    drift = only(out, "W622")
    assert (drift.plan, drift.tracker) == ("in-progress 25%", "in-progress 50%")


def test_both_sides_changed() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    out = run(plan, {"1": finished("1"), **b_quiet()}, {"1": agreement(PLANNED, PLANNED)}, progress)
    assert codes(out) == [("W620", "a", "both")]
    assert out.facts == ()


def test_unresolved_since_the_last_sync() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    items = {"1": finished("1"), **b_quiet()}
    first = run(plan, items, progress=progress)
    again = run(plan, items, first.agreed, progress)
    assert codes(again) == [("W620", "a", "unresolved since the last sync")]
    assert again.facts == ()


def test_accept_progress_tracker_records_the_trackers() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    out = run(
        plan, {"1": finished("1"), **b_quiet()}, progress=progress, accept={"progress": "tracker"}
    )
    assert out.drift == ()
    (fact,) = out.facts
    assert (fact.task_id, fact.actual_start, fact.actual_finish) == (
        "a",
        D(2026, 3, 3),
        D(2026, 3, 6),
    )
    assert out.changes == (Change("a", "rm#1", "in-progress", "done"),)
    assert out.agreed["1"] is not None
    assert out.agreed["1"]["progress"] == {"plan": DONE_STATE, "tracker": DONE_STATE}
    assert out.edits == ()


def test_accept_all_tracker_covers_progress() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    out = run(plan, {"1": finished("1"), **b_quiet()}, progress=progress, accept={"all": "tracker"})
    assert out.drift == ()
    assert [f.task_id for f in out.facts] == ["a"]


def test_accept_progress_plan_is_not_reported_again_until_a_side_moves() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    items = {"1": finished("1"), **b_quiet()}
    kept = run(plan, items, progress=progress, accept={"progress": "plan"})
    assert kept.drift == () and kept.facts == () and kept.changes == ()
    assert kept.agreed["1"] is not None
    assert kept.agreed["1"]["progress"] == {
        "plan": IN_PROGRESS,
        "tracker": DONE_STATE,
        "accepted": "plan",
    }
    # The next sync, nothing moved: silent, and the acceptance is kept.
    quiet = run(plan, items, kept.agreed, progress)
    assert quiet.drift == () and quiet.facts == ()
    assert quiet.agreed["1"] is not None
    assert quiet.agreed["1"]["progress"]["accepted"] == "plan"
    # The plan moves (its progress withdrawn): drift again, said to be the plan's.
    again = run(plan, items, quiet.agreed, {})
    assert codes(again) == [("W620", "a", "plan")]
    # The tracker moves instead (reopened, half done): only the tracker changed, so it is
    # recorded by itself.
    reopened = {"1": started("1", percent_done=Decimal(50)), **b_quiet()}
    later = run(plan, reopened, quiet.agreed, progress)
    assert later.drift == ()
    (fact,) = later.facts
    assert (fact.task_id, fact.percent_complete) == ("a", Decimal(50))


# -- estimate -------------------------------------------------------------------------------------


def test_estimate_in_hours_w623() -> None:
    plan = load(PLAN_TASKS)
    items = {"1": item("1", estimate=Decimal(24)), "2": item("2", blocked_by=("1",))}
    out = run(plan, items)
    assert codes(out) == [("W623", "a", "first sync")]
    drift = only(out, "W623")
    assert (drift.field, drift.plan, drift.tracker) == ("estimate", "2d", "3d")
    assert "24 estimated_hours" in drift.message
    assert out.edits == ()


def test_equal_estimate_in_hours_is_no_drift() -> None:
    plan = load(PLAN_TASKS)
    items = {"1": item("1", estimate=Decimal(16)), "2": item("2", estimate=Decimal("24.0"))}
    items["2"] = replace(items["2"], blocked_by=("1",))
    out = run(plan, items)
    assert out.drift == ()
    assert out.agreed["1"] is not None
    assert out.agreed["1"]["estimate"] == {"plan": 960, "tracker": 960}


def test_no_tracker_estimate_is_no_drift() -> None:
    plan = load(PLAN_TASKS)
    out = run(plan, {"1": item("1"), "2": item("2", blocked_by=("1",))})
    assert [d for d in out.drift if d.code == "W623"] == []


def test_estimate_in_story_points_uses_the_unit() -> None:
    jira = Source(
        "jr",
        TrackerKind.JIRA,
        "https://x.atlassian.net",
        "PLAT",
        estimate_field="story_points",
        estimate_unit=Duration(240),  # one point is half a day
    )
    plan = load("  - {id: a, title: A, estimate: 2d, tracker: jr#PLAT-1}\n")
    same = run(plan, {"PLAT-1": item("PLAT-1", estimate=Decimal(4))}, source=jira)
    assert same.drift == ()
    out = run(plan, {"PLAT-1": item("PLAT-1", estimate=Decimal(5))}, source=jira)
    drift = only(out, "W623")
    assert (drift.plan, drift.tracker, drift.item) == ("2d", "2.5d", "jr#PLAT-1")


@pytest.mark.parametrize("field", ["time_estimate", "timeoriginalestimate"])
def test_estimate_in_seconds_ignores_the_unit(field: str) -> None:
    source = Source(
        "gl",
        TrackerKind.GITLAB,
        "https://gitlab.example.com",
        "g/p",
        estimate_field=field,
        estimate_unit=Duration(480),
    )
    plan = load("  - {id: a, title: A, estimate: 2d, tracker: gl#7}\n")
    same = run(plan, {"7": item("7", estimate=Decimal(16 * 3600))}, source=source)
    assert same.drift == ()
    out = run(plan, {"7": item("7", estimate=Decimal(90 * 60))}, source=source)
    assert only(out, "W623").tracker == "1.5h"


def test_estimate_in_a_plan_with_another_day_length() -> None:
    plan = load(
        "  - {id: a, title: A, estimate: 2d, tracker: rm#1}\n",
        extra="calendar: {hours_per_day: 6}\n",
    )
    assert plan.hours_per_day == 6
    out = run(plan, {"1": item("1", estimate=Decimal(18))})
    drift = only(out, "W623")
    assert (drift.plan, drift.tracker) == ("2d", "3d")


def test_accept_estimate_tracker_asks_for_an_edit() -> None:
    plan = load(PLAN_TASKS)
    items = {"1": item("1", estimate=Decimal(20)), "2": item("2", blocked_by=("1",))}
    out = run(plan, items, accept={"estimate": "tracker"})
    assert out.drift == ()
    assert out.edits == (Edit("a", "estimate", "2.5d"),)
    assert out.agreed["1"] is not None
    assert out.agreed["1"]["estimate"] == {"plan": 960, "tracker": 1200, "accepted": "tracker"}


def test_accept_estimate_plan_silences_it_until_the_tracker_moves() -> None:
    plan = load(PLAN_TASKS)
    items = {"1": item("1", estimate=Decimal(20)), "2": item("2", blocked_by=("1",))}
    kept = run(plan, items, accept={"estimate": "plan"})
    assert kept.drift == () and kept.edits == ()
    quiet = run(plan, items, kept.agreed)
    assert quiet.drift == ()
    moved = {**items, "1": item("1", estimate=Decimal(32))}
    again = run(plan, moved, quiet.agreed)
    assert codes(again) == [("W623", "a", "tracker")]


def test_estimate_on_a_task_without_one() -> None:
    plan = load("  - {id: a, title: A, tracker: rm#1}\n")
    out = run(plan, {"1": item("1", estimate=Decimal(8))})
    drift = only(out, "W623")
    assert (drift.plan, drift.tracker) == ("none", "1d")


# -- blocking links ------------------------------------------------------------------------------


THREE = """\
  - {id: a, title: A, estimate: 2d, tracker: rm#1}
  - {id: b, title: B, estimate: 3d, tracker: rm#2}
  - {id: c, title: C, estimate: 1d, depends: [a], tracker: rm#3}
"""


def test_a_blocking_link_the_plan_lacks_w624() -> None:
    plan = load(THREE)
    items = {"1": item("1"), "2": item("2"), "3": item("3", blocked_by=("1", "2"))}
    out = run(plan, items)
    assert codes(out) == [("W624", "c", "first sync")]
    drift = only(out, "W624")
    assert (drift.field, drift.plan, drift.tracker) == ("depends", "1", "1, 2")
    assert "rm#2" in drift.message
    assert "not linked" not in drift.message


def test_a_blocking_link_to_an_item_of_no_task_says_so() -> None:
    plan = load(THREE)
    items = {"1": item("1"), "2": item("2"), "3": item("3", blocked_by=("1", "77"))}
    drift = only(run(plan, items), "W624")
    assert "rm#77" in drift.message
    assert "not linked to any task of the plan" in drift.message


def test_a_dependency_the_tracker_lacks_w625() -> None:
    plan = load(THREE)
    items = {"1": item("1"), "2": item("2"), "3": item("3")}
    out = run(plan, items)
    assert codes(out) == [("W625", "c", "first sync")]
    drift = only(out, "W625")
    assert (drift.plan, drift.tracker) == ("1", "none")
    assert drift.message == "'c' depends on rm#1, which does not block rm#3"


def test_closed_items_links_are_not_compared() -> None:
    plan = load(THREE)
    progress = {
        "c": TaskProgress(D(2026, 3, 3), D(2026, 3, 6)),
    }
    items = {"1": item("1"), "2": item("2"), "3": finished("3", blocked_by=("2",))}
    out = run(plan, items, progress=progress)
    assert out.drift == ()


def test_dependencies_on_tasks_of_no_item_are_not_compared() -> None:
    plan = load(
        """\
  - {id: design, title: Design, estimate: 1d}
  - {id: a, title: A, estimate: 2d, depends: design, tracker: rm#1}
"""
    )
    out = run(plan, {"1": item("1")})
    assert out.drift == ()


def test_accept_depends_tracker_asks_for_an_edit() -> None:
    plan = load(THREE)
    items = {"1": item("1"), "2": item("2"), "3": item("3", blocked_by=("2", "1"))}
    out = run(plan, items, accept={"depends": "tracker"})
    assert out.drift == ()
    assert out.edits == (Edit("c", "depends", "a, b", ("a", "b")),)


def test_accept_depends_tracker_keeps_dependencies_on_untracked_tasks() -> None:
    plan = load(
        """\
  - {id: design, title: Design, estimate: 1d}
  - {id: a, title: A, estimate: 2d, tracker: rm#1}
  - {id: b, title: B, estimate: 2d, tracker: rm#2}
  - {id: c, title: C, estimate: 1d, depends: [design, a], tracker: rm#3}
"""
    )
    items = {"1": item("1"), "2": item("2"), "3": item("3", blocked_by=("1", "2"))}
    out = run(plan, items, accept={"depends": "tracker"})
    (edit,) = out.edits
    assert "design" in edit.values


# -- scope, assignees, missing items -------------------------------------------------------------


def test_an_item_out_of_scope_w626() -> None:
    plan = load(PLAN_TASKS)
    items = {"1": item("1", in_scope=False), "2": item("2", blocked_by=("1",))}
    out = run(plan, items)
    assert codes(out) == [("W626", "a", "first sync")]
    drift = only(out, "W626")
    assert (drift.field, drift.plan, drift.tracker) == ("scope", "in the plan", "outside the query")
    again = run(plan, items, out.agreed)
    assert codes(again) == [("W626", "a", "unresolved since the last sync")]
    moved = run(plan, items, {"1": {"scope": {"plan": True, "tracker": True}}})
    assert codes(moved) == [("W626", "a", "tracker")]


ASSIGNED = """\
  - {id: a, title: A, estimate: 2d, tracker: rm#1, assignee: alice}
"""


def test_an_unknown_account_w627() -> None:
    plan = load(ASSIGNED)
    out = run(plan, {"1": item("1", assignees=("jsmith",))})
    assert codes(out) == [("W627", "a", "tracker")]
    drift = only(out, "W627")
    assert (drift.field, drift.plan, drift.tracker) == ("assignee", "alice", "jsmith")
    assert "jsmith" in drift.message and "people" not in drift.tracker


def test_accounts_map_through_the_sources_people() -> None:
    plan = load(ASSIGNED)
    mapped = replace(RM, people={"jsmith": "alice"})
    out = run(plan, {"1": item("1", assignees=("jsmith",))}, source=mapped)
    assert out.drift == ()
    assert out.agreed["1"] is not None
    assert out.agreed["1"]["assignee"] == {"plan": ["alice"], "tracker": ["alice"]}
    # An account that is a person's id needs no mapping.
    same = run(plan, {"1": item("1", assignees=("alice",))})
    assert same.drift == ()


def test_different_assignees_w628() -> None:
    plan = load(ASSIGNED)
    out = run(plan, {"1": item("1", assignees=("bob",))})
    assert codes(out) == [("W628", "a", "first sync")]
    drift = only(out, "W628")
    assert (drift.plan, drift.tracker) == ("alice", "bob")
    assert drift.message == "'a' is assigned to alice, rm#1 to bob"


def test_accept_assignee_tracker_asks_for_an_edit() -> None:
    plan = load(ASSIGNED)
    mapped = replace(RM, people={"jsmith": "bob"})
    out = run(
        plan,
        {"1": item("1", assignees=("jsmith", "alice"))},
        source=mapped,
        accept={"assignee": "tracker"},
    )
    assert out.drift == ()
    assert out.edits == (Edit("a", "assignee", "alice, bob", ("alice", "bob")),)


def test_unassigned_on_either_side_is_no_drift() -> None:
    plan = load(ASSIGNED + "  - {id: b, title: B, estimate: 1d, tracker: rm#2}\n")
    out = run(plan, {"1": item("1"), "2": item("2", assignees=("bob",))})
    assert out.drift == ()


def test_a_missing_item_w629() -> None:
    plan = load(PLAN_TASKS)
    out = run(plan, {"2": item("2", blocked_by=("1",))})
    assert codes(out) == [("W629", "a", "first sync")]
    drift = only(out, "W629")
    assert (drift.field, drift.item, drift.tracker) == ("item", "rm#1", "missing")
    assert "1" not in out.agreed
    assert out.facts == ()
    # It was there at the last sync: the tracker lost it.
    later = run(plan, {"2": item("2", blocked_by=("1",))}, {"1": {}})
    assert codes(later) == [("W629", "a", "tracker")]


def test_tasks_of_other_sources_are_left_alone() -> None:
    plan = load(PLAN_TASKS + "  - {id: g, title: G, estimate: 1d, tracker: gh#5}\n")
    out = run(plan, {"1": item("1"), "2": item("2", blocked_by=("1",))})
    assert out.linked == 2
    assert set(out.agreed) == {"1", "2"}
    assert out.drift == ()


def progress_after(plan: Plan, out: Outcome) -> dict[str, TaskProgress]:
    status = facts_status(plan, out.facts)
    return {} if status is None else dict(status.tasks)


def test_recorded_facts_agree_with_the_tracker_at_the_next_sync() -> None:
    plan = load(PLAN_TASKS)
    items = {"1": finished("1"), "2": started("2", percent_done=Decimal(30), blocked_by=("1",))}
    first = run(plan, items)
    assert len(first.facts) == 2
    again = run(plan, items, first.agreed, progress_after(plan, first))
    assert again.drift == () and again.facts == ()


def test_an_item_moved_back_to_new_records_a_planned_fact() -> None:
    plan = load(PLAN_TASKS)
    progress = {"a": TaskProgress(D(2026, 3, 3))}
    back = item(
        "1",
        state="New",
        transitions=(START, Transition(at(5), "New", "In Progress")),
    )
    items = {"1": back, **b_quiet()}
    out = run(plan, items, {"1": agreement(IN_PROGRESS, IN_PROGRESS)}, progress)
    assert out.changes == (Change("a", "rm#1", "in-progress", "planned"),)
    again = run(plan, items, out.agreed, progress_after(plan, out))
    assert again.drift == ()


def test_a_reopened_item_at_100_percent_is_in_progress_not_done() -> None:
    from ontrack.engines.trackersync import _tracker_progress

    moment = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    item = TrackerItem(
        key="7",
        title="Reopened",
        url="u",
        state="In Progress",
        closed=False,
        created=moment,
        updated=moment,
        percent_done=Decimal(100),
        started=True,
    )
    assert _tracker_progress(item) == ("in-progress", 99)
