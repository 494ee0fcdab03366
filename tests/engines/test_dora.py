"""The DORA engine against answers worked out by hand (see the scenario's comments)."""

from __future__ import annotations

import datetime as dt

import pytest

from ontrack.diagnostics import SourceLoc
from ontrack.engines.dora import BANDS, _band_at_least, dora
from ontrack.model.dora import Commit, Deployment, Incident

H = 3600.0


def at(day: int, hour: float = 0) -> dt.datetime:
    """2026-03-<day> at <hour> UTC (2026-03-02 is a Monday)."""
    return dt.datetime(2026, 3, day, tzinfo=dt.UTC) + dt.timedelta(hours=hour)


def commit(sha: str, day: int, hour: float, subject: str = "") -> Commit:
    return Commit(sha, at(day, hour), (), subject)


def dep(ident: str, day: int, hour: float, result: str = "success", **kw: str) -> Deployment:
    return Deployment(
        id=ident,
        service=kw.get("service", "api"),
        version=ident,
        environment=kw.get("environment", "production"),
        time=at(day, hour),
        result="success" if result == "success" else "failure",
        loc=SourceLoc("deploys.csv", 1, 1),
    )


# api: d1 ships c1, c2 (lead 3 h, 2 h); d2 ships c3 (4 h); d3 ships nothing (a redeploy);
# d4 ships the revert c4 (2 h); d5, a failed attempt at the hotfix c5, counts no lead time;
# d6 ships c5 (3 h). web: w1 ships c6 (12 h), w2 ships nothing. s1 is staging: left out.
COMMITS = {
    "c1": commit("c1", 2, 9),
    "c2": commit("c2", 2, 10),
    "c3": commit("c3", 3, 8),
    "c4": commit("c4", 4, 13, 'Revert "c3"'),
    "c5": commit("c5", 4, 14, "fix: hotfix"),
    "c6": commit("c6", 2, 0),
}
DEPLOYMENTS = [
    dep("d1", 2, 12),
    dep("d2", 3, 12),
    dep("d3", 4, 12),
    dep("d4", 4, 15),
    dep("d5", 4, 16, "failure"),
    dep("d6", 4, 17),
    dep("w1", 2, 12, service="web"),
    dep("w2", 5, 12, service="web"),
    dep("s1", 4, 10, environment="staging"),
]
SHIPPED = {
    "d1": (COMMITS["c1"], COMMITS["c2"]),
    "d2": (COMMITS["c3"],),
    "d3": (),
    "d4": (COMMITS["c4"],),
    "d5": (COMMITS["c5"],),
    "d6": (COMMITS["c5"],),
    "w1": (COMMITS["c6"],),
    "w2": (),
    "s1": (COMMITS["c4"],),
}
LOC = SourceLoc("incidents.csv", 2, 1)
INCIDENTS = [
    # one incident caused by two deployments; d3 is named by two incidents (counts once)
    Incident("i1", "api", at(4, 14), at(4, 18), ("d2", "d3"), LOC),
    Incident("i2", "api", at(4, 14.5), None, ("d3",), LOC),  # never recovered
    Incident("i3", "web", at(5, 13), at(5, 14), ("nope",), SourceLoc("incidents.csv", 4, 1)),
    Incident("i4", "web", at(5, 13), at(5, 15), ("w2",), LOC),
]


def test_whole_window_per_service_and_overall() -> None:
    report = dora(DEPLOYMENTS, INCIDENTS, SHIPPED)
    assert (report.since, report.until) == (at(2), at(6))
    api, web = report.services
    assert (api.service, web.service) == ("api", "web")
    a = api.total
    assert (a.days, a.deployments, a.successful, a.per_day) == (4.0, 6, 5, 1.25)
    assert a.per_week == 8.75
    assert (a.lead_times, a.lead_time_median, a.lead_time_p90) == (5, 3 * H, 4 * H)
    assert a.failed == 2
    assert a.change_fail_rate == pytest.approx(2 / 6)
    assert (a.incidents, a.recovered, a.recovery_median, a.unresolved) == (2, 1, 4 * H, ("i2",))
    # d4 (the revert), d5 and d6 (the hotfix) come while i1/i2 are open
    assert (a.rework, a.rework_rate) == (3, 0.5)
    w = web.total
    assert (w.deployments, w.per_day, w.lead_time_median, w.lead_time_p90) == (
        2,
        0.5,
        12 * H,
        12 * H,
    )
    assert (w.failed, w.change_fail_rate, w.recovery_median, w.unresolved) == (1, 0.5, 2 * H, ())
    assert (w.rework, w.rework_rate) == (0, 0.0)  # w2 came before i4 started
    o = report.overall.total
    assert (o.deployments, o.successful, o.per_day) == (8, 7, 1.75)
    assert (o.lead_times, o.lead_time_median, o.lead_time_p90) == (6, 3 * H, 12 * H)
    assert (o.failed, o.change_fail_rate) == (3, 0.375)
    assert (o.incidents, o.recovered, o.recovery_median, o.unresolved) == (3, 2, 3 * H, ("i2",))
    assert (o.rework, o.rework_rate) == (3, 0.375)
    assert o.bands() == {
        "deployment_frequency": "elite",
        "lead_time": "elite",
        "change_fail_rate": "low",
        "recovery_time": "high",
    }


