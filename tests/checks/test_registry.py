"""The check registry: every check runs, and a crashing check becomes a diagnostic."""

from __future__ import annotations

from collections.abc import Iterable

from ontrack.checks import REGISTRY, Check, run_checks
from ontrack.diagnostics import Diagnostic
from ontrack.model import Plan
from ontrack.planfile import load_plan
from tests.conftest import FIXTURES


def test_registry_is_immutable_and_codes_are_unique() -> None:
    assert isinstance(REGISTRY, tuple)
    all_codes = [code for check in REGISTRY for code in check.codes]
    assert len(all_codes) == len(set(all_codes))


def test_a_crashing_check_becomes_a_diagnostic() -> None:
    plan, _ = load_plan(FIXTURES / "plans" / "clean.yaml")
    assert plan is not None

    def broken(_: Plan) -> Iterable[Diagnostic]:
        raise KeyError("boom")

    found = run_checks(plan, (*REGISTRY, Check("broken", broken, ())))
    assert [d.code for d in found] == ["E900"]
    assert "broken" in found[0].message
