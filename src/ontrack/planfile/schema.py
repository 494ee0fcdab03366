"""The plan language's schema: every key a user can write, with its documentation.

The schema is the documentation: ``ontrack schema`` prints it as JSON Schema (so editors complete
and check plan files) and ``docs/plan-format.md`` is generated from the same descriptions. These
specs are what a file *says*; :mod:`ontrack.planfile.build` turns them into the model.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from ontrack.model.quantities import Rate
from ontrack.planfile import values as v

_T = TypeVar("_T")

DURATION_PATTERN = r"^-?\d+(\.\d+)?\s*(m|h|d|w)$"
ESTIMATE_PATTERN = r"^\d+(\.\d+)?\s*(m|h|d|w)(/\d+(\.\d+)?\s*(m|h|d|w)){0,2}$"


def _checked(parse: Callable[[Any], _T]) -> Callable[[Any], _T]:
    """Run a value parser and turn its problem into a pydantic error that keeps our code."""

    def validate(value: Any) -> _T:
        try:
            return parse(value)
        except v.ValueProblem as problem:
            raise PydanticCustomError(
                problem.code, "{message}", {"message": problem.message, "hint": problem.hint}
            ) from None

    return validate


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str | int) and not isinstance(value, bool) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _hours(value: Any) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise v.ValueProblem("E102", "hours_per_day must be a number such as 8")
    try:
        hours = Fraction(str(value).strip().removesuffix("h"))
    except ValueError:
        raise v.ValueProblem(
            "E102", f"'{value}' is not a number of hours", "write e.g. 8"
        ) from None
    if not 1 <= hours <= 24:
        raise v.ValueProblem("E103", f"hours_per_day {value} is outside 1..24", "write e.g. 8")
    return hours


def _priority(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower() in _PRIORITY_NAMES:
        return _PRIORITY_NAMES[value.strip().lower()]
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000:
        return value
    raise v.ValueProblem(
        "E103",
        f"priority {value!r} is not 1..1000 or a level",
        "write a number from 1 to 1000 (default 500) or one of " + ", ".join(_PRIORITY_NAMES),
    )


_PRIORITY_NAMES = {"lowest": 100, "low": 300, "medium": 500, "high": 700, "critical": 900}

_STR = {"type": "string"}
Id = Annotated[
    str,
    PlainValidator(_checked(v.parse_id)),
    WithJsonSchema({"type": "string", "pattern": v.ID_RE.pattern}),
]
IdList = Annotated[
    list[Id],
    BeforeValidator(_one_or_many),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": _STR}]}),
]
Names = Annotated[
    list[str],
    BeforeValidator(_one_or_many),
    WithJsonSchema({"anyOf": [_STR, {"type": "array", "items": _STR}]}),
]
Date = Annotated[
    dt.date,
    PlainValidator(_checked(v.parse_date)),
    WithJsonSchema({"type": "string", "format": "date"}),
]
DateRange = Annotated[
    tuple[dt.date, dt.date],
    PlainValidator(_checked(v.parse_date_range)),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d\d-\d\d(\.\.\d{4}-\d\d-\d\d)?$"}),
]
DurationT = Annotated[
    v.DurationText,
    PlainValidator(_checked(v.parse_duration)),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN}),
]
Lag = Annotated[
    v.DurationText,
    PlainValidator(_checked(lambda x: v.parse_duration(x, allow_negative=True, what="lag"))),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": DURATION_PATTERN}, {"const": 0}]}),
]


_ESTIMATE_SCHEMA = WithJsonSchema({"type": "string", "pattern": ESTIMATE_PATTERN})
EstimateT = Annotated[
    v.EstimateText,
    PlainValidator(_checked(lambda x: v.parse_estimate(x, "estimate"))),
    _ESTIMATE_SCHEMA,
]
FixedDurationT = Annotated[
    v.EstimateText,
    PlainValidator(_checked(lambda x: v.parse_estimate(x, "duration"))),
    _ESTIMATE_SCHEMA,
]
ImpactT = Annotated[
    v.EstimateText,
    PlainValidator(_checked(lambda x: v.parse_estimate(x, "impact"))),
    _ESTIMATE_SCHEMA,
]
Percent = Annotated[
    Fraction,
    PlainValidator(_checked(v.parse_percent)),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(\.\d+)?%$"},
                {"type": "number", "minimum": 0, "maximum": 1},
            ]
        }
    ),
]
Allocation = Annotated[
    Fraction,
    PlainValidator(_checked(v.parse_allocation)),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(\.\d+)?%$"},
                {"type": "number", "minimum": 0, "maximum": 1},
            ]
        }
    ),
]
Uncertainty = Annotated[
    tuple[Fraction, Fraction],
    PlainValidator(_checked(v.parse_uncertainty)),
    WithJsonSchema({"type": "string", "pattern": r"^(\d+(\.\d+)?%|-\d+(\.\d+)?%/\+\d+(\.\d+)?%)$"}),
]
Money = Annotated[
    Decimal,
    PlainValidator(_checked(v.parse_money)),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0}, _STR]}),
]
RateT = Annotated[
    Rate,
    PlainValidator(_checked(v.parse_rate)),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?\s*/\s*(h|hr|hour|d|day)$"}),
]
Hours = Annotated[
    Fraction,
    PlainValidator(_checked(_hours)),
    WithJsonSchema({"type": "number", "minimum": 1, "maximum": 24}),
]
PriorityT = Annotated[
    int,
    PlainValidator(_checked(_priority)),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 1000},
                {"enum": list(_PRIORITY_NAMES)},
            ]
        }
    ),
]
Weekday = Annotated[
    Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    BeforeValidator(lambda x: _lower(x)[:3] if isinstance(x, str) else x),
]
DepTypeT = Annotated[Literal["FS", "SS", "FF", "SF"], BeforeValidator(_upper)]
LevelT = Annotated[Literal["low", "medium", "high"], BeforeValidator(_lower)]


def _tracker_key(value: Any) -> str:
    plain = isinstance(value, str | int) and not isinstance(value, bool)
    text = str(value).strip() if plain else ""
    name, _, key = text.partition("#")
    if not name or not key or not v.ID_RE.match(name) or len(key) > 200 or not key.isprintable():
        raise v.ValueProblem(
            "E118",
            f"tracker {value!r} is not SOURCE#KEY",
            "write the source's name, `#` and the item's key: rm#123, gh#42, jira#PLAT-7",
        )
    return f"{name}#{key.strip()}"


def _label(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise v.ValueProblem("E118", f"{value!r} is not a name", "write it as text")
    text = str(value).strip()
    if not text or len(text) > 500 or not text.isprintable():
        raise v.ValueProblem("E118", "the name is empty, too long or not printable", "")
    return text


def _http_url(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not re.match(r"^https?://[^\s/@]+(:\d+)?(/[^\s]*)?$", text):
        raise v.ValueProblem(
            "E118",
            "url is not an http(s) address",
            "write the tracker's base URL, e.g. https://redmine.example.com (no user or token "
            "in it)",
        )
    return text.rstrip("/")


_TOKEN_LIKE = re.compile(
    r"^(gh[pousr]_|github_pat_|glpat|gldt|xox[abp]|ATATT|sk_)|[a-z].*[0-9].*[A-Z]|[A-Z].*[0-9].*[a-z]"
    r"|^[A-Za-z0-9_]{33,}$"
)


def _env_name(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    # A variable's name, not a token: tokens mix cases and digits, are long, or carry a
    # provider's prefix (GitHub ghp_, GitLab glpat-, Atlassian ATATT, ...).
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", text) or _TOKEN_LIKE.search(text):
        # The value is not echoed: someone may have pasted the token itself here.
        raise v.ValueProblem(
            "E118",
            "not the name of an environment variable",
            "write the variable's name (e.g. REDMINE_TOKEN), never the token itself",
        )
    return text


TrackerKeyT = Annotated[
    str,
    PlainValidator(_checked(_tracker_key)),
    WithJsonSchema({"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.\-]*#.+$"}),
]
Label = Annotated[str, PlainValidator(_checked(_label)), WithJsonSchema({"type": "string"})]
HttpUrl = Annotated[
    str,
    PlainValidator(_checked(_http_url)),
    WithJsonSchema({"type": "string", "pattern": r"^https?://"}),
]
EnvName = Annotated[
    str,
    PlainValidator(_checked(_env_name)),
    WithJsonSchema({"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"}),
]


class Spec(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, arbitrary_types_allowed=True
    )


class ProgramSpec(Spec):
    """The program as a whole: what it is called and when it starts."""

    name: str = Field(description="The program's name, as reports show it.")
    start: Date = Field(description="First day of work (ISO date). Scheduling starts here.")
    currency: str = Field(
        "USD",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of the currency of rates, budgets and costs.",
    )
    calendar: Id | None = Field(
        None,
        description=(
            "Id of an entry of `calendars` to use as the default working calendar, instead of the "
            "top-level `calendar`."
        ),
    )
    budget: Money | None = Field(None, description="Approved budget, in `currency`.")
    description: str = Field(
        "", description="What the program delivers and why, in a sentence or two."
    )
    status_date: Date | None = Field(
        None,
        description=(
            "The day the progress written on tasks (actual_start, percent_complete, ...) is as "
            "of. Scheduling and forecasting then plan only the remaining work, from this day."
        ),
    )
    uncertainty: Uncertainty | None = Field(
        None,
        description=(
            "How far single-point estimates may turn out below and above, for forecasting: "
            "`20%` (either way) or `-10%/+50%`. Without it, single-point estimates are taken as "
            "exact and only three-point estimates and risks spread the forecast."
        ),
    )


class CalendarSpec(Spec):
    """Working time. The top-level `calendar` is the default for everyone."""

    workweek: list[Weekday] = Field(
        ["mon", "tue", "wed", "thu", "fri"],
        description="Days worked each week: mon, tue, … sun; at least one (E303).",
        json_schema_extra={"minItems": 1},
    )
    hours_per_day: Hours = Field(
        Fraction(8),
        description=(
            "Length of a working day in hours, 1 to 24. One `d` of estimate is this many hours, "
            "one `w` is this times the number of days in `workweek`."
        ),
    )
    holidays: list[DateRange] = Field(
        [],
        description=(
            "Days nobody works: dates or inclusive ranges such as 2026-12-24..2026-12-31."
        ),
    )


class NamedCalendarSpec(CalendarSpec):
    """A calendar that people or the program can refer to by id (a country office, a shift)."""

    id: Id = Field(description="Unique calendar id, referred to by `people[].calendar`.")


class PersonSpec(Spec):
    """Someone who does the work."""

    id: Id = Field(description="Unique person id, used in `assignee`, `members`, `owner`.")
    name: str = Field("", description="Full name; defaults to the id.")
    email: str = Field("", description="Address for reports and notifications.")
    skills: Names = Field(
        [], description="What this person can do, matched against tasks' `skills`."
    )
    allocation: Allocation = Field(
        Fraction(1),
        description=(
            "Share of this person's working time given to the program, e.g. 50% for half time: "
            "0% (no time), or 1% to 100%."
        ),
    )
    rate: RateT | None = Field(None, description="Cost of their time: `850/day` or `110/hour`.")
    time_off: list[DateRange] = Field(
        [], description=("Days away: dates or inclusive ranges such as 2026-02-09..2026-02-13.")
    )
    calendar: Id | None = Field(None, description="Id of an entry of `calendars` they work by.")


class TeamSpec(Spec):
    """A group of people that tasks can be given to."""

    id: Id = Field(description="Unique team id, used in tasks' `team`.")
    name: str = Field("", description="Display name; defaults to the id.")
    members: IdList = Field([], description="Ids of the people in the team.")
    lead: Id | None = Field(None, description="Id of the team's lead (normally one of `members`).")


class DependSpec(Spec):
    """A dependency on a predecessor task. Write just the id for finish-to-start, no lag."""

    __shorthand__ = "the predecessor's id (finish-to-start, no lag)"
    task: Id = Field(description="Id of the predecessor task (or summary task, or milestone).")
    type: DepTypeT = Field(
        "FS",
        description=(
            "FS: start after it finishes; SS: start after it starts; FF: finish after it finishes; "
            "SF: finish after it starts."
        ),
    )
    lag: Lag = Field(
        v.DurationText(Fraction(0), "d"),
        description=("Working time between the two (e.g. 2d); negative for a lead (e.g. -1d)."),
    )


def _depends_item(value: Any) -> Any:
    return (
        {"task": value} if isinstance(value, str | int) and not isinstance(value, bool) else value
    )


DependItem = Annotated[DependSpec, BeforeValidator(_depends_item)]


def _one_or_many_depends(value: Any) -> Any:
    return [value] if isinstance(value, dict) else _one_or_many(value)


class TaskSpec(Spec):
    """A piece of work, a milestone, or, with `tasks`, a summary task of the WBS."""

    id: Id = Field(description="Unique task id, used in `depends`, `affects`, `includes`.")
    title: str = Field(description="What is done, as stakeholders would read it.")
    estimate: EstimateT | None = Field(
        None,
        description=(
            "Effort: working time for one person at full allocation, as `8d` or a three-point "
            "`optimistic/likely/pessimistic` such as `5d/8d/15d`. Two assignees, or a half-time "
            "one, change how long it takes."
        ),
    )
    duration: FixedDurationT | None = Field(
        None,
        description=(
            "Fixed elapsed working time that people do not shorten (vendor lead time, soak "
            "period), as `10d` or `5d/10d/20d`. Use instead of `estimate`."
        ),
    )
    depends: Annotated[list[DependItem], BeforeValidator(_one_or_many_depends)] = Field(
        [], description="Predecessors: an id, a mapping `{task, type, lag}`, or a list of them."
    )
    skills: Names = Field([], description="Skills a person needs to do it (all of them).")
    assignee: IdList = Field([], description="Person id, or a list of them, who does it.")
    team: Id | None = Field(
        None,
        description=("Team whose members may do it. Children of a summary task inherit its team."),
    )
    priority: PriorityT = Field(
        500,
        description=(
            "1..1000 (default 500) or lowest/low/medium/high/critical. Higher goes first when "
            "people are scarce."
        ),
    )
    milestone: bool = Field(False, description="A zero-length event such as a launch or sign-off.")
    deadline: Date | None = Field(None, description="Date by which it must finish.")
    start_no_earlier_than: Date | None = Field(
        None, description=("It cannot start before this date (an external constraint).")
    )
    tags: Names = Field(
        [], description="Free labels for filtering and grouping. Children inherit them."
    )
    notes: str = Field("", description="Anything else worth knowing.")
    deliverable: bool = Field(
        False,
        description="A deliverable stakeholders sign off (milestones count as deliverables too).",
    )
    accountable: Id | None = Field(
        None, description="RACI: id of the one stakeholder who answers for it."
    )
    responsible: IdList = Field(
        [], description="RACI: ids of the stakeholders or people who do it."
    )
    cost: Money | None = Field(
        None,
        description=(
            "Fixed cost besides people's time (licences, hardware, a vendor's fee), in the "
            "program's currency; added to the planned cost and the budget."
        ),
    )
    actual_start: Date | None = Field(
        None, description="Progress: the day work on it began (it is then in progress)."
    )
    actual_finish: Date | None = Field(
        None, description="Progress: the day it was done. Done work stays where it happened."
    )
    percent_complete: Percent | None = Field(
        None, description="Progress: how much of its work is done, e.g. 40%."
    )
    remaining: DurationT | None = Field(
        None,
        description=(
            "Progress: the work left, e.g. `3d` (of effort, or of duration for a fixed "
            "duration). Takes precedence over percent_complete."
        ),
    )
    tracker: TrackerKeyT | None = Field(
        None,
        description=(
            "The tracker item this task is: `SOURCE#KEY` with a name from `sources`, e.g. "
            "`rm#123`, `gh#42`, `jira#PLAT-7`. `ontrack sync` reads its state, dates, estimate, "
            "assignee and blocking links."
        ),
    )
    tasks: list[TaskSpec] = Field([], description="Child tasks: this becomes a summary task.")


class RiskSpec(Spec):
    """An uncertain event that would hurt the program if it happened."""

    id: Id = Field(description="Unique risk id.")
    title: str = Field(description="The risk, as cause and effect.")
    probability: Percent = Field(description="Chance it happens, e.g. 30%.")
    impact: ImpactT | None = Field(
        None,
        description=("Delay it adds to the tasks it affects if it happens: `10d` or `5d/10d/20d`."),
    )
    cost_impact: Money | None = Field(
        None, description="Extra cost if it happens, in the currency."
    )
    affects: IdList = Field([], description="Ids of the tasks it would delay.")
    owner: Id | None = Field(None, description="Id of the person who watches and handles it.")
    response: Annotated[
        Literal["avoid", "mitigate", "transfer", "accept"] | None, BeforeValidator(_lower)
    ] = Field(None, description="avoid, mitigate, transfer or accept.")
    mitigation: str = Field("", description="What is being done about it.")
    status: Annotated[
        Literal["open", "mitigating", "occurred", "closed"], BeforeValidator(_lower)
    ] = Field("open", description=("open, mitigating, occurred or closed."))
    review_date: Date | None = Field(None, description="When it is next reviewed.")


def _whole_days(value: Any, week: int) -> int:
    """A whole number of days: ``3``, ``3d`` or ``2w`` (a week is ``week`` days)."""
    text = str(value).strip().lower() if isinstance(value, str | int) else ""
    if isinstance(value, bool) or not re.fullmatch(r"\d{1,4}\s*[dw]?", text):
        raise v.ValueProblem(
            "E110", f"{value!r} is not a whole number of days", "write e.g. 3d or 2w"
        )
    amount = int(text.rstrip("dw ").strip())
    return amount * week if text.endswith("w") else amount


def _cadence(value: Any) -> int:
    days = _whole_days(value, 7)
    if not 1 <= days <= 366:
        raise v.ValueProblem("E103", f"{value!r} is outside 1d..52w", "write e.g. 2w")
    return days


def _working_days(value: Any) -> int:
    days = _whole_days(value, 5)
    if days > 260:
        raise v.ValueProblem("E103", f"{value!r} is more than a year of working days", "")
    return days


_DAYS_SCHEMA = WithJsonSchema(
    {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^\d+\s*[dw]?$"}]}
)
Cadence = Annotated[int, PlainValidator(_checked(_cadence)), _DAYS_SCHEMA]
WorkingDays = Annotated[int, PlainValidator(_checked(_working_days)), _DAYS_SCHEMA]


class TrainSpec(Spec):
    """A release train: releases depart on a fixed cadence, with a code freeze and a
    hardening window before each departure."""

    id: Id = Field(description="Unique train id.")
    title: str = Field("", description="Name, e.g. Web release train.")
    first: Date = Field(
        description=(
            "The first departure (a release day). With `every: 2w` and a Tuesday here, the "
            "train leaves every second Tuesday. A departure on a non-working day leaves the "
            "next working day."
        )
    )
    every: Cadence = Field(description="Time between departures in calendar days: 1w, 2w, 10d.")
    until: Date | None = Field(None, description="The last day a departure may fall on.")
    code_freeze: WorkingDays = Field(
        0,
        description=(
            "Working days before each departure when the code freezes: from then only fixes "
            "merge. 0: no freeze."
        ),
    )
    hardening: WorkingDays = Field(
        0,
        description=(
            "Working days of hardening (stabilisation, release testing) just before each "
            "departure. 0: the code freeze window, if any."
        ),
    )


class ChecklistItemSpec(Spec):
    """One readiness item of a release: a thing a person must do before it ships."""

    id: Id = Field(description="Unique within the release, e.g. security-review.")
    title: str = Field(description="What must be done, e.g. Security review signed.")
    owner: Id | None = Field(None, description="Person or stakeholder who answers for it.")
    due: Date | None = Field(None, description="When it must be done by.")
    status: Annotated[Literal["open", "done", "waived"], BeforeValidator(_lower)] = Field(
        "open", description="open, done or waived (with a note saying why)."
    )
    note: str = Field("", description="Evidence or the reason for a waiver.")


class ReleaseSpec(Spec):
    """A version shipped to users, made of milestones and tasks."""

    id: Id = Field(description="Unique release id.")
    title: str = Field(description="Release name, e.g. Checkout 2.0.")
    date: Date | None = Field(None, description="Target release date.")
    includes: IdList = Field([], description="Ids of the tasks and milestones it ships.")
    train: Id | None = Field(
        None,
        description=(
            "The train it departs with: its date should be one of the train's departures, and "
            "its code freeze and hardening window are the train's."
        ),
    )
    tracker_items: Annotated[
        list[str],
        BeforeValidator(_one_or_many),
        WithJsonSchema({"anyOf": [_STR, {"type": "array", "items": _STR}]}),
    ] = Field(
        [],
        description=(
            "Tracker items it ships, as SOURCE#KEY (e.g. gh#42): each must be linked to a task "
            "(`tracker:`), which joins the scope."
        ),
    )
    min_odds: Percent | None = Field(
        None,
        description=(
            "The forecast chance of making the date below which the release is not ready "
            "(default: the RAG's release threshold, 80%)."
        ),
    )
    signoffs: Names = Field(
        [],
        description=(
            "Roles that must sign the go/no-go (`ontrack release sign REL --as ROLE`), e.g. "
            "[engineering, qa, product]."
        ),
    )
    checklist: list[ChecklistItemSpec] = Field(
        [], description="Readiness items with owners and due dates."
    )


class DeliverySpec(Spec):
    """Where the delivery history is: the DORA metrics in the report and the assessment."""

    repo: str = Field(".", description="The git repository, relative to this plan file.")
    deployments: str = Field(
        description="Deployment log (CSV or JSON), relative to this plan file; see docs/dora.md."
    )
    incidents: str | None = Field(None, description="Incident log (CSV or JSON), if any.")
    environment: str = Field("production", description="The environment measured.")
    period: Annotated[Literal["week", "month"], BeforeValidator(_lower)] = Field(
        "week", description="week or month: the trend's step."
    )


class StakeholderSpec(Spec):
    """Someone who cares about the program's outcome: readers of reports, RACI."""

    id: Id = Field(description="Unique stakeholder id.")
    name: str = Field(description="Full name.")
    role: str = Field("", description="Role, e.g. VP Engineering.")
    interest: LevelT = Field("medium", description="low, medium or high.")
    influence: LevelT = Field("medium", description="low, medium or high.")
    email: str = Field("", description="Address for reports.")


