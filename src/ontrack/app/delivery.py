"""The DORA metrics of the plan's ``delivery:`` section, as of the assessment's day.

The program assessment measures them with the very code ``ontrack dora`` runs
(:func:`ontrack.app.dora.measure`), over a window that ends on the as-of day: the last
:data:`WEEKS` calendar weeks (Monday 00:00 UTC), or the last :data:`MONTHS` calendar months with
``period: month``, the as-of day included. So ``ontrack dora --since <first day> --until <as-of
day>`` prints the same JSON as the assessment's ``"dora"`` key.

A delivery log that cannot be used never stops the assessment: its problems keep their codes
(E470-E476 say what is wrong with which file) but are downgraded to warnings, each pointing back
to the plan line that names the file, and the assessment is made without DORA metrics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from ontrack.app.dora import measure
from ontrack.diagnostics import Diagnostic, Severity, SourceLoc, has_errors
from ontrack.engines.dora import DoraReport, Period
from ontrack.model import Plan

#: The window's length: half a year of weeks, or a year of months (a trend with enough points
#: to read, and the recent past that the bands describe).
WEEKS = 26
MONTHS = 12


def delivery_window(as_of: dt.date, period: Period) -> tuple[dt.datetime, dt.datetime]:
    """``[since, until)`` in UTC: from the start of the period :data:`WEEKS` weeks (or
    :data:`MONTHS` months) back, counting the one that holds ``as_of``, to the end of
    ``as_of``."""
    if period == "week":
        first = as_of - dt.timedelta(days=as_of.weekday(), weeks=WEEKS - 1)
    else:
        index = as_of.year * 12 + as_of.month - 1 - (MONTHS - 1)
        first = dt.date(index // 12, index % 12 + 1, 1)
    since = dt.datetime.combine(first, dt.time(), dt.UTC)
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    return since, until


def delivery_report(plan: Plan, as_of: dt.date) -> tuple[DoraReport | None, list[Diagnostic]]:
    """The plan's DORA report as of ``as_of`` (None without ``delivery:`` or when a log or the
    repository cannot be used) and its diagnostics, warnings only.

    Paths are relative to the folder of the plan file that wrote ``delivery:``. The report's
    ``diagnostics`` are all of them (the readers' and the engine's), in the order
    ``ontrack dora --format json`` prints them."""
    delivery = plan.delivery
    if delivery is None:
        return None, []
    folder = Path(delivery.loc.file).parent
    sources = {
        "repo": folder / delivery.repo,
        "deployments": folder / delivery.deployments,
    }
    if delivery.incidents is not None:
        sources["incidents"] = folder / delivery.incidents
    period: Period = "month" if delivery.period == "month" else "week"
    since, until = delivery_window(as_of, period)
    report, diagnostics = measure(
        sources["repo"],
        sources["deployments"],
        sources.get("incidents"),
        environment=delivery.environment,
        period=period,
        since=since,
        until=until,
    )
    if report is None or has_errors(diagnostics):
        named = {str(path): delivery.locs.get(key, delivery.loc) for key, path in sources.items()}
        return None, [_warning(d, named) for d in diagnostics]
    return replace(report, diagnostics=tuple(diagnostics)), diagnostics


def _warning(d: Diagnostic, named: dict[str, SourceLoc]) -> Diagnostic:
    """An error of a delivery log or the repository as a warning of the assessment: same code
    and place, and the plan line that named the file among its related places."""
    if not d.is_error:
        return d
    where = named.get(d.loc.file)
    return replace(
        d,
        severity=Severity.WARNING,
        hint=(d.hint + "; " if d.hint else "") + "the assessment is made without DORA metrics",
        related=d.related + ((where,) if where is not None and where not in d.related else ()),
    )


__all__ = ["MONTHS", "WEEKS", "delivery_report", "delivery_window"]
