"""Every fixture plan reports exactly the diagnostics marked inline with `# expect:`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ontrack.planfile import load_plan
from tests.conftest import FIXTURES, expected_marks, found_marks

PLANS = sorted((FIXTURES / "plans").glob("*.yaml"))


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_fixture_diagnostics_match_marks(path: Path) -> None:
    plan, diagnostics = load_plan(path)
    expected = expected_marks(path.read_text(encoding="utf-8"))
    found = found_marks(diagnostics)
    assert found == expected, "\n".join(d.format() for d in diagnostics)
    assert all(d.loc.file == str(path) for d in diagnostics)
    has_errors = any(code.startswith("E") for _, code in expected)
    assert (plan is None) == has_errors


def test_clean_fixture_loads_every_feature() -> None:
    plan, diagnostics = load_plan(FIXTURES / "plans" / "clean.yaml")
    assert diagnostics == []
    assert plan is not None
    assert [t.id for t in plan.tasks] == [
        "build",
        "design",
        "api",
        "ui",
        "vendor",
        "launch",
        "retro",
    ]
