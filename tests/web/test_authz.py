"""The authorization matrix: every route of the app (generated from ``app.routes``) called by
every kind of caller — nobody, a viewer, an editor and an admin of the program, the admin of
another program in the same store, and a superuser — and the answer each must get, derived
from what the route declares it needs (``ROUTE_NEEDS``):

* public: never 401 or 403;
* login: nobody gets 401 (API) or a redirect to /login (pages); any user gets through;
* viewer / editor / admin: nobody as above; the other program's admin 404 (the program's name
  is not confirmed); a role too low 403; a role high enough gets through (its 404s, if any,
  are about a missing record, never about access).

API routes are called with each user's API token and with their browser session; every change
carries the session's CSRF token (or a bearer token), and separately every change made from a
session without the token is refused with 403 and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from ontrack.web.auth import CSRF_HEADER, ROUTE_NEEDS, SAFE_METHODS
from tests.web.conftest import (
    ADMIN,
    EDITOR,
    MILESTONE,
    OTHER_PROGRAM,
    OUTSIDER,
    PERSON,
    PROGRAM,
    RELEASE,
    RISK,
    ROLES,
    SUPERUSER,
    TASK,
    VIEWER,
    Web,
    api,
    bare_app,
    csrf_of,
    program_path,
)

ANONYMOUS = "anonymous"
ACTORS = (ANONYMOUS, VIEWER, EDITOR, ADMIN, OUTSIDER, SUPERUSER)
RANK = {"viewer": 1, "editor": 2, "admin": 3}
Route = tuple[str, str]  # (method, path template)


def routes_of(app: FastAPI) -> list[Route]:
    """The app's routes, reads before changes (so the changes the matrix makes come last)."""
    from fastapi import routing

    # FastAPI 0.16x keeps an included router as one entry of app.routes: walk into it.
    walk = getattr(routing, "iter_route_contexts", None)
    every = [c.original_route for c in walk(app.routes)] if walk else app.routes
    found = [
        (method, route.path)
        for route in every
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    ]
    return sorted(found, key=lambda r: r[0] not in SAFE_METHODS)


with bare_app() as _app:  # the matrix's rows, at collection time
    ROUTES = routes_of(_app)
UNSAFE = [r for r in ROUTES if r[0] not in SAFE_METHODS]


def _id(route: Route) -> str:
    return f"{route[0]} {route[1]}"


def need_of(route: Route) -> str:
    method, path = route
    return ROUTE_NEEDS[("GET" if method == "HEAD" else method, path)]


def expected(route: Route, actor: str) -> str:
    """What ``actor`` must get from ``route``: ok, login, hidden (404) or forbidden (403)."""
    need = need_of(route)
    if need == "public":
        return "ok"
    if actor == ANONYMOUS:
        return "login"
    role = ROLES[actor]
    if route[1] == "/api/v1/jobs/{job_id}":
        # A job belongs to its program: to anyone without a role there it does not exist.
        return "ok" if role is not None else "gone"
    if need == "login" or "{program}" not in route[1]:
        return "ok"
    if role is None:
        return "hidden"
    return "ok" if RANK[role] >= RANK[need] else "forbidden"


# -- requests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def job_id(web: Web) -> str:
    """A job the app started (an assessment of the program), finished by now."""
    job = web.state.programs.start(PROGRAM)
    job.result(timeout=120)
    found: str = job.id
    return found


@pytest.fixture(scope="module")
def anonymous(web: Web) -> Any:
    """A browser that has opened a page (so it has a session and its CSRF token) but has not
    logged in."""
    client = web.new_client()
    csrf_of(client)
    return client


def fill(path: str, job: str) -> str:
    """The path with real ids of the example in its parameters."""
    values = {
        "program": program_path(PROGRAM),
        "task": TASK,
        "task_id": TASK,
        "risk": RISK,
        "risk_id": RISK,
        "person_id": PERSON,
        "milestone_id": MILESTONE,
        "release": RELEASE,
        "number": "1",
        "job_id": job,
        "name": "app.js",  # /static/{name}
    }

    def value(match: re.Match[str]) -> str:
        if match[1] not in values:
            pytest.fail(f"no value for the path parameter {{{match[1]}}}: add one to fill()")
        return values[match[1]]

    return re.sub(r"\{(\w+)\}", value, path)


def _progress_csv() -> bytes:
    return f"task,status_date,percent_complete\n{TASK},2026-02-13,50\n".encode()


