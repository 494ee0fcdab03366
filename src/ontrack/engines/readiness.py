"""A release's readiness: each gate passed, failed or pending, with the evidence, and the
go/no-go recommendation that follows.

Gates (in this order, each only where it applies):

- **scope**: the work the release waits for is done: its scope (:meth:`Plan.release_scope`)
  and everything that scope depends on (:meth:`Plan.release_work`). Until then it is pending,
  and it fails once the release date (or its train's code freeze) has come, or when the
  schedule finishes a task after it.
- **odds**: the forecast chance of making the release date is at least the release's
  ``min_odds`` (default: the RAG's release threshold).
- **risks**: no open high or critical risk affects that work.
- **audit**: no failed DCMA check names a task of that work.
- **tracker**: no drift between that work's linked tasks and their tracker items (only when the plan
  has trackers).
- **checklist**: one gate per item: done or waived passes; open fails once due, else pending.
- **sign-offs**: every role the release names has signed, the latest sign-off of each role
  counting; a no-go fails the gate.

The recommendation is ``go`` when every gate passes, ``no-go`` when any fails, and ``pending``
otherwise (nothing failing, something still to come). Pure: the caller passes the assessment's
parts and the sign-offs the store holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ontrack.engines.calendar import WorkCalendar
from ontrack.engines.trains import Departure, around, departure_on
from ontrack.model import ChecklistStatus, Plan, Release, RiskStatus
from ontrack.model.signoff import SignOff

if TYPE_CHECKING:
    from ontrack.engines.compliance import Audit
    from ontrack.engines.forecast.result import Forecast
    from ontrack.engines.risk import Assessment as RiskAssessment
    from ontrack.engines.schedule.progress import Status
    from ontrack.engines.schedule.result import Schedule
    from ontrack.model.tracker import Drift

GateState = Literal["pass", "fail", "pending"]
Recommendation = Literal["go", "no-go", "pending"]

#: The most tasks a scope gate lists (the latest-finishing ones).
MAX_EVIDENCE = 12

#: The odds gate's threshold when a release names none (the RAG's amber line for releases).
DEFAULT_MIN_ODDS = 0.8


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact behind a gate's state, and the record it is about (a task, a risk, …)."""

    text: str
    subject: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "subject": self.subject}


@dataclass(frozen=True, slots=True)
class Gate:
    kind: str  # scope | odds | risks | audit | tracker | checklist | signoffs
    id: str  # unique within the release: the kind, or checklist:ITEM
    name: str
    state: GateState
    summary: str
    evidence: tuple[Evidence, ...] = ()
    owner: str | None = None
    due: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "summary": self.summary,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Readiness:
    """One release as of one day."""

    release: str
    title: str
    date: dt.date | None
    as_of: dt.date
    train: str | None
    departure: Departure | None  # the train's departure on its date
    code_freeze: dt.date | None
    scope: tuple[str, ...]
    done: int  # scope work tasks done
    work: int  # scope work tasks (milestones and summaries aside)
    probability: float | None
    p80: dt.date | None
    min_odds: float
    gates: tuple[Gate, ...]
    recommendation: Recommendation
    reasons: tuple[str, ...]
    signoffs: tuple[SignOff, ...]  # every one recorded, oldest first
    required: tuple[str, ...]  # roles that must sign

    def gate(self, ident: str) -> Gate | None:
        return next((g for g in self.gates if g.id == ident), None)

    def counts(self) -> dict[GateState, int]:
        out: dict[GateState, int] = {"pass": 0, "fail": 0, "pending": 0}
        for g in self.gates:
            out[g.state] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.release,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "as_of": self.as_of.isoformat(),
            "train": self.train,
            "departure": None if self.departure is None else self.departure.to_json(),
            "code_freeze": self.code_freeze.isoformat() if self.code_freeze else None,
            "scope": list(self.scope),
            "done": self.done,
            "work": self.work,
            "probability_on_time": None if self.probability is None else round(self.probability, 4),
            "p80": self.p80.isoformat() if self.p80 else None,
            "min_odds": round(self.min_odds, 4),
            "recommendation": self.recommendation,
            "reasons": list(self.reasons),
            "gates": [g.to_json() for g in self.gates],
            "required_signoffs": list(self.required),
            "signoffs": [s.to_json() for s in self.signoffs],
        }


