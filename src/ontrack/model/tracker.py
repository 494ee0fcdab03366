"""Trackers: the named connections of a plan (``sources:``) and the items read from them.

A source says where the work is tracked (a Redmine project, a GitHub repository, a GitLab project,
a Jira query), which of its items are in scope, which field is the estimate, how tracker accounts
map to the plan's people and which states mean started and done. Adapters turn each tracker's JSON
into ``TrackerItem`` records, so everything after them (progress, throughput, drift) is the same for
all four trackers. Tokens are never held here: only the name of the environment variable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from ontrack.diagnostics import UNKNOWN_LOC, SourceLoc
from ontrack.model.quantities import Duration

_NO_PEOPLE: Mapping[str, str] = MappingProxyType({})
ONE_DAY = Duration(480)


class TrackerKind(StrEnum):
    REDMINE = "redmine"
    GITHUB = "github"
    GITLAB = "gitlab"
    JIRA = "jira"


#: Each tracker's usual estimate field and the unit of one of its numbers.
DEFAULT_ESTIMATE: Mapping[TrackerKind, tuple[str, str]] = MappingProxyType(
    {
        TrackerKind.REDMINE: ("estimated_hours", "1h"),
        TrackerKind.GITHUB: ("label:estimate", "1d"),
        TrackerKind.GITLAB: ("weight", "1d"),
        TrackerKind.JIRA: ("story_points", "1d"),
    }
)


#: Estimate fields counted in hours, and those the tracker counts in seconds (GitLab's time
#: estimate, Jira's original estimate): their numbers become minutes without a unit.
HOURS_FIELDS = frozenset({"estimated_hours"})
SECONDS_FIELDS = frozenset({"time_estimate", "timeoriginalestimate"})


def estimate_minutes(source: Source, value: Decimal) -> Fraction:
    """The work an item's raw estimate number stands for, in minutes."""
    exact = Fraction(value)
    if source.estimate_field in SECONDS_FIELDS:
        return exact / 60
    return exact * source.estimate_unit.minutes


@dataclass(frozen=True, slots=True)
class Match:
    """Which of a source's items become (or may be linked to) plan tasks. Empty: all of them.

    Every rule given must hold: all ``labels``, the ``milestone`` (GitHub/GitLab milestone,
    Redmine version, Jira fix version), the ``parent`` (epic or parent item's key) and the
    tracker's own ``query`` (Jira JQL, a Redmine saved query id, GitHub/GitLab search terms).
    """

    labels: tuple[str, ...] = ()
    milestone: str | None = None
    parent: str | None = None
    query: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """A named connection to a tracker, as written under ``sources:`` in a plan."""

    name: str
    kind: TrackerKind
    url: str  # the tracker's base URL (API base for GitHub/GitLab, site for Redmine/Jira)
    project: str  # Redmine identifier, GitHub owner/repo, GitLab path or id, Jira project key
    token_env: str | None = None  # environment variable holding the token; never the token
    user_env: str | None = None  # Jira Cloud: the account e-mail for basic auth
    match: Match = field(default_factory=Match)
    estimate_field: str = ""  # "" = the kind's default (DEFAULT_ESTIMATE)
    estimate_unit: Duration = ONE_DAY  # the work one unit of the field stands for
    people: Mapping[str, str] = field(default_factory=lambda: _NO_PEOPLE)  # account -> person
    started: tuple[str, ...] = ()  # states (or labels) that mean started; () = the kind's default
    done: tuple[str, ...] = ()  # states that mean done; () = the tracker's own "closed"
    loc: SourceLoc = UNKNOWN_LOC

    def person(self, account: str) -> str | None:
        """The plan person an account maps to: named in ``people``, else the same id."""
        return self.people.get(account, account)


