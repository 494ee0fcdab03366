"""Earned value inputs from a baseline and progress facts, worked by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from ontrack.engines.tracking import evm_points
from ontrack.model import BaselineTask, Plan
from ontrack.store.repo import ProgressFact
from tests.conftest import HEADER, load_doc

D = dt.date


def plan() -> Plan:
    loaded, diagnostics = load_doc(HEADER + "tasks:\n  - {id: a, title: A, estimate: 5d}\n")
    assert loaded is not None, diagnostics
    return loaded


SCHEDULE = {
    # Week 1 and week 2 of January 2026, 500 each (a person at 100/day for 5 days).
    "a": BaselineTask(D(2026, 1, 5), D(2026, 1, 9), 5, Decimal(500)),
    "b": BaselineTask(D(2026, 1, 12), D(2026, 1, 16), 5, Decimal(500)),
    "all": BaselineTask(D(2026, 1, 5), D(2026, 1, 16), 10, summary=True),
}


def test_pv_ev_ac_at_the_status_dates() -> None:
    facts = [
        ProgressFact("a", D(2026, 1, 9), D(2026, 1, 5), D(2026, 1, 9), actual_cost=Decimal(600)),
        ProgressFact(
            "b",
            D(2026, 1, 16),
            D(2026, 1, 12),
            percent_complete=Decimal(40),
            actual_cost=Decimal(300),
        ),
    ]
    points, unit = evm_points(plan(), SCHEDULE, facts)
    assert unit == "money"
    assert [(p.date, p.pv, p.ev, p.ac) for p in points] == [
        # a planned done by the 9th: PV 500; a done: EV 500; it cost 600.
        (D(2026, 1, 9), Decimal(500), Decimal(500), Decimal(600)),
        # b 40 % done of 500 earns 200; a's latest fact still counts: EV 700, AC 900.
        (D(2026, 1, 16), Decimal(1000), Decimal(700), Decimal(900)),
    ]


def test_pv_spreads_over_working_days_and_runs_to_the_planned_end() -> None:
    # Status on Wednesday the 7th: 3 of a's 5 days planned (PV 300); then every 7 days.
    facts = [ProgressFact("a", D(2026, 1, 7), percent_complete=Decimal(50))]
    points, _ = evm_points(plan(), SCHEDULE, facts)
    assert [(p.date, p.pv, p.ev, p.ac) for p in points] == [
        (D(2026, 1, 7), Decimal(300), Decimal(250), None),
        (D(2026, 1, 14), Decimal(800), None, None),  # b: Mon-Wed = 3 of 5 days
        (D(2026, 1, 21), Decimal(1000), None, None),
    ]


def test_without_rates_the_budget_is_working_days() -> None:
    schedule = {k: replace(v, cost=Decimal(0)) for k, v in SCHEDULE.items()}
    points, unit = evm_points(plan(), schedule, [])
    assert unit == "days"
    assert [(p.date, p.pv, p.ev) for p in points] == [
        (D(2026, 1, 11), Decimal(5), None),
        (D(2026, 1, 18), Decimal(10), None),
    ]
