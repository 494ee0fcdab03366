"""Day-count tables against scipy's own distributions: the exact probability of each whole
number of days, to the table's resolution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from ontrack.engines.forecast.distributions import (
    LEVELS,
    Distribution,
    cdf,
    day_table,
    mean,
)

MINUTES_PER_DAY = 480.0


def _frozen(kind: Distribution, o: float, m: float, p: float) -> stats.rv_continuous:
    if kind is Distribution.PERT:
        a = 1 + 4 * (m - o) / (p - o)
        b = 1 + 4 * (p - m) / (p - o)
        return stats.beta(a, b, loc=o, scale=p - o)
    if kind is Distribution.TRIANGULAR:
        return stats.triang((m - o) / (p - o), loc=o, scale=p - o)
    mu = (o + 4 * m + p) / 6
    sd = (p - o) / 6
    s2 = math.log1p((sd / mu) ** 2)
    return stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(mu) - s2 / 2))


@pytest.mark.parametrize("kind", list(Distribution))
@pytest.mark.parametrize(
    ("o", "m", "p", "allocation"),
    [(3, 5, 10, 1.0), (1, 1, 4, 1.0), (2, 6, 7, 0.5), (0.5, 2, 9.5, 1.0)],
)
def test_table_gives_each_day_count_its_exact_probability(
    kind: Distribution, o: float, m: float, p: float, allocation: float
) -> None:
    unit = MINUTES_PER_DAY * allocation
    oracle = _frozen(kind, o * MINUTES_PER_DAY, m * MINUTES_PER_DAY, p * MINUTES_PER_DAY)
    table = day_table(
        kind, o * MINUTES_PER_DAY, m * MINUTES_PER_DAY, p * MINUTES_PER_DAY, unit, True
    )
    assert len(table) == LEVELS
    for days in range(int(table.min()), int(table.max()) + 1):
        share = float((table <= days).mean())
        assert share == pytest.approx(oracle.cdf(days * unit), abs=1.0 / LEVELS)


@pytest.mark.parametrize("kind", list(Distribution))
def test_cdf_matches_scipy(kind: Distribution) -> None:
    o, m, p = 100.0, 250.0, 900.0
    xs = np.linspace(0, 1500, 31)
    np.testing.assert_allclose(cdf(kind, o, m, p, xs), _frozen(kind, o, m, p).cdf(xs), atol=1e-9)


def test_means() -> None:
    assert mean(Distribution.PERT, 2, 5, 14) == pytest.approx(6.0)
    assert mean(Distribution.TRIANGULAR, 2, 5, 14) == pytest.approx(7.0)
    assert mean(Distribution.LOGNORMAL, 2, 5, 14) == pytest.approx(6.0)
    lognormal = _frozen(Distribution.LOGNORMAL, 2, 5, 14)
    assert lognormal.mean() == pytest.approx(6.0)
    assert lognormal.std() == pytest.approx(2.0)


def test_single_point_is_one_value() -> None:
    table = day_table(Distribution.PERT, 960.0, 960.0, 960.0, MINUTES_PER_DAY, True)
    assert set(table.tolist()) == {2}


def test_any_work_takes_a_day() -> None:
    table = day_table(Distribution.PERT, 30.0, 60.0, 120.0, MINUTES_PER_DAY, True)
    assert set(table.tolist()) == {1}


def test_lognormal_runs_past_the_pessimistic_value() -> None:
    table = day_table(
        Distribution.LOGNORMAL,
        3 * MINUTES_PER_DAY,
        5 * MINUTES_PER_DAY,
        15 * MINUTES_PER_DAY,
        MINUTES_PER_DAY,
        True,
    )
    assert table.max() > 15
    pert = day_table(
        Distribution.PERT,
        3 * MINUTES_PER_DAY,
        5 * MINUTES_PER_DAY,
        15 * MINUTES_PER_DAY,
        MINUTES_PER_DAY,
        True,
    )
    assert pert.max() <= 15 and pert.min() >= 3