@dataclass(frozen=True, slots=True)
class Inputs:
    """The assessment's parts a release's readiness reads."""

    plan: Plan
    as_of: dt.date
    schedule: Schedule
    forecast: Forecast
    status: Status
    risks: RiskAssessment | None = None
    audit: Audit | None = None
    drift: Sequence[Drift] = ()
    signoffs: Sequence[SignOff] = ()
    default_min_odds: float = DEFAULT_MIN_ODDS


def assess_releases(inputs: Inputs) -> tuple[Readiness, ...]:
    """Every release of the plan, in plan order."""
    calendar = WorkCalendar.of(inputs.plan.calendar)
    return tuple(_readiness(inputs, r, calendar) for r in inputs.plan.releases)


def readiness(inputs: Inputs, release: Release) -> Readiness:
    return _readiness(inputs, release, WorkCalendar.of(inputs.plan.calendar))


def _readiness(inputs: Inputs, release: Release, calendar: WorkCalendar) -> Readiness:
    plan, today = inputs.plan, inputs.as_of
    scope = plan.release_scope(release)
    train = next((t for t in plan.trains if t.id == release.train), None)
    departure = (
        departure_on(train, calendar, release.date)
        if train is not None and release.date is not None
        else None
    )
    freeze = departure.freeze if departure is not None else None
    item = next((m for m in inputs.forecast.milestones if m.id == release.id), None)
    probability = item.probability_on_time if item is not None else None
    min_odds = float(release.min_odds) if release.min_odds is not None else inputs.default_min_odds
    rows = {t.id: t for t in inputs.schedule.tasks}
    blocking = plan.release_work(release)
    work = [
        i
        for i in blocking
        if not plan.task_by_id[i].is_summary and not plan.task_by_id[i].milestone
    ]
    done = [i for i in work if _state(inputs, i, rows) == "done"]

    gates = [
        _scope_gate(inputs, release, work, set(done), rows, freeze, departure, calendar, train)
    ]
    gates.append(_odds_gate(release, probability, min_odds, item))
    if inputs.risks is not None:
        gates.append(_risk_gate(inputs.risks, plan, set(blocking)))
    if inputs.audit is not None:
        gates.append(_audit_gate(inputs.audit, set(blocking), plan))
    if plan.trackers:
        gates.append(_tracker_gate(inputs.drift, set(blocking)))
    gates.extend(_checklist_gates(release, today))
    mine = tuple(s for s in inputs.signoffs if s.release == release.id)
    if release.signoffs:
        gates.append(_signoff_gate(release.signoffs, mine))

    failing = [g for g in gates if g.state == "fail"]
    pending = [g for g in gates if g.state == "pending"]
    recommendation: Recommendation = "no-go" if failing else "pending" if pending else "go"
    reasons = tuple(f"{g.name}: {g.summary}" for g in (failing or pending))
    return Readiness(
        release=release.id,
        title=release.title,
        date=release.date,
        as_of=today,
        train=release.train,
        departure=departure,
        code_freeze=freeze,
        scope=scope,
        done=len(done),
        work=len(work),
        probability=probability,
        p80=item.p80 if item is not None else None,
        min_odds=min_odds,
        gates=tuple(gates),
        recommendation=recommendation,
        reasons=reasons or ("every gate passes",),
        signoffs=mine,
        required=release.signoffs,
    )


def _state(inputs: Inputs, task: str, rows: Mapping[str, Any]) -> str:
    progress = inputs.status.tasks.get(task)
    if progress is not None:
        return progress.state
    row = rows.get(task)
    return str(row.state) if row is not None else "planned"


