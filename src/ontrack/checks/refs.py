"""Every id a plan refers to must exist: predecessors, assignees, members, owners, …"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping

from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.model import Plan

CODES = ("E201", "E202", "E203", "E204", "E205", "E206")


def _unknown(
    code: str, kind: str, ref: str, known: Iterable[str], loc: SourceLoc, where: str, owner: str
) -> Diagnostic:
    close = difflib.get_close_matches(ref, list(known), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"define a {kind} with `id: {ref}`"
    return error(code, loc, f"unknown {kind} '{ref}' in {where}", hint, subjects=(owner, ref))


def _at(locs: Mapping[str, SourceLoc], key: str, fallback: SourceLoc) -> SourceLoc:
    return locs.get(key, fallback)


def check_references(plan: Plan) -> Iterator[Diagnostic]:
    tasks, people, teams = plan.task_by_id, plan.person_by_id, plan.team_by_id
    calendars = plan.calendar_by_id
    if plan.program.calendar is not None and plan.program.calendar not in calendars:
        yield _unknown(
            "E206",
            "calendar",
            plan.program.calendar,
            calendars,
            _at(plan.program.locs, "calendar", plan.program.loc),
            "program",
            "program",
        )
    for task in plan.tasks:
        for dep in task.depends:
            if dep.task not in tasks:
                yield _unknown(
                    "E201", "task", dep.task, tasks, dep.loc, f"depends of '{task.id}'", task.id
                )
        for i, who in enumerate(task.assignees):
            if who not in people:
                yield _unknown(
                    "E202",
                    "person",
                    who,
                    people,
                    _at(task.locs, f"assignee[{i}]", task.loc),
                    f"assignee of '{task.id}'",
                    task.id,
                )
        if task.team is not None and task.team not in teams and task.locs.get("team"):
            yield _unknown(
                "E203", "team", task.team, teams, task.locs["team"], f"team of '{task.id}'", task.id
            )
    for team in plan.teams:
        for i, who in enumerate(team.members):
            if who not in people:
                yield _unknown(
                    "E202",
                    "person",
                    who,
                    people,
                    _at(team.locs, f"members[{i}]", team.loc),
                    f"members of team '{team.id}'",
                    team.id,
                )
        if team.lead is not None and team.lead not in people:
            yield _unknown(
                "E202",
                "person",
                team.lead,
                people,
                _at(team.locs, "lead", team.loc),
                f"lead of team '{team.id}'",
                team.id,
            )
    for person in plan.people:
        if person.calendar is not None and person.calendar not in calendars:
            yield _unknown(
                "E206",
                "calendar",
                person.calendar,
                calendars,
                _at(person.locs, "calendar", person.loc),
                f"calendar of '{person.id}'",
                person.id,
            )
    for risk in plan.risks:
        for i, ref in enumerate(risk.affects):
            if ref not in tasks:
                yield _unknown(
                    "E204",
                    "task",
                    ref,
                    tasks,
                    _at(risk.locs, f"affects[{i}]", risk.loc),
                    f"affects of risk '{risk.id}'",
                    risk.id,
                )
        if risk.owner is not None and risk.owner not in people:
            yield _unknown(
                "E202",
                "person",
                risk.owner,
                people,
                _at(risk.locs, "owner", risk.loc),
                f"owner of risk '{risk.id}'",
                risk.id,
            )
    for release in plan.releases:
        for i, ref in enumerate(release.includes):
            if ref not in tasks:
                yield _unknown(
                    "E205",
                    "task",
                    ref,
                    tasks,
                    _at(release.locs, f"includes[{i}]", release.loc),
                    f"includes of release '{release.id}'",
                    release.id,
                )