@dataclass(frozen=True, slots=True, order=True)
class TrackerLink:
    """A plan task's tracker item: ``tracker: SOURCE#KEY`` in the plan (e.g. ``rm#123``,
    ``gh#42``, ``jira#PLAT-7``)."""

    source: str
    key: str

    def __str__(self) -> str:
        return f"{self.source}#{self.key}"


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of an item's state, from the tracker's history (journals, changelog, events)."""

    at: dt.datetime
    to_state: str
    from_state: str | None = None
    started: bool = False  # the item counted as started (or done) after it, by the source's rules
    done: bool = False  # the item counted as done after it


@dataclass(frozen=True, slots=True)
class TrackerItem:
    """An issue, story or work item as a tracker holds it, in one shape for all trackers.

    ``key`` is the tracker's own key (Redmine id "123", GitHub number "42", GitLab iid "17", Jira
    "PLAT-7"); ``closed`` is the tracker's own notion of closed (Redmine's closed statuses, GitHub
    and GitLab's closed state, Jira's done status category). ``estimate`` is the raw number of the
    source's estimate field; ``blocked_by`` the keys of items that must finish first.
    """

    key: str
    title: str
    url: str
    state: str
    closed: bool
    created: dt.datetime
    updated: dt.datetime
    closed_at: dt.datetime | None = None
    assignees: tuple[str, ...] = ()
    estimate: Decimal | None = None
    percent_done: Decimal | None = None  # 0..100 where the tracker keeps it (Redmine)
    blocked_by: tuple[str, ...] = ()
    parent: str | None = None
    labels: tuple[str, ...] = ()
    milestone: str | None = None
    started: bool = False  # started (or done) by the source's rules (base.classify)
    done: bool = False  # done by the source's rules
    transitions: tuple[Transition, ...] = ()  # state changes, oldest first
    in_scope: bool = True  # matched the source's rules when last read
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)  # kind-specific

    def to_json(self) -> dict[str, Any]:
        def moment(value: dt.datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "key": self.key,
            "title": self.title,
            "url": self.url,
            "state": self.state,
            "closed": self.closed,
            "created": moment(self.created),
            "updated": moment(self.updated),
            "closed_at": moment(self.closed_at),
            "assignees": list(self.assignees),
            "estimate": None if self.estimate is None else str(self.estimate),
            "percent_done": None if self.percent_done is None else str(self.percent_done),
            "blocked_by": list(self.blocked_by),
            "parent": self.parent,
            "labels": list(self.labels),
            "milestone": self.milestone,
            "started": self.started,
            "done": self.done,
            "transitions": [
                {
                    "at": t.at.isoformat(),
                    "to": t.to_state,
                    "from": t.from_state,
                    "started": t.started,
                    "done": t.done,
                }
                for t in self.transitions
            ],
            "in_scope": self.in_scope,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrackerItem:
        def moment(value: Any) -> dt.datetime | None:
            return None if value is None else _aware(dt.datetime.fromisoformat(str(value)))

        def number(value: Any) -> Decimal | None:
            return None if value is None else Decimal(str(value))

        created, updated = moment(data["created"]), moment(data["updated"])
        assert created is not None and updated is not None
        return cls(
            key=str(data["key"]),
            title=str(data["title"]),
            url=str(data["url"]),
            state=str(data["state"]),
            closed=bool(data["closed"]),
            created=created,
            updated=updated,
            closed_at=moment(data.get("closed_at")),
            assignees=tuple(str(a) for a in data.get("assignees", ())),
            estimate=number(data.get("estimate")),
            percent_done=number(data.get("percent_done")),
            blocked_by=tuple(str(k) for k in data.get("blocked_by", ())),
            parent=None if data.get("parent") is None else str(data["parent"]),
            labels=tuple(str(x) for x in data.get("labels", ())),
            milestone=None if data.get("milestone") is None else str(data["milestone"]),
            started=bool(data.get("started", False)),
            done=bool(data.get("done", False)),
            transitions=tuple(
                Transition(
                    at=_aware(dt.datetime.fromisoformat(str(t["at"]))),
                    to_state=str(t["to"]),
                    from_state=None if t.get("from") is None else str(t["from"]),
                    started=bool(t.get("started", False)),
                    done=bool(t.get("done", False)),
                )
                for t in data.get("transitions", ())
            ),
            in_scope=bool(data.get("in_scope", True)),
        )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


#: Drift codes: where a plan and its tracker disagree (stable; users' scripts match on them).
DRIFT_CODES: Mapping[str, str] = MappingProxyType(
    {
        "W620": "done in the tracker, not in the plan's progress",
        "W621": "open in the tracker, done in the plan's progress",
        "W622": "started in one, not in the other (or a different share complete)",
        "W623": "the estimates differ",
        "W624": "a blocking link in the tracker that the plan's dependencies lack",
        "W625": "a dependency in the plan that the tracker has no blocking link for",
        "W626": "the item moved out of the source's query",
        "W627": "assigned in the tracker to an account that is no person of the plan",
        "W628": "assigned to different people",
        "W629": "the linked item does not exist in the tracker (or was never read)",
    }
)


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between a linked task and its tracker item, and which side changed since
    the last sync: "tracker", "plan", "both", "neither" (it was already so and stays unresolved)
    or "first sync" (nothing agreed yet)."""

    code: str
    task: str
    item: str  # SOURCE#KEY
    field: str  # progress | estimate | depends | assignee | scope | item
    plan: str
    tracker: str
    changed: str
    message: str
    url: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "task": self.task,
            "item": self.item,
            "field": self.field,
            "plan": self.plan,
            "tracker": self.tracker,
            "changed": self.changed,
            "message": self.message,
            "url": self.url,
        }
