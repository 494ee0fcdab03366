"""The REST API under ``/api/v1``: the same JSON documents the CLI prints with ``--format json``
(built by the same functions, ``ontrack.app.views``), and the same changes the CLI makes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ontrack.app.programs import (
    Conflict,
    EditRefused,
    ProgramView,
    UnknownRelease,
    Unschedulable,
    progress_fact,
)
from ontrack.planfile.edit import FieldEdit
from ontrack.web.auth import Actor, Need, needs
from ontrack.web.context import state
from ontrack.web.deps import authorize


class Problem(BaseModel):
    """A refused request: what was wrong (a sentence, the diagnostics of a plan that would not
    load, or the fields that did not validate)."""

    detail: str | dict[str, Any] | list[dict[str, Any]]


# Every error says why in `detail` (not FastAPI's default 422 schema, which only fits a body
# that failed validation: a refused edit or an unknown task is a 422 too).
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in (
        (401, "Not logged in: send an API token (Authorization: Bearer otk_...)"),
        (403, "The role is too low, or a change from a browser lacks its CSRF token"),
        (404, "No such program (or no role on it), revision, baseline, release or job"),
        (409, "A stale edit, or a baseline name in use"),
        (422, "The request, or the change it asks for, was refused"),
    )
}
router = APIRouter(
    prefix="/api/v1", dependencies=[Depends(authorize)], tags=["api"], responses=_PROBLEMS
)
Who = Annotated[Actor, Depends(authorize)]
ProgramName = Annotated[str, Field(min_length=1, max_length=200)]
AsOf = Annotated[
    dt.date | None,
    Query(description="Assess as of this day (default: the one rule of `ontrack assess`)."),
]
Baseline = Annotated[
    str | None,
    Query(max_length=200, description="Measure against this baseline (default: the latest set)."),
]


F = TypeVar("F", bound=Callable[..., Any])


def _route(method: str, path: str, need: Need, **options: Any) -> Callable[[F], F]:
    """Declare a route with what it needs (the authorization test walks these)."""
    needs(method, "/api/v1" + path, need)
    decorator: Callable[[F], F] = getattr(router, method.lower())(path, **options)
    return decorator


def _cached_json(
    request: Request, view: ProgramView, what: str, make: Callable[[], dict[str, Any]]
) -> Response:
    """A document of the view encoded once while the view is cached (a 1,000-task
    assessment is 200 KB: encoding it cost more than the rest of a request), as FastAPI
    would encode it."""
    body = state(request).programs.derived(
        view,
        ("json", what),
        lambda: json.dumps(
            make(), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8"),
    )
    return Response(body, media_type="application/json")


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2000)


class ProgressIn(_Input):
    task: str = Field(min_length=1, max_length=200)
    status_date: dt.date
    percent_complete: float | None = Field(default=None, ge=0, le=100)
    remaining_days: float | None = Field(default=None, ge=0, le=2600)
    actual_start: dt.date | None = None
    actual_finish: dt.date | None = None
    note: str = ""


class ProgressBatch(_Input):
    facts: list[ProgressIn] = Field(min_length=1, max_length=10_000)


class EditIn(_Input):
    base_revision: int = Field(ge=1, le=2**31 - 1, description="The revision the edit was made on.")
    message: str = Field(default="", max_length=500)
    fields: dict[str, str] = Field(
        min_length=1,
        max_length=4,
        description="Field -> value: title, estimate, assignee (tasks); "
        "title, probability, impact, status (risks).",
    )


class BaselineIn(_Input):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    replace: bool = False


class SignOffIn(_Input):
    role: str = Field(
        min_length=1, max_length=100, description="One of the roles the release lists."
    )
    decision: Literal["go", "no-go"] = "go"
    note: str = Field(default="", max_length=2000)


class SignOffOut(BaseModel):
    """A sign-off as recorded (the signer is the caller; the revision is the latest)."""

    release: str
    role: str
    name: str
    decision: Literal["go", "no-go"]
    signed_at: str = Field(description="When (UTC, ISO 8601), as `ontrack release sign` prints it.")
    revision: int | None
    note: str


def _view(
    request: Request, program: str, as_of: dt.date | None, baseline: str | None
) -> ProgramView:
    from ontrack.checks.limits import HORIZON_TEXT, in_horizon  # noqa: PLC0415

    if as_of is not None and not in_horizon(as_of):  # as `--as-of` refuses it (no engine can)
        raise HTTPException(422, f"as_of: {as_of} is outside {HORIZON_TEXT}")
    try:
        return state(request).programs.view(program, as_of=as_of, baseline=baseline)
    except Unschedulable as exc:
        raise HTTPException(
            422, {"message": str(exc), "diagnostics": [d.to_json() for d in exc.diagnostics]}
        ) from None


# -- reading -------------------------------------------------------------------------------------


@_route("GET", "/programs", "login")
def programs(request: Request, who: Who) -> dict[str, Any]:
    """The programs the caller may see, with their latest revision."""
    shared = state(request)
    out = []
    for name in shared.programs.names():
        if who.role(name) is None:
            continue
        latest = shared.workspace.resolve(name, None)
        out.append({"program": name, "role": who.role(name), "revision": latest})
    return {"programs": out}


@_route("GET", "/programs/{program}", "viewer")
def program(request: Request, program: ProgramName, as_of: AsOf = None) -> dict[str, Any]:
    """The program's RAG, next milestones and budget: the portfolio's row."""
    view = _view(request, program, as_of, None)
    data = view.assessment.to_json()
    return {
        "program": program,
        "revision": view.revision.number,
        "baseline": view.baseline,
        "rag": data["rag"],
        "finish": data["finish"],
        "milestones": data["milestones"],
        "budget": data["budget"],
    }


@_route("GET", "/programs/{program}/assessment", "viewer", response_model=dict[str, Any])
def assessment(
    request: Request, program: ProgramName, as_of: AsOf = None, baseline: Baseline = None
) -> Response:
    """`ontrack assess --progress --baseline B --format json`."""
    view = _view(request, program, as_of, baseline)
    return _cached_json(request, view, "assessment", view.assessment.to_json)


@_route("GET", "/programs/{program}/schedule", "viewer")
def schedule(
    request: Request, program: ProgramName, as_of: AsOf = None, baseline: Baseline = None
) -> dict[str, Any]:
    """The assessment's levelled schedule, as `ontrack schedule --format json` prints one."""
    from ontrack.app.views import schedule_json  # noqa: PLC0415

    return schedule_json(_view(request, program, as_of, baseline).assessment)