def _scope_gate(
    inputs: Inputs,
    release: Release,
    work: Sequence[str],
    done: set[str],
    rows: Mapping[str, Any],
    freeze: dt.date | None,
    departure: Departure | None,
    calendar: WorkCalendar,
    train: Any,
) -> Gate:
    plan, today = inputs.plan, inputs.as_of
    cutoff = freeze or release.date
    cut_name = "the code freeze" if freeze else "the release date"
    evidence: list[Evidence] = []
    late: list[str] = []
    waiting: list[tuple[dt.date, str, str]] = []
    for ident in work:
        if ident in done:
            continue
        row = rows.get(ident)
        finish = row.finish if row is not None else dt.date.max
        state = _state(inputs, ident, rows).replace("planned", "not started")
        waiting.append((finish, ident, state))
        if row is not None and cutoff is not None and finish > cutoff:
            late.append(ident)
    # The latest-finishing first: they decide whether the release makes it.
    waiting.sort(key=lambda w: (-w[0].toordinal(), w[1]))
    for finish, ident, state in waiting[:MAX_EVIDENCE]:
        task = plan.task_by_id[ident]
        when = f", planned to finish {finish}" if finish != dt.date.max else ""
        evidence.append(Evidence(f"{ident} ({task.title}): {state}{when}", ident))
    if len(waiting) > MAX_EVIDENCE:
        evidence.append(Evidence(f"… and {len(waiting) - MAX_EVIDENCE} more not done"))
    if release.train is not None and release.date is not None and departure is None and train:
        before, after = around(train, calendar, release.date)
        near = " and ".join(str(d.date) for d in (before, after) if d is not None)
        evidence.append(
            Evidence(
                f"{release.date} is not a departure of train '{release.train}'"
                + (f" (nearest: {near})" if near else ""),
                release.id,
            )
        )
    open_ = len(work) - len(done)
    if not work:
        return Gate("scope", "scope", "Scope done", "pass", "no work in its scope", tuple(evidence))
    if open_ == 0:
        return Gate(
            "scope",
            "scope",
            "Scope done",
            "pass",
            f"all {len(work)} task{'s' if len(work) != 1 else ''} done",
            tuple(evidence),
        )
    summary = f"{len(done)} of {len(work)} tasks done, {open_} to go"
    if cutoff is not None and today >= cutoff:
        return Gate(
            "scope",
            "scope",
            "Scope done",
            "fail",
            f"{summary} and {cut_name} ({cutoff}) has come",
            tuple(evidence),
        )
    if late:
        return Gate(
            "scope",
            "scope",
            "Scope done",
            "fail",
            f"{summary}; {len(late)} planned to finish after {cut_name} ({cutoff})",
            tuple(evidence),
        )
    until = f" before {cut_name} ({cutoff})" if cutoff else ""
    return Gate(
        "scope", "scope", "Scope done", "pending", f"{summary}, all planned{until}", tuple(evidence)
    )


def _odds_gate(release: Release, probability: float | None, min_odds: float, item: Any) -> Gate:
    name = f"Odds of the date ≥ {100 * min_odds:.0f}%"
    if release.date is None:
        return Gate("odds", "odds", name, "pending", "the release has no date to forecast")
    if probability is None or item is None:
        return Gate("odds", "odds", name, "pending", "nothing in its scope to forecast")
    text = f"{100 * probability:.0f}% likely by {release.date} (P80 {item.p80})"
    state: GateState = "pass" if probability >= min_odds else "fail"
    detail = f"P50 {item.p50}, P80 {item.p80}, P95 {item.p95}; schedule {item.planned}"
    return Gate("odds", "odds", name, state, text, (Evidence(detail, release.id),))


