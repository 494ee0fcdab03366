"""R111 single-skill: a needed skill is held by one person only."""

from __future__ import annotations

from collections import defaultdict

from ontrack.engines.risk.context import Context, fmt
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def single_skill(ctx: Context) -> list[Finding]:
    """R111: a skill that work still to do needs, held by one person with time on the program
    (one finding per person, naming their skills)."""
    holders: dict[str, list[str]] = defaultdict(list)
    for person in ctx.plan.people:
        if person.allocation > 0:
            for skill in person.skills:
                holders[skill].append(person.id)
    needed: dict[str, list[str]] = defaultdict(list)
    for task in ctx.plan.leaf_tasks():
        if task.milestone or ctx.done(task.id) or task.assignees:
            continue
        for skill in task.skills:
            if len(holders.get(skill, ())) == 1:
                needed[skill].append(task.id)
    by_person: dict[str, list[str]] = defaultdict(list)
    for skill in needed:
        by_person[holders[skill][0]].append(skill)
    out = []
    for person_id, skills in sorted(by_person.items()):
        tasks = sorted({t for s in skills for t in needed[s]})
        days = sum(ctx.work_days(ctx.plan.task_by_id[t]) for t in tasks)
        driving = sorted(t for t in tasks if t in ctx.driving)
        person = ctx.plan.person_by_id[person_id]
        out.append(
            Finding(
                "R111",
                Rating.MEDIUM if driving else Rating.LOW,
                f"only {person.name} has {', '.join(sorted(skills))}, needed by {len(tasks)} "
                f"task(s) still to do ({fmt(days)} working days)"
                + (f", {len(driving)} of them driving" if driving else ""),
                (person_id, *tasks),
                {
                    "person": person_id,
                    "skills": sorted(skills),
                    "tasks": tasks,
                    "days": round(days, 2),
                    "driving": driving,
                    "allocation": round(float(person.allocation), 3),
                },
                "train or hire a second person, or line up a contractor for the skill",
                0.0,
                person.loc,
            )
        )
    return out
