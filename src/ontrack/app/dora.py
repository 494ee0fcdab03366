"""The DORA metrics of a repository and its deployment and incident logs: read everything, work
out what each deployment shipped, hand it to the pure engine. Errors are values: a file that
cannot be read gives no report and its diagnostics; bad links are warnings beside the report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ontrack.diagnostics import Diagnostic, has_errors
from ontrack.engines.dora import DoraReport, Period, dora
from ontrack.interop.deploylog import read_deployments, read_incidents
from ontrack.interop.gitlog import read_repository, shipped_commits
from ontrack.model.dora import Incident


def measure(
    repo: Path,
    deployments: Path,
    incidents: Path | None = None,
    *,
    environment: str = "production",
    period: Period = "week",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> tuple[DoraReport | None, list[Diagnostic]]:
    """The report (``None`` on errors) and every diagnostic, the engine's link warnings too."""
    deps, problems = read_deployments(deployments)
    found: list[Incident] = []
    if incidents is not None:
        found, more = read_incidents(incidents)
        problems += more
    repository, more = read_repository(repo)
    problems += more
    if has_errors(problems) or repository is None:
        return None, problems
    shipped, more = shipped_commits(repository, deps)
    problems += more
    report = dora(
        deps,
        found,
        shipped,
        environment=environment,
        period=period,
        since=since,
        until=until,
    )
    return report, problems + list(report.diagnostics)