def test_unknown_link_is_a_warning_never_guessed() -> None:
    report = dora(DEPLOYMENTS, INCIDENTS, SHIPPED)
    assert [(d.code, d.loc.line, d.subjects) for d in report.diagnostics] == [
        ("W470", 4, ("i3", "nope"))
    ]


def test_change_fail_rate_never_exceeds_one() -> None:
    many = [Incident(f"x{n}", "api", at(4, 13), at(4, 14), ("d3", "d3"), LOC) for n in range(5)]
    total = dora(DEPLOYMENTS[:3], many, SHIPPED).overall.total
    assert (total.failed, total.deployments) == (1, 3)
    assert total.change_fail_rate == pytest.approx(1 / 3)


def test_failed_deployment_not_recovered_in_the_window() -> None:
    report = dora(DEPLOYMENTS, INCIDENTS, SHIPPED, since=at(4), until=at(4, 17.5))
    a = report.services[0].total
    assert (a.days, a.deployments, a.successful) == (17.5 / 24, 4, 3)  # d3, d4, d5, d6
    assert (a.recovered, a.recovery_median, a.unresolved) == (0, None, ("i1", "i2"))
    # lead times of commits first shipped before the window are not counted again
    assert (a.lead_times, a.lead_time_median, a.lead_time_p90) == (2, 2.5 * H, 3 * H)


def test_periods_are_calendar_weeks_clipped_to_the_window() -> None:
    later = [*DEPLOYMENTS, dep("d7", 10, 12)]
    shipped = {**SHIPPED, "d7": (commit("c7", 10, 6),)}
    report = dora(later, INCIDENTS, shipped)
    weeks = report.services[0].periods
    assert [(p.start, p.metrics.days, p.metrics.deployments) for p in weeks] == [
        (dt.date(2026, 3, 2), 7.0, 6),
        (dt.date(2026, 3, 9), 2.0, 1),
    ]
    assert weeks[1].metrics.lead_time_median == 6 * H
    assert weeks[1].metrics.per_day == 0.5
    months = dora(later, INCIDENTS, shipped, period="month").overall.periods
    assert [(p.start, p.metrics.days, p.metrics.deployments) for p in months] == [
        (dt.date(2026, 3, 1), 9.0, 9)
    ]


def test_commit_dated_after_its_deployment_is_left_out_with_a_warning() -> None:
    late = {"d1": (commit("c9", 2, 13),)}
    report = dora([dep("d1", 2, 12)], [], late)
    assert report.overall.total.lead_times == 0
    assert [d.code for d in report.diagnostics] == ["W472"]


def test_nothing_deployed_measures_nothing() -> None:
    total = dora([], [], {}, since=at(2), until=at(9)).overall.total
    assert (total.deployments, total.per_day, total.change_fail_rate) == (0, 0.0, None)
    assert (total.lead_time_median, total.recovery_median, total.rework_rate) == (None, None, None)
    assert total.bands() == {
        "deployment_frequency": "low",
        "lead_time": None,
        "change_fail_rate": None,
        "recovery_time": None,
    }


@pytest.mark.parametrize(
    ("per_day", "band"),
    [(2.0, "elite"), (1.0, "elite"), (0.2, "high"), (0.05, "medium"), (0.01, "low")],
)
def test_deployment_frequency_bands(per_day: float, band: str) -> None:
    assert BANDS["deployment_frequency"][0] == ("elite", 1.0)
    assert _band_at_least("deployment_frequency", per_day) == band


def test_centuries_of_weeks_stay_fast() -> None:
    later = Deployment("d2", "api", "d2", "production", dt.datetime(2199, 1, 1, tzinfo=dt.UTC))
    report = dora([dep("d1", 2, 12), later], [], {}, period="week")
    # 2026-03-02 .. 2199-01-02 is 63,128 days: 9,018 weeks and 2 days
    assert report.overall.total.days == 63128
    assert len(report.overall.periods) == 9019
    assert sum(p.metrics.deployments for p in report.overall.periods) == 2