#: What a change sends (JSON for the API, form fields for the pages; the CSRF token is added).
BODIES: dict[Route, Callable[[Web], dict[str, Any]]] = {
    ("POST", "/api/v1/programs/{program}/progress"): lambda web: {
        "json": {"facts": [{"task": TASK, "status_date": "2026-02-13", "percent_complete": 50}]}
    },
    ("PATCH", "/api/v1/programs/{program}/tasks/{task}"): lambda web: {
        "json": {"base_revision": web.latest(), "fields": {"title": "Service inventory"}}
    },
    ("PATCH", "/api/v1/programs/{program}/risks/{risk}"): lambda web: {
        "json": {"base_revision": web.latest(), "fields": {"probability": "40%"}}
    },
    ("POST", "/api/v1/programs/{program}/baselines"): lambda web: {
        "json": {"name": "authz", "replace": True}
    },
    ("POST", "/api/v1/programs/{program}/sync"): lambda web: {},
    ("POST", "/api/v1/programs/{program}/releases/{release}/signoffs"): lambda web: {
        "json": {"role": "qa", "decision": "go", "note": "authz"}
    },
    ("POST", "/login"): lambda web: {"data": {"name": VIEWER, "password": "see login()"}},
    ("POST", "/logout"): lambda web: {"data": {}},
    ("POST", "/p/{program}/tasks/{task_id}/progress"): lambda web: {
        "data": {"status_date": "2026-02-13", "percent": "50"}
    },
    ("POST", "/p/{program}/tasks/{task_id}/edit"): lambda web: {
        "data": {"base_revision": str(web.latest()), "title": "Service inventory"}
    },
    ("POST", "/p/{program}/risks/{risk_id}/edit"): lambda web: {
        "data": {"base_revision": str(web.latest()), "probability": "40%"}
    },
    ("POST", "/p/{program}/baselines"): lambda web: {
        "data": {"name": "authz-page", "replace": "true"}
    },
    ("POST", "/p/{program}/progress.csv"): lambda web: {
        "data": {},
        "files": {"file": ("progress.csv", _progress_csv(), "text/csv")},
    },
    ("POST", "/p/{program}/what-if"): lambda web: {"data": {f"{TASK}.estimate": "5d"}},
    ("POST", "/p/{program}/sync"): lambda web: {"data": {}},
    ("POST", "/p/{program}/releases/{release}/signoffs"): lambda web: {
        "data": {"role": "qa", "decision": "go", "note": "authz"}
    },
}


def body_of(route: Route, web: Web) -> dict[str, Any]:
    if route[0] in SAFE_METHODS:
        return {}
    if route not in BODIES:
        pytest.fail(f"{_id(route)} changes something: add what it sends to BODIES")
    return BODIES[route](web)


def with_csrf(kwargs: dict[str, Any], csrf: str | None) -> dict[str, Any]:
    """``kwargs`` with the CSRF token: a form field for a form, else the header htmx sends."""
    if csrf is None:
        return kwargs
    if "data" in kwargs:
        return kwargs | {"data": kwargs["data"] | {"csrf": csrf}}
    return kwargs | {"headers": {CSRF_HEADER: csrf}}


def call(web: Web, route: Route, actor: str, transport: str, anonymous: Any, job: str) -> Any:
    """``actor`` calls ``route`` over ``transport`` (session or token) as a well-behaved
    client would: with a valid body, and with the CSRF token of its session on a change."""
    method, template = route
    path = fill(template, job)
    kwargs = body_of(route, web)
    if route == ("POST", "/login"):  # a fresh browser logs in (as the viewer, for nobody)
        client = web.new_client()
        name = VIEWER if actor == ANONYMOUS else actor
        kwargs = {"data": {"name": name, "password": "correct horse battery"}}
        return client.post(path, **with_csrf(kwargs, csrf_of(client)))
    if route == ("POST", "/logout") and actor != ANONYMOUS:
        client = web.login(actor)  # its own session: the shared ones stay logged in
        return client.post(path, **with_csrf(kwargs, csrf_of(client)))
    if transport == "token":
        client = web.new_client()
        headers = {} if actor == ANONYMOUS else web.bearer(actor)
        return client.request(method, path, headers=headers, **kwargs)
    client = anonymous if actor == ANONYMOUS else web.session(actor)
    csrf = None if method in SAFE_METHODS else csrf_of(client)
    return client.request(method, path, **with_csrf(kwargs, csrf))


def problem(response: Any, want: str, route: Route) -> str | None:
    """What is wrong with ``response`` when ``want`` was expected (None: nothing)."""
    status = response.status_code
    is_api = route[1].startswith("/api/")
    location = response.headers.get("location", "")
    to_login = status == 303 and location.startswith("/login?next=")
    hidden = status == 404 and "no such program" in response.text
    if status >= 500:
        return f"server error {status}"
    if want == "login":
        if is_api:
            ok = status == 401 and response.headers.get("www-authenticate") == "Bearer"
        else:
            ok = to_login
    elif want == "hidden":
        ok = hidden
    elif want == "gone":
        ok = status == 404 and "no such job" in response.text
    elif want == "forbidden":
        ok = status == 403 and "role" in response.text
    else:
        ok = status not in (401, 403) and not to_login and not hidden
        if route[0] in SAFE_METHODS:
            ok = ok and status == 200
    if ok:
        return None
    return f"{status} {location} {response.text[:160]!r}"


