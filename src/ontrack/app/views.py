"""The JSON documents built from one assessment, shared by the CLI's ``--format json`` and the
web app's REST API, so the two print the same shapes from the same code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ontrack.app.assessment import Assessment
    from ontrack.app.tracking import Tracked
    from ontrack.diagnostics import Diagnostic
    from ontrack.reports.status import PlanChanges

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def forecast_json(assessed: Assessment) -> dict[str, Any]:
    """``ontrack forecast --format json``."""
    return assessed.forecast.to_json() | {
        "as_of": assessed.as_of.to_json(),
        "diagnostics": [d.to_json() for d in assessed.diagnostics],
    }


def risks_json(assessed: Assessment, min_severity: str = "low") -> dict[str, Any]:
    """``ontrack risks --format json``: the scored register and the findings at or above
    ``min_severity``."""
    floor = SEVERITY_RANK[min_severity]
    data = assessed.risks.to_json()
    data["findings"] = [f.to_json() for f in assessed.risks.findings if f.severity.rank >= floor]
    simulated = assessed.forecast
    return (
        {"program": assessed.plan.program.name}
        | data
        | {
            "as_of_rule": assessed.as_of.to_json(),
            "forecast": {"iterations": simulated.iterations, "seed": simulated.seed},
            "diagnostics": [d.to_json() for d in assessed.diagnostics],
        }
    )


def schedule_json(assessed: Assessment) -> dict[str, Any]:
    """The assessment's schedule as ``ontrack schedule --format json`` prints a schedule."""
    return assessed.solved.schedule.to_json() | {
        "as_of": assessed.as_of.to_json(),
        "diagnostics": [d.to_json() for d in assessed.diagnostics],
    }


def audit_json(assessed: Assessment, diagnostics: Sequence[Diagnostic] = ()) -> dict[str, Any]:
    """``ontrack audit --format json`` (None when the assessment ran no audit)."""
    if assessed.audit is None:
        return {"dcma": None, "diagnostics": [d.to_json() for d in diagnostics]}
    return assessed.audit.to_json() | {"diagnostics": [d.to_json() for d in diagnostics]}


def plan_changes_in(tracked: Tracked, since: dt.date, status_date: dt.date) -> PlanChanges:
    """The revisions recorded after ``since`` (up to the status date's end), and the diff from
    the last one before them to the latest of them: the status report's "plan changes"."""
    from ontrack.engines.diff import diff_plans  # noqa: PLC0415
    from ontrack.reports.status import PlanChanges, RevisionNote  # noqa: PLC0415

    inside = [r for r in tracked.revisions if since < r.created_at.date() <= status_date]
    before = [r for r in tracked.revisions if r.created_at.date() <= since]
    previous = before[-1].number if before else None
    diff = None
    if inside and previous is not None:
        older, newer = tracked.plans.get(previous), tracked.plans.get(inside[-1].number)
        if older is not None and newer is not None:
            diff = diff_plans(older, newer)
    return PlanChanges(
        tuple(RevisionNote(r.number, r.created_at, r.author, r.message) for r in inside),
        previous,
        diff,
    )