@_route("GET", "/programs/{program}/forecast", "viewer", response_model=dict[str, Any])
def forecast(
    request: Request, program: ProgramName, as_of: AsOf = None, baseline: Baseline = None
) -> Response:
    """`ontrack forecast --progress --format json`."""
    from ontrack.app.views import forecast_json  # noqa: PLC0415

    view = _view(request, program, as_of, baseline)
    return _cached_json(request, view, "forecast", lambda: forecast_json(view.assessment))


@_route("GET", "/programs/{program}/risks", "viewer")
def risks(
    request: Request,
    program: ProgramName,
    as_of: AsOf = None,
    baseline: Baseline = None,
    min_severity: Literal["low", "medium", "high", "critical"] = "low",
) -> dict[str, Any]:
    """`ontrack risks --progress --format json`."""
    from ontrack.app.views import risks_json  # noqa: PLC0415

    return risks_json(_view(request, program, as_of, baseline).assessment, min_severity)


@_route("GET", "/programs/{program}/findings", "viewer")
def findings(
    request: Request, program: ProgramName, as_of: AsOf = None, baseline: Baseline = None
) -> dict[str, Any]:
    """The detected findings alone (the `findings` of the assessment)."""
    view = _view(request, program, as_of, baseline)
    return {"program": program, "findings": view.assessment.to_json()["findings"]}


@_route("GET", "/programs/{program}/audit", "viewer")
def audit(
    request: Request, program: ProgramName, as_of: AsOf = None, baseline: Baseline = None
) -> dict[str, Any]:
    """The DCMA-14 checks of the assessment's schedule (`ontrack audit --format json`)."""
    from ontrack.app.views import audit_json  # noqa: PLC0415

    return audit_json(_view(request, program, as_of, baseline).assessment)


@_route("GET", "/programs/{program}/status", "viewer")
def status_report(
    request: Request,
    program: ProgramName,
    audience: Literal["exec", "team"] = "exec",
    format: Literal["markdown", "html"] = "markdown",
    as_of: AsOf = None,
) -> Response:
    """The weekly status report (`ontrack status`), Markdown or e-mail-ready HTML."""
    shared = state(request)
    text = shared.programs.status_report(_view(request, program, as_of, None), audience, format)
    media = "text/html" if format == "html" else "text/markdown"
    return PlainTextResponse(text, media_type=media + "; charset=utf-8")


@_route("GET", "/programs/{program}/releases", "viewer")
def releases(
    request: Request, program: ProgramName, as_of: AsOf = None, baseline: Baseline = None
) -> dict[str, Any]:
    """Every release's readiness: its gates with their evidence, the go/no-go recommendation
    and the sign-offs (the `releases` of `ontrack assess --progress --format json`)."""
    view = _view(request, program, as_of, baseline)
    return {
        "program": program,
        "revision": view.revision.number,
        "releases": [r.to_json() for r in view.assessment.releases],
    }