class RaidSpec(Spec):
    """An entry of the RAID log: an assumption, an issue or a decision."""

    id: Id = Field(description="Unique id (across assumptions, issues and decisions).")
    title: str = Field(description="What is assumed, what is wrong, or what was decided.")
    owner: Id | None = Field(None, description="Id of the person or stakeholder who owns it.")
    status: Annotated[Literal["open", "closed"], BeforeValidator(_lower)] = Field(
        "open",
        description=(
            "open, or closed (an assumption validated or disproved, an issue resolved, a "
            "decision made)."
        ),
    )
    severity: Annotated[Literal["low", "medium", "high", "critical"], BeforeValidator(_lower)] = (
        Field("medium", description="low, medium, high or critical.")
    )
    raised: Date | None = Field(None, description="When it was raised.")
    due: Date | None = Field(None, description="When it must be closed by.")
    affects: IdList = Field([], description="Ids of the tasks it concerns.")
    notes: str = Field("", description="Anything else worth knowing.")


class MatchSpec(Spec):
    """Which of a tracker's items are the plan's (all the rules given must hold)."""

    labels: Names = Field([], description="Labels every item carries (GitHub, GitLab, Jira).")
    milestone: Label | None = Field(
        None,
        description="Milestone (GitHub, GitLab), version (Redmine) or fix version (Jira) name.",
    )
    parent: Label | None = Field(
        None, description="Key of the epic or parent item (its number in GitHub/GitLab/Redmine)."
    )
    query: str | None = Field(
        None,
        description="Jira: JQL narrowing the scope; Redmine: a saved query's id.",
    )


