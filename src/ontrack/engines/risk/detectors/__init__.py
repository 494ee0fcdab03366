"""The detectors: one pure function per module, ``(Context) -> list[Finding]``, run in code
order from an immutable registry (a detector that crashes becomes an R199 finding in ``assess``).

To add one: a module here with the function, its code in ``findings.CODES`` and docs/risks.md,
and an entry below.
"""

from __future__ import annotations

from collections.abc import Callable

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.detectors import (
    bus_factor,
    cross_team,
    deadline_at_risk,
    deadline_missed,
    external_dependency,
    late_tasks,
    long_tasks,
    merge_bias,
    moot_risks,
    over_allocation,
    overdue_raid,
    scope_creep,
    single_skill,
    slipping_milestones,
    stale_risks,
    stale_status,
    stale_tracker_items,
    stale_updates,
    team_away,
    thin_float,
    time_off_crunch,
    tracker_drift,
    unmitigated_risks,
    unowned_risks,
    wide_estimates,
)
from ontrack.engines.risk.findings import Finding

Detector = Callable[[Context], list[Finding]]

#: Every detector, in code order. A tuple: the registry cannot be changed at run time.
DETECTORS: tuple[tuple[str, Detector], ...] = (
    ("R101", deadline_at_risk.deadline_at_risk),
    ("R102", merge_bias.merge_bias),
    ("R103", thin_float.thin_float),
    ("R104", wide_estimates.wide_estimates),
    ("R105", long_tasks.long_tasks),
    ("R106", deadline_missed.deadline_missed),
    ("R110", bus_factor.bus_factor),
    ("R111", single_skill.single_skill),
    ("R112", over_allocation.over_allocation),
    ("R113", time_off_crunch.time_off_crunch),
    ("R114", team_away.team_away),
    ("R120", external_dependency.external_dependency),
    ("R121", cross_team.cross_team),
    ("R130", unowned_risks.unowned_risks),
    ("R131", unmitigated_risks.unmitigated_risks),
    ("R132", stale_risks.stale_risks),
    ("R133", overdue_raid.overdue_raid),
    ("R134", moot_risks.moot_risks),
    ("R140", late_tasks.late_tasks),
    ("R141", slipping_milestones.slipping_milestones),
    ("R142", stale_updates.stale_updates),
    ("R143", stale_status.stale_status),
    ("R144", scope_creep.scope_creep),
    ("R145", tracker_drift.tracker_drift),
    ("R146", stale_tracker_items.stale_tracker_items),
)
