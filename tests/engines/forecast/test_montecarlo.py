"""Monte Carlo forecasts against analytic oracles: chains add means, merges multiply CDFs,
deterministic estimates reproduce the scheduler, risks happen as often as they say."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from ontrack.engines.calendar import WorkGrid
from ontrack.engines.forecast import montecarlo
from ontrack.engines.forecast.distributions import LEVELS, Distribution
from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast
from ontrack.engines.forecast.result import Forecast, ItemForecast
from ontrack.engines.forecast.simnet import compile_network
from ontrack.engines.schedule.planner import ScheduleOptions, solve_plan
from ontrack.model import Estimate, Plan
from ontrack.planfile import load_plan, load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan
from tests.conftest import EXAMPLES, HEADER, codes, load_doc

MINUTES = 480.0


def run(plan: Plan, **kw: object) -> Forecast:
    result, diagnostics = forecast(plan, ForecastOptions(**kw))  # type: ignore[arg-type]
    assert result is not None, [d.format() for d in diagnostics]
    return result


def plan_of(text: str) -> Plan:
    plan, diagnostics = load_doc(HEADER + text)
    assert plan is not None, [d.format() for d in diagnostics]
    return plan


def pert_days(o: float, m: float, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact distribution of whole days for a PERT estimate in days: values, probabilities."""
    beta = stats.beta(1 + 4 * (m - o) / (p - o), 1 + 4 * (p - m) / (p - o), loc=o, scale=p - o)
    days = np.arange(max(1, math.ceil(o)), math.ceil(p) + 1)
    cdf = beta.cdf(days)
    cdf[-1] = 1.0
    return days, np.diff(np.concatenate([[0.0], cdf]))


def item(result: Forecast, ident: str) -> ItemForecast:
    return next(m for m in result.milestones if m.id == ident)


def strip_uncertainty(plan: Plan) -> Plan:
    """Likely values only, no risks: the forecast must be the schedule."""
    tasks = tuple(
        dataclasses.replace(
            t,
            estimate=Estimate.single(t.estimate.likely) if t.estimate else None,
            duration=Estimate.single(t.duration.likely) if t.duration else None,
        )
        for t in plan.tasks
    )
    return dataclasses.replace(
        plan,
        tasks=tasks,
        risks=(),
        program=dataclasses.replace(plan.program, uncertainty=None),
    )


# -- oracles ------------------------------------------------------------------------------------


def test_a_chain_finishes_at_the_sum_of_its_tasks_means() -> None:
    plan = plan_of(
        """
tasks:
  - {id: a, title: A, estimate: 2d/4d/9d}
  - {id: b, title: B, estimate: 1d/3d/4d, depends: a}
  - {id: c, title: C, estimate: 5d/6d/12d, depends: b}
"""
    )
    n = 20_000
    result = run(plan, iterations=n, seed=3)
    means, variances = [], []
    for o, m, p in ((2, 4, 9), (1, 3, 4), (5, 6, 12)):
        days, prob = pert_days(o, m, p)
        means.append(float(days @ prob))
        variances.append(float((days**2) @ prob - (days @ prob) ** 2))
    tolerance = 4 * math.sqrt(sum(variances) / n) + 3 * 16 / LEVELS
    assert result.finish.mean_days == pytest.approx(sum(means), abs=tolerance)
    # A single path: every day of delay is some task's overrun, nothing is merge bias.
    drivers = {d.id: d.days for d in result.drivers}
    assert "merge-bias" not in drivers
    assert sum(drivers.values()) == pytest.approx(result.finish.mean_days - 4 - 3 - 6, abs=1e-9)
    assert drivers["c"] == pytest.approx(means[2] - 6, abs=0.05)


