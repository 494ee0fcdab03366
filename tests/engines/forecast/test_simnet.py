

def test_a_lead_against_a_persons_order_does_not_close_a_cycle() -> None:
    """Found by the fuzz suite (tests/fixtures/plans/lead-against-person-order.yaml)."""
    from ontrack.app.asof import resolve_as_of
    from ontrack.app.assessment import AssessOptions, assess
    from ontrack.planfile import load_plan
    from tests.conftest import FIXTURES

    plan, diagnostics = load_plan(FIXTURES / "plans" / "lead-against-person-order.yaml")
    assert plan is not None, diagnostics
    assessed, problems = assess(
        plan, AssessOptions(iterations=200, time_limit=0.5), as_of=resolve_as_of(plan)
    )
    assert assessed is not None, problems
    assert assessed.forecast.finish.p50 >= assessed.schedule.start