# -- the matrix --------------------------------------------------------------------------------


def test_the_matrix_covers_every_route(web: Web) -> None:
    served = routes_of(web.app)
    assert len(served) > 40, "the routes of the included routers are found"
    assert served == ROUTES
    missing = [r for r in served if (r[0], r[1]) not in ROUTE_NEEDS]
    assert not missing, f"routes that declare no need: {missing}"
    stale = sorted(set(ROUTE_NEEDS) - set(served))
    assert not stale, f"needs declared for routes the app does not have: {stale}"
    assert set(BODIES) == set(UNSAFE), "every change has its request in BODIES, and only they"


def test_a_route_that_declares_no_need_is_refused() -> None:
    from ontrack.web.app import _check_routes

    router = APIRouter(prefix="/api/v1")

    @router.get("/undeclared")
    def undeclared() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)  # as create_app includes its routers
    with pytest.raises(RuntimeError, match="GET /api/v1/undeclared declares no need"):
        _check_routes(app)


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_who_may_use_the_route(web: Web, route: Route, anonymous: Any, job_id: str) -> None:
    transports = ("token", "session") if route[1].startswith("/api/") else ("session",)
    wrong = []
    for actor in ACTORS:
        want = expected(route, actor)
        for transport in transports:
            response = call(web, route, actor, transport, anonymous, job_id)
            found = problem(response, want, route)
            if found is not None:
                wrong.append(f"{actor} over {transport}: wanted {want}, got {found}")
    assert not wrong, f"{_id(route)} (needs {need_of(route)}):\n" + "\n".join(wrong)


# -- CSRF --------------------------------------------------------------------------------------


@pytest.fixture
def untouched(web: Web) -> Iterator[None]:
    """The store's program is the same after the test as before it."""
    workspace = web.state.workspace

    def snapshot() -> tuple[Any, ...]:
        return (
            workspace.fingerprint(PROGRAM),
            len(workspace.revisions(PROGRAM)),
            [b.name for b in workspace.baselines(PROGRAM)],
            len(workspace.progress_history(PROGRAM)),
        )

    before = snapshot()
    yield
    assert snapshot() == before, "a change without its CSRF token was made"


@pytest.fixture(scope="module")
def other_csrf(web: Web) -> str:
    """The CSRF token of another session of the same user: not this session's."""
    return csrf_of(web.login(SUPERUSER))


@pytest.mark.parametrize("route", UNSAFE, ids=_id)
def test_a_change_from_a_session_needs_the_csrf_token(
    web: Web, route: Route, untouched: None, job_id: str, other_csrf: str
) -> None:
    client = web.session(SUPERUSER)  # may do anything: only the token is missing
    path = fill(route[1], job_id)
    kwargs = body_of(route, web)
    if route == ("POST", "/login"):
        kwargs = {"data": {"name": VIEWER, "password": "correct horse battery"}}
    for sent in (None, "", "not-the-token", other_csrf):
        response = client.request(route[0], path, **with_csrf(kwargs, sent))
        assert response.status_code == 403, (sent, response.text)
        assert "CSRF" in response.text
    assert client.get("/api/v1/programs").status_code == 200, "the session still works"


@pytest.mark.parametrize("route", [r for r in UNSAFE if r[1].startswith("/api/")], ids=_id)
def test_an_api_change_without_a_login_is_401(web: Web, route: Route, job_id: str) -> None:
    """Nobody, and a token that is not one, are told to log in (not to send a CSRF token)."""
    client = web.new_client()
    kwargs = body_of(route, web)
    path = fill(route[1], job_id)
    for headers in ({}, {"authorization": "Bearer otk_not-a-token"}):
        response = client.request(route[0], path, headers=headers, **kwargs)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"


# -- programs the caller has no role on ------------------------------------------------------


@pytest.mark.parametrize("name", [ADMIN, OUTSIDER])
def test_a_program_without_a_role_looks_like_no_program(web: Web, name: str) -> None:
    """The admin of one program cannot tell the other program from one that does not exist,
    and the list of programs shows only the caller's."""
    mine, theirs = (PROGRAM, OTHER_PROGRAM) if name == ADMIN else (OTHER_PROGRAM, PROGRAM)
    client = web.new_client()
    headers = web.bearer(name)
    hidden = client.get(api("assessment", program=theirs), headers=headers)
    absent = client.get(api("assessment", program="No such program"), headers=headers)
    assert (hidden.status_code, hidden.json()) == (absent.status_code, absent.json())
    assert hidden.status_code == 404
    listed = client.get("/api/v1/programs", headers=headers).json()["programs"]
    assert [p["program"] for p in listed] == [mine]
    session = web.session(name)
    assert theirs not in session.get("/").text
    assert mine in session.get("/").text
