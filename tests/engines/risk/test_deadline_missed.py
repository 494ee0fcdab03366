"""R106: a deadline the deterministic schedule misses, with the earliest finish (everyone free),
the levelled finish, and what would recover it. Plans start Monday 2026-01-05 (grid day 0)."""

from __future__ import annotations

from tests.conftest import HEADER
from tests.engines.risk.test_risk import found, one, run


def deadline_line(text: str) -> int:
    lines = (HEADER + text).splitlines()
    return next(i for i, line in enumerate(lines, start=1) if "deadline:" in line)


# Both tasks could finish Friday 2026-01-09, but Alice does one after the other: the milestone
# is done 2026-01-16, three working days after its deadline (Tuesday 2026-01-13).
LEVELLED = """
people:
  - {id: alice, name: Alice}
tasks:
  - {id: a, title: A, estimate: 5d, assignee: alice}
  - {id: b, title: B, estimate: 5d, assignee: alice}
  - {id: m, title: M, milestone: true, depends: [a, b], deadline: 2026-01-13}
"""


def test_a_deadline_missed_because_of_levelling_asks_for_people() -> None:
    f = one(run(LEVELLED), "R106")
    assert f.severity == "critical"
    assert f.loc.line == deadline_line(LEVELLED)
    e = f.evidence
    assert (e["deadline"], e["finish"], e["late_days"]) == ("2026-01-13", "2026-01-16", 3)
    assert (e["earliest_finish"], e["earliest_late_days"], e["levelling_days"]) == (
        "2026-01-09",
        0,
        3,
    )
    assert e["people"] == ["alice"]
    assert f.exposure_days == 3.0
    assert "alice" in f.subjects


# A chain of 2 + 6 + 4 + 3 days cannot end before Friday 2026-01-23, five working days after
# the deadline (Friday 2026-01-16), whoever does it: the three longest links are named.
IMPOSSIBLE = """
people:
  - {id: alice, name: Alice}
  - {id: bob, name: Bob}
tasks:
  - {id: a, title: A, estimate: 2d, assignee: alice}
  - {id: b, title: B, estimate: 6d, assignee: alice, depends: a}
  - {id: c, title: C, estimate: 4d, assignee: bob, depends: b}
  - {id: d, title: D, estimate: 3d, assignee: bob, depends: c}
  - {id: e, title: E, estimate: 1d, assignee: bob}
  - {id: m, title: M, milestone: true, depends: [d, e], deadline: 2026-01-16}
"""


def test_an_impossible_deadline_names_the_longest_tasks_on_its_driving_path() -> None:
    f = one(run(IMPOSSIBLE), "R106")
    e = f.evidence
    assert (e["finish"], e["late_days"], e["earliest_finish"], e["earliest_late_days"]) == (
        "2026-01-23",
        5,
        "2026-01-23",
        5,
    )
    assert e["levelling_days"] == 0
    assert [p["task"] for p in e["driving_path"]] == ["a", "b", "c", "d"]
    assert e["longest"] == [
        {"task": "b", "days": 6},
        {"task": "c", "days": 4},
        {"task": "d", "days": 3},
    ]
    assert e["total_float_days"] == -5
    assert f.subjects == ("m", "b", "c", "d")
    assert e["people"] == []


# Two days late with everyone free (Tuesday 2026-01-20), and Bob's long task 'e' holds 'c' two
# days more: both halves are reported.
BOTH = """
people:
  - {id: alice, name: Alice}
  - {id: bob, name: Bob}
tasks:
  - {id: a, title: A, estimate: 2d, assignee: alice}
  - {id: b, title: B, estimate: 6d, assignee: alice, depends: a}
  - {id: c, title: C, estimate: 4d, assignee: bob, depends: b}
  - {id: e, title: E, estimate: 10d, assignee: bob}
  - {id: m, title: M, milestone: true, depends: [c], deadline: 2026-01-16}
"""


def test_a_deadline_late_by_the_network_and_by_levelling_reports_both_parts() -> None:
    e = one(run(BOTH), "R106").evidence
    assert (e["late_days"], e["earliest_late_days"], e["levelling_days"]) == (4, 2, 2)
    assert e["waits"] == [{"task": "c", "kind": "person", "person": "bob", "on": "e"}]


def test_a_task_with_its_own_deadline_is_reported_too() -> None:
    plan = IMPOSSIBLE.replace("depends: c}", "depends: c, deadline: 2026-01-19}")
    deadline = {f.subjects[0]: f.evidence["late_days"] for f in found(run(plan), "R106")}
    assert deadline == {"m": 5, "d": 4}


def test_a_deadline_met_or_of_done_work_is_not_reported() -> None:
    assert not found(run(LEVELLED.replace("2026-01-13", "2026-01-16")), "R106")
    done = """
tasks:
  - {id: a, title: A, duration: 5d, deadline: 2026-01-07, actual_start: 2026-01-05,
     actual_finish: 2026-01-09}
"""
    assert not found(run(done), "R106")
    under_way = done.replace(",\n     actual_finish: 2026-01-09}", "}")
    assert one(run(under_way), "R106").evidence["late_days"] > 0
