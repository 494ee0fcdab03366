"""Every id a plan refers to must exist: predecessors, assignees, members, owners, …"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.model import Plan

CODES = ("E201", "E202", "E203", "E204", "E205", "E206", "E207", "E212")


@dataclass(frozen=True, slots=True)
class _Ref:
    """One reference found in the plan: what it names, where, and among which ids it must be."""

    code: str
    kind: str
    target: str
    loc: SourceLoc
    where: str
    owner: str
    known: Mapping[str, object]


def _listed(
    code: str,
    kind: str,
    targets: Iterable[str | None],
    key: str,
    locs: Mapping[str, SourceLoc],
    fallback: SourceLoc,
    where: str,
    owner: str,
    known: Mapping[str, object],
) -> Iterator[_Ref]:
    """References held in one field, single-valued or a list (``key[i]`` positions)."""
    for i, target in enumerate(targets):
        if target is not None:
            loc = locs.get(f"{key}[{i}]", locs.get(key, fallback))
            yield _Ref(code, kind, target, loc, where, owner, known)


def _references(plan: Plan) -> Iterator[_Ref]:
    tasks, people, teams = plan.task_by_id, plan.person_by_id, plan.team_by_id
    calendars = plan.calendar_by_id
    program = plan.program
    yield from _listed(
        "E206",
        "calendar",
        [program.calendar],
        "calendar",
        program.locs,
        program.loc,
        "program",
        "program",
        calendars,
    )
    for t in plan.tasks:
        for dep in t.depends:
            yield _Ref("E201", "task", dep.task, dep.loc, f"depends of '{t.id}'", t.id, tasks)
        yield from _listed(
            "E202",
            "person",
            t.assignees,
            "assignee",
            t.locs,
            t.loc,
            f"assignee of '{t.id}'",
            t.id,
            people,
        )
        if "team" in t.locs:  # an inherited team is reported once, at the summary that set it
            yield from _listed(
                "E203", "team", [t.team], "team", t.locs, t.loc, f"team of '{t.id}'", t.id, teams
            )
    for team in plan.teams:
        yield from _listed(
            "E202",
            "person",
            team.members,
            "members",
            team.locs,
            team.loc,
            f"members of team '{team.id}'",
            team.id,
            people,
        )
        yield from _listed(
            "E202",
            "person",
            [team.lead],
            "lead",
            team.locs,
            team.loc,
            f"lead of team '{team.id}'",
            team.id,
            people,
        )
    for p in plan.people:
        yield from _listed(
            "E206",
            "calendar",
            [p.calendar],
            "calendar",
            p.locs,
            p.loc,
            f"calendar of '{p.id}'",
            p.id,
            calendars,
        )
    for r in plan.risks:
        yield from _listed(
            "E204",
            "task",
            r.affects,
            "affects",
            r.locs,
            r.loc,
            f"affects of risk '{r.id}'",
            r.id,
            tasks,
        )
        yield from _listed(
            "E202",
            "person",
            [r.owner],
            "owner",
            r.locs,
            r.loc,
            f"owner of risk '{r.id}'",
            r.id,
            people,
        )
    for rel in plan.releases:
        yield from _listed(
            "E205",
            "task",
            rel.includes,
            "includes",
            rel.locs,
            rel.loc,
            f"includes of release '{rel.id}'",
            rel.id,
            tasks,
        )
        yield from _listed(
            "E212",
            "train",
            [rel.train],
            "train",
            rel.locs,
            rel.loc,
            f"train of release '{rel.id}'",
            rel.id,
            {t.id: t for t in plan.trains},
        )


def _raci_and_raid(plan: Plan) -> Iterator[_Ref]:
    stakeholders = {s.id: s for s in plan.stakeholders}
    anyone: dict[str, object] = {**plan.person_by_id, **stakeholders}
    for t in plan.tasks:
        yield from _listed(
            "E207",
            "stakeholder",
            [t.accountable],
            "accountable",
            t.locs,
            t.loc,
            f"accountable of '{t.id}'",
            t.id,
            stakeholders,
        )
        yield from _listed(
            "E207",
            "person or stakeholder",
            t.responsible,
            "responsible",
            t.locs,
            t.loc,
            f"responsible of '{t.id}'",
            t.id,
            anyone,
        )
    for rel in plan.releases:
        for entry in rel.checklist:
            yield from _listed(
                "E202",
                "person or stakeholder",
                [entry.owner],
                "owner",
                entry.locs,
                entry.loc,
                f"owner of checklist item '{entry.id}' of release '{rel.id}'",
                rel.id,
                anyone,
            )
    for kind, items in (
        ("assumption", plan.assumptions),
        ("issue", plan.issues),
        ("decision", plan.decisions),
    ):
        for item in items:
            yield from _listed(
                "E202",
                "person or stakeholder",
                [item.owner],
                "owner",
                item.locs,
                item.loc,
                f"owner of {kind} '{item.id}'",
                item.id,
                anyone,
            )
            yield from _listed(
                "E204",
                "task",
                item.affects,
                "affects",
                item.locs,
                item.loc,
                f"affects of {kind} '{item.id}'",
                item.id,
                plan.task_by_id,
            )


def check_references(plan: Plan) -> Iterator[Diagnostic]:
    for ref in (*_references(plan), *_raci_and_raid(plan)):
        if ref.target in ref.known:
            continue
        close = difflib.get_close_matches(ref.target, list(ref.known), n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else f"define a {ref.kind} with `id: {ref.target}`"
        )
        yield error(
            ref.code,
            ref.loc,
            f"unknown {ref.kind} '{ref.target}' in {ref.where}",
            hint,
            subjects=(ref.owner, ref.target),
        )