class EstimateFieldSpec(Spec):
    """Which tracker field is the estimate, and how much work one unit of it is."""

    __shorthand__ = "the field's name, in the kind's usual unit"
    field: str = Field(
        description=(
            "`estimated_hours` (Redmine), `weight` or `time_estimate` (GitLab), `story_points`, "
            "`customfield_NNNNN` or `timeoriginalestimate` (Jira), `label:estimate` (a label such "
            "as `estimate: 3`), `cf:NAME` (a Redmine custom field)."
        )
    )
    unit: DurationT | None = Field(
        None,
        description=(
            "The work one unit stands for, e.g. `1d` a story point, `1h` Redmine's hours; "
            "default 1h for hours fields, 1d otherwise."
        ),
    )


def _estimate_field(value: Any) -> Any:
    return {"field": value} if isinstance(value, str) else value


class SourceSpec(Spec):
    """A tracker the plan's tasks live in (the token is never written here: only its variable)."""

    name: Id = Field(description="Short name, used in tasks' `tracker: NAME#KEY`.")
    kind: Annotated[Literal["redmine", "github", "gitlab", "jira"], BeforeValidator(_lower)] = (
        Field(description="redmine, github, gitlab or jira.")
    )
    url: HttpUrl = Field(
        description=(
            "Base URL: the Redmine or Jira site, the GitLab instance, or the GitHub API "
            "(https://api.github.com, or your GitHub Enterprise /api/v3)."
        )
    )
    project: Label = Field(
        description=(
            "Redmine project identifier, GitHub `owner/repo`, GitLab project path or id, Jira "
            "project key."
        )
    )
    token_env: EnvName | None = Field(
        None, description="Environment variable holding the API token (never the token itself)."
    )
    user_env: EnvName | None = Field(
        None, description="Jira Cloud: environment variable holding the account's e-mail."
    )
    match: MatchSpec = Field(
        default_factory=MatchSpec, description="Which items are the plan's (default: all)."
    )
    estimate: Annotated[EstimateFieldSpec | None, BeforeValidator(_estimate_field)] = Field(
        None,
        description=(
            "The estimate field: a name, or `{field, unit}`. Default: estimated_hours (Redmine), "
            "weight (GitLab), story_points (Jira), label:estimate (GitHub)."
        ),
    )
    people: dict[str, Id] = Field(
        {},
        description=("Tracker account → person id, where they differ (Jira account ids, logins)."),
    )
    started: Names = Field(
        [],
        description=(
            "States (or labels) that mean work has started, e.g. `In Progress`. Default: the "
            "tracker's own (Jira's in-progress category, an assignee or `in progress` label "
            "on GitHub/GitLab, any Redmine status past New)."
        ),
    )
    done: Names = Field(
        [],
        description="States that mean done. Default: the tracker's closed states.",
    )