def test_two_parallel_tasks_merging_multiply_their_distributions() -> None:
    plan = plan_of(
        """
tasks:
  - {id: a, title: A, estimate: 3d/5d/10d}
  - {id: b, title: B, estimate: 2d/6d/8d}
  - {id: done, title: Done, milestone: true, depends: [a, b]}
"""
    )
    n = 20_000
    result = run(plan, iterations=n, seed=11)
    grid = WorkGrid.for_plan(plan)
    days_a, prob_a = pert_days(3, 5, 10)
    days_b, prob_b = pert_days(2, 6, 8)

    def cdf(days: np.ndarray, prob: np.ndarray, x: int) -> float:
        return float(prob[days <= x].sum())

    done = item(result, "done")
    assert done.merge_bias_days > 0  # E[max] exceeds the later of the two means
    for point in done.curve:
        x = grid.index_on_or_before(point.date) + 1  # the milestone closes day x - 1
        expected = cdf(days_a, prob_a, x) * cdf(days_b, prob_b, x)
        sigma = math.sqrt(max(expected * (1 - expected), 1e-12) / n)
        assert point.probability == pytest.approx(expected, abs=4 * sigma + 2 / LEVELS)


def test_a_risk_happens_in_its_share_of_iterations() -> None:
    plan = plan_of(
        """
tasks:
  - {id: build, title: Build, estimate: 10d}
  - {id: ship, title: Ship, milestone: true, depends: build, deadline: 2026-01-16}
risks:
  - {id: r1, title: Vendor late, probability: 30%, impact: 5d, affects: build}
"""
    )
    n = 20_000
    result = run(plan, iterations=n, seed=5)
    risk = result.risks[0]
    sigma = math.sqrt(0.3 * 0.7 / n)
    assert risk.occurred == pytest.approx(0.3, abs=4 * sigma)
    ship = item(result, "ship")
    # Ten working days from Monday 2026-01-05 end on Friday the 16th, five more on the 23rd.
    assert str(ship.planned) == "2026-01-16"
    assert ship.probability_on_time == pytest.approx(1 - risk.occurred, abs=1e-12)
    assert str(ship.p50) == "2026-01-16"
    assert str(ship.p95) == "2026-01-23"
    assert risk.mean_delay_days == pytest.approx(5 * risk.occurred, abs=1e-9)


def test_a_risk_on_a_milestone_delays_it_after_its_inputs() -> None:
    plan = plan_of(
        """
tasks:
  - {id: build, title: Build, estimate: 10d}
  - {id: ship, title: Ship, milestone: true, depends: build}
  - {id: after, title: After, estimate: 1d, depends: ship}
risks:
  - {id: r1, title: Sign-off slips, probability: 100%, impact: 3d, affects: ship}
"""
    )
    result = run(plan, iterations=200)
    assert str(item(result, "ship").p50) == "2026-01-21"  # the 16th plus three working days
    assert str(result.finish.p50) == "2026-01-22"


def test_single_points_are_exact_unless_the_program_sets_an_uncertainty() -> None:
    text = """
tasks:
  - {id: a, title: A, estimate: 10d}
  - {id: b, title: B, estimate: 10d, depends: a}
"""
    exact = run(plan_of(text), iterations=500)
    assert exact.finish.p10 == exact.finish.p95 == exact.finish.planned
    widened = plan_of(text)
    widened = dataclasses.replace(
        widened,
        program=dataclasses.replace(widened.program, uncertainty=(Fraction(1, 10), Fraction(1, 2))),
    )
    spread = run(widened, iterations=2000)
    assert spread.finish.p10 < spread.finish.p95
    assert spread.finish.p10 >= exact.finish.planned.replace(day=exact.finish.planned.day - 2)


def test_the_plan_language_sets_the_uncertainty() -> None:
    plan, diagnostics = load_plan_text(
        HEADER + "  uncertainty: -10%/+50%\ntasks:\n  - {id: a, title: A, estimate: 10d}\n"
    )
    assert plan is not None, diagnostics
    assert plan.program.uncertainty is not None
    assert [float(x) for x in plan.program.uncertainty] == [0.1, 0.5]
    result = run(plan, iterations=2000)
    assert result.finish.p95 > result.finish.planned


# -- the deterministic forecast is the schedule -------------------------------------------------