def _scope_of(plan: Plan, ids: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for ident in ids:
        if ident in plan.task_by_id:
            out.add(ident)
            out.update(t.id for t in plan.descendants(ident))
    return out


def _risk_gate(risks: RiskAssessment, plan: Plan, scope: set[str]) -> Gate:
    name = "No open high risks"
    hits = []
    for scored in risks.ranked_register():
        risk = scored.risk
        if risk.status is RiskStatus.CLOSED or scored.rating.value not in {"high", "critical"}:
            continue
        touched = sorted(_scope_of(plan, risk.affects) & scope)
        if touched:
            hits.append(
                Evidence(
                    f"{risk.id} ({risk.title}): {scored.rating.value}, {risk.status.value}, "
                    f"affects {', '.join(touched[:5])}{' …' if len(touched) > 5 else ''}",
                    risk.id,
                )
            )
    if hits:
        return Gate("risks", "risks", name, "fail", f"{len(hits)} open high risks", tuple(hits))
    return Gate("risks", "risks", name, "pass", "none affects its scope")


def _audit_gate(audit: Audit, scope: set[str], plan: Plan) -> Gate:
    name = "Schedule checks pass on its scope"
    hits = []
    for check in audit.dcma:
        if check.passed is not False:
            continue
        named = sorted(set(check.ids) & scope)
        if named:
            hits.append(
                Evidence(
                    f"DCMA {check.number} {check.name}: {', '.join(named[:5])}"
                    f"{' …' if len(named) > 5 else ''}",
                    named[0],
                )
            )
    if hits:
        return Gate(
            "audit", "audit", name, "fail", f"{len(hits)} failed checks name its tasks", tuple(hits)
        )
    return Gate("audit", "audit", name, "pass", "no failed check names its tasks")


def _tracker_gate(drift: Sequence[Drift], scope: set[str]) -> Gate:
    name = "Tracker agrees"
    hits = [Evidence(f"{d.task} / {d.item}: {d.message}", d.task) for d in drift if d.task in scope]
    if hits:
        return Gate("tracker", "tracker", name, "fail", f"{len(hits)} differences", tuple(hits))
    return Gate("tracker", "tracker", name, "pass", "plan and tracker agree on its tasks")


def _checklist_gates(release: Release, today: dt.date) -> list[Gate]:
    gates = []
    for item in release.checklist:
        note = (Evidence(item.note, item.id),) if item.note else ()
        if item.status is ChecklistStatus.DONE:
            state: GateState = "pass"
            summary = "done"
        elif item.status is ChecklistStatus.WAIVED:
            state, summary = "pass", "waived" + (f": {item.note}" if item.note else "")
        elif item.due is not None and item.due < today:
            state, summary = "fail", f"open, due {item.due}"
        else:
            state = "pending"
            summary = f"open, due {item.due}" if item.due else "open"
        gates.append(
            Gate(
                "checklist",
                f"checklist:{item.id}",
                item.title,
                state,
                summary,
                note,
                owner=item.owner,
                due=item.due,
            )
        )
    return gates


def _signoff_gate(required: Sequence[str], signed: Sequence[SignOff]) -> Gate:
    latest: dict[str, SignOff] = {}
    for s in signed:
        latest[s.role] = s  # oldest first: the last one of a role stands
    evidence: list[Evidence] = []
    missing: list[str] = []
    refused: list[str] = []
    for role in required:
        found = latest.get(role)
        if found is None:
            missing.append(role)
            evidence.append(Evidence(f"{role}: not signed", role))
            continue
        if found.decision == "no-go":
            refused.append(role)
        when = found.signed_at.strftime("%Y-%m-%d %H:%M")
        rev = f", revision {found.revision}" if found.revision is not None else ""
        note = f": {found.note}" if found.note else ""
        evidence.append(
            Evidence(f"{role}: {found.decision} by {found.name} on {when} UTC{rev}{note}", role)
        )
    name = "Sign-offs"
    if refused:
        return Gate(
            "signoffs",
            "signoffs",
            name,
            "fail",
            "no-go from " + ", ".join(refused),
            tuple(evidence),
        )
    if missing:
        return Gate(
            "signoffs",
            "signoffs",
            name,
            "pending",
            f"{len(required) - len(missing)} of {len(required)} signed; waiting for "
            + ", ".join(missing),
            tuple(evidence),
        )
    return Gate(
        "signoffs", "signoffs", name, "pass", f"all {len(required)} signed go", tuple(evidence)
    )
