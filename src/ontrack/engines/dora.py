"""The DORA software delivery metrics, per service and per week or month: a pure function of the
deployments, the incidents and the commits each deployment shipped.

The five metrics (see docs/dora.md for every rule):

- deployment frequency: successful deployments to the environment per day (and per week);
- change lead time: commit time to the first successful deployment that shipped the commit
  (median and p90, nearest rank);
- change fail rate: deployments an incident's ``caused_by`` names / all deployments to the
  environment (one deployment named by two incidents counts once: never over 100 %);
- failed deployment recovery time: median of started -> resolved of incidents caused by a
  deployment; an incident not resolved by the end of the window is listed as unresolved;
- rework rate: deployments made while an incident caused by an earlier deployment of the same
  service was open (started <= time <= resolved, or never resolved) / all deployments.

Bands follow the DORA *Accelerate State of DevOps Report 2024* (the latest with elite / high /
medium / low clusters): see :data:`BANDS`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ontrack.diagnostics import Diagnostic, warning
from ontrack.model.dora import Commit, Deployment, Incident

Period = Literal["week", "month"]
Band = Literal["elite", "high", "medium", "low"]

DAY = 86400.0
HOUR = 3600.0
WEEK = 7 * DAY
MONTH = 30 * DAY

#: Per metric, the band a value earns, checked elite -> high -> medium; anything else is low.
#: From the Accelerate State of DevOps Report 2024 (DORA, Google Cloud), its four clusters:
#: deployment frequency on demand (>= 1 a day) / daily-weekly / weekly-monthly / less;
#: lead time < 1 day / 1 day-1 week / 1 week-1 month / more; change fail rate 5 % / 20 % /
#: 10 % / 40 % (the medium cluster's rate is below the high one's, so a rate up to 20 % reads
#: high and the rate alone never reads medium); recovery < 1 hour / < 1 day / < 1 week / more.
#: Rework rate, new in 2024, has no clusters and no band.
BANDS: dict[str, tuple[tuple[Band, float], ...]] = {
    # deployments per day, at least
    "deployment_frequency": (("elite", 1.0), ("high", 1 / 7), ("medium", 1 / 30)),
    # seconds, at most
    "lead_time": (("elite", DAY), ("high", WEEK), ("medium", MONTH)),
    # share, at most
    "change_fail_rate": (("elite", 0.05), ("high", 0.20)),
    # seconds, less than
    "recovery_time": (("elite", HOUR), ("high", DAY), ("medium", WEEK)),
}


@dataclass(frozen=True, slots=True)
class Metrics:
    """The five metrics of one service (or all) over one period (or the whole window).

    Durations are seconds; a metric with nothing to measure is ``None``, never 0.
    """

    days: float
    deployments: int  # to the environment, any result
    successful: int
    per_day: float | None
    lead_times: int  # commits measured
    lead_time_median: float | None
    lead_time_p90: float | None
    failed: int  # deployments an incident names
    change_fail_rate: float | None
    incidents: int  # caused by a deployment, started in the period
    recovered: int
    recovery_median: float | None
    unresolved: tuple[str, ...]  # incident ids not resolved by the end of the window
    rework: int
    rework_rate: float | None

    @property
    def per_week(self) -> float | None:
        return None if self.per_day is None else self.per_day * 7

    def bands(self) -> dict[str, Band | None]:
        return {
            "deployment_frequency": _band_at_least("deployment_frequency", self.per_day),
            "lead_time": _band_at_most("lead_time", self.lead_time_median),
            "change_fail_rate": _band_at_most("change_fail_rate", self.change_fail_rate),
            "recovery_time": _band_below("recovery_time", self.recovery_median),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "deployments": self.deployments,
            "successful_deployments": self.successful,
            "deployments_per_day": self.per_day,
            "deployments_per_week": self.per_week,
            "lead_time_commits": self.lead_times,
            "lead_time_median_s": self.lead_time_median,
            "lead_time_p90_s": self.lead_time_p90,
            "failed_deployments": self.failed,
            "change_fail_rate": self.change_fail_rate,
            "incidents": self.incidents,
            "recovered_incidents": self.recovered,
            "recovery_time_median_s": self.recovery_median,
            "unresolved_incidents": list(self.unresolved),
            "rework_deployments": self.rework,
            "rework_rate": self.rework_rate,
            "bands": self.bands(),
        }


@dataclass(frozen=True, slots=True)
class PeriodMetrics:
    start: dt.date
    metrics: Metrics


@dataclass(frozen=True, slots=True)
class ServiceMetrics:
    """One service's metrics (``service`` is ``"*"`` for all services together)."""

    service: str
    total: Metrics
    periods: tuple[PeriodMetrics, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "total": self.total.to_json(),
            "periods": [{"start": p.start.isoformat()} | p.metrics.to_json() for p in self.periods],
        }


