"""Can somebody do each task? Skills, assignees and teams, before any scheduling."""

from __future__ import annotations

from collections.abc import Iterator

from ontrack.diagnostics import Diagnostic, warning
from ontrack.model import Person, Plan

CODES = ("W300", "W302", "W305")


def check_skills(plan: Plan) -> Iterator[Diagnostic]:
    people = plan.person_by_id
    for task in plan.leaf_tasks():
        if task.milestone:
            continue
        needed = set(task.skills)
        team = plan.team_by_id.get(task.team) if task.team else None
        if team is not None and not team.members:
            yield warning(
                "W305",
                task.locs.get("team", task.loc),
                f"team '{team.id}' of task '{task.id}' has no members",
                f"add people to team '{team.id}'",
                subjects=(task.id, team.id),
            )
            continue
        if task.assignees:
            for i, who in enumerate(task.assignees):
                person = people.get(who)
                missing = sorted(needed - set(person.skills)) if person else []
                if missing:
                    yield warning(
                        "W302",
                        task.locs.get(f"assignee[{i}]", task.loc),
                        f"assignee '{who}' of '{task.id}' lacks skill "
                        + ", ".join(f"'{m}'" for m in missing),
                        f"add the skill to '{who}' or assign someone who has it",
                        subjects=(task.id, who),
                    )
            continue
        if not needed:
            continue
        pool: list[Person] = (
            [people[m] for m in team.members if m in people] if team else list(plan.people)
        )
        if not any(needed <= set(p.skills) for p in pool):
            scope = f"in team '{team.id}' " if team else ""
            yield warning(
                "W300",
                task.locs.get("skills", task.loc),
                f"nobody {scope}has all the skills task '{task.id}' needs: "
                + ", ".join(sorted(needed)),
                "add the skills to a person, or split the task by skill",
                subjects=(task.id,),
            )
