"""Plan checks: one rule per module, run from an immutable registry.

A check is a plain function ``(plan) -> Iterable[Diagnostic]``. A check that crashes becomes a
diagnostic (E900) instead of a traceback, so one bug never hides the other checks' findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ontrack.checks import (
    calendars,
    cycles,
    dates,
    people,
    reach,
    refs,
    releases,
    skills,
    tasks,
    trackers,
)
from ontrack.diagnostics import Diagnostic, error
from ontrack.model import Plan

CheckFn = Callable[[Plan], Iterable[Diagnostic]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    run: CheckFn
    codes: tuple[str, ...]


REGISTRY: tuple[Check, ...] = (
    Check("references", refs.check_references, refs.CODES),
    Check("cycles", cycles.check_cycles, cycles.CODES),
    Check("tasks", tasks.check_tasks, tasks.CODES),
    Check("people", people.check_people, people.CODES),
    Check("skills", skills.check_skills, skills.CODES),
    Check("calendars", calendars.check_calendars, calendars.CODES),
    Check("dates", dates.check_dates, dates.CODES),
    Check("reach", reach.check_reach, reach.CODES),
    Check("trackers", trackers.check_trackers, trackers.CODES),
    Check("releases", releases.check_releases, releases.CODES),
)

#: Codes for references to something that does not exist.
REF_CODES = frozenset((*refs.CODES, "E208"))

#: Codes whose verdict is about the pool of people (nobody has the skills): not reported when a
#: person failed validation (a bad `allocation`, say), since the pool lacks them and the verdict
#: would be false; their error is the one to fix.
POOL_CODES = frozenset({"W300"})


def run_checks(plan: Plan, registry: Iterable[Check] = REGISTRY) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for check in registry:
        try:
            found.extend(check.run(plan))
        except Exception as exc:  # a crashing check must not hide the others
            found.append(
                error(
                    "E900",
                    plan.program.loc,
                    f"check '{check.name}' failed: {type(exc).__name__}: {exc}",
                    "this is a bug in ontrack; please report it with the plan",
                )
            )
    return found
