"""Cycle detection: names the cycle, in order, and scales to long chains."""

from __future__ import annotations

import datetime as dt

from ontrack.checks.cycles import check_cycles
from ontrack.model import Dependency, Plan, Program, Task
from tests.conftest import HEADER, load_doc


def chain(n: int, close: bool) -> Plan:
    tasks = [
        Task(f"t{i}", f"T{i}", depends=(Dependency(f"t{i - 1}"),) if i else ()) for i in range(n)
    ]
    if close:
        tasks[0] = Task("t0", "T0", depends=(Dependency(f"t{n - 1}"),))
    return Plan(Program("P", dt.date(2026, 1, 5)), tasks=tuple(tasks))


def test_long_chain_without_a_cycle_is_fine() -> None:
    assert list(check_cycles(chain(20_000, close=False))) == []


def test_long_cycle_is_found_without_recursion_limits() -> None:
    (diag,) = check_cycles(chain(5_000, close=True))
    assert diag.code == "E210"
    assert len(diag.subjects) == 5_000


def test_cycle_message_lists_tasks_in_order() -> None:
    _, diags = load_doc(
        HEADER
        + """\
tasks:
  - {id: a, title: A, estimate: 1d, depends: [c]}
  - {id: b, title: B, estimate: 1d, depends: [a]}
  - {id: c, title: C, estimate: 1d, depends: [b]}
"""
    )
    (diag,) = diags
    assert diag.code == "E210"
    assert diag.message == "dependency cycle: a → b → c → a"
    assert diag.loc.line == 5
    assert [r.line for r in diag.related] == [6, 7]


def test_two_separate_cycles_are_both_reported() -> None:
    _, diags = load_doc(
        HEADER
        + """\
tasks:
  - {id: a, title: A, estimate: 1d, depends: [b]}
  - {id: b, title: B, estimate: 1d, depends: [a]}
  - {id: c, title: C, estimate: 1d, depends: [d]}
  - {id: d, title: D, estimate: 1d, depends: [c]}
"""
    )
    assert sorted(set(d.subjects) for d in diags) == [{"a", "b"}, {"c", "d"}]


def test_summary_dependencies_that_are_fine() -> None:
    # A task after a whole summary, and a summary after a task, are ordinary plans.
    plan, diags = load_doc(
        HEADER
        + """\
tasks:
  - {id: prep, title: Prep, estimate: 1d}
  - id: epic
    title: Epic
    depends: [prep]
    tasks:
      - {id: a, title: A, estimate: 1d}
      - {id: b, title: B, estimate: 1d, depends: [a]}
  - {id: after, title: After, estimate: 1d, depends: [epic]}
"""
    )
    assert diags == [] and plan is not None