class PlanFileSpec(Spec):
    """One plan file. A plan is one such file or a folder of them, merged."""

    program: ProgramSpec | None = Field(None, description="The program (in exactly one file).")
    calendar: CalendarSpec | None = Field(
        None,
        description=(
            "Default working calendar (at most one file); Monday to Friday, 8 hours, if absent."
        ),
    )
    calendars: list[NamedCalendarSpec] = Field([], description="Named calendars for people.")
    people: list[PersonSpec] = Field([], description="Everyone who does the work.")
    teams: list[TeamSpec] = Field([], description="Teams of people.")
    tasks: list[TaskSpec] = Field([], description="The work breakdown: tasks and milestones.")
    risks: list[RiskSpec] = Field([], description="The risk register.")
    releases: list[ReleaseSpec] = Field([], description="Releases and what they include.")
    trains: list[TrainSpec] = Field(
        [], description="Release trains: the cadence releases depart on."
    )
    delivery: DeliverySpec | None = Field(
        None, description="The delivery history for DORA metrics (at most one file)."
    )
    stakeholders: list[StakeholderSpec] = Field([], description="Who reads the reports.")
    assumptions: list[RaidSpec] = Field([], description="RAID log: what the plan assumes.")
    issues: list[RaidSpec] = Field([], description="RAID log: problems happening now.")
    decisions: list[RaidSpec] = Field([], description="RAID log: decisions made or needed.")
    sources: list[SourceSpec] = Field(
        [], description="Trackers the tasks live in (Redmine, GitHub, GitLab, Jira)."
    )


