"""The RAID log scored, and risks found before a person would: ``assess(...) -> Assessment``.

Two halves:

* The **register** (``register``): each risk of the plan scored on a 5x5 probability-impact
  matrix, its exposure (probability x PERT mean impact, in working days and in money), the heat
  map, overdue reviews and unowned risks; the assumptions, issues and decisions with the ones
  past their due date.
* The **detectors** (``detectors``, one per module): one pure function each,
  ``(Context) -> list[Finding]``, reading the plan, its schedule, its forecast and (when given)
  tracking data, each finding with a stable code (R100-R199, ``findings.CODES``), a severity,
  the subjects, the evidence in numbers and a suggested response. A detector that crashes
  becomes an R199 finding, never a traceback.

Pure: the CLI reads the plan, the store and runs the schedule and the forecast; nothing here
reads a clock, a file or a database. This module re-exports the public names, so callers write
``from ontrack.engines import risk; risk.assess(...)``.
"""

from __future__ import annotations

from ontrack.engines.graph import leaf_predecessors
from ontrack.engines.risk.assessment import Assessment, assess
from ontrack.engines.risk.context import (
    EXTERNAL_TAGS,
    Context,
    RiskOptions,
    Tracking,
    build_context,
    is_external,
    people_work,
)
from ontrack.engines.risk.detectors import DETECTORS, Detector
from ontrack.engines.risk.detectors.bus_factor import bus_factor
from ontrack.engines.risk.detectors.cross_team import cross_team
from ontrack.engines.risk.detectors.deadline_at_risk import deadline_at_risk
from ontrack.engines.risk.detectors.deadline_missed import deadline_missed
from ontrack.engines.risk.detectors.external_dependency import external_dependency
from ontrack.engines.risk.detectors.late_tasks import late_tasks
from ontrack.engines.risk.detectors.long_tasks import long_tasks
from ontrack.engines.risk.detectors.merge_bias import merge_bias
from ontrack.engines.risk.detectors.moot_risks import moot_risks
from ontrack.engines.risk.detectors.over_allocation import Floats, over_allocation
from ontrack.engines.risk.detectors.overdue_raid import overdue_raid
from ontrack.engines.risk.detectors.scope_creep import scope_creep
from ontrack.engines.risk.detectors.single_skill import single_skill
from ontrack.engines.risk.detectors.slipping_milestones import slipping_milestones
from ontrack.engines.risk.detectors.stale_risks import stale_risks
from ontrack.engines.risk.detectors.stale_status import stale_status
from ontrack.engines.risk.detectors.stale_updates import stale_updates
from ontrack.engines.risk.detectors.team_away import team_away
from ontrack.engines.risk.detectors.thin_float import thin_float
from ontrack.engines.risk.detectors.time_off_crunch import time_off_crunch
from ontrack.engines.risk.detectors.unmitigated_risks import unmitigated_risks
from ontrack.engines.risk.detectors.unowned_risks import unowned_risks
from ontrack.engines.risk.detectors.wide_estimates import wide_estimates
from ontrack.engines.risk.findings import CODES, Finding, rank_key
from ontrack.engines.risk.register import (
    IMPACT_BANDS,
    PROBABILITY_BANDS,
    HeatCell,
    RaidEntry,
    Rating,
    ScoredRisk,
    band,
    heatmap,
    money_basis,
    raid_log,
    rating,
    score_register,
    score_risk,
)

__all__ = [
    "CODES",
    "DETECTORS",
    "EXTERNAL_TAGS",
    "IMPACT_BANDS",
    "PROBABILITY_BANDS",
    "Assessment",
    "Context",
    "Detector",
    "Finding",
    "Floats",
    "HeatCell",
    "RaidEntry",
    "Rating",
    "RiskOptions",
    "ScoredRisk",
    "Tracking",
    "assess",
    "band",
    "build_context",
    "bus_factor",
    "cross_team",
    "deadline_at_risk",
    "deadline_missed",
    "external_dependency",
    "heatmap",
    "is_external",
    "late_tasks",
    "leaf_predecessors",
    "long_tasks",
    "merge_bias",
    "money_basis",
    "moot_risks",
    "over_allocation",
    "overdue_raid",
    "people_work",
    "raid_log",
    "rank_key",
    "rating",
    "scope_creep",
    "score_register",
    "score_risk",
    "single_skill",
    "slipping_milestones",
    "stale_risks",
    "stale_status",
    "stale_updates",
    "team_away",
    "thin_float",
    "time_off_crunch",
    "unmitigated_risks",
    "unowned_risks",
    "wide_estimates",
]
