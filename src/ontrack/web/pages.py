"""The server-rendered pages: portfolio, program dashboard, task / person / milestone / risk
pages, revisions with diffs, baselines, the status report, what-if, and the forms that act.
Every figure comes from the program assessment (``ontrack.app.programs``), as in the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ontrack.app.programs import (
    RISK_FIELDS,
    TASK_FIELDS,
    Conflict,
    Edited,
    EditRefused,
    ProgramView,
    UnknownRelease,
    Unschedulable,
    progress_fact,
    render_value,
)
from ontrack.planfile.edit import FieldEdit
from ontrack.web.auth import COOKIE, Actor, Need, needs
from ontrack.web.context import Settings, set_session_cookie, state
from ontrack.web.deps import authorize
from ontrack.web.render import page

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)
Who = Annotated[Actor, Depends(authorize)]


F = TypeVar("F", bound=Callable[..., Any])


def _route(method: str, path: str, need: Need) -> Callable[[F], F]:
    """Declare a route with what it needs (the authorization test walks these)."""
    needs(method, path, need)
    decorator: Callable[[F], F] = getattr(router, method.lower())(path, response_class=HTMLResponse)
    return decorator


def _html(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    actor: Actor = request.state.actor
    return HTMLResponse(
        page(
            template,
            request=request,
            actor=actor,
            csrf=actor.csrf,
            single_user=request.state.single_user,
            **context,
        ),
        status_code=status,
    )


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _view_or_wait(request: Request, program: str) -> ProgramView | HTMLResponse:
    """The cached assessment, or a page that shows the computation's progress and reloads
    when it is done (a big program's forecast takes seconds)."""
    programs = state(request).programs
    view = programs.cached(program)
    if view is not None:
        return view
    job = programs.start(program)
    try:
        done: ProgramView = job.result(timeout=state(request).settings.wait_page_after)
        return done
    except TimeoutError:
        return _html(request, "wait.html.j2", program=program, job=job.to_json())
    except Unschedulable as exc:
        return _html(
            request, "unschedulable.html.j2", 422, program=program, diagnostics=exc.diagnostics
        )


# -- log in and out ----------------------------------------------------------------------------


@_route("GET", "/login", "public")
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _html(request, "login.html.j2", next=_local(next), error=None)


@_route("POST", "/login", "public")
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    from ontrack.app.accounts import AccountError  # noqa: PLC0415

    shared = state(request)
    try:
        user = shared.accounts.verify_login(name, password)
    except AccountError as exc:
        return _html(request, "login.html.j2", 429, next=_local(next), error=exc.message)
    if user is None:
        # The name as typed only when it could be a user's (a password typed into the name
        # field must not land in the log).
        shared.accounts.record_event(
            None, name if _could_be_a_name(name) else "(not a user name)", "login-failed"
        )
        return _html(
            request, "login.html.j2", 401, next=_local(next), error="wrong name or password"
        )
    old = request.cookies.get(COOKIE)
    if old:
        shared.accounts.end_session(old)  # a new session id at login: no session fixation
    settings: Settings = shared.settings
    secret, _ = shared.accounts.create_session(user, ttl=dt.timedelta(hours=settings.session_hours))
    shared.accounts.record_event(None, user.name, "login")
    response = _see_other(_local(next))
    set_session_cookie(request, response, secret, settings)
    return response


@_route("POST", "/logout", "login")
def logout(request: Request, who: Who) -> Response:
    shared = state(request)
    if who.cookie:
        shared.accounts.end_session(who.cookie)
    response = _see_other("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


def _could_be_a_name(name: str) -> bool:
    from ontrack.app.accounts import AccountError, check_name  # noqa: PLC0415

    try:
        check_name(name)
    except AccountError:
        return False
    return True


def _local(url: str) -> str:
    """Only a path on this site (no open redirect)."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else "/"


# -- looking -----------------------------------------------------------------------------------


@_route("GET", "/", "login")
def portfolio(request: Request, who: Who) -> HTMLResponse:
    shared = state(request)
    names = [n for n in shared.programs.names() if who.role(n) is not None]
    rows = []
    for name in names:
        view = shared.programs.cached(name)
        if view is None:
            shared.programs.start(name)
        rows.append({"name": name, "view": view})
    return _html(request, "portfolio.html.j2", rows=rows)


@_route("GET", "/p/{program}/row", "viewer")
def portfolio_row(request: Request, program: str) -> HTMLResponse:
    """One portfolio row, filled in by htmx when its assessment is ready."""
    view = state(request).programs.cached(program)
    if view is None:
        job = state(request).programs.start(program)
        try:
            view = job.result(timeout=10)
        except (TimeoutError, Unschedulable):
            view = None
    return _html(request, "row.html.j2", row={"name": program, "view": view})


@_route("GET", "/p/{program}", "viewer")
async def dashboard(request: Request, program: str) -> Response:
    # A page already rendered for this view and this caller is sent from the event loop (one
    # small query says the store is unchanged); anything else is made on a worker thread.
    programs = state(request).programs
    view = programs.cached(program)
    if view is not None:
        page = programs.peek(view, ("dashboard", _whom(request, program)))
        if page is not None:
            return HTMLResponse(page)
    return await run_in_threadpool(_dashboard, request, program)


def _whom(request: Request, program: str) -> tuple[Any, ...]:
    """Everything the dashboard's templates read besides the view: the URL, who is asking
    and their role, their session's CSRF token, single-user mode."""
    actor: Actor = request.state.actor
    user = actor.user
    return (
        str(request.url),
        actor.name,
        None if user is None else (user.name, user.display),
        actor.role(program),
        actor.csrf,
        request.state.single_user,
    )


def _dashboard(request: Request, program: str) -> Response:
    from ontrack.reports.html import report_header, report_sections  # noqa: PLC0415

    found = _view_or_wait(request, program)
    if isinstance(found, HTMLResponse):
        return found
    programs = state(request).programs
    data = found.assessment.report

    # The page is rendered once per view and per caller (``_whom``); a change to the store
    # makes a new view, so it is never served from here. A 1,000-task page takes 50-80 ms to
    # render (bench/web.py).
    def render() -> bytes:
        header, sections = programs.derived(
            found, "report sections", lambda: (report_header(data), report_sections(data))
        )
        response = _html(
            request,
            "dashboard.html.j2",
            program=program,
            view=found,
            header=header,
            sections=sections,
            task_page=TASK_PAGE,
        )
        return bytes(response.body)

    return HTMLResponse(programs.derived(found, ("dashboard", _whom(request, program)), render))


#: Rows of the dashboard's task list sent at once; more come with htmx as asked for (a
#: 5,000-task page held 13,000 nodes for its 2,000-row list: bench/RESULTS.md).
TASK_PAGE = 100


@_route("GET", "/p/{program}/task-rows", "viewer")
def task_rows(
    request: Request, program: str, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0
) -> HTMLResponse:
    """The next rows of the dashboard's task list (an htmx fragment)."""
    found = _view_or_wait(request, program)
    if isinstance(found, HTMLResponse):
        raise HTTPException(409, "the program is being assessed: reload the dashboard")
    tasks = found.assessment.solved.schedule.tasks
    rows = tasks[offset : offset + TASK_PAGE]
    return _html(
        request,
        "task_rows.html.j2",
        program=program,
        rows=rows,
        offset=offset,
        page_size=TASK_PAGE,
        total=len(tasks),
        more=offset + len(rows) < len(tasks),
    )


@_route("GET", "/p/{program}/job/{job_id}", "viewer")
def job_progress(request: Request, program: str, job_id: str) -> Response:
    """The progress bar of a running job (htmx polls it). When an assessment is done the page
    reloads and finds it cached; when a sync is done the dashboard opens."""
    job = state(request).programs.jobs.get(job_id)
    if job is not None and job.program != program:
        job = None  # another program's job: not shown here
    if job is not None and job.state == "failed":
        return _html(
            request, "job_failed.html.j2", program=program, job=job.to_json(), error=str(job.error)
        )
    if job is not None and job.state == "running":
        return _html(request, "progress.html.j2", program=program, job=job.to_json())
    if job is not None and isinstance(job.key, tuple) and job.key[:1] == ("sync",):
        return Response(status_code=200, headers={"HX-Redirect": f"/p/{quote(program)}"})
    return Response(status_code=200, headers={"HX-Refresh": "true"})


@_route("GET", "/p/{program}/jobs/{job_id}", "viewer")
def job_page(request: Request, program: str, job_id: str) -> Response:
    job = state(request).programs.jobs.get(job_id)
    if job is None or job.program != program:
        # Finished and forgotten, or running in another server process (serve --workers):
        # the dashboard shows its result once it is stored.
        return _see_other(f"/p/{quote(program)}")
    return _html(request, "wait.html.j2", program=program, job=job.to_json())


@_route("POST", "/p/{program}/sync", "editor")
def sync(request: Request, program: str, who: Who) -> Response:
    """Sync the program's trackers in the background, showing its progress."""
    shared = state(request)
    try:
        job = shared.programs.start_sync(program, author=f"web:{who.name}")
    except EditRefused as exc:
        raise HTTPException(422, str(exc)) from None
    shared.accounts.record_event(program, who.name, "sync", f"job {job.id}")
    return _see_other(f"/p/{quote(program)}/jobs/{job.id}")


def _task_context(view: ProgramView, task_id: str) -> dict[str, Any]:
    assessed = view.assessment
    plan = assessed.plan
    task = plan.task_by_id.get(task_id)
    if task is None:
        raise HTTPException(404, f"no task '{task_id}' in revision {view.revision.number}")
    scheduled = {t.id: t for t in assessed.solved.schedule.tasks}
    forecasts = {t.id: t for t in assessed.forecast.tasks}
    successors = [t for t in plan.tasks if any(d.task == task_id for d in t.depends)]
    baseline = assessed.tracking.tasks.get(task_id) if assessed.tracking else None
    facts = [f for f in view.tracked.facts if f.task_id == task_id]
    return {
        "task": task,
        "sched": scheduled.get(task_id),
        "fc": forecasts.get(task_id),
        "successors": successors,
        "baseline_task": baseline,
        "facts": facts,
        "people": {p.id: p for p in plan.people},
        "progress": assessed.status.tasks.get(task_id),
    }


def _task_page_context(request: Request, view: ProgramView, task_id: str) -> dict[str, Any]:
    context = _task_context(view, task_id)
    context["values"] = _task_values(request, view, task_id)
    context["today"] = state(request).programs.today()
    return context


@_route("GET", "/p/{program}/tasks/{task_id}", "viewer")
def task_page(request: Request, program: str, task_id: str) -> HTMLResponse:
    found = _view_or_wait(request, program)
    if isinstance(found, HTMLResponse):
        return found
    return _html(
        request,
        "task.html.j2",
        program=program,
        view=found,
        error=None,
        diagnostics=(),
        **_task_page_context(request, found, task_id),
    )


@_route("GET", "/p/{program}/people/{person_id}", "viewer")
def person_page(request: Request, program: str, person_id: str) -> HTMLResponse:
    found = _view_or_wait(request, program)
    if isinstance(found, HTMLResponse):
        return found
    plan = found.assessment.plan
    person = next((p for p in plan.people if p.id == person_id), None)
    if person is None:
        raise HTTPException(404, f"no person '{person_id}'")
    schedule = found.assessment.solved.schedule
    tasks = [t for t in schedule.tasks if person_id in t.assignees]
    load = next((p for p in schedule.people if p.id == person_id), None)
    return _html(
        request,
        "person.html.j2",
        program=program,
        view=found,
        person=person,
        tasks=tasks,
        load=load,
    )


@_route("GET", "/p/{program}/milestones/{milestone_id}", "viewer")
def milestone_page(request: Request, program: str, milestone_id: str) -> HTMLResponse:
    found = _view_or_wait(request, program)
    if isinstance(found, HTMLResponse):
        return found
    assessed = found.assessment
    row = next((m for m in assessed.report.milestones if m.id == milestone_id), None)
    if row is None:
        raise HTTPException(404, f"no milestone '{milestone_id}'")
    item = next((m for m in assessed.forecast.milestones if m.id == milestone_id), None)
    upstream = _upstream(assessed.plan, milestone_id)
    scheduled = [t for t in assessed.solved.schedule.tasks if t.id in upstream]
    return _html(
        request,
        "milestone.html.j2",
        program=program,
        view=found,
        row=row,
        item=item,
        state_text=assessed.milestone_state(row),
        tasks=sorted(scheduled, key=lambda t: (t.finish, t.id)),
    )


def _upstream(plan: Any, start: str) -> set[str]:
    """The tasks a milestone waits for: its predecessors and their children, transitively."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        current = plan.task_by_id.get(todo.pop())
        if current is None:
            continue
        for ident in (*(d.task for d in current.depends), *current.children):
            if ident not in seen:
                seen.add(ident)
                todo.append(ident)
    return seen


def _release_context(view: ProgramView, release: str) -> dict[str, Any]:
    from ontrack.reports.gonogo import gate_rows  # noqa: PLC0415

    found = view.assessment.release(release)
    if found is None:
        raise HTTPException(404, f"no release '{release}' in revision {view.revision.number}")
    return {
        "r": found,
        "gates": gate_rows(found.gates),
        "latest": {s.role: s for s in found.signoffs},
    }


def _release_page(
    request: Request, program: str, view: ProgramView, release: str, **extra: Any
) -> HTMLResponse:
    status = extra.pop("status", 200)
    context: dict[str, Any] = {"error": None, "diagnostics": (), "sent": {}} | extra
    return _html(
        request,
        "release.html.j2",
        status,
        program=program,
        view=view,
        **_release_context(view, release),
        **context,
    )


@_route("GET", "/p/{program}/releases/{release}", "viewer")
def release_page(request: Request, program: str, release: str) -> HTMLResponse:
    """A release's readiness: the recommendation, its dates, each gate with its evidence, the
    sign-offs, the go/no-go document to download and (for an editor) the sign-off form."""
    found = _view_or_wait(request, program)
    if isinstance(found, HTMLResponse):
        return found
    return _release_page(request, program, found, release)


def _gonogo(request: Request, program: str, release: str, fmt: Literal["md", "html"]) -> Response:
    from ontrack.reports.gonogo import Meeting, gonogo_html, gonogo_markdown  # noqa: PLC0415

    view = state(request).programs.view(program)
    found = view.assessment.release(release)
    if found is None:
        raise HTTPException(404, f"no release '{release}' in revision {view.revision.number}")
    meeting = Meeting(
        program=program,
        generated=dt.datetime.now(dt.UTC),
        revision=view.revision.number,
        statement=view.assessment.as_of.statement,
    )
    name = f"go-no-go-{quote(release, safe='')}.{fmt}"
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    if fmt == "html":
        return HTMLResponse(gonogo_html(found, meeting), headers=headers)
    return PlainTextResponse(
        gonogo_markdown(found, meeting),
        media_type="text/markdown; charset=utf-8",
        headers=headers,
    )


@_route("GET", "/p/{program}/releases/{release}/go-no-go.md", "viewer")
def gonogo_markdown_page(request: Request, program: str, release: str) -> Response:
    """The go/no-go document as Markdown (`ontrack release go-no-go`), for the meeting's notes."""
    return _gonogo(request, program, release, "md")


@_route("GET", "/p/{program}/releases/{release}/go-no-go.html", "viewer")
def gonogo_html_page(request: Request, program: str, release: str) -> Response:
    """The go/no-go document as a self-contained HTML page (`ontrack release go-no-go -f html`)."""
    return _gonogo(request, program, release, "html")


@_route("GET", "/p/{program}/risks/{risk_id}", "viewer")
def risk_page(request: Request, program: str, risk_id: str) -> HTMLResponse:
    found = _view_or_wait(request, program)
    if isinstance(found, HTMLResponse):
        return found
    scored = next(
        (s for s in found.assessment.risks.ranked_register() if s.risk.id == risk_id), None
    )
    if scored is None:
        raise HTTPException(404, f"no risk '{risk_id}'")
    findings = [
        f for f in found.assessment.risks.findings if risk_id in f.to_json().get("subjects", [])
    ]
    return _html(
        request,
        "risk.html.j2",
        program=program,
        view=found,
        scored=scored,
        findings=findings,
        error=None,
    )


@_route("GET", "/p/{program}/revisions", "viewer")
def revisions_page(request: Request, program: str) -> HTMLResponse:
    entries = state(request).workspace.log(program)
    return _html(request, "revisions.html.j2", program=program, entries=entries)


@_route("GET", "/p/{program}/revisions/{number}", "viewer")
def revision_page(request: Request, program: str, number: int) -> HTMLResponse:
    shared = state(request)
    n = shared.workspace.resolve(program, number)
    info = next(r for r in shared.workspace.revisions(program) if r.number == n)
    diff, changes = shared.programs.revision_diff(program, n)
    return _html(
        request,
        "revision.html.j2",
        program=program,
        info=info,
        diff=diff,
        changes=None if changes is None else changes.to_json(),
    )


@_route("GET", "/p/{program}/revisions/{number}/diff", "viewer")
def revision_diff(request: Request, program: str, number: int) -> Response:
    """The YAML diff to commit to the plan's git repository (`git apply` takes it)."""
    diff, _ = state(request).programs.revision_diff(program, number)
    return PlainTextResponse(
        diff,
        media_type="text/x-diff; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="revision-{number}.diff"'},
    )


@_route("GET", "/p/{program}/baselines", "viewer")
def baselines_page(request: Request, program: str) -> HTMLResponse:
    found = state(request).workspace.baselines(program)
    return _html(request, "baselines.html.j2", program=program, baselines=found, error=None)


@_route("GET", "/p/{program}/status", "viewer")
def status_page(
    request: Request, program: str, audience: Literal["exec", "team"] = "exec"
) -> HTMLResponse:
    found = _view_or_wait(request, program)
    if isinstance(found, HTMLResponse):
        return found
    programs = state(request).programs
    markdown = programs.status_report(found, audience, "markdown")
    return _html(
        request,
        "status.html.j2",
        program=program,
        view=found,
        audience=audience,
        markdown=markdown,
    )


@_route("GET", "/p/{program}/status.html", "viewer")
def status_email(
    request: Request, program: str, audience: Literal["exec", "team"] = "exec"
) -> Response:
    """The e-mail-ready HTML status report, as `ontrack status -f html` writes it."""
    view = state(request).programs.view(program)
    return HTMLResponse(state(request).programs.status_report(view, audience, "html"))


@_route("GET", "/p/{program}/activity", "viewer")
def activity_page(request: Request, program: str) -> HTMLResponse:
    events = state(request).accounts.events(program, limit=200)
    return _html(request, "activity.html.j2", program=program, events=events)


@_route("GET", "/p/{program}/what-if", "viewer")
def what_if_page(request: Request, program: str) -> HTMLResponse:
    found = _view_or_wait(request, program)
    if isinstance(found, HTMLResponse):
        return found
    return _html(request, "whatif.html.j2", program=program, view=found, result=None, error=None)


# -- acting ------------------------------------------------------------------------------------


def _task_edits(task_id: str, fields: dict[str, str]) -> list[FieldEdit]:
    return [
        FieldEdit("task", task_id, name, render_value("task", name, value))
        for name, value in fields.items()
        if name in TASK_FIELDS
    ]


def _changed(current: dict[str, str], sent: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in sent.items() if v.strip() != current.get(k, "").strip()}


def _task_values(request: Request, view: ProgramView, task_id: str) -> dict[str, str]:
    """The task's editable fields as the form shows them (the estimate as written)."""
    from ontrack.planfile.edit import written_text  # noqa: PLC0415

    task = view.assessment.plan.task_by_id[task_id]
    files = state(request).workspace.files(view.program, view.revision.number)
    return {
        "title": task.title,
        "estimate": written_text(files, task.locs.get("estimate")) or "",
        "assignee": ", ".join(task.assignees),
    }


def _edited(
    request: Request,
    who: Actor,
    result: Edited | Conflict,
    kind: str,
    ident: str,
    page: str,
    sent: dict[str, str],
) -> Response:
    """After an edit: the refusal with what changed since (409), or the new revision logged
    and its page opened."""
    if isinstance(result, Conflict):
        return _html(
            request,
            "conflict.html.j2",
            409,
            program=result.program,
            conflict=result,
            back=page,
            sent=sent,
        )
    state(request).accounts.record_event(
        result.program,
        who.name,
        f"edit-{kind}",
        ident,
        {"revision": result.revision.number, "changes": list(result.done)},
    )
    return _see_other(f"{page}?revision={result.revision.number}")


@_route("POST", "/p/{program}/tasks/{task_id}/progress", "editor")
def record_progress(
    request: Request,
    program: str,
    task_id: str,
    who: Who,
    status_date: Annotated[dt.date, Form()],
    percent: Annotated[str, Form(max_length=20)] = "",
    remaining: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    shared = state(request)
    view = shared.programs.view(program)
    if task_id not in view.assessment.plan.task_by_id:
        raise HTTPException(404, f"no task '{task_id}'")
    try:
        if status_date > shared.programs.today():
            raise EditRefused("the status date is in the future")
        fact = progress_fact(
            task_id,
            status_date,
            percent=percent,
            remaining=remaining,
            note=note,
            source=f"web:{who.name}",
        )
    except EditRefused as exc:
        return _html(
            request,
            "task.html.j2",
            422,
            program=program,
            view=view,
            error=str(exc),
            diagnostics=(),
            **_task_page_context(request, view, task_id),
        )
    shared.programs.record_progress(program, [fact])
    shared.accounts.record_event(
        program,
        who.name,
        "progress",
        task_id,
        {"status_date": status_date.isoformat(), "percent": percent, "remaining": remaining},
    )
    return _see_other(f"/p/{program}/tasks/{task_id}?recorded=1")


@_route("POST", "/p/{program}/tasks/{task_id}/edit", "editor")
def edit_task(
    request: Request,
    program: str,
    task_id: str,
    who: Who,
    base_revision: Annotated[int, Form(ge=1, le=2**31 - 1)],
    title: Annotated[str, Form(max_length=200)] = "",
    estimate: Annotated[str, Form(max_length=50)] = "",
    assignee: Annotated[str, Form(max_length=500)] = "",
    message: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    shared = state(request)
    sent = {"title": title, "estimate": estimate, "assignee": assignee}
    view = shared.programs.view(program)
    try:
        if task_id not in view.assessment.plan.task_by_id:
            raise HTTPException(404, f"no task '{task_id}'")
        current = _task_values(request, view, task_id)
        edits = _task_edits(task_id, {k: v for k, v in _changed(current, sent).items() if v})
        if not edits:
            return _see_other(f"/p/{program}/tasks/{task_id}")
        result = shared.programs.edit(
            program,
            base_revision,
            edits,
            author=who.name,
            message=message or f"edit task {task_id} from the web",
        )
    except EditRefused as exc:
        return _html(
            request,
            "task.html.j2",
            422,
            program=program,
            view=view,
            error=str(exc),
            diagnostics=exc.diagnostics,
            **_task_page_context(request, view, task_id),
        )
    page = f"/p/{program}/tasks/{task_id}"
    return _edited(request, who, result, "task", task_id, page, _changed(current, sent))


@_route("POST", "/p/{program}/risks/{risk_id}/edit", "editor")
def edit_risk(
    request: Request,
    program: str,
    risk_id: str,
    who: Who,
    base_revision: Annotated[int, Form(ge=1, le=2**31 - 1)],
    probability: Annotated[str, Form(max_length=20)] = "",
    impact: Annotated[str, Form(max_length=50)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    message: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    shared = state(request)
    view = shared.programs.view(program)
    risk = next((r for r in view.assessment.plan.risks if r.id == risk_id), None)
    if risk is None:
        raise HTTPException(404, f"no risk '{risk_id}'")
    current = {
        "probability": f"{float(risk.probability) * 100:g}%",
        "status": risk.status.value,
        "impact": "",
    }
    sent = {"probability": probability, "impact": impact, "status": status}
    try:
        edits = [
            FieldEdit("risk", risk_id, k, render_value("risk", k, v))
            for k, v in _changed(current, sent).items()
            if v and k in RISK_FIELDS
        ]
        if not edits:
            return _see_other(f"/p/{program}/risks/{risk_id}")
        result = shared.programs.edit(
            program,
            base_revision,
            edits,
            author=who.name,
            message=message or f"edit risk {risk_id} from the web",
        )
    except EditRefused as exc:
        scored = next(s for s in view.assessment.risks.ranked_register() if s.risk.id == risk_id)
        return _html(
            request,
            "risk.html.j2",
            422,
            program=program,
            view=view,
            scored=scored,
            findings=[],
            error=str(exc),
        )
    page = f"/p/{program}/risks/{risk_id}"
    return _edited(request, who, result, "risk", risk_id, page, _changed(current, sent))


@_route("POST", "/p/{program}/releases/{release}/signoffs", "editor")
def sign_release(
    request: Request,
    program: str,
    release: str,
    who: Who,
    role: Annotated[str, Form(max_length=100)] = "",
    decision: Annotated[str, Form(max_length=10)] = "go",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Sign the release off as the logged-in user (their display name), in one of its roles."""
    shared = state(request)
    try:
        signed = shared.programs.sign_release(
            program, release, role=role, decision=decision, name=who.display, note=note
        )
    except UnknownRelease as exc:
        raise HTTPException(404, str(exc)) from None
    except EditRefused as exc:
        return _release_page(
            request,
            program,
            shared.programs.view(program),
            release,
            status=422,
            error=str(exc),
            diagnostics=exc.diagnostics,
            sent={"role": role, "decision": decision, "note": note},
        )
    shared.accounts.record_event(
        program,
        who.name,
        "sign-off",
        release,
        {"role": signed.role, "decision": signed.decision, "revision": signed.revision},
    )
    page = f"/p/{quote(program, safe='')}/releases/{quote(release, safe='')}"
    return _see_other(f"{page}?signed={quote(signed.role, safe='')}")


@_route("POST", "/p/{program}/baselines", "admin")
def set_baseline(
    request: Request,
    program: str,
    who: Who,
    name: Annotated[
        str, Form(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    ],
    replace: Annotated[bool, Form()] = False,
) -> Response:
    from ontrack.app.workspace import StoreError  # noqa: PLC0415

    shared = state(request)
    try:
        info = shared.programs.set_baseline(program, name, replace_it=replace)
    except (EditRefused, StoreError) as exc:
        return _html(
            request,
            "baselines.html.j2",
            422,
            program=program,
            baselines=shared.workspace.baselines(program),
            error=str(exc),
        )
    shared.accounts.record_event(program, who.name, "baseline", name, {"revision": info.revision})
    return _see_other(f"/p/{program}/baselines")


@_route("POST", "/p/{program}/progress.csv", "editor")
async def upload_progress(request: Request, program: str, who: Who, file: UploadFile) -> Response:
    shared = state(request)
    data = await file.read(5_000_001)
    if len(data) > 5_000_000:
        raise HTTPException(413, "a progress file of at most 5 MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(422, "the file is not UTF-8 text") from None
    added, replaced, diagnostics = shared.programs.record_progress_csv(program, text)
    if diagnostics:
        return _html(
            request,
            "uploaded.html.j2",
            422,
            program=program,
            diagnostics=diagnostics,
            added=0,
            replaced=0,
        )
    shared.accounts.record_event(
        program,
        who.name,
        "progress-file",
        (file.filename or "")[:200],
        {"added": added, "replaced": replaced},
    )
    return _html(
        request,
        "uploaded.html.j2",
        program=program,
        diagnostics=(),
        added=added,
        replaced=replaced,
    )


@_route("POST", "/p/{program}/what-if", "viewer")
async def what_if(request: Request, program: str) -> HTMLResponse:
    """Dates with changed estimates or people, saved nowhere (htmx swaps the result in)."""
    form = await request.form()
    shared = state(request)
    edits: list[FieldEdit] = []
    try:
        view = shared.programs.view(program)
        for key, value in form.multi_items():
            if not isinstance(value, str) or not value.strip() or "." not in key:
                continue
            task_id, field = key.split(".", 1)
            if field in ("estimate", "assignee") and task_id in view.assessment.plan.task_by_id:
                edits.append(FieldEdit("task", task_id, field, render_value("task", field, value)))
        if not edits:
            raise EditRefused("change an estimate or an assignee first")
        result = shared.programs.what_if(program, edits)
    except EditRefused as exc:
        return _html(
            request,
            "whatif_result.html.j2",
            422,
            program=program,
            result=None,
            error=str(exc),
            diagnostics=exc.diagnostics,
        )
    return _html(
        request, "whatif_result.html.j2", program=program, result=result, error=None, diagnostics=()
    )