#: The list sections, with the spec of one item; order is the order records are built in.
SECTIONS: dict[str, type[Spec]] = {
    "calendars": NamedCalendarSpec,
    "people": PersonSpec,
    "teams": TeamSpec,
    "tasks": TaskSpec,
    "risks": RiskSpec,
    "releases": ReleaseSpec,
    "trains": TrainSpec,
    "stakeholders": StakeholderSpec,
    "assumptions": RaidSpec,
    "issues": RaidSpec,
    "decisions": RaidSpec,
    "sources": SourceSpec,
}
#: Sections that are a single mapping, defined in at most one file.
SINGLETONS: dict[str, type[Spec]] = {
    "program": ProgramSpec,
    "calendar": CalendarSpec,
    "delivery": DeliverySpec,
}


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for a plan file."""
    schema = PlanFileSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ontrack plan file"
    # Specs with a string shorthand accept either form; pydantic only knows the mapping form.
    shorthands = {name: cls.__shorthand__ for name, cls in (("DependSpec", DependSpec),)}
    _expand_shorthands(schema, shorthands)
    # `depends` also takes a single id or mapping without the list brackets.
    props = schema["$defs"]["TaskSpec"]["properties"]
    listed = {k: props["depends"][k] for k in ("type", "items")}
    props["depends"] = {
        key: value for key, value in props["depends"].items() if key not in listed
    } | {"anyOf": [*listed["items"]["anyOf"], listed]}
    return schema


def _expand_shorthands(node: Any, shorthands: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in list(node.items()):
            ref = value.get("$ref", "") if isinstance(value, dict) else ""
            name = ref.rsplit("/", 1)[-1]
            if name in shorthands and key != "anyOf":
                node[key] = {
                    "anyOf": [{"type": "string", "description": shorthands[name]}, {"$ref": ref}]
                }
            else:
                _expand_shorthands(value, shorthands)
    elif isinstance(node, list):
        for item in node:
            _expand_shorthands(item, shorthands)