@dataclass(frozen=True, slots=True)
class DoraReport:
    environment: str
    period: Period
    since: dt.datetime
    until: dt.datetime
    overall: ServiceMetrics
    services: tuple[ServiceMetrics, ...]
    diagnostics: tuple[Diagnostic, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "period": self.period,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "overall": self.overall.to_json(),
            "services": [s.to_json() for s in self.services],
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def dora(
    deployments: Sequence[Deployment],
    incidents: Sequence[Incident],
    shipped: Mapping[str, Sequence[Commit]],
    *,
    environment: str = "production",
    period: Period = "week",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> DoraReport:
    """The DORA metrics of the deployments to ``environment`` in ``[since, until)``.

    ``shipped`` maps a deployment id to the new commits it put out (the reader works them out
    from the repository). Without ``since``/``until`` the window runs from the day of the first
    deployment to the environment to the end of the day of the last one.
    """
    diagnostics: list[Diagnostic] = []
    in_env = sorted(
        (d for d in deployments if d.environment == environment), key=lambda d: (d.time, d.id)
    )
    since, until = _window(in_env, since, until)
    by_id = {d.id: d for d in deployments}
    window = [d for d in in_env if since <= d.time < until]
    # Lead times: each commit counts once, at the first successful deployment that shipped it
    # (all deployments to the environment, the window's and earlier ones, in time order).
    first_seen: set[str] = set()
    lead: dict[str, list[float]] = {}
    for d in in_env:
        if d.result != "success" or d.time >= until:
            continue
        times: list[float] = []
        for commit in shipped.get(d.id, ()):
            if commit.sha in first_seen:
                continue
            first_seen.add(commit.sha)
            seconds = (d.time - commit.time).total_seconds()
            if seconds < 0:
                diagnostics.append(
                    warning(
                        "W472",
                        d.loc,
                        f"commit {commit.sha[:12]} is dated after deployment '{d.id}' "
                        f"({commit.time.isoformat()} > {d.time.isoformat()}); its lead time "
                        "is left out",
                        "check the clocks, or the deployment's version",
                        subjects=(d.id, commit.sha),
                    )
                )
                continue
            times.append(seconds)
        lead[d.id] = times
    # Links: every incident's caused_by checked; each deployment failed once however many name it.
    causes: dict[str, list[Deployment]] = {}
    failed: set[str] = set()
    for incident in incidents:
        linked: list[Deployment] = []
        for ref in incident.caused_by:
            dep = by_id.get(ref)
            if dep is None:
                diagnostics.append(
                    warning(
                        "W470",
                        incident.loc,
                        f"incident '{incident.id}' names deployment '{ref}', which the "
                        "deployment log does not have",
                        "fix the id in caused_by; the link is left out, not guessed",
                        subjects=(incident.id, ref),
                    )
                )
                continue
            if dep.environment != environment:
                continue
            linked.append(dep)
            failed.add(dep.id)
        if incident.resolved is not None and incident.resolved < incident.started:
            diagnostics.append(
                warning(
                    "W473",
                    incident.loc,
                    f"incident '{incident.id}' is resolved before it started; its recovery "
                    "time is left out",
                    subjects=(incident.id,),
                )
            )
        causes[incident.id] = linked
    rework = _rework(window, incidents, causes)
    services = sorted({d.service for d in window})
    groups = [("*", window)] + [(s, [d for d in window if d.service == s]) for s in services]
    bounds = _periods(since, until, period)
    starts = [start for start, _ in bounds]
    result = []
    for name, deps in groups:
        wanted = {d.id for d in deps} if name != "*" else None
        counted = [
            i
            for i in incidents
            if causes[i.id]
            and since <= i.started < until
            and (name == "*" or any(c.service == name for c in causes[i.id]))
        ]
        ids = wanted if wanted is not None else {d.id for d in window}
        mine_failed, mine_rework = failed & ids, rework & ids
        total = _metrics(deps, counted, lead, mine_failed, mine_rework, since, until, until)
        dep_buckets: dict[int, list[Deployment]] = defaultdict(list)
        for d in deps:
            dep_buckets[bisect.bisect_right(starts, d.time) - 1].append(d)
        inc_buckets: dict[int, list[Incident]] = defaultdict(list)
        for i in counted:
            inc_buckets[bisect.bisect_right(starts, i.started) - 1].append(i)
        periods = []
        for index, (start, end) in enumerate(bounds):
            lo, hi = max(start, since), min(end, until)
            periods.append(
                PeriodMetrics(
                    start.date(),
                    _metrics(
                        dep_buckets.get(index, []),
                        inc_buckets.get(index, []),
                        lead,
                        mine_failed,
                        mine_rework,
                        lo,
                        hi,
                        until,
                    ),
                )
            )
        result.append(ServiceMetrics(name, total, tuple(periods)))
    return DoraReport(
        environment, period, since, until, result[0], tuple(result[1:]), tuple(diagnostics)
    )


def _window(
    in_env: Sequence[Deployment], since: dt.datetime | None, until: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    if in_env:
        first = in_env[0].time.astimezone(dt.UTC)
        last = in_env[-1].time.astimezone(dt.UTC)
    else:
        first = last = since or until or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if since is None:
        since = dt.datetime.combine(first.date(), dt.time(), dt.UTC)
    if until is None:
        until = dt.datetime.combine(last.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    until = max(until, since)
    return since, until


def _rework(
    window: Sequence[Deployment],
    incidents: Iterable[Incident],
    causes: Mapping[str, list[Deployment]],
) -> set[str]:
    """Deployments made while an incident caused by an earlier deployment of the same service
    was open: ``incident.started <= time`` and (never resolved or ``time <= resolved``)."""
    open_by_service: dict[str, list[tuple[dt.datetime, dt.datetime | None, dt.datetime]]] = (
        defaultdict(list)
    )
    for incident in incidents:
        for cause in causes.get(incident.id, ()):
            open_by_service[cause.service].append((incident.started, incident.resolved, cause.time))
    found: set[str] = set()
    for d in window:
        for started, resolved, caused_at in open_by_service.get(d.service, ()):
            if (
                caused_at < d.time
                and started <= d.time
                and (resolved is None or d.time <= resolved)
            ):
                found.add(d.id)
                break
    return found


def _metrics(
    deps: Sequence[Deployment],
    incidents: Sequence[Incident],
    lead: Mapping[str, list[float]],
    failed: set[str],
    rework: set[str],
    start: dt.datetime,
    end: dt.datetime,
    until: dt.datetime,
) -> Metrics:
    days = max(0.0, (end - start).total_seconds() / DAY)
    successful = sum(1 for d in deps if d.result == "success")
    times = sorted(t for d in deps for t in lead.get(d.id, ()))
    n_failed = sum(1 for d in deps if d.id in failed)
    n_rework = sum(1 for d in deps if d.id in rework)
    recovered = []
    unresolved = []
    for i in incidents:
        if i.resolved is None or i.resolved >= until:
            unresolved.append(i.id)
        elif i.resolved >= i.started:
            recovered.append((i.resolved - i.started).total_seconds())
    return Metrics(
        days=days,
        deployments=len(deps),
        successful=successful,
        per_day=successful / days if days > 0 else None,
        lead_times=len(times),
        lead_time_median=statistics.median(times) if times else None,
        lead_time_p90=_nearest_rank(times, 0.9),
        failed=n_failed,
        change_fail_rate=n_failed / len(deps) if deps else None,
        incidents=len(incidents),
        recovered=len(recovered),
        recovery_median=statistics.median(recovered) if recovered else None,
        unresolved=tuple(sorted(unresolved)),
        rework=n_rework,
        rework_rate=n_rework / len(deps) if deps else None,
    )


def _nearest_rank(ordered: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``q`` of them at or below."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _periods(
    since: dt.datetime, until: dt.datetime, period: Period
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Calendar weeks (Monday 00:00 UTC) or months that meet ``[since, until)``."""
    day = since.astimezone(dt.UTC).date()
    if period == "week":
        day -= dt.timedelta(days=day.weekday())
    else:
        day = day.replace(day=1)
    out = []
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    while start < until:
        if period == "week":
            end = start + dt.timedelta(days=7)
        else:
            year, month = (
                (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
            )
            end = start.replace(year=year, month=month)
        out.append((start, end))
        start = end
    return out


def _band_at_least(metric: str, value: float | None) -> Band | None:
    if value is None:
        return None
    return next((band for band, limit in BANDS[metric] if value >= limit), "low")


def _band_at_most(metric: str, value: float | None) -> Band | None:
    if value is None:
        return None
    return next((band for band, limit in BANDS[metric] if value <= limit), "low")


def _band_below(metric: str, value: float | None) -> Band | None:
    if value is None:
        return None
    return next((band for band, limit in BANDS[metric] if value < limit), "low")


__all__ = [
    "BANDS",
    "Band",
    "DoraReport",
    "Metrics",
    "Period",
    "PeriodMetrics",
    "ServiceMetrics",
    "dora",
]