@pytest.mark.parametrize("source", ["platform-migration", "generated"])
def test_deterministic_estimates_give_exactly_the_schedulers_dates(source: str) -> None:
    if source == "generated":
        loaded, _ = load_plan_text(dump_plan(generate_plan(tasks=300, people=15, seed=3)))
    else:
        loaded, _ = load_plan(EXAMPLES / "platform-migration")
    assert loaded is not None
    plan = strip_uncertainty(loaded)
    # One deterministic schedule; the simulation of it must reproduce every task's dates.
    solved, _ = solve_plan(plan, ScheduleOptions(backend="heuristic", time_limit=2))
    assert solved is not None
    net = compile_network(plan, solved)
    simulation = montecarlo._Simulation(plan, solved, net, ForecastOptions(iterations=64))
    simulation.run()
    result = simulation.result(0.0)
    scheduled = solved.schedule
    finish = {t.id: t.finish for t in scheduled.tasks}
    grid = solved.built.grid
    for ref, end in zip(solved.built.refs, simulation.deterministic, strict=True):
        if ref.kind != "start":
            assert grid.date_of(max(int(end) - 1, 0)) == finish[ref.task], ref.task
    assert result.finish.planned == result.finish.p10 == result.finish.p95 == scheduled.finish
    assert result.milestones
    for m in result.milestones:
        if m.kind != "release":
            assert m.planned == m.p10 == m.p95 == finish[m.id], m.id


# -- modes, options, determinism ----------------------------------------------------------------


def test_same_seed_same_numbers() -> None:
    loaded, _ = load_plan(EXAMPLES / "platform-migration")
    assert loaded is not None
    first = run(loaded, iterations=3000, seed=42).to_json()
    second = run(loaded, iterations=3000, seed=42).to_json()
    other = run(loaded, iterations=3000, seed=43).to_json()
    for data in (first, second, other):
        data.pop("seconds")
    assert first == second
    assert first != other


def test_resource_mode_relevels_each_iteration() -> None:
    # One person, two independent tasks: re-levelled, one always waits for the other.
    plan = plan_of(
        """
people:
  - {id: ana, name: Ana, skills: [dev]}
tasks:
  - {id: a, title: A, estimate: 3d/5d/10d, skills: dev}
  - {id: b, title: B, estimate: 2d/6d/8d, skills: dev}
"""
    )
    n = 1000
    result = run(plan, iterations=n, seed=2, resources=True)
    assert result.mode == "resources"
    days_a, prob_a = pert_days(3, 5, 10)
    days_b, prob_b = pert_days(2, 6, 8)
    mean = float(days_a @ prob_a + days_b @ prob_b)
    var = float((days_a**2) @ prob_a - (days_a @ prob_a) ** 2) + float(
        (days_b**2) @ prob_b - (days_b @ prob_b) ** 2
    )
    assert result.finish.mean_days == pytest.approx(mean, abs=4 * math.sqrt(var / n) + 0.01)
    criticality = {t.id: t.criticality for t in result.tasks}
    assert criticality == {"a": 1.0, "b": 1.0}  # the person's whole queue is the critical path


def test_resource_mode_lets_a_free_person_take_the_work() -> None:
    plan = plan_of(
        """
people:
  - {id: ana, name: Ana, skills: [dev]}
  - {id: bo, name: Bo, skills: [dev]}
tasks:
  - {id: a, title: A, estimate: 5d/5d/20d, skills: dev}
  - {id: b, title: B, estimate: 5d, skills: dev}
  - {id: c, title: C, estimate: 5d, skills: dev, depends: b}
"""
    )
    network = run(plan, iterations=2000, seed=1)
    relevelled = run(plan, iterations=2000, seed=1, resources=True)
    assert relevelled.finish.mean_days <= network.finish.mean_days


