"""The whole assessment: the register scored and every detector run: ``assess(...)``."""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ontrack.diagnostics import Diagnostic
from ontrack.engines.forecast.result import Forecast
from ontrack.engines.risk.context import RiskOptions, Tracking, build_context
from ontrack.engines.risk.detectors import DETECTORS, Detector
from ontrack.engines.risk.findings import CODES, Finding, rank_key
from ontrack.engines.risk.register import HeatCell, RaidEntry, Rating, ScoredRisk, heatmap
from ontrack.engines.schedule.result import Schedule
from ontrack.model import Plan


@dataclass(frozen=True, slots=True)
class Assessment:
    as_of: dt.date
    program_days: int
    register: tuple[ScoredRisk, ...]
    heatmap: tuple[HeatCell, ...]
    raid: tuple[RaidEntry, ...]
    findings: tuple[Finding, ...]
    hours_per_day: Fraction
    currency: str
    status_date: dt.date | None = None
    baseline: str | None = None

    def ranked_register(self) -> tuple[ScoredRisk, ...]:
        """By exposure in days, then money, then score."""
        return tuple(
            sorted(
                self.register,
                key=lambda s: (-s.exposure_days, -s.exposure_money, -s.score, s.risk.id),
            )
        )

    def to_json(self) -> dict[str, Any]:
        by_kind: dict[str, list[dict[str, Any]]] = {
            "assumptions": [],
            "issues": [],
            "decisions": [],
        }
        for e in self.raid:
            by_kind[e.kind + "s"].append(e.to_json())
        return {
            "as_of": self.as_of.isoformat(),
            "status_date": self.status_date.isoformat() if self.status_date else None,
            "baseline": self.baseline,
            "program_days": self.program_days,
            "currency": self.currency,
            "register": [s.to_json(self.hours_per_day) for s in self.ranked_register()],
            "heatmap": [c.to_json() for c in self.heatmap],
            "raid": by_kind,
            "findings": [f.to_json() for f in self.findings],
        }


def assess(
    plan: Plan,
    schedule: Schedule | None,
    forecast: Forecast | None,
    options: RiskOptions,
    tracking: Tracking | None = None,
    schedule_problems: Sequence[Diagnostic] = (),
    detectors: Sequence[tuple[str, Detector]] = DETECTORS,
) -> Assessment:
    """Score the register and run every detector. ``schedule`` None (the plan cannot be
    scheduled; ``schedule_problems`` say why) leaves the register and the plan-only detectors."""
    ctx = build_context(plan, schedule, forecast, options, tracking)
    findings: list[Finding] = []
    if schedule is None:
        findings.append(
            Finding(
                "R100",
                Rating.CRITICAL,
                "the plan cannot be scheduled: "
                + ("; ".join(f"{d.code} {d.message}" for d in schedule_problems[:3]) or "unknown"),
                tuple(sorted({s for d in schedule_problems for s in d.subjects})),
                {"problems": [d.to_json() for d in schedule_problems]},
                "fix the problems `ontrack schedule` reports; until then no date can be trusted",
                0.0,
                schedule_problems[0].loc if schedule_problems else plan.program.loc,
            )
        )
    for code, detector in detectors:
        try:
            findings.extend(detector(ctx))
        except Exception as exc:  # a bug in one detector must not hide the others' findings
            findings.append(
                Finding(
                    "R199",
                    Rating.LOW,
                    f"detector {code} ({CODES[code][0]}) failed: {type(exc).__name__}: {exc}",
                    (code,),
                    {"detector": code, "error": "".join(traceback.format_exception_only(exc))},
                    "this is a bug in ontrack; please report it with the plan",
                )
            )
    findings.sort(key=rank_key)
    return Assessment(
        as_of=options.as_of,
        program_days=schedule.makespan_days if schedule is not None else 0,
        register=ctx.register,
        heatmap=heatmap(ctx.register),
        raid=ctx.raid,
        findings=tuple(findings),
        hours_per_day=plan.hours_per_day,
        currency=plan.program.currency,
        status_date=ctx.status.date if ctx.status is not None else None,
        baseline=tracking.baseline if tracking is not None else None,
    )
