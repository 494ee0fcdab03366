"""Synthetic plans: valid, realistic-looking plan data of any size, for benchmarks and tests.

A generated plan must load with no diagnostics at all, so the rules the checks enforce are built
in rather than filtered out afterwards: every task's skills are held in full by some member of its
team (or by its assignee), dependencies only point at tasks generated earlier and never at an
ancestor (so no cycle can form, summaries included), and every date is near the program start.
Everything comes from one ``random.Random(seed)``: the same arguments always give the same plan.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import yaml

from ontrack.gcpause import gc_paused

MAX_TASKS = 100_000
START = dt.date(2026, 1, 5)
SKILLS = ("backend", "frontend", "mobile", "data", "infra", "qa", "security", "sre", "ml", "design")
HOLIDAYS: tuple[dt.date | str, ...] = (
    dt.date(2026, 1, 19),
    dt.date(2026, 5, 25),
    dt.date(2026, 7, 3),
    dt.date(2026, 9, 7),
    "2026-11-26..2026-11-27",
    "2026-12-24..2027-01-01",
)

_FIRST = (
    "Alice",
    "Bruno",
    "Chen",
    "Dana",
    "Emeka",
    "Farah",
    "Gustav",
    "Hana",
    "Ines",
    "Jonas",
    "Kenji",
    "Leila",
    "Marco",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Samir",
    "Tova",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
)
_LAST = (
    "Adams",
    "Brandt",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nguyen",
    "Okafor",
    "Petrov",
    "Quinlan",
    "Rossi",
    "Sato",
    "Tanaka",
    "Usman",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zhang",
)
_AREAS = (
    "checkout",
    "search",
    "identity",
    "payments",
    "catalog",
    "onboarding",
    "billing",
    "messaging",
    "analytics",
    "platform",
    "mobile-app",
    "notifications",
    "reporting",
    "fulfilment",
    "pricing",
    "growth",
)
_FEATURES = (
    "single sign-on",
    "saved carts",
    "usage-based billing",
    "offline mode",
    "audit trail",
    "bulk import",
    "dark launch",
    "multi-currency",
    "partner API",
    "real-time alerts",
    "data retention",
    "accessibility pass",
    "new onboarding flow",
    "fraud scoring",
    "search relevance",
    "EU data residency",
)
_WORK = {
    "backend": (
        "Design {x} API",
        "Implement {x} service",
        "Add {x} persistence",
        "Write {x} migration",
    ),
    "frontend": ("Build {x} page", "Wire {x} form validation", "Add {x} empty states"),
    "mobile": ("Build {x} screen (iOS)", "Build {x} screen (Android)", "Handle {x} offline"),
    "data": ("Model {x} events", "Backfill {x} history", "Build {x} dashboard"),
    "infra": ("Provision {x} environment", "Add {x} queues", "Terraform {x} buckets"),
    "qa": ("Write {x} end-to-end tests", "Run {x} regression pass", "Test {x} edge cases"),
    "security": ("Threat-model {x}", "Pen-test {x}", "Review {x} permissions"),
    "sre": ("Add {x} alerts and runbook", "Load-test {x}", "Define {x} SLOs"),
    "ml": ("Train {x} model", "Evaluate {x} model offline", "Ship {x} features to store"),
    "design": ("Design {x} flows", "Usability-test {x}", "Write {x} UI copy"),
}
_RISKS = (
    "Vendor API for {x} changes before launch",
    "Key engineer on {x} leaves",
    "Load on {x} is higher than forecast",
    "Security review of {x} finds blockers",
    "Scope of {x} grows after user testing",
    "Upstream team delays {x} dependency",
)


@dataclass(frozen=True, slots=True)
class _Team:
    id: str
    focus: str
    members: tuple[str, ...]


@dataclass
class _State:
    """What the WBS generator has produced so far (ids in generation order)."""

    rng: random.Random
    people_skills: dict[str, tuple[str, ...]]
    counters: dict[str, int] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  # leaves and milestones, for cross-epic links
    milestones: list[tuple[str, dt.date]] = field(default_factory=list)
    team_days: dict[str, float] = field(default_factory=dict)  # likely effort per team so far
    finish: dict[str, float] = field(default_factory=dict)  # earliest finish, in working days

    def after(self, preds: list[str]) -> float:
        return max((self.finish.get(p, 0.0) for p in preds), default=0.0)

    def next_id(self, prefix: str, width: int) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:0{width}d}"


def generate_plan(tasks: int, people: int, seed: int) -> dict[str, Any]:
    """Plain data for a plan file with exactly ``tasks`` tasks (summaries and milestones
    included) and ``people`` people; loads with no diagnostics."""
    if not 1 <= tasks <= MAX_TASKS:
        raise ValueError(f"tasks must be 1..{MAX_TASKS}, not {tasks}")
    if people < 1:
        raise ValueError(f"people must be at least 1, not {people}")
    rng = random.Random(seed)
    persons = _people(rng, people)
    teams = _teams(rng, persons)
    state = _State(rng, {p["id"]: tuple(p["skills"]) for p in persons})
    task_list = _tasks(state, teams, tasks)
    return {
        "program": {
            "name": f"Synthetic program {seed}",
            "start": START,
            "currency": "USD",
            "budget": 250_000 * max(1, tasks // 100),
            "description": f"Generated plan: {tasks} tasks, {people} people.",
        },
        "calendar": {
            "workweek": ["mon", "tue", "wed", "thu", "fri"],
            "hours_per_day": 8,
            "holidays": list(HOLIDAYS),
        },
        "people": persons,
        "teams": [_team_data(rng, t) for t in teams],
        "tasks": task_list,
        "risks": _risks(state, tasks, [p["id"] for p in persons]),
        "releases": _releases(state),
        "stakeholders": _stakeholders(),
    }


def dump_plan(data: dict[str, Any]) -> str:
    """YAML text for generated plan data, keys in the order a person would write them."""
    # Dumping builds a node per value and frees none until the end: the cyclic collector would
    # rescan them over and over (half the time of dumping 100,000 tasks).
    with gc_paused():
        text: str = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text


_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Lists of plain values in flow style (`skills: [backend, qa]`), as people write them."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    flow = bool(data) and all(isinstance(x, str | int | dt.date) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


# -- people and teams ---------------------------------------------------------------------------
def _people(rng: random.Random, count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for _ in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        base = f"{first}.{last}".lower()
        ident, n = base, 1
        while ident in used:
            n += 1
            ident = f"{base}{n}"
        used.add(ident)
        person: dict[str, Any] = {
            "id": ident,
            "name": f"{first} {last}",
            "email": f"{ident}@example.com",
            "skills": [],
        }
        roll = rng.random()
        if roll < 0.08:
            person["allocation"] = "50%"
        elif roll < 0.18:
            person["allocation"] = "80%"
        person["rate"] = f"{rng.randrange(500, 1300, 50)}/day"
        if rng.random() < 0.2:
            person["time_off"] = _time_off(rng)
        out.append(person)
    return out


def _time_off(rng: random.Random) -> list[str]:
    ranges = []
    for _ in range(rng.randint(1, 2)):
        first = START + dt.timedelta(days=rng.randint(10, 330))
        last = first + dt.timedelta(days=rng.randint(0, 11))
        ranges.append(f"{first.isoformat()}..{last.isoformat()}")
    return ranges


def _teams(rng: random.Random, persons: list[dict[str, Any]]) -> list[_Team]:
    """Split people into teams of about 5-8, each with a focus skill every member has."""
    count = max(1, round(len(persons) / 6.5))
    focuses = list(SKILLS)
    rng.shuffle(focuses)
    teams: list[_Team] = []
    size, extra = divmod(len(persons), count)
    at = 0
    for i in range(count):
        members = persons[at : at + size + (1 if i < extra else 0)]
        at += len(members)
        focus = focuses[i % len(focuses)]
        for person in members:
            others = [s for s in SKILLS if s != focus]
            person["skills"] = [focus, *rng.sample(others, rng.choices((0, 1, 2), (4, 4, 2))[0])]
        area = _AREAS[i % len(_AREAS)]
        ident = area if i < len(_AREAS) else f"{area}-{i // len(_AREAS) + 1}"
        teams.append(_Team(ident, focus, tuple(p["id"] for p in members)))
    return teams


def _team_data(rng: random.Random, team: _Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": f"{team.id.replace('-', ' ').title()} ({team.focus})",
        "members": list(team.members),
        "lead": rng.choice(team.members),
    }


# -- the WBS ------------------------------------------------------------------------------------
def _tasks(state: _State, teams: list[_Team], total: int) -> list[dict[str, Any]]:
    rng = state.rng
    if total < 3:  # too small for an epic: plain tasks in a chain
        out = []
        for _ in range(total):
            task = _leaf(state, teams[0], state.done[-1:])
            out.append(task)
        return out
    sizes: list[int] = []
    remaining = total
    while remaining:
        size = rng.randint(7, 27)
        if remaining - size < 7:
            size = remaining
        sizes.append(size)
        remaining -= size
    done_per_team: dict[str, int] = {}
    out = []
    for size in sizes:
        team = rng.choice(teams)
        done_per_team[team.id] = done_per_team.get(team.id, 0) + 1
        out.append(_epic(state, team, size, done_per_team[team.id]))
    return out


def _epic(state: _State, team: _Team, size: int, nth: int) -> dict[str, Any]:
    """A summary task owned by ``team`` with ``size`` tasks in all, itself and a milestone
    included; now and then a second-level summary among its children."""
    rng = state.rng
    epic_id = state.next_id("e", 4)
    feature = rng.choice(_FEATURES)
    epic: dict[str, Any] = {
        "id": epic_id,
        "title": f"{team.id.replace('-', ' ').title()}: {feature}",
        "team": team.id,
    }
    if state.milestones and rng.random() < 0.3:  # wait for an earlier epic to land
        epic["depends"] = [rng.choice(state.milestones[-5:])[0]]
    state.finish[epic_id] = state.after(epic.get("depends", []))
    if nth == 1 and rng.random() < 0.5:
        epic["tags"] = ["q1"]
    if rng.random() < 0.1:
        epic["priority"] = rng.choice(("high", "critical", 800))
    budget = size - 2
    children: list[dict[str, Any]] = []
    earlier: list[str] = []  # ids in this epic a child may depend on (never the epic itself)
    while budget:
        if budget >= 6 and rng.random() < 0.08:
            count = rng.randint(3, min(8, budget - 1))
            children.append(_feature(state, team, feature, count, earlier, epic_id=epic_id))
            budget -= count + 1
        else:
            task = _leaf(state, team, _pick_recent(rng, earlier), feature, epic_id)
            children.append(task)
            earlier.append(task["id"])
            budget -= 1
    children.append(_milestone(state, team, feature, [c["id"] for c in children[-3:]]))
    epic["tasks"] = children
    return epic


def _feature(
    state: _State, team: _Team, feature: str, count: int, earlier: list[str], *, epic_id: str
) -> dict[str, Any]:
    """A second-level summary: its children depend on each other, never on the summary itself;
    the summary may wait for earlier work in the epic."""
    rng = state.rng
    ident = state.next_id("s", 4)
    summary: dict[str, Any] = {"id": ident, "title": f"{feature.capitalize()}: hardening"}
    if earlier and rng.random() < 0.5:
        summary["depends"] = [earlier[-1]]
    state.finish[ident] = max(state.finish[epic_id], state.after(summary.get("depends", [])))
    inside: list[str] = []  # the summary's own dependency already holds for its children
    children = []
    for _ in range(count):
        task = _leaf(state, team, _pick_recent(rng, inside), feature, ident)
        children.append(task)
        inside.append(task["id"])
    summary["tasks"] = children
    state.finish[ident] = state.after(inside)
    earlier.append(ident)
    return summary


def _pick_recent(rng: random.Random, earlier: list[str]) -> list[str]:
    if not earlier:
        return []
    roll = rng.random()
    if roll < 0.15:
        return []
    if roll < 0.8:
        return [rng.choice(earlier[-3:])]
    window = earlier[-6:]
    return rng.sample(window, min(2, len(window)))


def _leaf(
    state: _State,
    team: _Team,
    preds: list[str],
    feature: str = "the MVP",
    parent: str | None = None,
) -> dict[str, Any]:
    rng = state.rng
    ident = state.next_id("t", 5)
    member = rng.choice(team.members)
    held = state.people_skills[member]
    roll = rng.random()
    if roll < 0.75 or len(held) == 1:
        skills = [held[0]]
    elif roll < 0.9:
        skills = [rng.choice(held[1:])]
    elif roll < 0.97:
        skills = rng.sample(held, 2)
    else:
        skills = []
    kind = skills[0] if skills else team.focus
    title = rng.choice(_WORK[kind]).format(x=feature)
    task: dict[str, Any] = {"id": ident, "title": title[0].upper() + title[1:]}
    likely = rng.choice((1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 8, 10, 13))
    kind_roll = rng.random()
    if kind_roll < 0.7:
        low, high = max(1, round(likely * 0.6)), round(likely * 1.7) + 1
        task["estimate"] = f"{low}d/{likely}d/{high}d"
    elif kind_roll < 0.97:
        task["estimate"] = f"{likely * 4}h" if likely <= 2 and rng.random() < 0.3 else f"{likely}d"
    else:
        task["duration"] = f"{likely * 2}d"  # a vendor or soak period nobody shortens
        task["notes"] = "Fixed lead time from the vendor."
    state.team_days[team.id] = state.team_days.get(team.id, 0.0) + likely
    depends: list[Any] = [_link(rng, p) for p in preds]
    if state.done and rng.random() < 0.04:  # a cross-epic link to earlier work
        other = rng.choice(state.done)
        if other not in preds:
            depends.append(other)
            preds = [*preds, other]
    begin = max(state.finish.get(parent, 0.0) if parent else 0.0, state.after(preds))
    state.finish[ident] = begin + (likely * 2 if "duration" in task else likely)
    if depends:
        task["depends"] = depends
    if skills:
        task["skills"] = skills
    if rng.random() < 0.15:
        task["assignee"] = member
    state.done.append(ident)
    return task


def _link(rng: random.Random, pred: str) -> Any:
    roll = rng.random()
    if roll < 0.04:
        return {"task": pred, "type": "SS", "lag": rng.choice(("1d", "2d"))}
    if roll < 0.08:
        return {"task": pred, "type": "FF", "lag": "1d"}
    return pred


def _milestone(state: _State, team: _Team, feature: str, preds: list[str]) -> dict[str, Any]:
    rng = state.rng
    ident = state.next_id("m", 4)
    # Roughly when the team gets here: the longer of its longest chain of work and its effort
    # so far shared by its members, in working days, plus some slack.
    days = max(state.after(preds), state.team_days.get(team.id, 0.0) / max(1, len(team.members)))
    when = START + dt.timedelta(days=round(days * 7 / 5 * 1.25) + 10)
    state.finish[ident] = days
    task: dict[str, Any] = {
        "id": ident,
        "title": f"{feature.capitalize()} ready",
        "milestone": True,
        "depends": preds,
    }
    if rng.random() < 0.4:
        task["deadline"] = when
    state.milestones.append((ident, when))
    state.done.append(ident)
    return task


# -- risks, releases, stakeholders --------------------------------------------------------------
def _risks(state: _State, tasks: int, people: list[str]) -> list[dict[str, Any]]:
    rng = state.rng
    count = tasks // 50 if tasks >= 50 else (1 if tasks >= 10 else 0)
    out = []
    for n in range(1, count + 1):
        low = rng.choice((2, 3, 5))
        risk: dict[str, Any] = {
            "id": f"r{n:04d}",
            "title": rng.choice(_RISKS).format(x=rng.choice(_FEATURES)),
            "probability": f"{rng.randrange(5, 65, 5)}%",
            "impact": f"{low}d/{low * 2}d/{low * 4}d",
            "affects": rng.sample(state.done, min(len(state.done), rng.randint(1, 3))),
            "owner": rng.choice(people),
            "response": rng.choices(("mitigate", "accept", "avoid", "transfer"), (5, 3, 1, 1))[0],
        }
        if risk["response"] == "mitigate":
            risk["mitigation"] = "Spike early and keep a fallback behind a feature flag."
            risk["status"] = rng.choice(("open", "mitigating"))
        if rng.random() < 0.3:
            risk["cost_impact"] = rng.randrange(5_000, 80_000, 5_000)
        if rng.random() < 0.5:
            risk["review_date"] = START + dt.timedelta(days=rng.randint(14, 120))
        out.append(risk)
    return out


def _releases(state: _State) -> list[dict[str, Any]]:
    if not state.milestones:  # a tiny plan: release whatever was done
        return [{"id": "v1.0", "title": "First release", "includes": state.done[-1:]}]
    per = max(1, len(state.milestones) // max(1, min(12, len(state.milestones) // 4)))
    out = []
    for n, at in enumerate(range(0, len(state.milestones), per)):
        chunk = state.milestones[at : at + per]
        last = max(when for _, when in chunk)
        out.append(
            {
                "id": f"v{n // 4 + 1}.{n % 4}",
                "title": f"Release {n // 4 + 1}.{n % 4}",
                "date": last + dt.timedelta(days=7),
                "includes": [i for i, _ in chunk],
            }
        )
    return out


def _stakeholders() -> list[dict[str, Any]]:
    return [
        {
            "id": "cto",
            "name": "Dana Whitfield",
            "role": "CTO",
            "interest": "high",
            "influence": "high",
            "email": "dana.whitfield@example.com",
        },
        {
            "id": "vp-product",
            "name": "Ravi Menon",
            "role": "VP Product",
            "interest": "high",
            "influence": "medium",
            "email": "ravi.menon@example.com",
        },
        {
            "id": "support-lead",
            "name": "Mia Santos",
            "role": "Head of Support",
            "interest": "medium",
            "influence": "low",
        },
    ]
