"""A detector's finding, the codes findings carry (R100-R199) and the order they are ranked in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ontrack.diagnostics import UNKNOWN_LOC, SourceLoc
from ontrack.engines.risk.register import Rating

CODES: Mapping[str, tuple[str, str]] = {
    "R100": ("unschedulable", "the plan cannot be scheduled, so dates and odds are unknown"),
    "R101": ("deadline-at-risk", "a deadline's chance of being met is below the threshold"),
    "R102": ("merge-bias", "many paths join at a milestone and make it later than any of them"),
    "R103": ("thin-float", "several paths besides the critical one are (nearly) critical"),
    "R104": ("wide-estimate", "a driving task's pessimistic estimate is far above its optimistic"),
    "R105": ("long-task", "a task too long to track without decomposing it"),
    "R106": ("deadline-missed", "the schedule finishes a task or milestone after its deadline"),
    "R110": ("bus-factor", "most of the driving work rests on one person"),
    "R111": ("single-skill", "a needed skill is held by one person only"),
    "R112": ("over-allocation", "more work than people's time in a window, before levelling"),
    "R113": ("time-off-crunch", "driving work overlaps its people's time off"),
    "R114": ("team-away", "most of a team is away in a week with work scheduled"),
    "R120": ("external-dependency", "a vendor or outside lead time on the driving path"),
    "R121": ("cross-team-handoff", "a driving task waits on another team's driving task"),
    "R130": ("unowned-risk", "open risks with no owner"),
    "R131": ("unmitigated-risk", "a high or critical risk with no response or mitigation"),
    "R132": ("stale-risk", "risks whose review date has passed"),
    "R133": ("overdue-raid", "an assumption, issue or decision past its due date, still open"),
    "R134": ("moot-risk", "open risks whose affected tasks are all done"),
    "R140": ("late-task", "a task behind its baseline as of the status date"),
    "R141": ("slipping-milestone", "a milestone's date moved later than its baseline"),
    "R142": ("stale-update", "tasks under way with no progress reported recently"),
    "R143": ("stale-status", "no progress recorded recently for the program"),
    "R144": ("scope-creep", "scope grew past the threshold since the baseline"),
    "R145": ("tracker-drift", "linked tasks whose tracker item disagrees with the plan"),
    "R146": ("stale-tracker-item", "driving tasks whose tracker item has gone quiet"),
    "R199": ("detector-failed", "a detector failed; the others ran"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected risk. ``exposure_days`` is what is at stake in working days (expected days
    late, merge bias, excess work, ...), 0 where a finding has no natural measure; findings are
    ranked by severity, then exposure."""

    code: str
    severity: Rating
    message: str
    subjects: tuple[str, ...]
    evidence: Mapping[str, Any]
    suggestion: str
    exposure_days: float = 0.0
    loc: SourceLoc = UNKNOWN_LOC

    @property
    def name(self) -> str:
        return CODES[self.code][0]

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "subjects": list(self.subjects),
            "evidence": dict(self.evidence),
            "suggestion": self.suggestion,
            "exposure_days": round(self.exposure_days, 2),
            "file": self.loc.file,
            "line": self.loc.line,
        }


def rank_key(f: Finding) -> tuple[int, float, str, tuple[str, ...]]:
    return (-f.severity.rank, -f.exposure_days, f.code, f.subjects)