def test_correlation_widens_the_spread_of_a_chain() -> None:
    text = "tasks:\n" + "".join(
        f"  - {{id: t{i}, title: T{i}, estimate: 2d/4d/10d, tags: [core]"
        + (f", depends: t{i - 1}" if i else "")
        + "}\n"
        for i in range(8)
    )
    plan = plan_of(text)
    independent = run(plan, iterations=4000, seed=9)
    correlated = run(plan, iterations=4000, seed=9, correlation=0.8, correlate_by="tag")

    def spread(f: Forecast) -> int:
        return (f.finish.p95 - f.finish.p10).days

    assert spread(correlated) > spread(independent)
    # Correlation spreads the sum, not its mean.
    assert correlated.finish.mean_days == pytest.approx(independent.finish.mean_days, rel=0.03)


@pytest.mark.parametrize("kind", [Distribution.TRIANGULAR, Distribution.LOGNORMAL])
def test_other_distributions(kind: Distribution) -> None:
    plan = plan_of("tasks:\n  - {id: a, title: A, estimate: 2d/4d/12d}\n")
    result = run(plan, iterations=20_000, distribution=kind)
    expected = 6.0 if kind is Distribution.TRIANGULAR else 5.0  # before rounding up to days
    # Whole days round each draw up: the mean lands within a day above the continuous mean.
    assert expected < result.finish.mean_days < expected + 1


def test_cost_from_rates_and_risks() -> None:
    plan = plan_of(
        """
people:
  - {id: ana, name: Ana, skills: [dev], rate: 800/day}
tasks:
  - {id: a, title: A, estimate: 5d, assignee: ana}
risks:
  - {id: r1, title: Fine, probability: 50%, cost_impact: 1000, affects: a}
"""
    )
    result = run(plan, iterations=4000)
    assert result.cost is not None
    assert result.cost.planned == pytest.approx(4000)
    assert result.cost.p50 in (4000, 5000)
    assert result.cost.p95 == pytest.approx(5000)
    assert result.cost.mean == pytest.approx(4500, abs=4 * 500 / math.sqrt(4000))


def test_convergence_statement() -> None:
    plan = plan_of("tasks:\n  - {id: a, title: A, estimate: 20d/30d/60d}\n")
    result = run(plan, iterations=20_000)
    assert result.convergence.stable_after is not None
    assert result.convergence.stable_after <= 20_000
    assert "stable" in result.convergence.statement


def test_criticality_of_parallel_paths() -> None:
    plan = plan_of(
        """
tasks:
  - {id: long, title: Long, estimate: 20d}
  - {id: short, title: Short, estimate: 2d/5d/8d}
  - {id: end, title: End, milestone: true, depends: [long, short]}
"""
    )
    result = run(plan, iterations=2000)
    criticality = {t.id: t.criticality for t in result.tasks}
    assert criticality["long"] == 1.0
    assert criticality["short"] == 0.0


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"iterations": 0}, "E330"),
        ({"iterations": 10**12}, "E330"),
        ({"correlation": 1.0}, "E331"),
        ({"correlation": -0.1}, "E331"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], code: str) -> None:
    plan = plan_of("tasks:\n  - {id: a, title: A, estimate: 2d}\n")
    result, diagnostics = forecast(plan, ForecastOptions(**options))  # type: ignore[arg-type]
    assert result is None
    assert codes(diagnostics) == [code]


def test_a_plan_without_work_is_refused() -> None:
    plan = plan_of("tasks:\n  - {id: a, title: A, estimate: 0d}\n  - {id: b, title: B}\n")
    result, diagnostics = forecast(plan, ForecastOptions(iterations=10))
    assert result is None
    assert codes(diagnostics) == ["E332"]


def test_two_worker_processes_give_the_same_numbers_as_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded, _ = load_plan(EXAMPLES / "platform-migration")
    assert loaded is not None
    monkeypatch.setattr(montecarlo, "_CELLS_PER_CHUNK", 100_000)  # several chunks to share
    one = run(loaded, iterations=3000, seed=4, workers=1).to_json()
    two = run(loaded, iterations=3000, seed=4, workers=2).to_json()
    one.pop("seconds")
    two.pop("seconds")
    assert one == two