@_route("GET", "/programs/{program}/releases/{release}", "viewer")
def release(
    request: Request,
    program: ProgramName,
    release: Annotated[str, Field(max_length=200)],
    as_of: AsOf = None,
    baseline: Baseline = None,
) -> dict[str, Any]:
    """One release's readiness (`ontrack release status RELEASE --format json`)."""
    view = _view(request, program, as_of, baseline)
    found = view.assessment.release(release)
    if found is None:
        raise HTTPException(404, f"no release '{release}' in revision {view.revision.number}")
    data: dict[str, Any] = found.to_json()
    return data


@_route("GET", "/programs/{program}/revisions", "viewer")
def revisions(request: Request, program: ProgramName) -> dict[str, Any]:
    """`ontrack log --format json`."""
    entries = state(request).workspace.log(program)
    return {
        "program": program,
        "revisions": [e.revision.to_json() | {"baselines": list(e.baselines)} for e in entries],
    }


@_route("GET", "/programs/{program}/revisions/{number}", "viewer")
def revision(
    request: Request, program: ProgramName, number: Annotated[int, Field(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    """One revision: its files and the YAML diff from the one before."""
    shared = state(request)
    n = shared.workspace.resolve(program, number)
    info = next(r for r in shared.workspace.revisions(program) if r.number == n)
    diff, _ = shared.programs.revision_diff(program, n)
    files = shared.workspace.files(program, n)
    return info.to_json() | {
        "files": [{"path": p, "content": c} for p, c in files],
        "diff": diff,
    }


@_route("GET", "/programs/{program}/baselines", "viewer")
def baselines(request: Request, program: ProgramName) -> dict[str, Any]:
    """`ontrack baseline list --format json`."""
    found = state(request).workspace.baselines(program)
    return {"program": program, "baselines": [b.to_json() for b in found]}


@_route("GET", "/programs/{program}/progress", "viewer")
def progress_history(request: Request, program: ProgramName) -> dict[str, Any]:
    """`ontrack progress history --format json`."""
    entries = state(request).workspace.progress_history(program)
    return {"program": program, "progress": [e.to_json() for e in entries]}


@_route("GET", "/programs/{program}/activity", "viewer")
def activity(
    request: Request,
    program: ProgramName,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> dict[str, Any]:
    """The append-only audit log: who changed what, newest first."""
    events = state(request).accounts.events(program, limit=limit, before=before)
    return {"program": program, "events": [_event(e) for e in events]}


def _event(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at.isoformat(timespec="seconds"),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "detail": dict(e.detail),
    }


@_route("GET", "/jobs/{job_id}", "login")
def job(request: Request, job_id: Annotated[str, Field(max_length=64)]) -> dict[str, Any]:
    """A background job's progress (a sync or an assessment)."""
    found = state(request).programs.jobs.get(job_id)
    who: Actor = request.state.actor
    if found is not None and (found.program is None or who.role(found.program) is None):
        found = None  # a job of a program the caller may not see does not exist for them
    if found is None:
        raise HTTPException(404, "no such job (finished jobs are kept ten minutes)")
    data = found.to_json()
    if found.state == "failed":
        data["error"] = str(found.error)
    return data


# -- changing ------------------------------------------------------------------------------------


@_route("POST", "/programs/{program}/progress", "editor")
def record_progress(
    request: Request, program: ProgramName, body: ProgressBatch, who: Who
) -> dict[str, Any]:
    """Record progress facts (all or none), as `ontrack progress` does."""
    shared = state(request)
    plan = shared.workspace.latest_plan(program)
    facts = []
    for i, f in enumerate(body.facts):
        if f.task not in plan.task_by_id:
            raise HTTPException(422, f"facts[{i}]: no task '{f.task}' in the latest revision")
        if f.status_date > shared.programs.today():
            raise HTTPException(422, f"facts[{i}]: the status date is in the future")
        try:
            facts.append(
                progress_fact(
                    f.task,
                    f.status_date,
                    percent="" if f.percent_complete is None else str(f.percent_complete),
                    remaining="" if f.remaining_days is None else str(f.remaining_days),
                    actual_start=f.actual_start,
                    actual_finish=f.actual_finish,
                    note=f.note,
                    source=f"web:{who.name}",
                )
            )
        except EditRefused as exc:
            raise HTTPException(422, f"facts[{i}]: {exc}") from None
    added, replaced = shared.programs.record_progress(program, facts)
    shared.accounts.record_event(
        program,
        who.name,
        "progress",
        ", ".join(sorted({f.task_id for f in facts}))[:500],
        {"added": added, "replaced": replaced},
    )
    return {"program": program, "added": added, "replaced": replaced, "facts": len(facts)}


def _edit(
    request: Request, program: str, kind: str, ident: str, body: EditIn, who: Actor
) -> Response:
    from ontrack.app.programs import RISK_FIELDS, TASK_FIELDS, render_value  # noqa: PLC0415

    allowed = TASK_FIELDS if kind == "task" else RISK_FIELDS
    try:
        edits = []
        for name, value in body.fields.items():
            if name not in allowed:
                raise EditRefused(f"'{name}' cannot be edited here (only {', '.join(allowed)})")
            edits.append(FieldEdit(kind, ident, name, render_value(kind, name, value)))
        shared = state(request)
        result = shared.programs.edit(
            program,
            body.base_revision,
            edits,
            author=who.name,
            message=body.message or f"edit {kind} {ident}",
        )
    except EditRefused as exc:
        raise HTTPException(
            422, {"message": str(exc), "diagnostics": [d.to_json() for d in exc.diagnostics]}
        ) from None
    if isinstance(result, Conflict):
        return JSONResponse(
            {
                "detail": f"revision {result.base} is not the latest ({result.latest}): "
                "nothing was changed; redo the edit on the latest revision",
                "base": result.base,
                "latest": result.latest,
                "changes": list(result.changes),
                "diff": result.diff,
            },
            status_code=409,
        )
    shared.accounts.record_event(
        program,
        who.name,
        f"edit-{kind}",
        ident,
        {"revision": result.revision.number, "changes": list(result.done)},
    )
    return JSONResponse(
        result.revision.to_json()
        | {"program": program, "done": list(result.done), "diff": result.diff}
    )


@_route("PATCH", "/programs/{program}/tasks/{task}", "editor")
def edit_task(
    request: Request,
    program: ProgramName,
    task: Annotated[str, Field(max_length=200)],
    body: EditIn,
    who: Who,
) -> Response:
    """Edit a task: a new revision, or 409 with the changes when `base_revision` is stale."""
    return _edit(request, program, "task", task, body, who)


@_route("PATCH", "/programs/{program}/risks/{risk}", "editor")
def edit_risk(
    request: Request,
    program: ProgramName,
    risk: Annotated[str, Field(max_length=200)],
    body: EditIn,
    who: Who,
) -> Response:
    """Edit a risk: a new revision, or 409 with the changes when `base_revision` is stale."""
    return _edit(request, program, "risk", risk, body, who)


@_route("POST", "/programs/{program}/baselines", "admin")
def set_baseline(
    request: Request, program: ProgramName, body: BaselineIn, who: Who
) -> dict[str, Any]:
    """Freeze the latest revision and its schedule as a baseline (`ontrack baseline set`)."""
    shared = state(request)
    from ontrack.app.workspace import StoreError  # noqa: PLC0415

    try:
        info = shared.programs.set_baseline(program, body.name, replace_it=body.replace)
    except EditRefused as exc:
        raise HTTPException(422, str(exc)) from None
    except StoreError as exc:
        if exc.code != "E513":
            raise
        raise HTTPException(
            409, {"code": exc.code, "message": str(exc), "hint": exc.hint}
        ) from None
    shared.accounts.record_event(
        program, who.name, "baseline", body.name, {"revision": info.revision}
    )
    return info.to_json()


@_route(
    "POST",
    "/programs/{program}/releases/{release}/signoffs",
    "editor",
    status_code=201,
    response_model=SignOffOut,
)
def sign_release(
    request: Request,
    program: ProgramName,
    release: Annotated[str, Field(max_length=200)],
    body: SignOffIn,
    who: Who,
) -> SignOffOut:
    """Sign a release off, go or no-go, in one of the roles it lists (`ontrack release sign`),
    as the caller, on the latest revision. Sign-offs are append-only."""
    shared = state(request)
    try:
        signed = shared.programs.sign_release(
            program,
            release,
            role=body.role,
            decision=body.decision,
            name=who.display,
            note=body.note,
        )
    except UnknownRelease as exc:
        raise HTTPException(404, str(exc)) from None
    except EditRefused as exc:
        raise HTTPException(
            422, {"message": str(exc), "diagnostics": [d.to_json() for d in exc.diagnostics]}
        ) from None
    shared.accounts.record_event(
        program,
        who.name,
        "sign-off",
        release,
        {"role": signed.role, "decision": signed.decision, "revision": signed.revision},
    )
    return SignOffOut(**signed.to_json())


@_route("POST", "/programs/{program}/sync", "editor")
def sync(request: Request, program: ProgramName, who: Who) -> JSONResponse:
    """Sync the program's trackers in the background (`ontrack sync`); poll the job."""
    shared = state(request)
    try:
        started = shared.programs.start_sync(program, author=f"web:{who.name}")
    except EditRefused as exc:
        raise HTTPException(422, str(exc)) from None
    shared.accounts.record_event(program, who.name, "sync", f"job {started.id}")
    return JSONResponse(started.to_json() | {"url": f"/api/v1/jobs/{started.id}"}, status_code=202)
